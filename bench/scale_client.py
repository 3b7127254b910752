#!/usr/bin/env python3
"""bench/scale_client.py: the HTTP side of bench/scale.sh.

    scale_client.py PASSWORD ADMIN_EMAIL COUNT ROUNDS SIZE=URL... [--explain]

For each server (a database of SIZE generated accounts, "userK@scale.test",
K in 1..SIZE, all with PASSWORD): signs in as random accounts, refreshes
one session in a chain, checks the access tokens of different sessions on
/protected/ (the server has no session cache: each check reads the
database), opens /auth/sessions and searches /auth/admin/users by the
start of a first name or of an email. COUNT of each per server, in ROUNDS
rounds that take the servers in turn (the order reversed every other
round), so that whatever else the machine does falls on every size alike.
One request at a time, one keep-alive connection per server. Prints one
line per size and operation: "SIZE NAME median_ms p90_ms count". Any
unexpected answer stops it with a message and status 1. With --explain,
every operation runs once per server (for the database's plans).
"""
import hashlib
import http.client
import json
import random
import sys
import time
import urllib.parse


def die(msg):
    print("scale_client: " + msg, file=sys.stderr)
    sys.exit(1)


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, headers=None, want=200):
        """(seconds, decoded JSON or None); stops on another status."""
        h = {"Accept": "application/json"}
        h.update(headers or {})
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=h)
            res = self.conn.getresponse()
            data = res.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=h)
            res = self.conn.getresponse()
            data = res.read()
        took = time.perf_counter() - t0
        if res.status != want:
            die(f"{method} {path}: {res.status} (wanted {want}): {data[:300]!r}")
        try:
            return took, json.loads(data)
        except ValueError:
            return took, None


def login(c, email, password):
    body = json.dumps({"email": email, "password": password})
    took, j = c.request("POST", "/auth/login", body, {"Content-Type": "application/json"})
    tokens = (j or {}).get("tokens") or {}
    if not tokens.get("accessToken") or not tokens.get("refreshToken"):
        die(f"login {email}: no tokens")
    return took, tokens["accessToken"], tokens["refreshToken"]


def first_name(k):
    """The generated first name of account K (bench/scale.sh's SQL)."""
    return "Fn" + hashlib.md5(f"f{k}".encode()).hexdigest()[:10]


class Server:
    """One size: its client, its refresh chain, the times of each operation."""

    def __init__(self, size, url, password, admin_email):
        self.size, self.password = size, password
        self.c = Client(url)
        self.rnd = random.Random(size)
        self.times = {}
        for _ in range(5):                # warm-up: pools, prepared statements
            self.login(self.random_user())
        _, _, self.rt = self.login(self.random_user())
        _, self.admin_at, _ = self.login(admin_email)

    def random_user(self):
        return self.rnd.randint(1, self.size)

    def login(self, k):
        email = k if isinstance(k, str) else f"user{k}@scale.test"
        return login(self.c, email, self.password)

    def note(self, name, took):
        self.times.setdefault(name, []).append(took)

    def round(self, n):
        """n of each operation."""
        access, accounts = [], []
        for _ in range(n):
            k = self.random_user()
            took, at, _ = self.login(k)
            self.note("sign-in", took)
            access.append(at)
            accounts.append(k)
        for _ in range(n):
            body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": self.rt})
            took, j = self.c.request("POST", "/auth/token", body,
                                     {"Content-Type": "application/x-www-form-urlencoded"})
            self.rt = (j or {}).get("refresh_token") or die("refresh: no refresh_token")
            self.note("refresh", took)
        for at in access:
            took, _ = self.c.request("GET", "/protected/index.html",
                                     headers={"Authorization": "Bearer " + at})
            self.note("session-check", took)
        for at in access:
            took, j = self.c.request("GET", "/auth/sessions", headers={"Authorization": "Bearer " + at})
            if not ((j or {}).get("data") or {}).get("sessions"):
                die("/auth/sessions: no sessions listed")
            self.note("sessions-page", took)
        for i, k in enumerate(accounts):
            q = first_name(k).lower() if i % 2 == 0 else f"user{k}@"
            took, j = self.c.request("GET", "/auth/admin/users?q=" + urllib.parse.quote(q),
                                     headers={"Authorization": "Bearer " + self.admin_at})
            found = [u.get("email") for u in ((j or {}).get("data") or {}).get("users") or []]
            if f"user{k}@scale.test" not in found:
                die(f"admin search {q!r}: user{k}@scale.test not in {found[:5]}")
            self.note("admin-search", took)


def summary(size, name, times):
    t = sorted(times)
    med = t[len(t) // 2] * 1000
    p90 = t[min(len(t) - 1, int(len(t) * 0.9))] * 1000
    print(f"{size} {name} {med:.3f} {p90:.3f} {len(t)}", flush=True)


def main():
    args = [a for a in sys.argv[1:] if a != "--explain"]
    explain = len(args) < len(sys.argv) - 1
    if len(args) < 5:
        die("usage: scale_client.py PASSWORD ADMIN_EMAIL COUNT ROUNDS SIZE=URL... [--explain]")
    password, admin_email, count, rounds = args[0], args[1], int(args[2]), int(args[3])
    if explain:
        count, rounds = 1, 1
    servers = []
    for spec in args[4:]:
        size, url = spec.split("=", 1)
        servers.append(Server(int(size), url, password, admin_email))
    per_round = max(1, count // rounds)
    for r in range(rounds):
        for s in (servers if r % 2 == 0 else servers[::-1]):
            s.round(per_round)
    if explain:
        return
    for s in servers:
        for name in ("sign-in", "refresh", "session-check", "sessions-page", "admin-search"):
            summary(s.size, name, s.times[name])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench/scale_client.py: the HTTP side of bench/scale.sh.

    scale_client.py BASE_URL USERS PASSWORD ADMIN_EMAIL COUNT [--explain]

Signs in as generated accounts ("userK@scale.test", K random in 1..USERS,
all with PASSWORD), refreshes one session COUNT times in a chain, checks
COUNT access tokens of different sessions on /protected/ (the server has no
session cache: each check reads the database), opens /auth/sessions and
searches /auth/admin/users by the start of a first name or an email. One
request at a time on one keep-alive connection. Prints one line per
operation: "NAME median_ms p90_ms count", then exits 0; any unexpected
answer stops it with a message and status 1 (a benchmark of errors is no
benchmark). With --explain, every operation runs once, for the database's
plans.
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


def summary(name, times):
    t = sorted(times)
    med = t[len(t) // 2] * 1000
    p90 = t[min(len(t) - 1, int(len(t) * 0.9))] * 1000
    print(f"{name} {med:.3f} {p90:.3f} {len(t)}", flush=True)


def main():
    if len(sys.argv) < 6:
        die("usage: scale_client.py BASE_URL USERS PASSWORD ADMIN_EMAIL COUNT [--explain]")
    base, users, password, admin_email, count = sys.argv[1:6]
    users, count = int(users), int(count)
    if "--explain" in sys.argv[6:]:
        count = 1
    rnd = random.Random(17)
    c = Client(base)

    # warm-up: the connection pools and the statements are prepared
    for _ in range(min(count, 5)):
        login(c, f"user{rnd.randint(1, users)}@scale.test", password)

    signin, access, accounts = [], [], []
    for _ in range(count):
        k = rnd.randint(1, users)
        took, at, _ = login(c, f"user{k}@scale.test", password)
        signin.append(took)
        access.append(at)
        accounts.append(k)
    summary("sign-in", signin)

    _, _, rt = login(c, f"user{rnd.randint(1, users)}@scale.test", password)
    refresh = []
    for _ in range(count):
        body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": rt})
        took, j = c.request("POST", "/auth/token", body,
                            {"Content-Type": "application/x-www-form-urlencoded"})
        rt = (j or {}).get("refresh_token") or die("refresh: no refresh_token")
        refresh.append(took)
    summary("refresh", refresh)

    check = [c.request("GET", "/protected/index.html", headers={"Authorization": "Bearer " + at})[0]
             for at in access]
    summary("session-check", check)

    sessions = []
    for at in access:
        took, j = c.request("GET", "/auth/sessions", headers={"Authorization": "Bearer " + at})
        if not ((j or {}).get("data") or {}).get("sessions"):
            die("/auth/sessions: no sessions listed")
        sessions.append(took)
    summary("sessions-page", sessions)

    _, admin_at, _ = login(c, admin_email, password)
    search = []
    for i in range(count):
        k = accounts[i]
        q = first_name(k).lower() if i % 2 == 0 else f"user{k}@"
        took, j = c.request("GET", "/auth/admin/users?q=" + urllib.parse.quote(q),
                            headers={"Authorization": "Bearer " + admin_at})
        found = [u.get("email") for u in ((j or {}).get("data") or {}).get("users") or []]
        if f"user{k}@scale.test" not in found:
            die(f"admin search {q!r}: user{k}@scale.test not in {found[:5]}")
        search.append(took)
    summary("admin-search", search)


if __name__ == "__main__":
    main()

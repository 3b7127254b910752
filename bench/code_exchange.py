# bench/code_exchange.py PORT SECRET_FILE N C ROUNDS PIDFILE: the client
# side of bench/code_exchange.sh. One account and browser session (the
# cookie of a JSON sign-up); per round and scope, N authorization codes made
# one after the other (GET /auth/login, 303 with the code), then exchanged
# at /auth/token by C threads on keep-alive connections; the exchanges/s of
# each round and the CPU time httpd's children spent per exchange (user +
# system, from /proc: less disturbed than wall time by other work on the
# machine), and the medians.
import base64
import hashlib
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse as up

port, secret_file = int(sys.argv[1]), sys.argv[2]
N, C, ROUNDS = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
PARENT = int(open(sys.argv[6]).read())
TICK = os.sysconf('SC_CLK_TCK')


def httpd_cpu():
    """Seconds of CPU (user + system) of httpd's children so far."""
    total = 0
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == PARENT:
            total += int(fields[11]) + int(fields[12])
    return total / TICK
secret = open(secret_file).read()
basic = 'Basic ' + base64.b64encode(
    f'bench-web:{up.quote(secret, safe="")}'.encode()).decode()


def conn():
    return http.client.HTTPConnection('127.0.0.1', port)


main = conn()
main.request('POST', '/auth/register', json.dumps({
    'email': f'bench{time.time_ns()}@example.com', 'password': 'correct horse 1',
    'firstName': 'B', 'lastName': 'Ench'}), {'Content-Type': 'application/json'})
r = main.getresponse()
r.read()
cookie = [v.split(';')[0] for k, v in r.getheaders()
          if k.lower() == 'set-cookie' and 'deskauth_session' in v][0]
verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b'=').decode()
challenge = base64.urlsafe_b64encode(
    hashlib.sha256(verifier.encode()).digest()).rstrip(b'=').decode()


def make_codes(scope):
    global main
    q = up.urlencode({'client_id': 'bench-web', 'redirect_uri': 'http://127.0.0.1/cb',
                      'response_type': 'code', 'scope': scope, 'state': 's',
                      'code_challenge': challenge, 'code_challenge_method': 'S256'})
    codes = []
    while len(codes) < N:
        try:
            main.request('GET', '/auth/login?' + q,
                         headers={'Cookie': cookie, 'Accept': 'text/html'})
            res = main.getresponse()
            res.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            main = conn()          # the server closed a kept-alive connection
            continue
        codes.append(up.parse_qs(up.urlparse(res.getheader('Location')).query)['code'][0])
    return codes


def exchange(codes, want_id_token):
    failed = []

    def worker(part):
        k = conn()
        for code in part:
            body = up.urlencode({'grant_type': 'authorization_code', 'code': code,
                                 'code_verifier': verifier,
                                 'redirect_uri': 'http://127.0.0.1/cb'})
            k.request('POST', '/auth/token', body, {
                'Authorization': basic, 'Content-Type': 'application/x-www-form-urlencoded'})
            res = k.getresponse()
            answer = json.loads(res.read() or b'{}')
            if res.status != 200 or ('id_token' in answer) != want_id_token:
                failed.append(res.status)

    threads = [threading.Thread(target=worker, args=(codes[i::C],)) for i in range(C)]
    cpu0 = httpd_cpu()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    cpu = httpd_cpu() - cpu0
    if [f for f in failed if f != 503]:
        sys.exit(f'{len(failed)} exchanges failed or had the wrong shape: {failed[:5]}')
    if failed:
        # SQLite "database is locked" under concurrent writers: counted, reported
        print(f'  {len(failed)} of {len(codes)} answered 503', flush=True)
    done = len(codes) - len(failed)
    return done / dt, 1000 * cpu / done


rates = {'email': [], 'openid email': []}
cpus = {'email': [], 'openid email': []}
for rnd in range(ROUNDS):
    order = ['email', 'openid email'] if rnd % 2 == 0 else ['openid email', 'email']
    for scope in order:
        rate, cpu = exchange(make_codes(scope), scope.startswith('openid'))
        rates[scope].append(rate)
        cpus[scope].append(cpu)
        print(f'round {rnd + 1}: scope "{scope}": {rate:.0f} exchanges/s, '
              f'{cpu:.2f} ms httpd CPU per exchange', flush=True)
a, b = statistics.median(rates['email']), statistics.median(rates['openid email'])
ca, cb = statistics.median(cpus['email']), statistics.median(cpus['openid email'])
print(f'median: without ID token (scope email) {a:.0f}/s, {ca:.2f} ms CPU; '
      f'with ID token (scope openid email) {b:.0f}/s, {cb:.2f} ms CPU; '
      f'throughput ratio {b / a:.3f}, CPU ratio {cb / ca:.3f}')

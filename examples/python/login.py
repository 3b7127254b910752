#!/usr/bin/env python3
"""login.py: sign a Python app in to a mod_deskauth site with Authlib.

    python3 login.py BASE_URL CLIENT_ID

The OAuth 2.0 flow for native apps (RFC 8252): authorization code + PKCE
(S256) with a loopback redirect http://127.0.0.1:PORT/callback, on a port
the OS picks. The person signs in in their own browser (webbrowser opens
it; the URL is also printed on stderr); the browser comes back to this
script's one-shot listener, which checks state and iss and exchanges the
code. Prints the person's claims (UserInfo) on stderr and the token
response (JSON) on stdout.

Exit status: 0 signed in, 1 refused or given up (5 minutes), 2 usage or
server error. Needs Debian's python3-authlib and python3-requests.
"""
import http.server
import json
import secrets
import sys
import time
import webbrowser
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error

SCOPE = 'openid profile email'
WAIT_SECONDS = 300


def discover(base):
    """The server's OpenID Connect metadata (endpoints, issuer)."""
    answer = requests.get(base + '/.well-known/openid-configuration', timeout=10)
    answer.raise_for_status()
    return answer.json()


class Callback(http.server.BaseHTTPRequestHandler):
    """Takes the one redirect to /callback and tells the browser to close."""
    path_seen = None

    def do_GET(self):
        if self.path.split('?')[0] != '/callback':
            self.send_error(404)
            return
        type(self).path_seen = self.path
        body = b'You are signed in: you can close this tab and return to the app.\n'
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # the query holds the code: log nothing
        pass


def wait_for_redirect(server):
    """The path and query the browser came back with, or None after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    server.timeout = 1
    while Callback.path_seen is None and time.monotonic() < deadline:
        server.handle_request()
    return Callback.path_seen


def sign_in(base, client_id):
    meta = discover(base)
    # 127.0.0.1, never 0.0.0.0: the code must not be reachable from the network.
    server = http.server.HTTPServer(('127.0.0.1', 0), Callback)
    redirect_uri = 'http://127.0.0.1:%d/callback' % server.server_port
    client = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=SCOPE,
                           code_challenge_method='S256',
                           token_endpoint_auth_method='none')  # a public client: no secret
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(meta['authorization_endpoint'],
                                                 code_verifier=verifier)
    print('Sign in in your browser; if it did not open, open:\n' + url, file=sys.stderr)
    webbrowser.open(url)
    path = wait_for_redirect(server)
    server.server_close()
    if path is None:
        raise SystemExit('login.py: no answer from the browser: start again')
    answer = 'http://127.0.0.1:%d%s' % (server.server_port, path)
    query = {name: values[0] for name, values in parse_qs(urlsplit(answer).query).items()}
    # RFC 9207: the answer names the server that sent it.
    if query.get('iss') != meta['issuer']:
        raise SystemExit('login.py: the answer does not come from ' + meta['issuer'])
    if 'error' in query:
        raise SystemExit('login.py: refused: ' + query['error'])
    # Authlib checks state (MismatchingStateException) and sends the verifier.
    token = client.fetch_token(meta['token_endpoint'], authorization_response=answer,
                               state=state, code_verifier=verifier)
    claims = client.get(meta['userinfo_endpoint']).json()
    print('Signed in as %s (%s)' % (claims.get('name'), claims.get('email')), file=sys.stderr)
    return token


def main(argv):
    if len(argv) != 3:
        print('usage: login.py BASE_URL CLIENT_ID', file=sys.stderr)
        return 2
    try:
        token = sign_in(argv[1].rstrip('/'), argv[2])
    except SystemExit as stop:
        print(stop, file=sys.stderr)
        return 1
    except (OAuth2Error, requests.RequestException, KeyError, ValueError) as e:
        print('login.py: %s' % e, file=sys.stderr)
        return 2
    print(json.dumps(dict(token)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

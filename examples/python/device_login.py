#!/usr/bin/env python3
"""device_login.py: sign a device without a browser (a CLI, a kiosk, a TV)
in to a mod_deskauth site with Authlib, through the device authorization
grant (RFC 8628).

    python3 device_login.py BASE_URL CLIENT_ID [DEVICE_NAME]

Asks for a code pair, prints "Open URL and enter the code CODE" on stderr,
polls the token endpoint at the interval the server asks for (5 s more
after each slow_down) until a person signed in on their phone or laptop
presses Allow, then prints the person's claims (UserInfo) on stderr and the
token response (JSON) on stdout.

Exit status: 0 signed in, 1 denied or expired, 2 usage or server error.
Needs Debian's python3-authlib and python3-requests.
"""
import json
import socket
import sys
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error

DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
SCOPE = 'openid profile email'


def discover(base):
    """The server's OpenID Connect metadata (endpoints, issuer)."""
    answer = requests.get(base + '/.well-known/openid-configuration', timeout=10)
    answer.raise_for_status()
    return answer.json()


def ask_for_codes(client, meta, device_name):
    """POST to the device authorization endpoint: the code pair (RFC 8628 3.2)."""
    answer = client.post(meta['device_authorization_endpoint'],
                         data={'client_id': client.client_id, 'scope': SCOPE,
                               'device_name': device_name},
                         withhold_token=True)
    codes = answer.json()
    if answer.status_code != 200:
        raise SystemExit('device_login.py: refused: %s' % codes.get('error_description', codes))
    return codes


def poll(client, meta, codes):
    """The token response once approved; SystemExit when denied or expired."""
    interval = codes.get('interval', 5)
    while True:
        # A server closes a kept-alive connection after a few idle seconds
        # (Apache: KeepAliveTimeout 5, as long as the interval), maybe just
        # as the next poll reuses it: each poll takes a new connection.
        client.close()
        time.sleep(interval)
        try:
            return client.fetch_token(meta['token_endpoint'], grant_type=DEVICE_GRANT,
                                      device_code=codes['device_code'])
        except OAuthError as e:
            if e.error == 'authorization_pending':
                continue
            if e.error == 'slow_down':
                interval += 5
                continue
            if e.error in ('access_denied', 'expired_token'):
                raise SystemExit('device_login.py: %s' % (
                    'denied' if e.error == 'access_denied' else 'the code expired; start again'))
            raise


def main(argv):
    if len(argv) not in (3, 4):
        print('usage: device_login.py BASE_URL CLIENT_ID [DEVICE_NAME]', file=sys.stderr)
        return 2
    base, client_id = argv[1].rstrip('/'), argv[2]
    device_name = argv[3] if len(argv) == 4 else socket.gethostname()
    try:
        meta = discover(base)
        client = OAuth2Session(client_id, scope=SCOPE, token_endpoint_auth_method='none')
        codes = ask_for_codes(client, meta, device_name)
        print('Open %s and enter the code %s' % (codes['verification_uri'], codes['user_code']),
              file=sys.stderr)
        print('(or open %s)' % codes['verification_uri_complete'], file=sys.stderr)
        token = poll(client, meta, codes)
        claims = client.get(meta['userinfo_endpoint']).json()
        print('Signed in as %s (%s)' % (claims.get('name'), claims.get('email')), file=sys.stderr)
    except SystemExit as stop:
        print(stop, file=sys.stderr)
        return 1
    except (OAuthError, OAuth2Error, requests.RequestException, KeyError, ValueError) as e:
        print('device_login.py: %s' % e, file=sys.stderr)
        return 2
    print(json.dumps(dict(token)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

# docs/quickstart-python.md, run as written against the demo's configuration
# (t/lib/DeskAuthDemo.pm), with Debian's Authlib:
# - examples/python/login.py: code + PKCE on a loopback redirect; the test
#   is the person's browser (LWP): it opens the printed URL, signs in with
#   the form and follows the hand-off page's link to the script's listener;
#   then the documented refresh and revocation calls; a forged answer with
#   another state is refused;
# - examples/python/device_login.py: the person approves the code on the
#   device pages; a second run is denied.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthDemo;
use DeskAuthOAuth qw(query_params);
use DeskAuthServer ();
use JSON::PP ();
use File::Temp ();
use URI ();

my $DOC = 'docs/quickstart-python.md';
# The first python3 that has Authlib and requests (Debian's is /usr/bin/python3).
my ($python) = grep { !system("$_ -c 'import authlib, requests' >/dev/null 2>&1") } 'python3', '/usr/bin/python3';
plan skip_all => 'needs ' . join(', ', DeskAuthServer::missing()) if DeskAuthServer::missing();
plan skip_all => 'needs python3-authlib and python3-requests (tools/deps --test installs them)' unless $python;
plan tests => 23;

my $demo = DeskAuthDemo->start or BAIL_OUT(DeskAuthDemo::why());
my $base = $demo->base;
my $json = JSON::PP->new;
my $p = $demo->person;
is($p->{res}->code, 201, 'setup: an account');

# The documented command, with the python3 that has Authlib.
sub command_of {
    my ($re) = @_;
    my $cmd = $demo->doc_command($DOC, $re) // return undef;
    $cmd =~ s/^python3 /$python /;
    return $cmd;
}

# --- login.py ---------------------------------------------------------------------
my $login = command_of(qr{^python3 examples/python/login\.py });
ok($login, "$DOC shows the login.py command") or BAIL_OUT('no command in the quickstart');

# Start login.py (BROWSER=true: no real browser); (run, the URL it printed).
sub start_login {
    my $run = $demo->run_command($login, BROWSER => 'true');
    my ($url) = $demo->read_until($run, qr{^(\Q$base\E/auth/login\?\S+)$});
    return ($run, $url);
}

my ($run, $url) = start_login();
ok($url, 'login.py prints the authorization URL') or diag($run->{said});
my $q = query_params($url);
like($q->{redirect_uri} // '', qr{^http://127\.0\.0\.1:\d+/callback$}, 'its redirect URI is 127.0.0.1 on a port of its own');
is($q->{code_challenge_method}, 'S256', 'with PKCE S256');
my ($link, $page) = $demo->browser_sign_in($url // "$base/", $p, $q->{redirect_uri} // 'none');
ok($link, 'the person signs in; the hand-off page links to the loopback listener') or diag($page->status_line);
my $back = DeskAuthDemo::browser()->get($link // 'http://127.0.0.1:1/');
like($back->decoded_content, qr/You are signed in/, 'the listener answers the browser');
my ($status, $out, $err) = $demo->finish($run, 30);
is($status, 0, 'login.py exits 0') or diag($err);
like($err, qr/Signed in as Ada Lovelace \(\Q$p->{email}\E\)/, 'it shows the person (UserInfo)');
my $tokens = eval { $json->decode($out) } || {};
ok($tokens->{access_token} && $tokens->{refresh_token} && $tokens->{id_token},
   'it prints the token response (access, refresh and ID token)');

# Section 4: refresh and revoke with Authlib's own calls.
my $py = <<'PY';
import json, os, sys
import requests
from authlib.integrations.requests_client import OAuth2Session
base, client_id = sys.argv[1], sys.argv[2]
meta = requests.get(base + '/.well-known/openid-configuration', timeout=10).json()
client = OAuth2Session(client_id, token_endpoint_auth_method='none')
token = client.refresh_token(meta['token_endpoint'], refresh_token=os.environ['REFRESH'])
answer = client.revoke_token(meta['revocation_endpoint'], token['refresh_token'])
print(json.dumps({'refresh_token': token['refresh_token'], 'revoked': answer.status_code}))
PY
my $script = File::Temp->new(SUFFIX => '.py');
print $script $py;
close $script;
my ($s2, $o2, $e2) = $demo->finish($demo->run_command("$python $script $base example-python",
                                                      REFRESH => $tokens->{refresh_token} // ''));
my $r2 = eval { $json->decode($o2) } || {};
ok($r2->{refresh_token} && $r2->{refresh_token} ne ($tokens->{refresh_token} // ''),
   'client.refresh_token gives a new refresh token (rotation)') or diag($e2);
is($r2->{revoked}, 200, 'client.revoke_token revokes it');
my $dead = DeskAuthDemo::browser()->post("$base/auth/token", Accept => 'application/json',
    Content => [grant_type => 'refresh_token', refresh_token => $r2->{refresh_token} // 'x',
                client_id => 'example-python']);
is($dead->code, 400, 'the revoked refresh token no longer works');

# Another state: refused, no token.
my ($forged, $url2) = start_login();
my $q2 = query_params($url2);
my $wrong = URI->new($q2->{redirect_uri} // 'http://127.0.0.1:1/callback');
$wrong->query_form(code => 'forged', state => 'not-the-one', iss => $base);
DeskAuthDemo::browser()->get($wrong);
my ($s3, $o3, $e3) = $demo->finish($forged, 30);
isnt($s3, 0, 'an answer with another state: login.py fails');
like($e3, qr/State not equal/i, 'Authlib says the state does not match') or diag($e3);
is($o3, '', 'and no token is printed');

# --- device_login.py --------------------------------------------------------------
my $device = command_of(qr{^python3 examples/python/device_login\.py });
ok($device, "$DOC shows the device_login.py command");
my $dev = $demo->run_command($device // 'false');
my ($uri, $code) = $demo->read_until($dev, qr/^Open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})$/);
is($uri, "$base/auth/device", 'device_login.py says which page to open') or diag($dev->{said});
my $signed_in = $demo->person;
$demo->approve_device($signed_in, $code // 'none', 'allow');
my ($s4, $o4, $e4) = $demo->finish($dev, 60);
is($s4, 0, 'approved: device_login.py exits 0') or diag($e4);
like($e4, qr/Signed in as Ada Lovelace \(\Q$signed_in->{email}\E\)/, 'it shows the person who approved');

my $dev2 = $demo->run_command($device // 'false');
my (undef, $code2) = $demo->read_until($dev2, qr/^Open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})$/);
$demo->approve_device($signed_in, $code2 // 'none', 'deny');
my ($s5, $o5, $e5) = $demo->finish($dev2, 60);
ok($s5 == 1 && $e5 =~ /device_login\.py: denied/ && $o5 eq '', 'denied: exit 1, "denied", no token')
    or diag("status $s5\n$e5");

is_deeply([$demo->crash_lines], [], 'no child crashed');
is_deeply([$demo->leaked(@$tokens{qw(access_token refresh_token id_token)}, $r2->{refresh_token},
                         $p->{password})],
          [], 'no token and no password in the demo\'s logs');

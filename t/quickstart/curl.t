# docs/quickstart-curl.md, run as written against the demo's configuration
# (t/lib/DeskAuthDemo.pm): examples/device-cli/device-login signs in with the
# device grant while a person approves in a browser; the documented curl
# commands then read the profile with the access token and refresh the
# pair; a second run is denied.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthDemo;
use DeskAuthServer ();
use JSON::PP ();

my $DOC = 'docs/quickstart-curl.md';
plan skip_all => 'needs ' . join(', ', DeskAuthServer::missing()) if DeskAuthServer::missing();
plan skip_all => 'needs curl (tools/deps --test installs it)' if system('command -v curl >/dev/null 2>&1');
plan tests => 16;

my $demo = DeskAuthDemo->start or BAIL_OUT(DeskAuthDemo::why());
my $base = $demo->base;
my $json = JSON::PP->new;
my $p = $demo->person;
is($p->{res}->code, 201, 'setup: an account, signed in in its browser');

my $login = $demo->doc_command($DOC, qr{^examples/device-cli/device-login });
ok($login, "$DOC shows the device-login command") or BAIL_OUT('no command in the quickstart');

my $run = $demo->run_command($login);
my ($uri, $code) = $demo->read_until($run, qr/^Open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})$/);
is($uri, "$base/auth/device", 'it says which page to open') or diag($run->{said});
my $res = $demo->approve_device($p, $code // 'none', 'allow');
is($res->code, 303, 'the person types the code and presses Allow');
my ($status, $out, $err) = $demo->finish($run, 60);
is($status, 0, 'device-login exits 0') or diag($err);
my $tokens = eval { $json->decode($out) } || {};
ok($tokens->{access_token} && $tokens->{refresh_token}, 'it prints the token response');

my $profile_cmd = $demo->doc_command($DOC, qr{^curl -H "Authorization: Bearer \$ACCESS_TOKEN"});
ok($profile_cmd, "$DOC shows the profile call");
my ($s2, $profile) = $demo->finish($demo->run_command($profile_cmd // 'false',
                                                      ACCESS_TOKEN => $tokens->{access_token} // ''));
my $user = (eval { $json->decode($profile) } || {})->{data}{user} || {};
is($user->{email}, $p->{email}, 'the documented profile call answers with the person');

my $refresh_cmd = $demo->doc_command($DOC, qr{^curl -d grant_type=refresh_token});
$refresh_cmd .= ' ' . $demo->doc_command($DOC, qr{^\s+http://localhost:8080/auth/token$}) if $refresh_cmd;
$refresh_cmd =~ s/\s*\\\s+/ /g if $refresh_cmd;
my ($s3, $refreshed) = $demo->finish($demo->run_command($refresh_cmd // 'false',
                                                        REFRESH_TOKEN => $tokens->{refresh_token} // ''));
my $pair = eval { $json->decode($refreshed) } || {};
ok($pair->{refresh_token} && $pair->{refresh_token} ne ($tokens->{refresh_token} // ''),
   'the documented refresh gives a new pair (rotation)') or diag($refresh_cmd // '', $refreshed);

my $again = $demo->run_command($login);
my (undef, $code2) = $demo->read_until($again, qr/^Open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})$/);
ok($code2, 'a second run shows a code');
is($demo->approve_device($p, $code2 // 'none', 'deny')->code, 303, 'the person presses Deny');
my ($s4, $out4, $err4) = $demo->finish($again, 60);
is($s4, 1, 'device-login exits 1');
like($err4, qr/device-login: denied/, 'and says it was denied');
is($out4, '', 'and prints no token');

is_deeply([$demo->crash_lines], [], 'no child crashed');
is_deeply([$demo->leaked(@$tokens{qw(access_token refresh_token)}, @$pair{qw(access_token refresh_token)},
                         $p->{password})], [], 'no token and no password in the demo\'s logs');

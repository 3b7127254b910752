# The device grant's limits, on a server of its own (the main test server
# has huge rate limits and a 600 s code lifetime):
#
#   DeskAuthLoginLimit 2 30      a wrong user code counts like a failed
#                                sign-in: 4 x 2 = 8 per client IP in 30 s
#   DeskAuthDeviceCodeTTL 3      so that expiry takes seconds
#
# Guessing user codes in several forms (the confirm link, the typed form,
# the Allow button; lower case, without the dash) hits 429, and then even
# the right code is refused from that address, while another address still
# gets through. An expired code gives expired_token and cannot be approved.
# Device authorization requests are limited per address too (4 x 2).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthTest qw(csrf_from);
use DeskAuthDevice;
use HTTP::Request::Common ();
use Time::HiRes qw(sleep);

my @missing = DeskAuthServer::missing();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 23;

$SIG{ALRM} = sub { die "limits.t took longer than 90 s\n" };
alarm 90;

my $srv = DeskAuthServer->new(name => 'device-limits',
    conf => "DeskAuthLoginLimit 2 30\nDeskAuthDeviceCodeTTL 3\n"
          . qq{DeskAuthClient tv-app device=on "name=Limit TV"\n},
    locations => "<Location /auth/device>\n    SetHandler deskauth-device\n</Location>\n");
ok($srv->start, 'a server of its own starts with DeskAuthLoginLimit 2 30, DeskAuthDeviceCodeTTL 3')
    or BAIL_OUT($srv->why);

my $alice = person($srv);
my ($res, $d) = device_start($srv);
is($res->code, 200, 'a device asks for a code');
is($d->{expires_in}, 3, 'expires_in follows DeskAuthDeviceCodeTTL');

# Eight wrong guesses in three forms; the ninth attempt is refused.
my @guesses = map { sprintf 'BCDF-%s', $_ } qw(GHJK GHJL GHJM GHJN GHJP GHJQ GHJR GHJS);
my $page_form = sub {
    my ($code) = @_;
    my $csrf = csrf_from(page_of($srv, $alice, '/auth/device')->decoded_content);
    return $alice->{ua}->request(HTTP::Request::Common::POST(
        "$srv->{base}/auth/device/confirm", [user_code => $code, csrf => $csrf]));
};
my @ways = (
    sub { page_of($srv, $alice, '/auth/device/confirm?user_code=' . lc $_[0]) },
    sub { (my $c = $_[0]) =~ s/-//; $page_form->($c) },
    sub { approve_form($srv, $alice, $_[0], 'allow') },
);
my $all_400 = 1;
for my $i (0 .. $#guesses) {
    my $r = $ways[$i % 3]->($guesses[$i]);
    $all_400 &&= $r->code == 400;
}
ok($all_400, 'eight wrong codes (link, typed form, Allow button) are 400 each');

my $r = $ways[0]->($d->{user_code});
is($r->code, 429, 'the next attempt is 429, even with the right code (link)');
like($r->header('Retry-After') // '', qr/^\d+$/, '... with Retry-After');
like($r->decoded_content, qr/Too many wrong codes/, '... and says so on the page');
is($ways[1]->($d->{user_code})->code, 429, 'the typed form is refused too');
is($ways[2]->($d->{user_code})->code, 429, 'the Allow button is refused too');
is($ways[0]->('BCDF-GHJT')->code, 429, 'a further guess is refused');
my ($p, $j) = device_poll($srv, $d->{device_code});
is($j->{error}, 'authorization_pending', 'nothing was approved by the refused attempts');

# Another address (the same person on another network) is not locked out.
my $bob_ua = $alice->{ua};
$bob_ua->local_address('127.0.0.7');
my $other = $bob_ua->get("$srv->{base}/auth/device/confirm?user_code=$d->{user_code}");
is($other->code, 200, 'another client address still gets the approval page');
like($other->decoded_content, qr/Connect Limit TV\?/, '... for the right code');

# Expiry.
my ($res2, $e) = device_start($srv);
sleep 3.5;
($p, $j) = device_poll($srv, $e->{device_code});
is($p->code, 400, 'a poll after DeskAuthDeviceCodeTTL is 400');
is($j->{error}, 'expired_token', '... expired_token');
$r = $bob_ua->get("$srv->{base}/auth/device/confirm?user_code=$e->{user_code}");
ok($r->code == 400 && $r->decoded_content =~ /expired/, 'the approval page refuses an expired code');
my $csrf = csrf_from($bob_ua->get("$srv->{base}/auth/device")->decoded_content);
$r = $bob_ua->request(HTTP::Request::Common::POST("$srv->{base}/auth/device/approve",
    [user_code => $e->{user_code}, decision => 'allow', csrf => $csrf]));
is($r->code, 400, 'Allow on an expired code is refused');
($p, $j) = device_poll($srv, $e->{device_code});
is($j->{error}, 'expired_token', 'and the device still gets expired_token');

# Device authorization requests: every one counts per client address
# (each is a row until it expires), 4 x 2 = 8 in 30 s.
my $ask = sub {
    my ($from) = @_;
    my ($res) = $srv->req(POST => '/auth/device', from => $from,
                          form => [client_id => 'tv-app', device_name => 'Spam TV']);
    return $res;
};
my @asked = map { $ask->('127.0.0.9')->code } 1 .. 8;
is("@asked", join(' ', (200) x 8), 'eight device requests from one address: 200 each');
my $ninth = $ask->('127.0.0.9');
is($ninth->code, 429, 'the ninth from that address is 429');
ok(($ninth->header('Retry-After') // '') =~ /^\d+$/ && $ninth->decoded_content =~ /"rate_limited"/,
   '... rate_limited, with Retry-After');
is($ask->('127.0.0.10')->code, 200, 'another address still gets a code');

$srv->stop;
is(join("\n", $srv->crash_lines), '', 'no child crashed');

# A code exchange is one transaction: when the database fails while the
# session is being made (here a trigger refuses the session's row, as a
# full disk would), the app gets 503, no session is left behind and the
# code is still unused, so that the same exchange works once the database
# is back; a code refused for a wrong PKCE verifier stays used up.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl ();
use DeskAuthDB ();
use DeskAuthOAuth qw(desktop_signin token_post pkce_pair);

my @missing = DeskAuthDB::missing();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 9;

my ($driver, $params) = DeskAuthCtl::db_args();
my $db = { driver => $driver, params => $params };
my $user = Apache::Test::vars('user');
my $device = 'Refused device ' . $$ . '-' . time;
END { DeskAuthDB::allow_inserts($db, 'deskauth_sessions', $user) if $db }

sub exchange {
    my ($f, $verifier) = @_;
    return token_post([grant_type => 'authorization_code', code => $f->{code} // 'none',
                       code_verifier => $verifier // $f->{verifier},
                       redirect_uri => $f->{redirect_uri}, client_id => $f->{client_id}]);
}
sub sessions_named {
    return DeskAuthDB::value($db, "SELECT COUNT(*) FROM deskauth_sessions WHERE device_name = '$device'");
}

my $f = desktop_signin(device_name => $device);
ok($f->{code}, 'setup: the browser hands the app a code');
ok(DeskAuthDB::refuse_inserts($db, 'deskauth_sessions', 'device_name', $device, $user),
   "setup: the database refuses the rows of sessions named '$device'");
my ($res, $json) = exchange($f);
is($res->code, 503, 'the exchange while the session cannot be stored: 503');
is(sessions_named(), 0, 'no session of that name is left behind');
ok(DeskAuthDB::allow_inserts($db, 'deskauth_sessions', $user), 'setup: the database accepts them again');
($res, $json) = exchange($f);
ok($res->code == 200 && ref $json eq 'HASH' && $json->{access_token},
   'the same code, exchanged again: 200 with tokens (the failure did not use it up)')
    or diag($res->as_string);
is(sessions_named(), 1, 'one session of that name');

# A refusal is not a failure: the code is used up by the wrong verifier.
my $g = desktop_signin();
($res) = exchange($g, (pkce_pair())[0]);
is($res->code, 400, 'a code with a wrong PKCE verifier: 400');
($res) = exchange($g);
is($res->code, 400, '... and then with the right one: 400 (one try per code)');

# docs/interface.md "Account changes": the current password asked by change
# password, change email and delete account counts under the sign-in's limit
# (DeskAuthLoginLimit, per account and per client IP), so a stolen session
# cannot be used to guess the password: after the limit, 429 with
# Retry-After for every one of the three, even with the right password, and
# sign-in of the account is locked too. A right password gives its slot back.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;

my $WINDOW = 30;
my $PW     = 'correct horse 1';

my @missing = DeskAuthServer::missing();
push @missing, DeskAuthServer::ctl_path() . ' (run make)' unless -x DeskAuthServer::ctl_path();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 14;

my $srv = DeskAuthServer->new(name => 'account_limits',
                              conf => "DeskAuthLoginLimit 3 $WINDOW\n");
ok($srv->start, "a server of its own with DeskAuthLoginLimit 3 $WINDOW") or BAIL_OUT($srv->why);

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
my $n = 0;
sub email { return sprintf 'acct-%d-%d@example.com', $$, ++$n }

# A signed-in account: (email, access token).
sub account {
    my $email = email();
    my ($res, $j) = $srv->req(POST => '/auth/register', json => { email => $email,
        password => $PW, firstName => 'Ada', lastName => 'Lovelace' });
    return ($email, h(h($j)->{tokens})->{accessToken});
}

sub change {
    my ($token, $path, $method, $json) = @_;
    return $srv->req($method => "/api/auth/profile$path", json => $json, bearer => $token);
}

{
    my ($email, $token) = account();
    ok(defined $token, 'setup: an account, signed in');
    my ($res) = change($token, '/password', POST => { currentPassword => $PW,
                                                      newPassword => 'another horse 2' });
    is($res->code, 200, 'the right current password does not count');
    ($res) = change($token, '/password', POST => { currentPassword => 'another horse 2',
                                                   newPassword => $PW });
    is($res->code, 200, 'nor does a second right one');
    my @codes;
    push @codes, (change($token, '/password', POST => { currentPassword => 'wrong 1',
                                                        newPassword => 'x' x 12 }))[0]->code;
    push @codes, (change($token, '/email', POST => { newEmail => email(),
                                                     password => 'wrong 2' }))[0]->code;
    push @codes, (change($token, '', DELETE => { password => 'wrong 3' }))[0]->code;
    is("@codes", '401 401 401', 'three wrong passwords, through each of the three, are 401');

    ($res, my $j) = change($token, '/password', POST => { currentPassword => $PW,
                                                          newPassword => 'x' x 12 });
    is($res->code, 429, 'the fourth is 429, even with the right password');
    is(h($j)->{error}, 'rate_limited', 'its error is rate_limited');
    like($res->header('Retry-After') // '', qr/^\d+$/, 'with Retry-After');
    ($res) = change($token, '/email', POST => { newEmail => email(), password => $PW });
    is($res->code, 429, 'change email is locked too');
    ($res) = change($token, '', DELETE => { password => $PW });
    is($res->code, 429, 'delete account is locked too');
    ($res) = $srv->req(POST => '/auth/login', json => { email => $email, password => $PW });
    is($res->code, 429, 'and so is signing in to the account');
    my (undef, $p) = $srv->req(GET => '/api/auth/profile', bearer => $token);
    is(h(h(h($p)->{data})->{user})->{email}, $email, 'nothing was changed or deleted');
}
{
    my ($email, $token) = account();
    my ($res) = change($token, '', DELETE => { password => $PW });
    is($res->code, 200, 'another account (same IP, under its limit) is not locked: deleted');
    ($res) = $srv->req(GET => '/api/auth/profile', bearer => $token);
    is($res->code, 401, 'its token is dead at once');
}

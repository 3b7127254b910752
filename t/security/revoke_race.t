# Revocations inside a transaction (docs/behaviour.md "Where a revocation
# takes effect"): a password reset, and the admin API's disable, end every
# session of the account; once the answer came back, no request may get a
# 200 with one of them, although six clients keep using them all along.
#
# The cache must drop the sessions only after the COMMIT: dropped before, a
# check that reads the database in between still sees them valid and
# caches that again for DeskAuthSessionCacheTTL. And a check that read a
# cached answer just before it was dropped must not keep it in its child's
# memo. Both windows last as long as the cache takes to drop the account's
# sessions, so the account gets $PAD more sessions (straight into the
# database: a person signed in on many devices over the month) and the
# revocation is repeated $ROUNDS times under load: before those fixes,
# most rounds let requests through for the whole TTL.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthLoad;
use DeskAuthMail;

my $PW     = 'correct horse 1';
my $PAD    = 3000;                         # extra sessions of each account
my $ROUNDS = 8;                            # revocations under load, per way

plan tests => 4 + 2 * 4;

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# A new account with $PAD sessions besides: { id, email }.
sub padded_account {
    my ($label) = @_;
    my (undef, $j, $f) = register_user(firstName => $label, password => $PW);
    my $a = { id => h(h($j)->{user})->{id} // 'none', email => lc $f->{email} };
    my $expires = time + 30 * 86400;
    my ($status, undef, $err) = db_sql(
        "INSERT INTO deskauth_sessions (id, user_id, kind, refresh_hash, created_at, "
        . "last_used_at, expires_at) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
        . "SELECT i + 1 FROM n WHERE i < $PAD) SELECT 'pad-$a->{id}-' || i, '$a->{id}', 'web', "
        . "'pad-$a->{id}-' || i, ${\ time}, ${\ time}, $expires FROM n");
    diag("padding $label: $err") if $status;
    $a->{padded} = !$status;
    return $a;
}

# Run $ROUNDS revocations under load; ACTION($account, $round) revokes and
# returns the HTTP status, PREPARE($account, $round) readies the round and
# returns what ACTION needs. Checks the four things each way must show.
sub rounds_ok {
    my ($way, $a, $prepare, $action, $ok_status) = @_;
    my (@statuses, @no_load, @few_after, @late);
    for my $round (1 .. $ROUNDS) {
        my $arg = $prepare->($a, $round);
        my $requests = session_requests($a->{email}, $PW);
        my $run = under_load(requests => $requests, warmup => 0.4, after => 0.5,
                             action => sub { $action->($a, $arg) });
        push @statuses, $run->{action_result}[0];
        push @no_load, $round
            unless grep { $_->[0] < $run->{done} && $_->[1] == 200 } @{ $run->{rows} };
        push @few_after, $round if sent_after($run) < 20;
        my @l = late_successes($run);
        push @late, sprintf('round %d: %d late 200s, the last sent %.3f s after the answer',
                            $round, scalar @l, $l[-1][0] - $run->{done}) if @l;
    }
    is("@statuses", join(' ', ($ok_status) x $ROUNDS), "$way: each of the $ROUNDS revocations answers $ok_status");
    is("@no_load", '', "$way: the sessions worked before each revocation");
    is("@few_after", '', "$way: requests kept coming after each answer (20 or more)");
    is(scalar @late, 0, "$way: no request sent after an answer got 200, in any round")
        or diag(join "\n", @late);
}

# --- the accounts ------------------------------------------------------------------------

my $reset = padded_account('reset');
ok($reset->{padded}, "setup: the reset account has $PAD sessions besides");
my $off = padded_account('disable');
ok($off->{padded}, "setup: the account to disable has $PAD sessions besides");

my (undef, $rj, $rf) = register_user(firstName => 'Root', password => $PW);
is(deskauthctl('user', 'set-role', lc $rf->{email}, 'ADMIN'), 0, 'setup: an ADMIN by deskauthctl');
my (undef, $lj) = login_user($rf->{email}, $PW);
my $root = h(h($lj)->{tokens})->{accessToken} // 'none';
ok(length $root > 10, 'setup: the ADMIN signs in');

# --- a password reset (JSON) -------------------------------------------------------------

rounds_ok('password reset', $reset,
    sub {
        my ($a, $round) = @_;
        json_req(POST => '/auth/reset', {email => $a->{email}});
        return link_token(mail_link(wait_mail($a->{email}, qr/^Reset your password\b/, $round),
                                    '/auth/reset'));
    },
    sub {
        my ($a, $token) = @_;
        return (json_req(POST => '/auth/reset', {token => $token // 'none', password => $PW}))[0]->code;
    },
    200);

# --- the admin API's disable -------------------------------------------------------------

rounds_ok('admin API disable', $off,
    sub {
        my ($a) = @_;
        json_req(PATCH => "/auth/admin/users/$a->{id}", {isActive => JSON::PP::true}, bearer($root));
        return undef;
    },
    sub {
        my ($a) = @_;
        return (json_req(PATCH => "/auth/admin/users/$a->{id}", {isActive => JSON::PP::false},
                         bearer($root)))[0]->code;
    },
    200);

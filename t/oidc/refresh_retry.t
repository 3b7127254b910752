# The refresh retry window (DeskAuthRefreshReuseInterval, default 30 s): a
# refresh token rotated less than N seconds ago, presented again while its
# successor was never used (a lost response), gets a fresh pair and the
# unused successor dies; outside the window, or once the successor was used,
# the reuse revokes the session; the killed successor, if it is ever
# presented, revokes the session too. The window's end is tested on a
# server of its own with a 1 s interval, and 0 (off); that it is counted
# from the first rotation on one with 4 s.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthOIDC;
use DeskAuthServer;

plan tests => 21 + 3;

sub h { ref $_[0] eq 'HASH' ? $_[0] : {} }
sub pair {
    my ($res, $json) = @_;
    return ($res->code, h($json)->{access_token}, h($json)->{refresh_token});
}
sub fresh {
    my $f = oidc_signin(scope => 'openid');
    return pair(oidc_exchange($f));
}
sub refresh { return pair(oidc_refresh('example-app', $_[0])) }

# --- a lost answer is retried ---------------------------------------------------------------
{
    my (undef, $a1, $r1) = fresh();
    my ($c2, $a2, $r2) = refresh($r1);
    is($c2, 200, 'R1 -> R2');
    my ($c3, $a3, $r3) = refresh($r1);
    is($c3, 200, 'R1 again within the window, R2 never used: 200 (the retry of a lost answer)');
    ok($r3 && $r3 ne $r2, 'the retry gives a new refresh token R3');
    is(protected_status($a3), 200, 'its access token works');
    my ($c4, $a4, $r4) = refresh($r1);
    is($c4, 200, 'R1 a third time, R3 still unused: another retry');
    my ($c5, $a5, $r5) = refresh($r4);
    is($c5, 200, 'the newest (R4) works');
    my ($c6) = refresh($r3);
    is($c6, 400, 'R3, killed by the retry, is refused ...');
    is(protected_status($a5), 401, '... and its use revokes the session (only who read the lost answer holds it)');
    my ($c7) = refresh($r5 // 'x');
    is($c7, 400, 'nothing of the session lives on');
}
# --- once the successor was used, the old token is a replay ------------------------------------
{
    my (undef, undef, $r1) = fresh();
    my (undef, undef, $r2) = refresh($r1);
    my ($c, $a3, $r3) = refresh($r2);
    is($c, 200, 'R1 -> R2 -> R3');
    my ($cr) = refresh($r1);
    is($cr, 400, 'R1 after R2 was used: refused');
    is(protected_status($a3), 401, 'and the session is revoked (RFC 9700 §4.14.2)');
    my ($c4) = refresh($r3);
    is($c4, 400, 'R3 fails too');
}
# --- the killed successor after a retry --------------------------------------------------------------
{
    my (undef, undef, $r1) = fresh();
    my (undef, undef, $r2) = refresh($r1);
    my (undef, $a3, $r3) = refresh($r1);
    my ($c) = refresh($r2);
    is($c, 400, 'R2 presented after R1 was retried into R3: refused');
    my ($c3) = refresh($r3);
    ok($c3 == 400 && protected_status($a3) == 401, 'and the whole session is revoked');
}

# --- the end of the window, and 0 = off: servers of their own ------------------------------------------
for my $case ([1, 'DeskAuthRefreshReuseInterval 1'], [0, 'DeskAuthRefreshReuseInterval 0']) {
    my ($n, $conf) = @$case;
    my $s = DeskAuthServer->new(name => "reuse$n", conf => "$conf\n");
    $s->start or BAIL_OUT("server with $conf: " . $s->why);
    my $email = DeskAuthTest::unique_email();
    $s->ctl_add_user($email, 'correct horse 1') or BAIL_OUT($s->why);
    my (undef, $lj) = $s->req(POST => '/auth/login', json => { email => $email, password => 'correct horse 1' });
    my $r1 = h(h($lj)->{tokens})->{refreshToken};
    my ($res, $j) = $s->req(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $r1]);
    my $r2 = h($j)->{refresh_token};
    is($res->code, 200, "$conf: R1 -> R2");
    sleep 2 if $n;
    ($res) = $s->req(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $r1]);
    is($res->code, 400, $n ? "$conf: R1 again after 2 s (outside the window): refused"
                           : "$conf: R1 again at once: refused (no window)");
    ($res) = $s->req(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $r2]);
    is($res->code, 400, "$conf: and the session is revoked (R2 fails)");
    $s->stop;
}

# --- the window is counted from the first rotation, not from the last retry ------------------------
# (4 s: a retry 2 s after the rotation is inside; another 2.5 s later is 4.5 s
# after the rotation, outside, though only 2.5 s after the retry)
{
    my $s = DeskAuthServer->new(name => 'reuse4', conf => "DeskAuthRefreshReuseInterval 4\n");
    $s->start or BAIL_OUT('server with DeskAuthRefreshReuseInterval 4: ' . $s->why);
    my $email = DeskAuthTest::unique_email();
    $s->ctl_add_user($email, 'correct horse 1') or BAIL_OUT($s->why);
    my (undef, $lj) = $s->req(POST => '/auth/login', json => { email => $email, password => 'correct horse 1' });
    my $r1 = h(h($lj)->{tokens})->{refreshToken};
    my $refresh = sub {
        my ($res, $j) = $s->req(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $_[0]]);
        return ($res->code, h($j)->{refresh_token});
    };
    my (undef, $r2) = $refresh->($r1);
    sleep 2;
    my ($c3, $r3) = $refresh->($r1);
    is($c3, 200, 'DeskAuthRefreshReuseInterval 4: R1 retried 2 s after its rotation: a fresh pair');
    select undef, undef, undef, 2.5;
    my ($c4) = $refresh->($r1);
    is($c4, 400, 'R1 again 4.5 s after its rotation (2.5 s after the retry): refused');
    my ($c5) = $refresh->($r3 // 'x');
    is($c5, 400, 'and the session is revoked (R3 fails)');
    $s->stop;
}

# The audit log (docs/audit.md): one row per security event, read through
# GET /auth/admin/audit (ADMIN only; paged; filtered by user and time) and
# `deskauthctl audit`. Each event is caused here through the real endpoint
# and its row checked: event, account, IP, User-Agent, client, session,
# who did it; then paging, filters and refusals of the API; no secret in
# any row; and a row that cannot be written: logged (DA00621), never
# dropped in silence; inside a sign-in's transaction it fails the sign-in
# (503, no session), outside (a failed sign-in) the answer stays 401.
# On the database of the run (SQLite or PostgreSQL).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthDB;
use DeskAuthMail;
use DeskAuthOAuth qw(token_post desktop_tokens protected_status);
use DeskAuthForge qw(jwt_decode);

plan tests => 56;

my $PW = 'correct horse 1';
my $UA = 'DeskAuthTest-audit/1.0';

sub h   { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
sub sid_of { my ($token) = @_; my (undef, $p) = jwt_decode($token // ''); return h($p)->{sid} }
sub sub_of { my ($token) = @_; my (undef, $p) = jwt_decode($token // ''); return h($p)->{sub} }

sub admin {
    my ($method, $path, $token, $data) = @_;
    return json_req($method => "/auth/admin$path", $data, bearer($token // 'none'),
                    'User-Agent' => $UA);
}

# An account, signed in: (email, user id, access token, refresh token).
sub account {
    my (%o) = @_;
    my ($res, $j, $f) = register_user(password => $PW, %o);
    my $t = h(h($j)->{tokens});
    return (lc $f->{email}, h(h(h($j)->{data})->{user})->{id} // sub_of($t->{accessToken}),
            $t->{accessToken}, $t->{refreshToken});
}

# --- an admin ---------------------------------------------------------------------------
my ($admin_email, $admin_id) = account();
is(deskauthctl('user', 'set-role', $admin_email, 'ADMIN'), 0, 'setup: an ADMIN account');
my (undef, $aj) = login_user($admin_email, $PW);
my $admin = h(h($aj)->{tokens})->{accessToken};

# The rows of the account ID (newest first), as the admin API gives them.
sub rows_of {
    my ($id, $query) = @_;
    my (undef, $j) = admin(GET => "/audit?user=$id&limit=200" . ($query // ''), $admin);
    my $e = h(h($j)->{data})->{events};
    return ref $e eq 'ARRAY' ? $e : [];
}
sub row {
    my ($id, $event, $detail) = @_;
    for my $r (@{ rows_of($id) }) {
        return $r if $r->{event} eq $event && (!defined $detail || $r->{detail} =~ $detail);
    }
    return {};
}

# --- sign-up and sign-in ----------------------------------------------------------------
my ($email, $uid, $access, $refresh) = account();
{
    my $r = row($uid, 'sign_up');
    is($r->{email}, $email, 'sign_up: a row for the new account, with its address');
    is($r->{sessionId}, sid_of($access), 'sign_up: with the session the sign-up opened');
    is($r->{ip}, '127.0.0.1', 'sign_up: with the client IP');
    like($r->{time} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'sign_up: with its time (RFC 3339)');

    my ($res, $j) = json_req(POST => '/auth/login', { email => $email, password => $PW },
                             'User-Agent' => $UA);
    is($res->code, 200, 'sign-in');
    my $sid = sid_of(h(h($j)->{tokens})->{accessToken});
    $r = row($uid, 'sign_in');
    is($r->{sessionId}, $sid, 'sign_in: a row with the session it opened');
    is($r->{userAgent}, $UA, 'sign_in: with the User-Agent');
    is($r->{userId}, $uid, 'sign_in: and the account');
}

# --- request text that is not UTF-8 (PostgreSQL would refuse it in a row) -----------------
{
    my ($res, $j) = json_req(POST => '/auth/login', { email => $email, password => $PW },
                             'User-Agent' => "caf\xe9\tapp " . ('x' x 1200));
    is($res->code, 200, 'a sign-in with a Latin-1 byte, a tab and 1200 x in its User-Agent');
    my $sid = sid_of(h(h($j)->{tokens})->{accessToken});
    my ($r) = grep { $_->{sessionId} eq $sid } @{ rows_of($uid) };
    is(h($r)->{userAgent}, "caf\x{FFFD} app " . ('x' x 991),
       'its row: valid UTF-8 (U+FFFD, a space), cut to 1000 characters');
}

# --- failed sign-ins: wrong password, unknown address, disabled account ---------------------
{
    my ($res) = login_user($email, 'wrong horse 1');
    is($res->code, 401, 'a wrong password is 401');
    is(row($uid, 'sign_in_failed', qr/wrong password/)->{email}, $email,
       'sign_in_failed: a row for the account, "wrong password"');
    my $ghost = unique_email();
    ($res) = login_user($ghost, 'wrong horse 1');
    is($res->code, 401, 'an unknown address is 401');
    my (undef, $j) = admin(GET => '/audit?limit=200', $admin);
    my ($g) = grep { $_->{email} eq lc $ghost } @{ h(h($j)->{data})->{events} || [] };
    ok($g && $g->{event} eq 'sign_in_failed' && $g->{userId} eq '' && $g->{detail} =~ /no such account/,
       'sign_in_failed: a row with the address tried and no account');

    my ($demail, $did) = account();
    is(deskauthctl('user', 'disable', $demail), 0, 'setup: an account disabled by deskauthctl');
    ($res) = login_user($demail, $PW);
    is(row($did, 'sign_in_failed', qr/disabled/)->{userId}, $did,
       'sign_in_failed: a disabled account\'s sign-in, "account disabled"');
    is(row($did, 'account_disabled')->{actorId}, 'deskauthctl',
       'account_disabled by deskauthctl: the tool is who did it');
}

# --- the admin: role, disable, enable, sessions -----------------------------------------------
{
    my ($temail, $tid) = account();
    admin(PATCH => "/users/$tid", $admin, { role => 'EMPLOYER' });
    my $r = row($tid, 'role_changed');
    is($r->{detail}, 'USER -> EMPLOYER', 'role_changed: old and new role');
    is($r->{actorId}, $admin_id, 'role_changed: by the admin');
    admin(PATCH => "/users/$tid", $admin, { isActive => JSON::PP::false() });
    is(row($tid, 'account_disabled')->{actorId}, $admin_id, 'account_disabled: by the admin');
    admin(PATCH => "/users/$tid", $admin, { isActive => JSON::PP::true() });
    is(row($tid, 'account_enabled')->{actorId}, $admin_id, 'account_enabled: by the admin');
    admin(PATCH => "/users/$tid", $admin, { role => 'EMPLOYER' });
    is(scalar(grep { $_->{event} eq 'role_changed' } @{ rows_of($tid) }), 1,
       'a PATCH that changes nothing adds no row');
    admin(DELETE => "/users/$tid/sessions", $admin);
    $r = row($tid, 'session_revoked', qr/by an admin/);
    is($r->{actorId}, $admin_id, 'session_revoked by the admin (DELETE .../sessions): who did it');
}

# --- the account's own sign-outs, a client's revocation, a refresh reuse --------------------
{
    my ($e2, $id2, $a2) = account();
    my (undef, $j) = login_user($e2, $PW);
    my $other = h(h($j)->{tokens})->{accessToken};
    json_req(DELETE => '/auth/sessions/' . sid_of($other), undef, bearer($a2));
    my $r = row($id2, 'session_revoked', qr/connected devices/);
    ok($r->{sessionId} eq sid_of($other) && $r->{actorId} eq $id2,
       'session_revoked from the connected devices: that session, by the account');
    json_req(POST => '/auth/logout', undef, bearer($a2));
    $r = row($id2, 'session_revoked', qr/signed out/);
    is($r->{sessionId}, sid_of($a2), 'session_revoked by a sign-out: the session signed out');

    my $d = desktop_tokens(email => $e2, password => $PW);
    token_post([token => $d->{refresh}, client_id => $d->{client_id}], path => '/auth/revoke');
    $r = row($id2, 'session_revoked', qr/its app/);
    ok($r->{clientId} eq ($d->{client_id} // '') && $r->{sessionId} eq sid_of($d->{access}),
       'session_revoked by its app (RFC 7009): the client and the session');
}
{
    my ($e3, $id3, $a3, $r3) = account();
    my ($res, $j) = token_post([grant_type => 'refresh_token', refresh_token => $r3]);
    is($res->code, 200, 'a refresh rotates the refresh token');
    # its successor used: presenting the old one is a replay, not a retry
    # of a lost response (DeskAuthRefreshReuseInterval)
    token_post([grant_type => 'refresh_token', refresh_token => $j->{refresh_token}]);
    ($res) = token_post([grant_type => 'refresh_token', refresh_token => $r3]);
    is($res->code, 400, 'the rotated token presented again is refused');
    my $r = row($id3, 'refresh_reuse_detected');
    is($r->{sessionId}, sid_of($a3), 'refresh_reuse_detected: the session it revoked');
    like($r->{detail}, qr/revoked/, 'refresh_reuse_detected: says the session was revoked');
}

# --- password reset, and deskauthctl's own rows ------------------------------------------------
{
    my ($e4, $id4) = account();
    json_req(POST => '/auth/reset', { email => $e4 });
    my $token = link_token(mail_link(wait_mail($e4, qr/^Reset your password\b/), '/auth/reset'));
    my ($res) = json_req(POST => '/auth/reset', { token => $token, password => 'new horse 22' });
    is($res->code, 200, 'a password reset through the mailed link');
    like(row($id4, 'password_reset')->{detail}, qr/every session revoked/,
         'password_reset: a row, saying the sessions ended');
    my ($st, $out) = deskauthctl_output('audit', '--user', $e4);
    like($out, qr/^\S+Z\tsign_up\t\Q$e4\E\t/m, 'deskauthctl audit --user: the sign-up, oldest first');
    like($out, qr/\tpassword_reset\t\Q$e4\E\t127\.0\.0\.1\t/m, 'deskauthctl audit: the reset, with IP');
}

# --- the API: paging, filters, refusals -----------------------------------------------------------
{
    login_user($email, $PW);
    my (undef, $all) = admin(GET => "/audit?user=$uid&limit=200", $admin);
    my $n = h(h($all)->{data})->{total} // 0;
    ok($n >= 4, "the account has $n rows (total)");
    my (undef, $p1) = admin(GET => "/audit?user=$uid&limit=2", $admin);
    my (undef, $p2) = admin(GET => "/audit?user=$uid&limit=2&offset=2", $admin);
    my @ids = map { $_->{id} } @{ h(h($p1)->{data})->{events} || [] }, @{ h(h($p2)->{data})->{events} || [] };
    is_deeply(\@ids, [map { $_->{id} } @{ h(h($all)->{data})->{events} }[0 .. 3]],
              'limit and offset page through the same rows, newest first');
    my (undef, $by_email) = admin(GET => "/audit?user=$email&limit=200", $admin);
    is(h(h($by_email)->{data})->{total}, $n, 'user= takes the address as well as the id');
    my (undef, $future) = admin(GET => "/audit?user=$uid&since=2100-01-01", $admin);
    is(h(h($future)->{data})->{total}, 0, 'since= in the future: nothing');
    my (undef, $past) = admin(GET => "/audit?user=$uid&until=2000-01-01T00:00:00Z", $admin);
    is(h(h($past)->{data})->{total}, 0, 'until= in the past: nothing');
    my (undef, $recent) = admin(GET => "/audit?user=$uid&since=1h", $admin);
    is(h(h($recent)->{data})->{total}, $n, 'since=1h: all of them (an age)');
    my ($res, $j) = admin(GET => '/audit?since=yesterday', $admin);
    ok($res->code == 400 && h($j)->{error} eq 'invalid_request' && h($j)->{success} == 0,
       'a malformed time is 400 invalid_request');
    ($res) = admin(GET => '/audit?limit=0', $admin);
    is($res->code, 400, 'limit=0 is 400');
    ($res) = admin(GET => '/audit', $access);
    is($res->code, 403, 'a USER token is 403');
}

# --- never a secret --------------------------------------------------------------------------------
{
    my (undef, $j) = admin(GET => '/audit?limit=200', $admin);
    my $text = JSON::PP->new->canonical->encode(h($j));
    my @secrets = grep { defined && length } ($PW, 'wrong horse 1', 'new horse 22', $refresh, $access, $admin);
    my @found = grep { index($text, $_) >= 0 } @secrets;
    is(scalar @found, 0, 'no password or token in any row');
    unlike($text, qr/\$2[aby]\$/, 'no password hash in any row');
}

# --- a row that cannot be written -------------------------------------------------------------------
{
    my ($fe, $fid) = account(email => 'audit-fail-' . unique_email());
    my $mark = -s error_log_path() // 0;
    ok(refuse_audit($fe), 'setup: the database refuses audit rows about that address');
    my ($res) = login_user($fe, 'wrong horse 1');
    is($res->code, 401, 'a failed sign-in whose row is refused still answers 401');
    ($res) = login_user($fe, $PW);
    is($res->code, 503, 'a sign-in whose row is refused fails as a whole (same transaction)');
    my $log = error_log_since($mark);
    like($log, qr/DA00621: audit log: cannot record sign_in_failed of account \Q$fid\E/,
         'the refused row is logged (DA00621), not dropped in silence');
    allow_audit();
    ($res) = login_user($fe, $PW);
    is($res->code, 200, 'the sign-in works again once rows are accepted');
}

# --- a sign-out whose row cannot be written: nothing is signed out ---------------------------------
{
    my ($se, $sid_user, $first) = account(email => 'audit-signout-' . unique_email());
    my (undef, $j2) = login_user($se, $PW);
    my $second = h(h($j2)->{tokens})->{accessToken};
    my $other = sid_of($second);
    ok(DeskAuthDB::refuse_inserts(run_db(), 'deskauth_audit', 'user_id', $sid_user, Apache::Test::vars('user')),
       'setup: the database refuses audit rows of that account');
    my ($res) = json_req(DELETE => "/auth/sessions/$other", undef, bearer($first));
    is($res->code, 503, 'signing a device out whose audit row is refused: 503');
    is(protected_status($second), 200, '... and that device is still signed in (one transaction)');
    allow_audit();
    ($res) = json_req(DELETE => "/auth/sessions/$other", undef, bearer($first));
    is($res->code, 200, 'once rows are accepted: 200');
    is(protected_status($second), 401, '... and that device is signed out');
}

# A trigger that refuses audit rows whose email is EMAIL (the database of
# the run, through its own command-line tool).
sub run_db {
    my ($driver, $params) = DeskAuthCtl::db_args();
    return { driver => $driver, params => $params };
}
sub refuse_audit {
    my ($email) = @_;
    return DeskAuthDB::refuse_inserts(run_db(), 'deskauth_audit', 'email', $email,
                                      Apache::Test::vars('user'));
}
sub allow_audit { DeskAuthDB::allow_inserts(run_db(), 'deskauth_audit', Apache::Test::vars('user')) }
END { allow_audit() }

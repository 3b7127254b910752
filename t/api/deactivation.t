# Deactivating an account out of process, as another server or an admin's
# shell would (interface.md, Sessions and sign-out "A deactivated account cannot sign in (403
# account_disabled) and all its sessions stop working", Administration: deskauthctl;
# docs/behaviour.md "Revocation and metadata": "immediate on the server that revoked it ... and within
# DeskAuthSessionCacheTTL elsewhere"). Here deskauthctl is the "elsewhere": it
# cannot drop the test server's session-validity cache, so an access token the
# server has just accepted may keep working for up to DeskAuthSessionCacheTTL
# seconds, and no longer: the server asks the database again a fifth of the
# TTL before a cached answer expires (docs/behaviour.md). Sign-in and
# /auth/token read the database: at once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthOAuth qw(protected_status token_post);
use JSON::PP ();
use Time::HiRes qw(time sleep);

plan tests => 4 + 6 + 3 + 5;

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# DeskAuthSessionCacheTTL of the test server: t/conf/extra.conf, else the default (docs/interface.md).
sub cache_ttl {
    my $ttl = 10;
    if (open my $fh, '<', Apache::Test::vars('t_conf') . '/extra.conf') {
        while (<$fh>) { $ttl = $1 if /^\s*DeskAuthSessionCacheTTL\s+(\d+)/i }
    }
    return $ttl;
}
my $TTL = cache_ttl();

# Is RES a STATUS with the exact JSON error body (docs/interface.md, Errors) of CODE?
sub error_is {
    my ($res, $status, $code) = @_;
    my $j = DeskAuthOAuth::decode_json_or_undef($res->content);
    return $res->code == $status && ref $j eq 'HASH' && keys %$j == 3
        && JSON::PP::is_bool($j->{success}) && !$j->{success}
        && defined $j->{error} && $j->{error} eq $code
        && defined $j->{message} && !ref $j->{message} && length $j->{message};
}

sub refresh_error {
    my ($refresh) = @_;
    my (undef, $j) = token_post([grant_type => 'refresh_token', refresh_token => $refresh // 'none']);
    return h($j)->{error};
}

# --- a person with two live sessions ---------------------------------------------------------------
my ($rr, $rj, $f) = register_user();
my ($email, $pw) = @$f{qw(email password)};
my ($access, $refresh) = @{ h(h($rj)->{tokens}) }{qw(accessToken refreshToken)};
my ($lr, $lj) = login_user($email, $pw);
my ($access2, $refresh2) = @{ h(h($lj)->{tokens}) }{qw(accessToken refreshToken)};
is($rr->code, 201, 'setup: the person registers');
is($lr->code, 200, 'setup: and signs in a second time');
# the server answers "valid" for both sessions, and may now cache that answer
my $t_before = time;
is(protected_status($access), 200, 'before: the first access token opens /protected/');
is(protected_status($access2), 200, 'before: the second access token opens /protected/');
my $t_cached = time;

# --- deskauthctl user disable: what holds at once -------------------------------------------------------
{
    is(deskauthctl('user', 'disable', $email), 0, 'deskauthctl user disable EMAIL exits 0');
    my $t_disabled = time;
    my ($res) = login_user($email, $pw);
    ok(error_is($res, 403, 'account_disabled'), 'signing in right after is 403 account_disabled')
        or diag($res->as_string);
    is(refresh_error($refresh), 'invalid_grant', 'the refresh token fails at /auth/token at once');
    my (undef, $jj) = json_req(POST => '/auth/token', { refreshToken => $refresh2 // 'none' });
    is(h($jj)->{error}, 'unauthorized', 'a JSON refresh of the other session fails at once (401 unauthorized)');
    # Within DeskAuthSessionCacheTTL the server may still answer from its cache;
    # the spec promises only that the token stops working within the TTL.
    my $now = protected_status($access);
    ok($now == 200 || $now == 401,
       "right after, the access token is either still accepted from the cache (at most ${TTL} s) or refused")
        or diag("got $now");
    ok(time - $t_disabled < $TTL, 'setup: the checks above ran within DeskAuthSessionCacheTTL');
}

# --- before the cached answers expire: gone ---------------------------------------------------------------
# Cached at whole second C (between $t_before and $t_cached), an answer
# expires at C + TTL and is asked again from C + TTL - TTL/5: a request at
# $t_cached + TTL - TTL/5 + 0.3 falls in that window while the cache still
# holds the answer (when TTL/5 >= 2 and caching took under 0.5 s).
{
    my $early = int($TTL / 5);
    my $window = $early >= 2 && $t_cached - $t_before < 0.5;
    my $at = $window ? $TTL - $early + 0.3 : $TTL + 1;
    sleep $t_cached + $at - time;
    is(protected_status($access), 401,
       sprintf('%.1f s after it was cached (DeskAuthSessionCacheTTL %d) the access token gets 401%s', $at, $TTL,
               $window ? ', before the cached answer expires' : ''));
    is(protected_status($access2), 401, 'so does the access token of the other session');
    my ($p) = json_req(GET => '/api/auth/profile', undef, bearer($access // 'none'));
    ok(error_is($p, 401, 'unauthorized'), 'the profile API refuses it too (401 unauthorized)');
}

# --- deskauthctl user enable ----------------------------------------------------------------------------
{
    is(deskauthctl('user', 'enable', $email), 0, 'deskauthctl user enable EMAIL exits 0');
    my ($res, $j) = login_user($email, $pw);
    is($res->code, 200, 'signing in works again at once') or diag($res->as_string);
    my $fresh = h(h($j)->{tokens})->{accessToken};
    is(protected_status($fresh), 200, 'the new access token opens /protected/');
    my ($rr2, $rj2) = token_post([grant_type => 'refresh_token', refresh_token => h(h($j)->{tokens})->{refreshToken} // 'none']);
    is($rr2->code, 200, 'the new refresh token works at /auth/token');
    is(h(decode_json_or_undef_safe($rr2->content))->{token_type}, 'Bearer', 'and gives a new token pair');
}

sub decode_json_or_undef_safe { return DeskAuthOAuth::decode_json_or_undef($_[0]) }

# Refresh tokens at /auth/token (interface.md, Tokens "Refresh token", Desktop hand-off
# step 5 and the answers of /auth/token; docs/behaviour.md "Desktop hand-off with PKCE";
# RFC 6749 §6, RFC 9700 §4.14.2): rotation on every use, reuse of a rotated
# token revokes the whole session, the compatibility shapes for existing apps.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(jwt_decode token_sid);
use JSON::PP ();

plan tests => 1 + 2 + 14 + 3 + 6 + 7 + 24 + 8 + 8 + 3 + 4;

my $JWT_RE = qr/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\z/;
my (undef, undef, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};

sub refresh_form {
    my ($r) = @_;
    return token_post([grant_type => 'refresh_token', refresh_token => $r // 'none']);
}
sub refresh_json {
    my ($r) = @_;
    return token_request(POST => '/auth/token', JSON::PP->new->encode({ refreshToken => $r // 'none' }),
                         'Content-Type' => 'application/json');
}
sub refresh_bearer {
    my ($r, @rest) = @_;
    return token_request(POST => '/auth/token', undef, bearer($r // 'none'), @rest);
}
sub err  { my ($j) = @_; return ref $j eq 'HASH' ? $j->{error} : undef }
sub none { my ($j) = @_; return !(ref $j eq 'HASH' && (defined $j->{access_token} || defined $j->{accessToken}
                                                          || defined $j->{refresh_token} || defined $j->{refreshToken})) }
sub h    { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# The compatibility success shape: success true, accessToken, refreshToken, expiresIn, tokenType Bearer.
sub compat_ok {
    my ($res, $json, $name) = @_;
    my $j = h($json);
    is($res->code, 200, "$name: 200") or diag($res->as_string);
    ok(JSON::PP::is_bool($j->{success}) && $j->{success}, "$name: \"success\": true");
    like($j->{accessToken} // '', $JWT_RE, "$name: accessToken is a JWT");
    ok(defined $j->{refreshToken} && length $j->{refreshToken} >= 43, "$name: refreshToken is a new opaque token");
    ok(defined $j->{expiresIn} && $j->{expiresIn} eq '900' && $j->{tokenType} && $j->{tokenType} eq 'Bearer',
       "$name: expiresIn 900 and tokenType \"Bearer\"");
}

# The JSON error shape, 401 unauthorized.
sub compat_unauthorized {
    my ($res, $json, $name) = @_;
    my $j = h($json);
    is($res->code, 401, "$name: 401");
    ok(JSON::PP::is_bool($j->{success}) && !$j->{success} && ($j->{error} // '') eq 'unauthorized'
       && defined $j->{message} && length $j->{message},
       "$name: {\"success\":false,\"error\":\"unauthorized\",\"message\":...}") or diag('body: ' . $res->content);
    ok(none($json), "$name: no token");
}

# --- rotation via the form (RFC 6749 §6) ------------------------------------------------
my $t = desktop_tokens(email => $email, password => $password);
ok(defined $t->{refresh}, 'setup: the PKCE hand-off gives a refresh token') or diag($t->{res}->as_string);
my ($a1, $r1) = @$t{qw(access refresh)};
is(protected_status($a1), 200, 'setup: its access token works');

my ($res, $json) = refresh_form($r1);
my $j = h($json);
is($res->code, 200, 'grant_type=refresh_token&refresh_token=R is 200') or diag($res->as_string);
like($res->header('Content-Type') // '', qr{^application/json\b}i, 'the refresh answer is application/json');
like($res->header('Cache-Control') // '', qr/no-store/, 'the refresh answer is Cache-Control: no-store');
like($j->{access_token} // '', $JWT_RE, 'the refresh gives a new access_token');
is($j->{token_type}, 'Bearer', 'the refresh answer has token_type Bearer');
ok(defined $j->{expires_in} && $j->{expires_in} eq '900', 'the refresh answer has expires_in 900');
ok(defined $j->{refresh_token} && length $j->{refresh_token} >= 43, 'the refresh gives a new refresh_token');
ok(defined $j->{refresh_token} && defined $r1 && $j->{refresh_token} ne $r1, 'the refresh token is rotated (the new one differs)');
ok(defined $j->{access_token} && defined $a1 && $j->{access_token} ne $a1, 'the new access token differs from the old one');
my ($a2, $r2) = @$j{qw(access_token refresh_token)};
is(protected_status($a2), 200, 'the new access token opens /protected/');
is(token_sid($a2), token_sid($a1), 'the new access token belongs to the same session (same sid)');
my (undef, $c2) = jwt_decode($a2 // '');
is(ref $c2 eq 'HASH' ? $c2->{client_id} : undef, 'example-app', 'the new access token keeps client_id example-app');
ok(!grep({ /^(?:accessToken|refreshToken|success)$/ } keys %$j), 'a form refresh answers in the RFC 6749 §5.1 shape');
ok(defined $j->{access_token} && $j->{access_token} ne ($a1 // '') && token_sid($j->{access_token}) eq (token_sid($a1) // ''),
   'the rotated pair stays in the session of the hand-off');

# Once its successor was used, the old refresh token is no retry of a lost
# answer (DeskAuthRefreshReuseInterval) but a replay: it revokes the session.
{
    my ($r, $jj) = refresh_form($r2);
    is($r->code, 200, 'the new refresh token works (its successor is now in use)');
    ($a2, $r2) = @{ h($jj) }{qw(access_token refresh_token)};
}
($res, $json) = refresh_form($r1);
is($res->code, 400, 'the old (rotated) refresh token is refused (400)');
is(err($json), 'invalid_grant', 'the old refresh token gets invalid_grant');
ok(none($json), 'the old refresh token issues nothing');

($res, $json) = refresh_form($r2);
is($res->code, 400, 'after the reuse of a rotated refresh token, the newest refresh token fails too (400)');
is(err($json), 'invalid_grant', 'after the reuse, the newest refresh token gets invalid_grant');
ok(none($json), 'after the reuse, the newest refresh token issues nothing');
is(protected_status($a2), 401, 'after the reuse, the newest access token of the session gets 401 on /protected/');
is(protected_status($a1), 401, 'after the reuse, the first access token of the session gets 401 on /protected/');
my ($pr) = json_req(GET => '/api/auth/profile', undef, bearer($a2 // 'none'));
is($pr->code, 401, 'after the reuse, the session\'s access token is refused by the profile API too');

# --- a chain of rotations, then the reuse of a token from the middle of it --------------------
{
    my $u = desktop_tokens(email => $email, password => $password);
    my @r = ($u->{refresh});
    my @a = ($u->{access});
    for my $n (1 .. 3) {
        my ($rs, $js) = refresh_form($r[-1]);
        ok($rs->code == 200 && defined h($js)->{refresh_token}, "rotation $n of a chain of 3 is 200 with a new pair");
        push @r, h($js)->{refresh_token};
        push @a, h($js)->{access_token};
    }
    is(protected_status($a[-1]), 200, 'after three rotations the newest access token works');
    ($res, $json) = refresh_form($r[1]);
    is(err($json), 'invalid_grant', 'a refresh token from the middle of the chain, reused, gets invalid_grant');
    my ($rs) = refresh_form($r[-1]);
    is($rs->code, 400, 'that reuse revoked the session: the newest refresh token fails');
    is(protected_status($a[-1]), 401, 'that reuse revoked the session: the newest access token gets 401');
}

# --- compatibility: JSON {"refreshToken"} and Authorization: Bearer <refresh> ---------------
{
    my ($lr, $lj) = login_user($email, $password);
    my $r = ref $lj eq 'HASH' && ref $lj->{tokens} eq 'HASH' ? $lj->{tokens}{refreshToken} : undef;
    my $a = ref $lj eq 'HASH' && ref $lj->{tokens} eq 'HASH' ? $lj->{tokens}{accessToken} : undef;

    ($res, $json) = refresh_json($r);
    compat_ok($res, $json, 'JSON {"refreshToken":R}');
    my $rj = h($json)->{refreshToken};
    ok(!exists h($json)->{access_token} && !exists h($json)->{refresh_token}, 'JSON {"refreshToken":R}: the answer is in the compatibility shape only');
    is(protected_status(h($json)->{accessToken}), 200, 'JSON {"refreshToken":R}: the new accessToken opens /protected/');

    ($res, $json) = refresh_bearer($rj);
    compat_ok($res, $json, 'Authorization: Bearer <refresh>, no body');
    my $rb = h($json)->{refreshToken};
    is(token_sid(h($json)->{accessToken}), token_sid($a), 'Authorization: Bearer <refresh>: the session is the same');
    ($res, $json) = token_request(POST => '/auth/token', '{}', 'Content-Type' => 'application/json', bearer($rb));
    compat_ok($res, $json, 'Authorization: Bearer <refresh> with a {} JSON body');
    my $rb2 = h($json)->{refreshToken};

    ($res, $json) = refresh_json($rj);
    compat_unauthorized($res, $json, 'JSON {"refreshToken":R} with a rotated R');
    ($res, $json) = refresh_json($rb2);
    compat_unauthorized($res, $json, 'JSON with the newest refresh token after the reuse (session revoked)');
}

# --- bad refresh tokens -------------------------------------------------------------------
{
    ($res, $json) = refresh_json('not-a-refresh-token');
    compat_unauthorized($res, $json, 'JSON {"refreshToken":"not-a-refresh-token"}');
    ($res, $json) = refresh_bearer('not-a-refresh-token');
    compat_unauthorized($res, $json, 'Authorization: Bearer <garbage>');
    ($res, $json) = refresh_form('not-a-refresh-token');
    is($res->code, 400, 'grant_type=refresh_token with a garbage token: 400');
    is(err($json), 'invalid_grant', 'grant_type=refresh_token with a garbage token: invalid_grant');
}
{
    my $u = desktop_tokens(email => $email, password => $password);
    ($res, $json) = refresh_form($u->{access});
    is($res->code, 400, 'an access token sent as refresh_token: 400');
    is(err($json), 'invalid_grant', 'an access token sent as refresh_token: invalid_grant');
    ok(none($json), 'an access token sent as refresh_token issues nothing');
    ($res, $json) = refresh_bearer($u->{access});
    compat_unauthorized($res, $json, 'an access token sent as Authorization: Bearer <refresh>');
    ($res, $json) = token_post([grant_type => 'refresh_token']);
    is($res->code, 400, 'grant_type=refresh_token without refresh_token: 400');
    ok((err($json) // '') =~ /^(?:invalid_request|invalid_grant)\z/, 'grant_type=refresh_token without refresh_token: invalid_request');
}

# --- a session ended by POST /auth/logout cannot be refreshed -----------------------------
{
    my $u = desktop_tokens(email => $email, password => $password);
    my ($lo) = json_req(POST => '/auth/logout', {}, bearer($u->{access} // 'none'));
    is($lo->code, 200, 'setup: POST /auth/logout with the desktop access token is 200');
    ($res, $json) = refresh_form($u->{refresh});
    is($res->code, 400, 'the refresh token of a session ended by /auth/logout is refused (400)');
    is(err($json), 'invalid_grant', 'the refresh token of a session ended by /auth/logout gets invalid_grant');
}
{
    my ($lr, $lj) = login_user($email, $password);
    my $tok = h(h($lj)->{tokens});
    my ($lo) = json_req(POST => '/auth/logout', {}, bearer($tok->{accessToken} // 'none'));
    is($lo->code, 200, 'setup: POST /auth/logout with a signed-in API session is 200');
    ($res, $json) = refresh_json($tok->{refreshToken});
    compat_unauthorized($res, $json, 'JSON refresh of a session ended by /auth/logout');
}

# Connected devices: GET/DELETE /auth/sessions and its page (interface.md, Sessions and sign-out "A
# session's id in /auth/sessions is the sid of its tokens"; docs/behaviour.md
# "Revocation and metadata": immediate on the server that revoked it).
#
# One person holds five sessions: the registration (web), a second JSON
# sign-in (web), the browser of the PKCE hand-off (web, a form sign-in), the
# desktop app it hands off to (desktop) and a connection file redeemed at
# /auth/token (file). A second person holds one session of their own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(jwt_decode token_sid);
use JSON::PP ();
use Time::Local qw(timegm);
use URI;

plan tests => 6 + 26 + 2 + 8 + 6 + 9 + 9 + 9;

my $PW      = 'correct horse 1';
my $UA_REG  = 'DeskAuthTest-register/1.0 (sessions.t)';
my $UA_LOG  = 'DeskAuthTest-login/2.0 (sessions.t)';
my $DEVICE  = 'Work Laptop';
my $WEB_TTL = 43200;                      # DeskAuthWebSessionTTL default (docs/directives.html)
my @FIELDS  = qw(id kind clientId deviceName userAgent ip createdAt lastUsedAt expiresAt current);

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# RFC 3339 UTC date-time ("...Z") to epoch seconds, or undef.
sub utc_time {
    my ($s) = @_;
    return undef unless defined $s && !ref $s
        && $s =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?Z\z/;
    return eval { timegm($6, $5, $4, $3, $2 - 1, $1) };
}

# Is RES a STATUS with the exact JSON error body (docs/interface.md, Errors) of CODE?
sub error_is {
    my ($res, $status, $code) = @_;
    my $j = decode_json_or_undef($res->content);
    return $res->code == $status && ref $j eq 'HASH' && keys %$j == 3
        && JSON::PP::is_bool($j->{success}) && !$j->{success}
        && defined $j->{error} && $j->{error} eq $code
        && defined $j->{message} && !ref $j->{message} && length $j->{message};
}

# GET /auth/sessions as TOKEN: (response, the sessions array or undef).
sub sessions_of {
    my ($token) = @_;
    my ($res, $json) = json_req(GET => '/auth/sessions', undef, bearer($token // 'none'));
    my $list = ref h($json)->{data} eq 'HASH' ? $json->{data}{sessions} : undef;
    return ($res, ref $list eq 'ARRAY' ? $list : undef);
}

sub by_id { my ($list) = @_; return { map { (h($_)->{id} // '') => h($_) } @{ $list || [] } } }

sub refresh_error {
    my ($refresh) = @_;
    my (undef, $j) = token_post([grant_type => 'refresh_token', refresh_token => $refresh // 'none']);
    return h($j)->{error};
}

sub delete_session {
    my ($token, $id) = @_;
    return json_req(DELETE => '/auth/sessions' . (defined $id ? "/$id" : ''), undef, bearer($token));
}

# --- setup: five sessions of one person, one of another ---------------------------------------
my $t0 = time;
my $email = unique_email();
my ($rr, $rj) = json_req(POST => '/auth/register',
                         { email => $email, password => $PW, firstName => 'Sess', lastName => 'Ions' },
                         'User-Agent' => $UA_REG);
is($rr->code, 201, 'setup: registering (a web session) is 201') or diag($rr->as_string);
my ($A1, $R1) = @{ h(h($rj)->{tokens}) }{qw(accessToken refreshToken)};

my ($lr, $lj) = json_req(POST => '/auth/login', { email => $email, password => $PW },
                         'User-Agent' => $UA_LOG);
is($lr->code, 200, 'setup: signing in again with JSON (a second web session) is 200') or diag($lr->as_string);
my ($A2, $R2) = @{ h(h($lj)->{tokens}) }{qw(accessToken refreshToken)};

my $d = desktop_tokens(email => $email, password => $PW, device_name => $DEVICE);
is($d->{res}->code, 200, 'setup: the PKCE hand-off gives the desktop app its tokens (a desktop session)')
    or diag($d->{res}->as_string);
my ($AD, $RD) = @$d{qw(access refresh)};
my $b  = $d->{ua};                        # signed in with the sign-in form on the way
my $AB = session_cookie($b);
ok(defined $AB && defined token_sid($AB), 'setup: the browser holds the session cookie of its form sign-in');

my $prof  = get_page($b, url('/api/auth/profile'));
my $fres  = $b->post(url('/auth/callback'),
                     [action => 'file', client_id => 'equatorschatbot', csrf => csrf_from($prof->content) // ''],
                     Origin => origin(), Accept => 'text/html,application/json;q=0.9');
my ($xr, $xj) = token_post([grant_type => 'urn:deskauth:connection-file',
                            code => h(decode_json_or_undef($fres->content))->{code} // 'none',
                            client_id => 'equatorschatbot']);
is($xr->code, 200, 'setup: a connection file redeemed at /auth/token (a file session) is 200')
    or diag($fres->status_line . ' / ' . $xr->as_string);
my ($AF, $RF) = @{ h($xj) }{qw(access_token refresh_token)};

my ($or, $oj) = register_user();
is($or->code, 201, 'setup: a second person registers');
my $AO = h(h($oj)->{tokens})->{accessToken};

my %sid = (reg => token_sid($A1), login => token_sid($A2), browser => token_sid($AB),
           desktop => token_sid($AD), file => token_sid($AF));
my %want_kind   = (reg => 'web', login => 'web', browser => 'web', desktop => 'desktop', file => 'file');
my %want_client = (reg => undef, login => undef, browser => undef,
                   desktop => 'example-app', file => 'equatorschatbot');

# --- GET /auth/sessions (JSON) ----------------------------------------------------------------
{
    my ($res, $list) = sessions_of($A2);
    my $json = h(decode_json_or_undef($res->content));
    is($res->code, 200, 'GET /auth/sessions with a Bearer token is 200') or diag($res->as_string);
    like($res->header('Content-Type') // '', qr{^application/json\b}i, 'GET /auth/sessions answers JSON');
    ok(JSON::PP::is_bool($json->{success}) && $json->{success}, 'the answer has "success": true');
    ok(defined $list, 'the answer has data.sessions, an array');
    $list //= [];
    is(scalar @$list, 5, 'data.sessions lists the five live sessions of the person');
    is_deeply([sort map { h($_)->{id} // '' } @$list], [sort grep { defined } values %sid],
              'each session id is the sid claim of its tokens, and only the caller\'s sessions are listed');
    is_deeply([grep { join(',', sort keys %{ h($_) }) ne join(',', sort @FIELDS) } @$list], [],
              'every session has exactly id, kind, clientId, deviceName, userAgent, ip, createdAt, lastUsedAt, expiresAt, current');
    $list = [map { h($_) } @$list];
    my $s = by_id($list);
    is_deeply({ map { ($_ => $s->{$sid{$_} // ''}{kind}) } keys %sid }, \%want_kind,
              'kind is "web" for the website sessions, "desktop" for the app, "file" for the connection file');
    is_deeply({ map { ($_ => $s->{$sid{$_} // ''}{clientId}) } keys %sid }, \%want_client,
              'clientId is null for the website sessions and the app\'s client id otherwise');
    ok(!(grep { exists $_->{clientId} && defined $_->{clientId} && (ref $_->{clientId} || !length $_->{clientId}) } @$list),
       'clientId is a non-empty string or null');
    is($s->{$sid{desktop} // ''}{deviceName}, $DEVICE, 'deviceName of the desktop session is the device_name the app sent');
    ok(!(grep { !exists $_->{deviceName} || ref $_->{deviceName} } @$list), 'deviceName is a string or null everywhere');
    is($s->{$sid{reg} // ''}{userAgent}, $UA_REG, 'userAgent of the registration session is the User-Agent it was made with');
    is($s->{$sid{login} // ''}{userAgent}, $UA_LOG, 'userAgent of the sign-in session is the User-Agent it was made with');
    is($s->{$sid{browser} // ''}{userAgent}, 'DeskAuthTest-browser', 'userAgent of the browser session is the browser\'s');
    ok(!(grep { !exists $_->{userAgent} || ref $_->{userAgent} } @$list), 'userAgent is a string or null everywhere');
    is_deeply([grep { !defined $_->{ip} || ref $_->{ip} || $_->{ip} !~ /\A(?:127\.0\.0\.1|::1)\z/ } @$list], [],
              'ip is the client address the server saw (the loopback address of the test client)');
    my $now = time;
    is_deeply([grep { !defined utc_time($_->{createdAt}) || !defined utc_time($_->{lastUsedAt})
                      || !defined utc_time($_->{expiresAt}) } @$list], [],
              'createdAt, lastUsedAt and expiresAt are RFC 3339 UTC date-times');
    is_deeply([grep { my $c = utc_time($_->{createdAt}); !defined $c || $c < $t0 - 60 || $c > $now + 60 } @$list], [],
              'createdAt is when the session began (during this test)');
    is_deeply([grep { my ($c, $u) = (utc_time($_->{createdAt}), utc_time($_->{lastUsedAt}));
                      !defined $c || !defined $u || $u < $c || $u > $now + 60 } @$list], [],
              'lastUsedAt is between createdAt and now');
    is_deeply([grep { my $e = utc_time($_->{expiresAt}); !defined $e || $e <= $now } @$list], [],
              'expiresAt of every listed session is in the future');
    {
        my $bs = $s->{$sid{browser} // ''};
        my ($c, $e) = (utc_time($bs->{createdAt}), utc_time($bs->{expiresAt}));
        ok(defined $c && defined $e && $e - $c <= $WEB_TTL + 60,
           'expiresAt of the browser\'s session is at most DeskAuthWebSessionTTL (12 h) after createdAt')
            or diag('browser session: createdAt ' . ($bs->{createdAt} // 'none') . ', expiresAt ' . ($bs->{expiresAt} // 'none'));
    }
    ok(!(grep { !JSON::PP::is_bool($_->{current}) } @$list), 'current is a JSON boolean');
    is_deeply([map { $_->{id} } grep { JSON::PP::is_bool($_->{current}) && $_->{current} } @$list], [$sid{login}],
              'current is true only for the caller\'s own session (the sid of the token used)');
    my (undef, $list1) = sessions_of($A1);
    is_deeply([map { $_->{id} } grep { JSON::PP::is_bool($_->{current}) && $_->{current} } @{ $list1 || [] }], [$sid{reg}],
              'called with another session\'s token, current follows the caller');
    my (undef, $listo) = sessions_of($AO);
    is_deeply([map { h($_)->{id} } @{ $listo || [] }], [token_sid($AO)],
              'another person sees only their own session');
}

# --- without a token ------------------------------------------------------------------------------
{
    my ($res) = json_req(GET => '/auth/sessions', undef);
    ok(error_is($res, 401, 'unauthorized'), 'GET /auth/sessions without a token is 401 unauthorized (JSON)')
        or diag($res->as_string);
    my $page = browser()->get('/auth/sessions');
    my $loc = URI->new_abs($page->header('Location') // '', url('/'));
    ok($page->code == 303 && $loc->path eq '/auth/login',
       'the page without a session is a 303 to the sign-in page') or diag($page->status_line . ' ' . $loc);
}

# --- DELETE /auth/sessions/ID: one of one's own others --------------------------------------------
{
    is(protected_status($A1), 200, 'before: the registration session\'s access token opens /protected/');
    my ($res, $j) = delete_session($A2, $sid{reg});
    is($res->code, 200, 'DELETE /auth/sessions/ID of one\'s own other session is 200') or diag($res->as_string);
    ok(JSON::PP::is_bool(h($j)->{success}) && h($j)->{success}, 'the answer has "success": true');
    is(protected_status($A1), 401, 'its access token gets 401 at once on the server that revoked it');
    is(refresh_error($R1), 'invalid_grant', 'its refresh token fails at /auth/token at once (invalid_grant)');
    my (undef, $list) = sessions_of($A2);
    ok(defined $list && !by_id($list)->{$sid{reg}}, 'the revoked session is no longer listed');
    is(protected_status($A2), 200, 'the caller\'s own session still works');
    is(protected_status($AD), 200, 'the other sessions still work');
}

# --- DELETE /auth/sessions/ID of someone else's session, or of no session ---------------------------
{
    is(protected_status($AO), 200, 'before: the other person\'s token opens /protected/');
    my ($res) = delete_session($A2, token_sid($AO));
    ok(error_is($res, 404, 'not_found'), 'DELETE /auth/sessions/ID of another person\'s session is 404 not_found')
        or diag($res->as_string);
    is(protected_status($AO), 200, 'the other person\'s session still works');
    my (undef, $listo) = sessions_of($AO);
    is(scalar @{ $listo || [] }, 1, 'the other person still has their session listed');
    ($res) = delete_session($A2, random_b64u(16));
    ok(error_is($res, 404, 'not_found'), 'DELETE /auth/sessions/ID of a made-up id is 404 not_found');
    ($res) = json_req(DELETE => "/auth/sessions/$sid{desktop}", undef);
    ok(error_is($res, 401, 'unauthorized'), 'DELETE /auth/sessions/ID without a token is 401');
}

# --- the page ---------------------------------------------------------------------------------------
my $csrf;
{
    my $page = $b->get('/auth/sessions');
    my $html = $page->content;
    is($page->code, 200, 'GET /auth/sessions with Accept text/html and the session cookie shows the page')
        or diag($page->status_line);
    like($page->header('Content-Type') // '', qr{^text/html\b}i, 'the page is text/html');
    my @revoke = grep { $_->{method} eq 'post' && ($_->{value}{action} // '') eq 'revoke' } forms($html);
    my %form_for = map { ($_->{value}{id} // '') => $_ } @revoke;
    is_deeply([sort keys %form_for], [sort @sid{qw(login desktop file)}],
              'the page has a per-device form (action=revoke, id) for every other live session, none for this one');
    ok(!(grep { $_->{html} !~ /Sign out/ } @revoke), 'each per-device form has a "Sign out" button');
    like(text_of($html), qr/Sign out everywhere else/, 'the page has "Sign out everywhere else"');
    ok((grep { $_->{method} eq 'post' && ($_->{value}{action} // '') eq 'others' } forms($html)),
       '"Sign out everywhere else" is a POST form with action=others');
    like(text_of($html), qr/\Q$DEVICE\E/, 'the page names the desktop device');
    $csrf = csrf_from($html);
    ok(defined $csrf && length $csrf, 'the page carries a CSRF token');
    ok(!(grep { URI->new_abs($_->{action} // '', $page->request->uri)->path ne '/auth/sessions' } @revoke),
       'the per-device forms post to /auth/sessions');
}

# --- posting the per-device form --------------------------------------------------------------------
{
    is(protected_status($AF), 200, 'before: the connection file session works');
    my $res = form_post($b, '/auth/sessions', [action => 'revoke', id => $sid{file}], Origin => origin());
    is($res->code, 403, 'posting the per-device form without the csrf field is 403');
    is(protected_status($AF), 200, 'after a refused post the session still works');

    is(protected_status($AD), 200, 'before: the desktop session works');
    $res = form_post($b, '/auth/sessions', [csrf => $csrf, action => 'revoke', id => $sid{desktop}],
                     Origin => origin());
    is($res->code, 303, 'posting the per-device form (csrf, action=revoke, id) is 303') or diag($res->as_string);
    is(URI->new_abs($res->header('Location') // '', url('/'))->path, '/auth/sessions',
       'the 303 goes back to the sessions page');
    is(protected_status($AD), 401, 'the signed-out desktop session\'s access token gets 401 at once');
    is(refresh_error($RD), 'invalid_grant', 'the signed-out desktop session\'s refresh token fails');
    my (undef, $list) = sessions_of($A2);
    ok(defined $list && !by_id($list)->{$sid{desktop}}, 'the signed-out desktop session is no longer listed');
}

# --- DELETE /auth/sessions: all but the current one ---------------------------------------------------
{
    is(protected_status($AF), 200, 'before: the connection file session works');
    is(protected_status($AB), 200, 'before: the browser session works');
    my ($res, $j) = delete_session($A2);
    is($res->code, 200, 'DELETE /auth/sessions is 200') or diag($res->as_string);
    ok(JSON::PP::is_bool(h($j)->{success}) && h($j)->{success}, 'the answer has "success": true');
    is_deeply([map { (protected_status($_)) } $AF, $AB], [401, 401],
              'every other session\'s access token gets 401 at once');
    is(refresh_error($RF), 'invalid_grant', 'every other session\'s refresh token fails');
    my (undef, $list) = sessions_of($A2);
    is_deeply([map { h($_)->{id} } @{ $list || [] }], [$sid{login}], 'only the current session is left');
    is(protected_status($A2), 200, 'the current session still works');
    is(protected_status($AO), 200, 'another person\'s session is not touched');
}

# AuthType DeskAuth on ordinary locations (docs/interface.md Tokens, in directory context,
# docs/behaviour.md "Protected locations").
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthForge qw(token_sid slurp_file);
use LWP::UserAgent;
use URI;
use JSON::PP ();

plan tests => 35;

# A client with no cookie jar: every credential is sent explicitly.
my $raw = LWP::UserAgent->new(max_redirect => 0, timeout => 30, cookie_jar => undef);
sub get_with { my ($path, @h) = @_; return $raw->get(url($path), @h) }
sub as_cookie { return ('Cookie' => "deskauth_session=$_[0]") }
sub www_auth { return $_[0]->header('WWW-Authenticate') // '' }
sub access_token { my ($res, $json) = @_; return ($json && ref $json->{tokens}) ? $json->{tokens}{accessToken} : undef }

my $docroot = Apache::Test::vars('documentroot');
my $index = slurp_file("$docroot/protected/index.html");

# --- missing token ------------------------------------------------------------
{
    my $res = get_with('/protected/');
    is($res->code, 401, 'protected location without a token is 401');
    like(www_auth($res), qr/^Bearer\s+realm="[^"]*"/,
         'missing token: WWW-Authenticate is Bearer with a realm');
    unlike(www_auth($res), qr/error\s*=/,
           'missing token: WWW-Authenticate carries no error attribute (RFC 6750 §3.1)');
}

# --- a token from registration, as Bearer --------------------------------------
my ($ures, $ujson, $ufields) = register_user();
my $user_token = access_token($ures, $ujson);
{
    my $res = get_with('/protected/', bearer($user_token // 'none'));
    is($res->code, 200, 'protected location with the registration access token as Bearer is 200');
    is($res->content, $index, 'the protected page body is the file itself');
}

# --- the browser session cookie (TokenFrom both / cookie / header) -------------
my $b = browser();
my $breg = $b->post(url('/auth/register'),
                    'Content-Type' => 'application/json', 'Accept' => 'application/json',
                    Content => JSON::PP::encode_json({ email => unique_email(),
                        password => 'correct horse 1', firstName => 'Grace', lastName => 'Hopper' }));
my $cookie;
$b->cookie_jar->scan(sub { $cookie = $_[2] if $_[1] eq 'deskauth_session' });
my $btoken = eval { JSON::PP::decode_json($breg->content)->{tokens}{accessToken} };
ok($breg->code == 201 && defined $cookie && length $cookie,
   'registration from a browser sets the deskauth_session cookie')
    or diag('register: ' . $breg->status_line . ' Set-Cookie: ' . ($breg->header('Set-Cookie') // 'none'));
$cookie //= 'none';
$btoken //= 'none';
is(get_with('/protected/', as_cookie($cookie))->code, 200,
   'DeskAuthTokenFrom both (default): the session cookie is accepted');
is(get_with('/cookie-only/', as_cookie($cookie))->code, 200,
   'DeskAuthTokenFrom cookie: the session cookie is accepted');
is(get_with('/cookie-only/', bearer($btoken))->code, 401,
   'DeskAuthTokenFrom cookie: a Bearer header is ignored (401)');
is(get_with('/header-only/', bearer($btoken))->code, 200,
   'DeskAuthTokenFrom header: a Bearer header is accepted');
is(get_with('/header-only/', as_cookie($cookie))->code, 401,
   'DeskAuthTokenFrom header: the session cookie is ignored (401)');

# --- Require deskauth-role -----------------------------------------------------
is(get_with('/employer/', bearer($user_token // 'none'))->code, 403,
   'Require deskauth-role EMPLOYER ADMIN: a USER token is 403');
my ($eres, $ejson) = register_user(role => 'EMPLOYER');
my $employer_token = access_token($eres, $ejson);
is($eres->code, 201, 'a person may register with the self-assignable role EMPLOYER');
is(get_with('/employer/', bearer($employer_token // 'none'))->code, 200,
   'Require deskauth-role EMPLOYER ADMIN: an EMPLOYER token is 200');
is(get_with('/adminonly/', bearer($user_token // 'none'))->code, 403,
   'Require deskauth-role ADMIN: a USER token is 403');
is(get_with('/adminonly/', bearer($employer_token // 'none'))->code, 403,
   'Require deskauth-role ADMIN: an EMPLOYER token is 403');

# --- Require deskauth-claim ----------------------------------------------------
my ($cres, $cjson) = register_user(email => 'claim@example.com');
if ($cres->code == 409) {                 # left over from an earlier run on this database
    ($cres, $cjson) = login_user('claim@example.com', 'correct horse 1');
}
my $claim_token = access_token($cres, $cjson);
ok(defined $claim_token, 'a token for claim@example.com is obtained (register, or sign in when it exists)')
    or diag($cres->status_line . ' ' . $cres->content);
is(get_with('/claim/', bearer($claim_token // 'none'))->code, 200,
   'Require deskauth-claim email claim@example.com: that email is 200');
is(get_with('/claim/', bearer($user_token // 'none'))->code, 403,
   'Require deskauth-claim email claim@example.com: another email is 403');

# --- DeskAuthLoginRedirect on ---------------------------------------------------
{
    my $res = get_with('/login-redirect/', 'Accept' => 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
    is($res->code, 303, 'DeskAuthLoginRedirect on: a page request without a token gets 303');
    my $loc = $res->header('Location') // '';
    my $u = URI->new_abs($loc, url('/'));
    like($u->path, qr{/auth/login\z}, 'the 303 goes to the sign-in page') or diag("Location: $loc");
    my %q = eval { $u->query_form };
    ok((grep { defined && m{/login-redirect/} } values %q),
       'the sign-in URL carries the return URL of the requested page') or diag("Location: $loc");
    unlike($loc, qr{^(?:https?:)?//(?!localhost|127\.0\.0\.1|\[::1\])}i,
           'the sign-in redirect stays on this server');

    my $api = get_with('/login-redirect/', 'Accept' => 'application/json');
    is($api->code, 401, 'DeskAuthLoginRedirect on: an API request (Accept JSON) still gets 401');
    ok(!defined $api->header('Location'), 'DeskAuthLoginRedirect on: the API 401 has no Location');
    is(get_with('/login-redirect/', bearer($user_token // 'none'), 'Accept' => 'text/html')->code, 200,
       'DeskAuthLoginRedirect on: a page request with a valid token is served');
}

# --- revoked sessions: DeskAuthSessionCheck on/off --------------------------------
{
    my ($res, $json) = register_user();
    my $t = access_token($res, $json) // 'none';
    is(get_with('/protected/', bearer($t))->code, 200, 'before logout the token opens /protected/');
    my ($lres, $ljson) = json_req('POST', '/auth/logout', undef, bearer($t));
    is($lres->code, 200, 'POST /auth/logout with the Bearer token is 200');
    is(ref $ljson && $ljson->{success} ? 1 : 0, 1, 'logout answers {"success":true}');

    is(get_with('/nosession/', bearer($t))->code, 200,
       'DeskAuthSessionCheck off: a token of a revoked session is still accepted');
    my $p = get_with('/protected/', bearer($t));
    is($p->code, 401, 'DeskAuthSessionCheck on (default): a token of a revoked session is 401');
    like(www_auth($p), qr/error="invalid_token"/, 'revoked session: WWW-Authenticate error="invalid_token"');
    is(get_with('/protected/', as_cookie($t))->code, 401,
       'revoked session: the same token in the session cookie is 401 too');
}

# The browser's own session ends with logout too: its cookie stops working.
{
    my ($lres) = json_req('POST', '/auth/logout', undef, bearer($cookie));
    is($lres->code, 200, 'POST /auth/logout with the browser session token is 200');
    is(get_with('/protected/', as_cookie($cookie))->code, 401,
       'after logout the browser session cookie is refused at /protected/');
}

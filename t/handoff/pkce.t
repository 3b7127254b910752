# Desktop hand-off with PKCE, end to end (interface.md, Desktop hand-off; Tokens redirect URIs;
# docs/behaviour.md "Desktop hand-off with PKCE"): a browser signs in at
# /auth/login?client_id=...&code_challenge=..., lands on the hand-off page,
# which links to REDIRECT_URI?code=CODE&state=S; the app exchanges the code
# with its verifier at /auth/token.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(jwt_decode token_sid);
use URI;

plan tests => 43 + 2 * 8 + 17 + 4 + 3;

my $CLIENT   = 'example-app';
my $APP_NAME = 'Example App';
my $JWT_RE   = qr/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\z/;

my ($reg, $regj, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};
my $EMAIL   = lc $email;
my $USER_ID = ref $regj eq 'HASH' && ref $regj->{user} eq 'HASH' ? $regj->{user}{id} : undef;

sub exchange {
    my ($code, $verifier, $uri, $client) = @_;
    return token_post([grant_type => 'authorization_code', code => $code // 'none',
                       code_verifier => $verifier, redirect_uri => $uri,
                       client_id => $client // $CLIENT]);
}

# Parameters of the sign-in form: hidden fields, plus the query of its action.
sub form_params {
    my ($form, $base) = @_;
    return {} unless $form;
    my %p = URI->new_abs($form->{action} // '', $base)->query_form;
    $p{$_} //= $form->{value}{$_} for grep { $form->{type}{$_} eq 'hidden' } keys %{ $form->{value} };
    return \%p;
}

sub desktop_session {
    my ($token, $sid) = @_;
    my ($res, $json) = json_req(GET => '/auth/sessions', undef, bearer($token // 'none'));
    my $list = ref $json eq 'HASH' && ref $json->{data} eq 'HASH' ? $json->{data}{sessions} : undef;
    my ($s) = grep { ref $_ eq 'HASH' && defined $_->{id} && defined $sid && $_->{id} eq $sid }
              @{ ref $list eq 'ARRAY' ? $list : [] };
    return $s;
}

# --- 1. loopback redirect with a port, step by step --------------------------------
my $URI = LOOPBACK_URI;                                   # http://127.0.0.1:54321/callback
my ($verifier, $challenge) = pkce_pair();
my %request = (client_id => $CLIENT, redirect_uri => $URI, response_type => 'code',
               state => 'xyz', code_challenge => $challenge, code_challenge_method => 'S256');
my $mark = -s error_log_path() // 0;
my $b = browser();
my $auth = get_page($b, authorize_url(%request, device_name => 'Test Laptop'));
is($auth->code, 200, 'a valid authorization request (S256 PKCE, loopback URI on port 54321) shows the sign-in page (200)');
like(text_of($auth->content), qr/\Q$APP_NAME\E/, "the sign-in page names the app that asks ($APP_NAME)");
ok(!defined $auth->header('Location'), 'the authorization request is not redirected before sign-in');
is_deeply([app_links($auth->content, $URI)], [], 'the sign-in page does not link to the app');
my $form = password_form($auth->content);
ok($form, 'the sign-in page has a form with a password field');
ok(defined csrf_from($auth->content), 'the sign-in form carries a CSRF token');
my $fp = form_params($form, $auth->request->uri);
is_deeply({ map { $_ => $fp->{$_} } keys %request }, \%request,
          'the sign-in form carries the whole authorization request (client_id, redirect_uri, response_type, state, code_challenge, code_challenge_method)');

my $post = sign_in($b, $auth, $email, $password);
is($post && $post->code, 303, 'posting the sign-in form with valid credentials is 303');
my $handoff = handoff_location($post);
ok($handoff, 'the 303 goes to the hand-off page on this server (?h=ID), never straight to the app')
    or diag('Location: ' . ($post ? $post->header('Location') // 'none' : 'no sign-in form'));

my $hp = $handoff ? get_page($b, $handoff) : undef;
my $html = $hp ? $hp->content : '';
is($hp && $hp->code, 200, 'the hand-off page opens (200)');
my $link = code_link($html, $URI);
ok(defined $link, "the hand-off page links to $URI?code=...&state=xyz")
    or diag(substr($html, 0, 3000));
my $q = query_params($link);
ok(defined $q->{code} && length $q->{code} >= 22, 'the link carries a code (at least 128 bits: 22+ characters)');
is($q->{state}, 'xyz', 'the link returns state unchanged');
my @links = app_links($html, $URI);
ok(@links && !grep({ $_ ne ($link // '') } @links),
   'every link to the app on the hand-off page (button, automatic navigation) carries the same code');
like(text_of($html), qr/Open \Q$APP_NAME\E/, "the hand-off page has a visible \"Open $APP_NAME\" button");
ok(!(grep { length > 2000 } $html =~ m{(<svg\b.*?</svg\s*>)}gis),
   'the hand-off page shows no QR code of the link (no phone can redeem a PKCE-bound code)');
like(text_of($html), qr/Download connection file/, 'the hand-off page offers "Download connection file"');
like($hp ? $hp->header('Cache-Control') // '' : '', qr/no-store/, 'the hand-off page is Cache-Control: no-store');

my ($tres, $tj) = exchange($q->{code}, $verifier, $URI);
$tj = {} unless ref $tj eq 'HASH';
is($tres->code, 200, 'POST /auth/token grant_type=authorization_code with code, code_verifier, redirect_uri, client_id is 200')
    or diag($tres->as_string);
like($tres->header('Content-Type') // '', qr{^application/json\b}i, 'the token response is application/json');
like($tres->header('Cache-Control') // '', qr/no-store/, 'the token response is Cache-Control: no-store (RFC 6749 §5.1)');
like($tj->{access_token} // '', $JWT_RE, 'the token response has an access_token (a JWT)');
is($tj->{token_type}, 'Bearer', 'token_type is "Bearer"');
ok(defined $tj->{expires_in} && !ref $tj->{expires_in} && $tj->{expires_in} eq '900',
   'expires_in is 900 (DeskAuthAccessTTL default)');
ok(defined $tj->{refresh_token} && length $tj->{refresh_token} >= 43 && $tj->{refresh_token} !~ $JWT_RE,
   'the token response has an opaque refresh_token of at least 256 bits');
is(ref $tj->{user} eq 'HASH' ? $tj->{user}{email} : undef, $EMAIL, 'user.email is the person who signed in');
ok(!grep({ /^(?:accessToken|refreshToken|success)$/ } keys %$tj),
   'a form-encoded exchange answers in the RFC 6749 §5.1 shape, not the compatibility shape');

my $at = $tj->{access_token} // 'none';
is(protected_status($at), 200, 'the access token opens a location behind AuthType DeskAuth (/protected/)');
my ($th, $tc) = jwt_decode($at);
$tc = {} unless ref $tc eq 'HASH';
is($tc->{client_id}, $CLIENT, "the access token's payload has client_id $CLIENT");
is(ref $th eq 'HASH' ? $th->{typ} : undef, 'at+jwt', 'the access token is typ at+jwt');
ok(defined $USER_ID && defined $tc->{sub} && $tc->{sub} eq $USER_ID, "the access token's sub is the person's user id");
is($tc->{email}, $EMAIL, "the access token's email is the person's");

# interface.md, Tokens: codes and tokens never appear in logs. (The test server runs
# LogLevel trace8, so httpd's core logs request headers; only the module's
# own lines are checked.)
{
    my @mine = grep { /\[deskauth:/ } split /\n/, error_log_since($mark);
    ok(@mine, 'the module logged something during the hand-off (so the checks below look at real lines)');
    my %secret = (code => $q->{code}, code_verifier => $verifier, access_token => $tj->{access_token},
                  refresh_token => $tj->{refresh_token});
    is_deeply([grep { my $v = $secret{$_}; defined $v && grep { index($_, $v) >= 0 } @mine } sort keys %secret], [],
              'the module logs none of the code, the code_verifier, the access token and the refresh token');
}

my $web_sid = token_sid(session_cookie($b));
ok(defined $web_sid, 'the browser holds its own session cookie (a token with a sid)');
ok(defined $tc->{sid} && defined $web_sid && $tc->{sid} ne $web_sid,
   'the desktop token belongs to a new session: its sid differs from the browser cookie token\'s sid');
my $s = desktop_session($at, $tc->{sid});
is_deeply($s ? { map { $_ => $s->{$_} } qw(kind clientId deviceName) } : undef,
          { kind => 'desktop', clientId => $CLIENT, deviceName => 'Test Laptop' },
          '/auth/sessions lists the new session as kind desktop, clientId example-app, deviceName "Test Laptop"');

my $again = get_page($b, $handoff // url('/auth/callback?h=none'));
is($again->code, 200, 'opening the hand-off page a second time (a reload) is 200, not 410');
is(code_link($again->content, $URI), undef, 'the second opening shows no code');
like(text_of($again->content), qr/Did \Q$APP_NAME\E open\?.*Get a new link/s,
     'the second opening asks "Did APP open?" and offers "Get a new link"');


# the same person, signed in again by a new browser: a new, separate session
{
    my $f = desktop_tokens(email => $email, password => $password);
    ok(defined $f->{access} && token_sid($f->{access}) ne ($tc->{sid} // ''),
       'each hand-off creates a new desktop session (a new sid)');
    is(protected_status($at), 200, 'the first desktop session keeps working beside the new one');
}

my ($tres2) = exchange($q->{code}, $verifier, $URI);
is($tres2->code, 400, 'the code works once: a second exchange is 400 (t/security/pkce_attacks.t has the rest)');

# --- 2. private-use scheme and IPv6 loopback ---------------------------------------
for my $uri ('com.example.app:/oauth2redirect', 'http://[::1]:40000/callback') {
    my $f = desktop_tokens(redirect_uri => $uri, email => $email, password => $password);
    is($f->{authorize}->code, 200, "redirect_uri=$uri: the authorization request shows the sign-in page");
    is($f->{post} && $f->{post}->code, 303, "redirect_uri=$uri: signing in is 303 to the hand-off page");
    ok(defined $f->{link}, "redirect_uri=$uri: the hand-off page links to $uri?code=...&state=xyz")
        or diag($f->{page} ? substr($f->{page}->content, 0, 2000) : 'no hand-off page');
    is($f->{returned_state}, 'xyz', "redirect_uri=$uri: state comes back unchanged");
    is($f->{res}->code, 200, "redirect_uri=$uri: the code exchange is 200") or diag($f->{res}->as_string);
    is(ref $f->{json} eq 'HASH' ? $f->{json}{token_type} : undef, 'Bearer', "redirect_uri=$uri: token_type Bearer");
    is(protected_status($f->{access}), 200, "redirect_uri=$uri: the access token opens /protected/");
    is((jwt_decode($f->{access} // ''))[1] ? (jwt_decode($f->{access}))[1]{client_id} : undef, $CLIENT,
       "redirect_uri=$uri: the access token has client_id $CLIENT");
}

# --- 3. already signed in: "Continue to Example App as EMAIL", one click -------------
{
    my ($v, $c) = pkce_pair();
    my %req = (%request, state => 'again', code_challenge => $c);
    my $cont = get_page($b, authorize_url(%req));
    is($cont->code, 200, 'a signed-in browser opening the authorization request gets a page (200)');
    like(text_of($cont->content), qr/Continue to \Q$APP_NAME\E as \Q$EMAIL\E/,
         "the page says \"Continue to $APP_NAME as EMAIL\"");
    ok(!defined $cont->header('Location'), 'no silent hand-off: no Location header');
    is_deeply([app_links($cont->content, $URI)], [], 'no silent hand-off: the continue page does not link to the app');
    ok(!password_form($cont->content), 'the continue page does not ask for the password again');
    my $cf = continue_form($cont->content);
    ok($cf, 'the continue page has a Continue form');
    my $cp = $cf ? submit_form($b, $cont, $cf) : undef;
    is($cp && $cp->code, 303, 'posting the Continue form is 303');
    my $h = handoff_location($cp);
    ok($h, 'the Continue form leads to a hand-off page on this server');

    my $stranger = get_page(browser(), $h // url('/auth/callback?h=none'));
    ok($stranger->code != 200 && !defined code_link($stranger->content, $URI),
       'the hand-off page is bound to the browser session: another browser gets no code');

    my $page = $h ? get_page($b, $h) : undef;
    my $l = $page ? code_link($page->content, $URI) : undef;
    ok(defined $l, 'after Continue, the hand-off page links to the app with a code');
    my $qq = query_params($l);
    is($qq->{state}, 'again', 'after Continue, the link returns this request\'s state');
    ok(defined $qq->{code} && $qq->{code} ne ($q->{code} // ''), 'after Continue, the code is a new one');
    my ($r, $j) = exchange($qq->{code}, $v, $URI);
    is($r->code, 200, 'the code from Continue is exchanged with its verifier (200)');
    my $a2 = ref $j eq 'HASH' ? $j->{access_token} : undef;
    is(protected_status($a2), 200, 'the token from Continue opens /protected/');
    my $sid2 = token_sid($a2);
    ok(defined $sid2 && defined $web_sid && $sid2 ne $web_sid, 'the token from Continue has its own session, not the browser\'s');
    ok(defined $sid2 && $sid2 ne ($tc->{sid} // ''), 'the token from Continue is not the earlier desktop session');
    is(token_sid(session_cookie($b)), $web_sid, 'Continue leaves the browser\'s own session as it was');
}

# --- 4. state is returned exactly, whatever it holds --------------------------------
{
    my $state = 'a b&c=d/e?f+g%h';
    my $f = desktop_signin(state => $state, email => $email, password => $password);
    ok(defined $f->{link}, 'a state with spaces and &=/?+% still gives a link to the app');
    is($f->{returned_state}, $state, 'state comes back byte for byte (URL-encoded in the link)');
    my $raw = $f->{link} // '';
    my ($after) = $raw =~ /[?&]state=([^&#]*)/;
    unlike($after // '&', qr/[&= ?]/, 'the state is percent-encoded in the link (no raw & = ? or space)');
    my @names = map { (split /=/, $_, 2)[0] } split /&/, ((split /\?/, $raw, 2)[1] // '');
    is_deeply([sort grep { $_ eq 'code' || $_ eq 'state' } @names], [qw(code state)],
              'the link has exactly one code and one state parameter');
}

# --- 5. the device name and the hand-off page's escaping -----------------------------
{
    my $f = desktop_tokens(email => $email, password => $password, device_name => q{<b>Bob's "PC"</b>});
    my $html = $f->{page} ? $f->{page}->content : '';
    unlike($html, qr/<b>Bob/, 'a device name with markup is never rendered raw');
    is($f->{res}->code, 200, 'a device name with markup does not stop the hand-off');
    my $s = desktop_session($f->{access}, token_sid($f->{access}));
    is($s ? $s->{deviceName} : undef, q{<b>Bob's "PC"</b>}, 'the device name is stored as given (shown escaped)');
}

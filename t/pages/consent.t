# The consent page ("Continue to APP as EMAIL"): Cancel sends access_denied
# back to the app, nothing submits Continue on Enter (no autofocus), the
# page lists what the app receives; "Use another account" signs out (a
# CSRF POST to the logout URL, never a link a GET would 405) and comes back
# to the sign-in page with the same app request: a desktop hand-off, an
# OpenID Connect request, a token-redirect app; the switch never leads off
# this site, whatever the form carries.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use URI;

plan tests => 41;

my $URI = LOOPBACK_URI;
my (undef, undef, $a) = register_user(company => 'ACME', jobRole => 'Tester');
my (undef, undef, $b) = register_user();

sub request_of {
    my (%extra) = @_;
    my ($verifier) = pkce_pair();
    return ($verifier, client_id => 'example-app', redirect_uri => $URI, response_type => 'code',
            state => 'st-' . int(rand 1e9), code_challenge => challenge_of($verifier),
            code_challenge_method => 'S256', %extra);
}

sub switch_form {
    my ($html) = @_;
    return (grep { exists $_->{value}{switch} } forms($html // ''))[0];
}

my $ua = browser();
web_sign_in($ua, $a->{email}, $a->{password});

# --- the consent page ------------------------------------------------------------------
my ($v1, %req) = request_of(scope => 'openid profile email', nonce => 'n-1');
my $page = get_page($ua, authorize_url(%req));
my $html = $page->decoded_content;
is($page->code, 200, 'a signed-in person asked by a public client gets the consent page');
like(text_of($html), qr/Continue to Example App as \Q@{[lc $a->{email}]}\E/, 'it says "Continue to Example App as EMAIL"');
ok($html !~ /\bautofocus\b/, 'nothing is focused on load: Enter does not press Continue');
like(text_of($html), qr/Example App will receive/, 'it says what the app receives');
like(text_of($html), qr/Your name, your role and your email address \(\Q@{[lc $a->{email}]}\E\)/,
     'the name, role and email address (every token carries them)');
like(text_of($html), qr/company and job role/, 'scope profile: the company and job role');
like(text_of($html), qr/until you sign it out/, 'a desktop app stays signed in (refresh token)');
my ($cancel) = grep { exists $_->{value}{cancel} } forms($html);
ok($cancel, 'the page has a Cancel form');
my $cres = $cancel ? submit_form($ua, $page, $cancel) : undef;
is($cres && $cres->code, 303, 'Cancel is answered 303');
my $loc = $cres ? $cres->header('Location') // '' : '';
my $q = query_params($loc);
ok(index($loc, "$URI?") == 0, 'to the app\'s redirect URI');
is($q->{error}, 'access_denied', 'with error=access_denied');
is($q->{state}, $req{state}, 'and the request\'s state');
ok(defined $q->{iss} && !defined $q->{code}, 'with iss and no code');
{
    my ($v, %r) = request_of(scope => 'openid');
    my $p = get_page($ua, authorize_url(%r));
    unlike(text_of($p->decoded_content), qr/company and job role/, 'scope openid alone: no profile line');
}

# --- Use another account ------------------------------------------------------------------
ok(!(grep { m{/auth/logout} } map { m{<a\b[^>]*href="([^"]*)"}gi } $html),
   '"Use another account" is not a link to the logout URL (a GET there is 405 JSON)');
my $sw = switch_form($html);
ok($sw && ($sw->{action} // '') =~ m{/auth/logout\z} && $sw->{method} eq 'post',
   '"Use another account" is a POST form to the logout URL');
like($sw ? $sw->{html} : '', qr/Use another account/, 'its button says "Use another account"');
my $old_cookie = session_cookie($ua);
my $sres = $sw ? submit_form($ua, $page, $sw) : undef;
is($sres && $sres->code, 303, 'it is answered 303');
my $to = URI->new_abs($sres ? $sres->header('Location') // '' : '', url('/'));
is($to->host_port . $to->path, URI->new(url('/auth/login'))->host_port . '/auth/login',
   'to the sign-in page of this site');
my %tq = $to->query_form;
is_deeply({ map { $_ => $tq{$_} } keys %req }, \%req,
          'with the whole app request (client_id, redirect_uri, state, PKCE, scope, nonce)');
ok(!session_cookie($ua), 'the browser is signed out (its session cookie is cleared)');
my ($old) = json_req(GET => '/api/auth/profile', undef, bearer($old_cookie // 'none'));
is($old->code, 401, 'the old browser session is revoked');
my $login = get_page($ua, $to->as_string);
is($login->code, 200, 'the sign-in page opens (200)');
like(text_of($login->decoded_content), qr/Sign in to continue to Example App/, 'naming the app that waits');
my $post = sign_in($ua, $login, $b->{email}, $b->{password});
my $h = handoff_location($post);
ok($h, 'signing in as another person goes on to the hand-off page');
my $link = $h ? code_link(get_page($ua, $h)->decoded_content, $URI) : undef;
is(query_params($link)->{state}, $req{state}, 'the app gets a code for its same request (state)');
my ($tres, $tj) = token_post([grant_type => 'authorization_code', code => query_params($link)->{code} // 'x',
                              code_verifier => $v1, redirect_uri => $URI, client_id => 'example-app']);
is($tres->code, 200, 'the code is redeemed with the app\'s verifier');
is(ref $tj eq 'HASH' ? $tj->{user}{email} : undef, lc $b->{email}, 'for the other account');
ok(ref $tj eq 'HASH' && $tj->{id_token}, 'with an ID token (the OpenID Connect request went on)');

# --- the token-redirect compatibility ---------------------------------------------------
{
    my $c = browser();
    web_sign_in($c, $a->{email}, $a->{password});
    my $p = get_page($c, url('/auth/login?redirect=equatorschatbot://auth/callback'));
    my $f = switch_form($p->decoded_content);
    my $r = $f ? submit_form($c, $p, $f) : undef;
    my $u = URI->new_abs($r ? $r->header('Location') // '' : '', url('/'));
    is({ $u->query_form }->{redirect}, 'equatorschatbot://auth/callback',
       'token-redirect: "Use another account" keeps ?redirect=');
    like(text_of(get_page($c, $u->as_string)->decoded_content), qr/Sign in to continue to Equators Chatbot/,
         'token-redirect: the sign-in page names the app');
}

# --- the switch never leads anywhere but this site's sign-in page -------------------------
{
    my $c = browser();
    web_sign_in($c, $a->{email}, $a->{password});
    my $p = get_page($c, url('/api/auth/profile'));
    my $csrf = csrf_from($p->decoded_content);
    my @attacks = (
        [return => 'https://evil.example/'], [return => '//evil.example/x'],
        [return => '/\\evil.example'], [redirect_uri => 'https://evil.example/cb', client_id => 'example-app'],
        [redirect => 'https://evil.example/'], [next => 'https://evil.example/'],
    );
    for my $a (@attacks) {
        web_sign_in($c, $b->{email}, $b->{password});
        $p = get_page($c, url('/api/auth/profile'));
        $csrf = csrf_from($p->decoded_content);
        my $r = $c->post(url('/auth/logout'), [csrf => $csrf, switch => 1, @$a],
                         Origin => origin(), Accept => 'text/html');
        my $u = URI->new_abs($r->header('Location') // '', url('/'));
        ok($r->code == 303 && $u->host_port eq URI->new(url('/'))->host_port && $u->path eq '/auth/login',
           "switch with @$a[0..1]: 303 to this site's sign-in page") or diag($r->as_string);
    }
    # the sign-in page checks what the switch carried: no redirect off-site
    my $r = get_page($c, url('/auth/login?client_id=example-app&redirect_uri=https%3A%2F%2Fevil.example%2Fcb'
                             . '&response_type=code&code_challenge_method=S256&code_challenge=' . ('a' x 43)));
    is($r->code, 400, 'the sign-in page then refuses an unregistered redirect_uri (400 page, no redirect)');
    my $back = get_page($c, url('/auth/login?return=https%3A%2F%2Fevil.example%2F'));
    $back = sign_in($c, $back, $a->{email}, $a->{password});
    unlike($back->header('Location') // '', qr/evil/, 'and a foreign return path is not followed after sign-in');
    my $nocsrf = $c->post(url('/auth/logout'), [switch => 1], Origin => origin(), Accept => 'text/html');
    is($nocsrf->code, 403, 'switch without the CSRF field: 403');
    my $foreign = $c->post(url('/auth/logout'), [csrf => csrf_from(get_page($c, url('/api/auth/profile'))->decoded_content),
                                                  switch => 1], Origin => 'https://evil.example', Accept => 'text/html');
    is($foreign->code, 403, 'switch from a foreign Origin: 403');
}

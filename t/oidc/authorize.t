# The authorization request of OpenID Connect at /auth/login: once client_id
# and redirect_uri are valid, every error goes back to the app with error,
# error_description, state and iss; request objects, implicit, missing PKCE,
# invalid scope, prompt=none (login_required, consent_required: never a page),
# Cancel on the sign-in and consent pages (access_denied), prompt=login and
# max_age (the password again), consent=always|once|never, login_hint.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthOIDC;
use DeskAuthForge qw(claims_from);
use URI;
use URI::Escape qw(uri_escape_utf8);

plan tests => 50;

sub h { ref $_[0] eq 'HASH' ? $_[0] : {} }

# An authorization request by browser UA; the first response.
sub ask {
    my ($ua, %p) = @_;
    my (undef, $c) = pkce_pair();
    my %q = (client_id => 'example-app', redirect_uri => LOOPBACK_URI, response_type => 'code',
             state => 'st-1', code_challenge => $c, code_challenge_method => 'S256', %p);
    return get_page($ua, authorize_url(map { ($_ => $q{$_}) } sort keys %q));
}

# The error an authorization response carries, checked whole: 303 to the
# redirect URI with error, state, iss and no code.
sub back_with {
    my ($res, $error, $name, $uri) = @_;
    my $q = authorization_response($res, $uri // LOOPBACK_URI);
    ok($q && ($q->{error} // '') eq $error && ($q->{state} // '') eq 'st-1'
       && ($q->{iss} // '') eq ISSUER && length($q->{error_description} // '') && !exists $q->{code},
       "$name: 303 back to the app with error=$error, error_description, state, iss, no code")
        or diag($res->code . ' ' . ($res->header('Location') // $res->content =~ s/\s+/ /gr));
}

my (undef, undef, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};
my $in = browser();
web_sign_in($in, $email, $password);

# --- errors back to the app, signed in or not --------------------------------------------
for my $who (['signed out', browser()], ['signed in', $in]) {
    my ($w, $ua) = @$who;
    back_with(ask($ua, request => 'eyJhbGciOiJub25lIn0.e30.'), 'request_not_supported', "request=JWT ($w)");
    back_with(ask($ua, request_uri => 'https://evil.example/req'), 'request_not_supported', "request_uri ($w)");
    back_with(ask($ua, response_type => 'token'), 'unsupported_response_type', "response_type=token ($w)");
    back_with(ask($ua, response_type => 'id_token'), 'unsupported_response_type', "response_type=id_token ($w)");
    back_with(ask($ua, code_challenge => undef, code_challenge_method => undef), 'invalid_request', "no PKCE ($w)");
    back_with(ask($ua, code_challenge_method => 'plain'), 'invalid_request', "plain PKCE ($w)");
    back_with(ask($ua, prompt => 'none login'), 'invalid_request', "prompt=none login ($w)");
    back_with(ask($ua, prompt => 'bogus'), 'invalid_request', "prompt=bogus ($w)");
    back_with(ask($ua, max_age => '-1'), 'invalid_request', "max_age=-1 ($w)");
    back_with(ask($ua, client_id => 'web-app', redirect_uri => WEB_URI, scope => 'openid phone'),
              'invalid_scope', "a scope outside the client's list ($w)", WEB_URI);
}
# still the 400 page: nothing is sent to an unknown client or redirect URI
for my $bad ([client_id => 'nobody'], [redirect_uri => 'http://evil.example/cb'],
             [redirect_uri => 'https://rp.example/cb']) {
    my $res = ask(browser(), response_type => 'token', @$bad);
    ok($res->code == 400 && !defined $res->header('Location'), "@$bad with another error: the 400 page, no redirect");
}

# --- prompt=none never shows a page ---------------------------------------------------------
back_with(ask(browser(), prompt => 'none', scope => 'openid'), 'login_required', 'prompt=none, signed out');
back_with(ask($in, prompt => 'none', scope => 'openid'), 'consent_required',
          'prompt=none, signed in, a public client (consent=always)');
{
    my $res = ask($in, prompt => 'none', scope => 'openid', client_id => 'sso-app', redirect_uri => SSO_URI);
    my $q = authorization_response($res, SSO_URI);
    ok($q && $q->{code} && $q->{iss} eq ISSUER && $q->{state} eq 'st-1',
       'prompt=none, signed in, a consent=never client: the code at once (303, no page), with state and iss')
        or diag($res->code . ' ' . ($res->header('Location') // ''));
}
{
    my $res = ask($in, prompt => 'none', scope => 'openid', client_id => 'web-app', redirect_uri => WEB_URI);
    back_with($res, 'consent_required', 'prompt=none, a consent=once client never allowed', WEB_URI);
}

# --- Cancel ----------------------------------------------------------------------------------------
{
    my $ua = browser();
    my $page = ask($ua, scope => 'openid');
    my ($cancel) = grep { exists $_->{value}{cancel} } forms($page->content);
    ok($cancel, 'the sign-in page of an app request has a Cancel form');
    back_with($cancel ? submit_form($ua, $page, $cancel) : $page, 'access_denied', 'Cancel on the sign-in page');
    $page = ask($in, scope => 'openid');
    ($cancel) = grep { exists $_->{value}{cancel} } forms($page->content);
    ok($cancel && continue_form($page->content), 'the consent page ("Continue to APP") has a Cancel form');
    back_with($cancel ? submit_form($in, $page, $cancel) : $page, 'access_denied', 'Cancel on the consent page');
    my $res = $cancel ? $in->post(url('/auth/login'), [%{ $cancel->{value} }], Accept => 'text/html',
                                  Origin => 'http://evil.example') : undef;
    ok($res && $res->code == 403 && !defined $res->header('Location'), 'a Cancel from another origin is refused (403), nothing sent');
}

# --- consent --------------------------------------------------------------------------------------------
{
    my $page = ask($in, scope => 'openid email');
    like($page->content, qr/Continue to/, 'consent=always (public client): the signed-in person is asked');
    like($page->content, qr/your email address/, 'the consent page says what the app asks for');
    $page = ask($in, scope => 'openid', client_id => 'web-app', redirect_uri => WEB_URI);
    like($page->content, qr/Continue to/, 'consent=once: asked the first time');
    my $post = submit_form($in, $page, continue_form($page->content));
    my $q = authorization_response($post, WEB_URI);
    ok($q && $q->{code} && $q->{iss} eq ISSUER, 'Continue: the code straight back to the web app with iss');
    my $again = ask($in, scope => 'openid', client_id => 'web-app', redirect_uri => WEB_URI);
    ok(authorization_response($again, WEB_URI) && authorization_response($again, WEB_URI)->{code},
       'consent=once: not asked the second time (303 with a code)');
    my $more = ask($in, scope => 'openid email profile', client_id => 'web-app', redirect_uri => WEB_URI);
    like($more->content, qr/Continue to/, 'consent=once: asked again when the app wants more scopes');
    my $forced = ask($in, scope => 'openid', client_id => 'web-app', redirect_uri => WEB_URI, prompt => 'consent');
    like($forced->content, qr/Continue to/, 'prompt=consent always asks');
    my $sso = ask($in, scope => 'openid', client_id => 'sso-app', redirect_uri => SSO_URI);
    ok(authorization_response($sso, SSO_URI) && authorization_response($sso, SSO_URI)->{code},
       'consent=never: signed in, no click (web single sign-on)');
    my $select = ask($in, scope => 'openid', client_id => 'sso-app', redirect_uri => SSO_URI, prompt => 'select_account');
    like($select->content, qr/Use another account/, 'prompt=select_account shows the account with "Use another account"');
}
{
    # the password typed for this very request: no consent page after it
    my $ua = browser();
    my $f = oidc_signin(ua => $ua, email => $email, password => $password, client_id => 'web-app',
                        redirect_uri => WEB_URI, scope => 'openid profile email offline_access');
    ok($f->{params}{code} && @{ $f->{steps} } == 2,
       'signed out, consent=once: the sign-in itself is enough (code right after the password)')
        or diag(join ' ', map { $_->code } @{ $f->{steps} });
}

# --- prompt=login, max_age, login_hint ----------------------------------------------------------------
{
    my $page = ask($in, scope => 'openid', prompt => 'login');
    ok(password_form($page->content), 'prompt=login: the signed-in person gets the password form');
    my $f = oidc_signin(ua => $in, email => $email, password => $password, scope => 'openid', prompt => 'login');
    my ($res, $json) = oidc_exchange($f);
    my $id = claims_from(h($json)->{id_token} // '');
    ok($id->{auth_time} && time - $id->{auth_time} < 60, 'after prompt=login the ID token auth_time is the new sign-in');
    sleep 2;
    $page = ask($in, scope => 'openid', max_age => 1);
    ok(password_form($page->content), 'max_age=1, signed in 2 s ago: the password again');
    back_with(ask($in, scope => 'openid', max_age => 1, prompt => 'none'), 'login_required',
              'max_age passed with prompt=none');
    $page = ask($in, scope => 'openid', max_age => 3600);
    ok(!password_form($page->content) && continue_form($page->content), 'max_age=3600: no password, the consent page');
    my $hinted = ask(browser(), scope => 'openid', login_hint => 'hint@example.com');
    my $form = password_form($hinted->content);
    is($form && $form->{value}{email}, 'hint@example.com', 'login_hint pre-fills the email');
}

# --- iss in every authorization response --------------------------------------------------------------
{
    my $f = oidc_signin(scope => 'openid');
    is($f->{params}{iss}, ISSUER, 'the hand-off link of a desktop app carries iss');
    my $iss = uri_escape_utf8(ISSUER);
    like($f->{steps}[-1]->content, qr/iss(?:=|&#61;)\Q$iss\E/, 'the hand-off page links with iss');
}

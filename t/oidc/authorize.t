# The authorization request of OpenID Connect at /auth/login: once client_id
# and redirect_uri are valid, every error goes back to the app with error,
# error_description, state and iss; request objects, implicit, missing PKCE,
# invalid scope, prompt=none (login_required, consent_required: never a page),
# Cancel on the sign-in and consent pages (access_denied), prompt=login and
# max_age (the password again), consent=always|once|never, login_hint; PKCE
# of confidential clients, malformed nonces, prompt=none in every situation.
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

plan tests => 50 + 2 * 6 + 5 + 11 + 1 + 1;

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
    is($f->{params}{iss}, ISSUER, 'the 303 to a web app after its sign-in carries iss');
    my $d = oidc_signin(ua => browser(), email => $email, password => $password, scope => 'openid');
    ok($d->{params}{code} && @{ $d->{steps} } == 3 && handoff_location($d->{steps}[1]),
       'signed out, a public client (consent=always): the password, then the hand-off page, no Continue')
        or diag(join ' ', map { $_->code } @{ $d->{steps} });
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

# --- PKCE is required of every client, confidential ones too (not plain, not malformed) ----
for my $who (['signed out', browser()], ['signed in', $in]) {
    my ($w, $ua) = @$who;
    my @web = (client_id => 'web-app', redirect_uri => WEB_URI, scope => 'openid');
    back_with(ask($ua, @web, code_challenge => undef, code_challenge_method => undef), 'invalid_request',
              "a confidential client without PKCE ($w)", WEB_URI);
    back_with(ask($ua, @web, code_challenge_method => 'plain'), 'invalid_request',
              "a confidential client with plain PKCE ($w)", WEB_URI);
    back_with(ask($ua, @web, code_challenge_method => undef), 'invalid_request',
              "a challenge without a method (plain by default) ($w)", WEB_URI);
    back_with(ask($ua, @web, code_challenge => 'too-short'), 'invalid_request',
              "a malformed code_challenge ($w)", WEB_URI);
    my @lax = (client_id => 'lax-app', redirect_uri => 'https://lax.example/cb', scope => 'openid');
    back_with(ask($ua, @lax, code_challenge_method => 'plain'), 'invalid_request',
              "pkce=optional still refuses plain ($w)", 'https://lax.example/cb');
    back_with(ask($ua, @lax, code_challenge_method => undef), 'invalid_request',
              "pkce=optional still refuses a challenge without a method ($w)", 'https://lax.example/cb');
}

# --- the nonce: malformed ones are refused, never half-echoed --------------------------------
back_with(ask($in, scope => 'openid', nonce => 'n' x 1001), 'invalid_request', 'a nonce of 1001 bytes');
back_with(ask($in, scope => 'openid', nonce => "n-1\nn-2"), 'invalid_request', 'a nonce with a newline');
back_with(ask($in, scope => 'openid', nonce => "n\x{7f}"), 'invalid_request', 'a nonce with DEL');
back_with(ask($in, scope => 'openid', nonce => "n\x{85}"), 'invalid_request', 'a nonce with a C1 control character');
{
    # a NUL byte would cut the nonce short: refused whole (the 400 page of a
    # malformed request, or invalid_request), never a code
    my (undef, $c) = pkce_pair();
    my $u = url('/auth/login') . '?client_id=example-app&redirect_uri=' . uri_escape_utf8(LOOPBACK_URI)
          . "&response_type=code&state=st-1&scope=openid&code_challenge=$c&code_challenge_method=S256&nonce=n%00x";
    my $res = get_page($in, $u);
    my $q = authorization_response($res, LOOPBACK_URI);
    ok($q ? ($q->{error} // '') eq 'invalid_request' && !exists $q->{code}
          : $res->code == 400 && !defined $res->header('Location') && $res->content !~ /code=/,
       'a nonce with a NUL byte (n%00x): refused whole, no code') or diag($res->code . ' ' . ($res->header('Location') // ''));
}

# --- prompt=none never shows a page, whatever else the request says -------------------------
# ($in signed in again above, more than 2 s ago: max_age=0 has passed)
{
    my $out = browser();
    # a person who allowed web-app "openid" only
    my (undef, undef, $other) = register_user();
    my $once = browser();
    web_sign_in($once, @$other{qw(email password)});
    my $page = ask($once, scope => 'openid', client_id => 'web-app', redirect_uri => WEB_URI);
    submit_form($once, $page, continue_form($page->content));
    my @web = (client_id => 'web-app', redirect_uri => WEB_URI);
    my @sso = (client_id => 'sso-app', redirect_uri => SSO_URI);
    for my $case (['signed out, a consent=never client', $out, 'login_required', @sso],
                  ['signed out, a consent=once client', $out, 'login_required', @web],
                  ['signed out, with login_hint', $out, 'login_required', login_hint => $email],
                  ['signed out, prompt=none login', $out, 'invalid_request', prompt => 'none login'],
                  ['signed in, max_age=0 on a consent=never client', $in, 'login_required', @sso, max_age => 0],
                  ['signed in, consent=once, more scopes than allowed', $once, 'consent_required', @web,
                   scope => 'openid email'],
                  ['signed in, consent=once, the scopes allowed', $once, 'code', @web],
                  ['signed in, consent=never', $in, 'code', @sso],
                  ['signed in, a public client without scope (plain OAuth)', $in, 'consent_required', scope => undef],
                  ['signed in, prompt=none consent', $in, 'invalid_request', @sso, prompt => 'none consent'],
                  ['signed in, prompt=none select_account', $in, 'invalid_request', @sso, prompt => 'none select_account']) {
        my ($name, $ua, $want, %p) = @$case;
        my $uri = $p{redirect_uri} // LOOPBACK_URI;
        my $res = ask($ua, scope => 'openid', prompt => 'none', %p);
        my $q = authorization_response($res, $uri);
        ok($q && ($q->{iss} // '') eq ISSUER && ($q->{state} // '') eq 'st-1'
           && ($want eq 'code' ? $q->{code} && !exists $q->{error} : ($q->{error} // '') eq $want && !exists $q->{code}),
           "prompt=none, $name: 303 back to the app with " . ($want eq 'code' ? 'a code' : "error=$want") . ', state and iss')
            or diag($res->code . ' ' . ($res->header('Location') // $res->content =~ s/\s+/ /gr));
    }
}

# --- iss in every authorization response --------------------------------------------------------------
{
    my $f = oidc_signin(scope => 'openid');
    is($f->{params}{iss}, ISSUER, 'the hand-off link of a desktop app carries iss');
    my $iss = uri_escape_utf8(ISSUER);
    like($f->{steps}[-1]->content, qr/iss(?:=|&#61;)\Q$iss\E/, 'the hand-off page links with iss');
}

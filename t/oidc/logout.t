# OpenID Connect RP-initiated logout at the deskauth-logout URL: id_token_hint,
# client_id, a registered post_logout_redirect_uri and state; the "Sign out?"
# page, its POST (CSRF), the sessions it ends, the 303 with state. Attacks:
# every redirect-URI variant of t/security/open_redirect.t as a
# post_logout_redirect_uri, an ID token of another client as the hint, forged
# and altered hints, a POST without the page's CSRF token. The sessions the
# browser started for other clients are not ended.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthOIDC;
use DeskAuthForge qw(claims_from jwt_decode jwt_sign key_path new_ec_key b64url);
use URI;
use JSON::PP ();
use URI::Escape qw(uri_escape_utf8);
use Apache::TestRequest ();

my $BYE = 'http://127.0.0.1:40123/logged-out';

# The redirect-URI variants of the open redirect test, made post-logout ones
# (registered for example-app: http://127.0.0.1/logged-out and
# com.example.app:/logged-out), so that both lists stay the same.
sub variants {
    open my $fh, '<', "$FindBin::Bin/../security/open_redirect.t" or die "open_redirect.t: $!";
    my $src = do { local $/; <$fh> };
    my ($list) = $src =~ /^my \@pkce_uris = \((.*?)^\);/ms or die 'no @pkce_uris in open_redirect.t';
    my @v = eval "($list)" or die "open_redirect.t list: $@";
    s{callback}{logged-out}g, s{oauth2redirect}{logged-out}g for @v;
    return @v;
}
my @variants = variants();

plan tests => 3 * @variants + 33 + 4 + 3 + 2;

sub h { ref $_[0] eq 'HASH' ? $_[0] : {} }

# A signed-in browser with a desktop session of example-app: ua, tokens.
sub signed_in_app {
    my %o = @_;
    my $ua = browser();
    my $f = oidc_signin(ua => $ua, scope => 'openid email offline_access', %o);
    my ($res, $json) = oidc_exchange($f);
    return { ua => $ua, f => $f, tok => h($json) };
}

sub end_session_url {
    my (@pairs) = @_;
    my @q;
    while (my ($k, $v) = splice @pairs, 0, 2) {
        push @q, uri_escape_utf8($k) . '=' . uri_escape_utf8($v) if defined $v;
    }
    return url('/auth/logout') . '?' . join('&', @q);
}

sub refused_page {
    my ($res, $name) = @_;
    ok($res->code == 400 && !defined $res->header('Location') && $res->content !~ /name="confirm"/,
       "$name: 400 page, no redirect, no sign-out form") or diag($res->code . ' ' . ($res->header('Location') // ''));
}

# --- the whole flow ------------------------------------------------------------------------------
my $s = signed_in_app();
my $hint = $s->{tok}{id_token};
ok($hint, 'setup: an ID token to hint with');
my $page = get_page($s->{ua}, end_session_url(id_token_hint => $hint, post_logout_redirect_uri => $BYE,
                                               state => 'st "<x>'));
is($page->code, 200, 'GET end_session_endpoint: 200');
like($page->content, qr/Sign out of DeskAuth Test\?/, 'the page asks "Sign out of SITE?"');
like($page->content, qr/Example App/, 'the page names the app that asks');
my ($form) = grep { exists $_->{value}{confirm} } forms($page->content);
ok($form && $form->{method} eq 'post' && length($form->{value}{csrf} // ''), 'a POST form with a CSRF token');
like($page->header('Content-Security-Policy') // '', qr{form-action 'self' http://127\.0\.0\.1:40123[;\s]},
     'its CSP lets the form end at the post-logout URI (and nowhere else)');
is(protected_status($s->{tok}{access_token}), 200, 'nothing is ended by the GET');
{
    # a POST of the page's parameters without its CSRF token ends nothing
    my %v = %{ $form->{value} };
    delete $v{csrf};
    my $res = $s->{ua}->post(url('/auth/logout'), [%v], Accept => 'text/html', Origin => origin());
    ok($res->code != 303 && protected_status($s->{tok}{access_token}) == 200,
       'the confirmation POST without the CSRF token ends nothing') or diag($res->code);
    my %bad = (%{ $form->{value} }, csrf => 'forged');
    $res = $s->{ua}->post(url('/auth/logout'), [%bad], Accept => 'text/html', Origin => origin());
    ok($res->code == 403 && protected_status($s->{tok}{access_token}) == 200,
       'a wrong CSRF token: 403, nothing ended');
}
my $res = submit_form($s->{ua}, $page, $form);
is($res->code, 303, 'Sign out: 303');
my $loc = URI->new($res->header('Location') // '');
is($loc->scheme . '://' . $loc->host_port . $loc->path, $BYE, 'to the registered post_logout_redirect_uri');
is({ $loc->query_form }->{state}, 'st "<x>', 'with state, exactly');
is(protected_status($s->{tok}{access_token}), 401, "the app's session ended (its access token is refused)");
my ($rr) = oidc_refresh('example-app', $s->{tok}{refresh_token});
is($rr->code, 400, "the app's refresh token no longer works");
ok(!session_cookie($s->{ua}), 'the browser session cookie is cleared');

# --- without a post-logout URI: "You are signed out" -------------------------------------------------
{
    my $t = signed_in_app();
    my $p = get_page($t->{ua}, end_session_url(client_id => 'example-app'));
    my ($fm) = grep { exists $_->{value}{confirm} } forms($p->content);
    my $r = submit_form($t->{ua}, $p, $fm);
    ok($r->code == 200 && $r->content =~ /You are signed out/, 'no post_logout_redirect_uri: "You are signed out"');
    is(protected_status($t->{tok}{access_token}), 401, "the browser's sessions for the app ended");
}
# --- a POST form from the app gets the page too ---------------------------------------------------------
{
    my $t = signed_in_app();
    my $r = $t->{ua}->post(url('/auth/logout'), [id_token_hint => $t->{tok}{id_token}, state => 's2',
                                                 post_logout_redirect_uri => $BYE], Accept => 'text/html');
    ok($r->code == 200 && $r->content =~ /name="confirm"/, 'a POST form with the parameters: the same "Sign out?" page');
    is(protected_status($t->{tok}{access_token}), 200, 'and nothing ended yet');
    # the hint alone (no browser session): its session ends
    my $ua2 = browser();
    my $p = get_page($ua2, end_session_url(id_token_hint => $t->{tok}{id_token}));
    my ($fm) = grep { exists $_->{value}{confirm} } forms($p->content);
    submit_form($ua2, $p, $fm);
    is(protected_status($t->{tok}{access_token}), 401, 'another browser confirming with the hint ends the hinted session');
}
# --- the hint of another person leaves the signed-in one's other sessions ------------------------------------
{
    my $a = signed_in_app();
    my $b = signed_in_app();
    my $p = get_page($a->{ua}, end_session_url(id_token_hint => $b->{tok}{id_token}));
    my ($fm) = grep { exists $_->{value}{confirm} } forms($p->content);
    submit_form($a->{ua}, $p, $fm);
    is(protected_status($b->{tok}{access_token}), 200, "B's hint confirmed in A's browser does not end B's session");
    is(protected_status($a->{tok}{access_token}), 401, "it ends A's own browser and app sessions");
}

# --- the sessions the browser started for another client live on ----------------------------------
{
    my $t = signed_in_app();
    my $w = oidc_signin(ua => $t->{ua}, email => $t->{f}{email}, password => $t->{f}{password},
                        client_id => 'web-app', redirect_uri => WEB_URI, scope => 'openid offline_access');
    my (undef, $wj) = oidc_exchange($w);
    my $web = h($wj);
    ok($web->{access_token} && $web->{refresh_token}, 'setup: the same browser also signed in to web-app');
    my $p = get_page($t->{ua}, end_session_url(id_token_hint => $t->{tok}{id_token}, client_id => 'example-app'));
    my ($fm) = grep { exists $_->{value}{confirm} } forms($p->content);
    submit_form($t->{ua}, $p, $fm);
    is(protected_status($t->{tok}{access_token}), 401, "example-app's logout ends example-app's session");
    is(protected_status($web->{access_token}), 200, "web-app's session, started by the same browser, lives on");
    my ($wr) = oidc_refresh('web-app', $web->{refresh_token});
    is($wr->code, 200, "and web-app's refresh token still works");
}

# --- hints that are not ours or not for this client -------------------------------------------------------------
{
    my $w = oidc_signin(client_id => 'web-app', redirect_uri => WEB_URI, scope => 'openid');
    my (undef, $wj) = oidc_exchange($w);
    my $web_hint = h($wj)->{id_token};
    ok($web_hint, 'setup: an ID token of web-app');
    refused_page(get_page(browser(), end_session_url(id_token_hint => $web_hint, client_id => 'example-app')),
                 "web-app's ID token as the hint with client_id=example-app");
    refused_page(get_page(browser(), end_session_url(id_token_hint => $web_hint, post_logout_redirect_uri => $BYE)),
                 "web-app's ID token with example-app's post-logout URI");
    my ($h, $p) = jwt_decode($hint);
    $p->{aud} = 'web-app';
    my ($hb, $pb, $sig) = split /\./, $hint;
    my $altered = join '.', $hb, b64url(JSON::PP->new->canonical->encode($p)), $sig;
    refused_page(get_page(browser(), end_session_url(id_token_hint => $altered)), 'a hint with its aud altered (bad signature)');
    my $other = new_ec_key();
    refused_page(get_page(browser(), end_session_url(id_token_hint => jwt_sign(header => $h, claims => $p, es256 => $other))),
                 'a hint signed by another key');
    refused_page(get_page(browser(), end_session_url(id_token_hint => jwt_sign(header => { %$h, alg => 'none' }, claims => $p))),
                 'a hint with alg none');
    refused_page(get_page(browser(), end_session_url(id_token_hint => $s->{tok}{access_token})),
                 'an access token (typ at+jwt) as the hint');
    my $expired = jwt_sign(header => $h, claims => { %{ claims_from($hint) }, exp => time - 3600, iat => time - 7200 },
                           es256 => key_path('es256.pem'));
    my $ok = get_page(browser(), end_session_url(id_token_hint => $expired, post_logout_redirect_uri => $BYE));
    ok($ok->code == 200 && $ok->content =~ /name="confirm"/, 'an expired ID token of ours is accepted as a hint');
    # an ID token of the suite's other server: our key and typ JWT, another issuer
    my $old = Apache::TestRequest::module();
    Apache::TestRequest::module('deskauth_passkey_strict');
    my $o = oidc_signin(scope => 'openid');
    my (undef, $oj) = oidc_exchange($o);
    Apache::TestRequest::module($old // 'default');
    my $foreign = h($oj)->{id_token};
    ok($foreign && claims_from($foreign)->{iss} ne ISSUER && id_token_valid($foreign),
       'setup: an ID token signed with the same key by another issuer');
    refused_page(get_page(browser(), end_session_url(id_token_hint => $foreign)),
                 'an ID token of another issuer (same key) as the hint');
    refused_page(get_page(browser(), end_session_url(id_token_hint => $web_hint, client_id => 'sso-app',
                                                     post_logout_redirect_uri => 'https://sso.example/bye')),
                 "web-app's ID token with sso-app's client_id and post-logout URI");
    refused_page(get_page(browser(), end_session_url(client_id => 'nobody')), 'an unknown client_id');
    refused_page(get_page(browser(), end_session_url(post_logout_redirect_uri => $BYE)),
                 'a post_logout_redirect_uri without client_id or hint');
    refused_page(get_page(browser(), end_session_url(client_id => 'example-app', post_logout_redirect_uri => LOOPBACK_URI)),
                 'a redirect URI (not a post-logout one) of the client');
}

# --- the refused address is named on the page (escaped) and once in the log (no query) --------------------
{
    my $bad = 'https://evil.example/bye<b>x</b>?secret=k3y';
    my $mark = -s error_log_path() // 0;
    my $res = get_page(browser(), end_session_url(client_id => 'example-app', post_logout_redirect_uri => $bad));
    my $html = $res->content // '';
    ok($res->code == 400 && index($html, 'https://evil.example/bye&lt;b&gt;x&lt;/b&gt;?secret') >= 0
       && $html !~ /<b>x<\/b>/, 'a refused post_logout_redirect_uri is named on the 400 page, escaped')
        or diag($res->code);
    my @lines = grep { /DA00851/ } split /\n/, error_log_since($mark);
    ok(@lines == 1 && $lines[0] =~ m{post_logout_redirect_uri https://evil\.example/bye} && $lines[0] =~ /example-app/
       && $lines[0] !~ /k3y/, 'and logged once with its client, without its query') or diag(join "\n", @lines);
}

# --- every redirect-URI variant as post_logout_redirect_uri -------------------------------------------------------
for my $v (@variants) {
    my $shown = length $v ? $v =~ s/([^\x20-\x7e])/sprintf '\\x%02x', ord $1/ger : '(empty)';
    my $r = get_page(browser(), end_session_url(client_id => 'example-app', post_logout_redirect_uri => $v, state => 's'));
    ok($r->code == 400 && !defined $r->header('Location') && (!length $v || index($r->content, "href=\"$v") < 0),
       "post_logout_redirect_uri $shown: 400 page, never a link or redirect to it");
    # the confirmation POST itself, forged with a valid CSRF token: still never sent there
    my $ua = browser();
    my $p = get_page($ua, end_session_url(client_id => 'example-app'));
    my ($fm) = grep { exists $_->{value}{confirm} } forms($p->content);
    my $x = submit_form($ua, $p, $fm, post_logout_redirect_uri => $v);
    ok($x->code == 400 && !defined $x->header('Location'), "confirming with $shown: 400, no redirect");
    # an app's POST form (no CSRF token) with it: the same 400 page
    my $f = browser()->post(url('/auth/logout'), [client_id => 'example-app', post_logout_redirect_uri => $v, state => 's'],
                            Accept => 'text/html');
    ok($f->code == 400 && !defined $f->header('Location') && $f->content !~ /name="confirm"/,
       "an app's POST form with $shown: 400 page, no redirect, no sign-out form");
}

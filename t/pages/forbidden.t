# A browser refused at a protected location gets a page, an API caller the
# JSON error (docs/behaviour.md, "Protected locations"): signed in without
# the role or claim, 403 "Signed in as EMAIL" with "Switch account" (signed
# out, then the sign-in page, then back here) and the home page, also where
# DeskAuthLoginRedirect is on and at the admin URLs; with no session, 401
# "Sign in" (back here after).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use URI;

my @places = ('/employer/', '/adminonly/', '/claim/', '/adminclaim/', '/auth/admin/users',
              '/login-redirect-role/');
plan tests => 12 * @places + 14;

my (undef, $uj, $u) = register_user();
my (undef, undef, $e) = register_user(role => 'EMPLOYER');
my $email = lc $u->{email};
my $ua = browser();
web_sign_in($ua, $u->{email}, $u->{password});

for my $path (@places) {
    my $res = get_page($ua, url($path));
    my $html = $res->decoded_content // '';
    is($res->code, 403, "$path, signed in as a USER: 403");
    like($res->header('Content-Type') // '', qr{^text/html; charset=utf-8}i, "$path: an HTML page (utf-8)");
    like(text_of($html), qr/Signed in as \Q$email\E ?\./, "$path: it says \"Signed in as EMAIL.\"");
    ok($html !~ /"error"\s*:\s*"forbidden"/, "$path: not the JSON body");
    my ($sw) = grep { exists $_->{value}{switch} } forms($html);
    ok($sw && ($sw->{action} // '') =~ m{/auth/logout\z} && ($sw->{value}{return} // '') eq $path,
       "$path: a \"Switch account\" form to the logout URL returning here");
    like($sw ? $sw->{html} : '', qr/Switch account/, "$path: its button says \"Switch account\"");
    ok(defined csrf_from($html), "$path: the form carries the CSRF token");
    ok((grep { $_ eq '/api/auth/profile' } url_attrs($html)), "$path: a link to the person's home page");
    my $csp = $res->header('Content-Security-Policy') // '';
    like($csp, qr/frame-ancestors 'none'/, "$path: the page's Content-Security-Policy");
    my ($nonce) = $csp =~ /style-src 'nonce-([^']+)'/;
    ok($nonce && $html =~ /<style nonce="\Q$nonce\E">/, "$path: its style under the CSP nonce");
    is($res->header('Cache-Control'), 'no-store', "$path: no-store");
    my ($api) = json_req(GET => $path, undef, Cookie => "deskauth_session=" . session_cookie($ua));
    ok($api->code == 403 && (jbody($api) // {})->{error} eq 'forbidden'
       && ($api->header('Content-Type') // '') =~ m{^application/json},
       "$path: an API caller (Accept: application/json) still gets the JSON 403");
}

my $head = $ua->head(url('/employer/'), Accept => 'text/html');
is($head->code, 403, 'HEAD: 403');
is($head->content, '', 'HEAD: no body');

# --- Switch account ----------------------------------------------------------------
my $page = get_page($ua, url('/employer/'));
my ($sw) = grep { exists $_->{value}{switch} } forms($page->decoded_content);
my $res = submit_form($ua, $page, $sw);
is($res->code, 303, 'Switch account: 303');
my $to = URI->new_abs($res->header('Location') // '', url('/'));
is($to->path, '/auth/login', 'to the sign-in page');
is({ $to->query_form }->{return}, '/employer/', 'with return=/employer/');
ok(!session_cookie($ua), 'signed out');
my $login = get_page($ua, $to->as_string);
my $post = sign_in($ua, $login, $e->{email}, $e->{password});
is($post && $post->code, 303, 'signing in as an EMPLOYER: 303');
is($post ? $post->header('Location') : undef, '/employer/', 'back to /employer/');
is(get_page($ua, url('/employer/'))->code, 200, 'which now opens (200)');

# --- no session: 401 page with "Sign in" ----------------------------------------------
my $anon = browser()->get(url('/employer/'), Accept => 'text/html');
is($anon->code, 401, 'no session, a browser: 401');
like($anon->header('Content-Type') // '', qr{^text/html; charset=utf-8}i, 'an HTML page');
like($anon->header('WWW-Authenticate') // '', qr/^Bearer realm=/, 'WWW-Authenticate is kept');
ok((grep { $_ eq '/auth/login?return=%2Femployer%2F' } url_attrs($anon->decoded_content)),
   'with "Sign in" returning here');
my ($a401) = json_req(GET => '/employer/');
is((jbody($a401) // {})->{error}, 'unauthorized', 'an API caller with no token: the JSON 401');

# interface.md, Pages "Pages", docs/behaviour.md "Browser session and CSRF":
# the sign-up, sign-in and profile pages as a browser sees them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use URI ();
use DeskAuthTest;

plan tests => 86;

my $PROFILE_LOC = qr{^(?:https?://[^/]+)?/api/auth/profile$};
my $LOGIN_LOC   = qr{^(?:https?://[^/]+)?/auth/login(?:\?.*)?$};
my $PASSWORD    = 'correct horse 1';

# --- helpers ------------------------------------------------------------------

# The Set-Cookie line of cookie NAME in a response, or undef.
sub set_cookie {
    my ($res, $name) = @_;
    my ($sc) = grep { /^\Q$name\E=/ } $res->header('Set-Cookie');
    return $sc;
}

# The value of cookie NAME in a browser's jar, or undef.
sub jar_cookie {
    my ($ua, $name) = @_;
    my $val;
    $ua->cookie_jar->scan(sub { $val = $_[2] if $_[1] eq $name });
    return $val;
}

sub abs_url { my $l = shift // ''; return $l =~ m{^https?://} ? $l : url($l) }

# Six assertions: the headers every page sends (interface.md, Pages).
sub page_headers_ok {
    my ($res, $name) = @_;
    like $res->header('Content-Type') // '', qr{^text/html\b}i, "${name}_is_text_html";
    like $res->header('Cache-Control') // '', qr/\bno-store\b/i,
        "${name}_sends_Cache_Control_no_store";
    my $csp = $res->header('Content-Security-Policy') // '';
    like $csp, qr/(?:^|;)\s*frame-ancestors\s+'none'\s*(?:;|$)/i,
        "${name}_CSP_has_frame_ancestors_none";
    my %d = map { /^\s*(\S+)\s*(.*?)\s*$/ ? (lc $1 => $2) : () } split /;/, $csp;
    my $script = $d{'script-src'} // $d{'default-src'};
    ok defined $script && $script !~ /'unsafe-inline'/i,
        "${name}_CSP_script_src_has_no_unsafe_inline"
        or diag "CSP: $csp";
    is lc($res->header('X-Content-Type-Options') // ''), 'nosniff',
        "${name}_sends_X_Content_Type_Options_nosniff";
    is lc($res->header('Referrer-Policy') // ''), 'no-referrer',
        "${name}_sends_Referrer_Policy_no_referrer";
}

# Two assertions: no external assets, no inline script without a nonce.
sub page_self_contained_ok {
    my ($html, $name) = @_;
    my @ext = $html =~ /(<(?:link|script|img|iframe|source)\b[^>]*\b(?:href|src)\s*=\s*["']?\s*(?:https?:)?\/\/[^>]*>)/gi;
    push @ext, $html =~ /(url\(\s*["']?\s*(?:https?:)?\/\/[^)]*\))/gi;
    push @ext, $html =~ /(\@import\s+["']?(?:https?:)?\/\/\S+)/gi;
    ok length($html) && !@ext, "${name}_has_no_external_assets"
        or diag "external: @ext";
    my @inline = grep { !/\bsrc\s*=/i && !/\bnonce\s*=/i } $html =~ /(<script\b[^>]*>)/gi;
    ok length($html) && !@inline, "${name}_has_no_inline_script_without_nonce"
        or diag "inline: @inline";
}

# The <input> tag with name NAME, or ''.
sub input_tag {
    my ($html, $name) = @_;
    return $1 if $html =~ /(<input\b[^>]*\bname\s*=\s*["']?\Q$name\E["'\s>][^>]*>?)/i;
    return '';
}

# --- the sign-up and sign-in pages ---------------------------------------------

for my $p (['register', '/auth/register', [qw(email password firstName lastName)]],
           ['login',    '/auth/login',    [qw(email password)]]) {
    my ($name, $path, $fields) = @$p;
    my $ua  = browser();
    my $res = $ua->get($path);
    my $html = $res->decoded_content // '';
    is $res->code, 200, "${name}_page_as_html_is_200";
    page_headers_ok($res, "${name}_page");
    page_self_contained_ok($html, "${name}_page");
    my $csrf = csrf_from($html);
    ok defined $csrf && length($csrf) >= 16, "${name}_page_form_has_a_csrf_hidden_input";
    my $sc = set_cookie($res, 'deskauth_csrf') // '';
    like $sc, qr/;\s*HttpOnly\b/i, "${name}_page_sets_deskauth_csrf_cookie_HttpOnly";
    my ($cookie_val) = $sc =~ /^deskauth_csrf=([^;]*)/;
    ok defined $csrf && defined $cookie_val && $cookie_val eq $csrf,
        "${name}_page_csrf_cookie_equals_the_hidden_field";
    is_deeply [grep { input_tag($html, $_) eq '' } @$fields], [],
        "${name}_page_has_inputs_for_" . join('_', @$fields);
    like input_tag($html, 'password'), qr/\btype\s*=\s*["']?password\b/i,
        "${name}_page_password_input_is_type_password";
}

# --- sign-up through the form -------------------------------------------------------

my $ua    = browser();
my $email = unique_email();
{
    my $page = $ua->get('/auth/register');
    my $res  = form_post($ua, '/auth/register', { csrf => csrf_from($page->decoded_content),
        email => $email, password => $PASSWORD, firstName => 'Form', lastName => 'Person' });
    is $res->code, 303, 'register_form_success_is_303' or diag $res->decoded_content;
    like $res->header('Location') // '', $PROFILE_LOC,
        'register_form_sends_the_browser_to_the_profile_page';
    like set_cookie($res, 'deskauth_session') // '', qr/^deskauth_session=[^;]+;/,
        'register_form_sets_the_session_cookie';
}

my $profile = $ua->get('/api/auth/profile');
my $phtml   = $profile->decoded_content // '';
is $profile->code, 200, 'profile_page_with_session_cookie_is_200';
like $phtml, qr/\Q$email\E/, 'profile_page_shows_the_email';
page_headers_ok($profile, 'profile_page');
page_self_contained_ok($phtml, 'profile_page');
{
    my @forms = $phtml =~ /(<form\b[^>]*>.*?<\/form>)/gis;
    my ($out) = grep { /^<form\b[^>]*\baction\s*=\s*["']?[^"'\s>]*\/auth\/logout["'\s>]/i } @forms;
    ok defined $out && $out =~ /^<form\b[^>]*\bmethod\s*=\s*["']?post\b/i
           && defined csrf_from($out),
        'profile_page_has_a_sign_out_form_posting_to_logout_with_csrf';
}
{
    my $r = $ua->get('/auth/login');
    is $r->code, 303, 'login_page_for_a_signed_in_person_is_303';
    like $r->header('Location') // '', $PROFILE_LOC, 'login_page_sends_a_signed_in_person_home';
}

# --- sign-in through the form --------------------------------------------------------

{
    my $b    = browser();
    my $page = $b->get('/auth/login');
    my $res  = form_post($b, '/auth/login', { csrf => csrf_from($page->decoded_content),
        email => $email, password => $PASSWORD });
    is $res->code, 303, 'login_form_success_is_303' or diag $res->decoded_content;
    like $res->header('Location') // '', $PROFILE_LOC,
        'login_form_sends_the_browser_to_the_profile_page';
    ok defined jar_cookie($b, 'deskauth_session'), 'login_form_sets_the_session_cookie';
    my $p = $b->get(abs_url($res->header('Location')));
    like $p->decoded_content // '', qr/\Q$email\E/, 'login_form_then_profile_page_shows_the_email';
}

# --- CSRF and Origin -------------------------------------------------------------------

{
    my $b    = browser();
    my $csrf = csrf_from($b->get('/auth/login')->decoded_content);
    my %cred = (email => $email, password => $PASSWORD);

    my $r = form_post($b, '/auth/login', { %cred });
    is $r->code, 403, 'login_form_without_csrf_is_403';
    like $r->header('Content-Type') // '', qr{^text/html\b}i, 'login_form_csrf_failure_is_an_html_page';
    ok !defined set_cookie($r, 'deskauth_session'), 'login_form_without_csrf_sets_no_session';

    $r = form_post($b, '/auth/login', { %cred, csrf => 'x' . ($csrf // '') });
    is $r->code, 403, 'login_form_with_wrong_csrf_is_403';

    $r = form_post(browser(), '/auth/login', { %cred, csrf => $csrf });
    is $r->code, 403, 'login_form_with_csrf_field_but_no_csrf_cookie_is_403';

    $r = form_post($b, '/auth/login', { %cred, csrf => $csrf }, Origin => 'https://evil.example');
    is $r->code, 403, 'login_form_with_foreign_origin_and_right_csrf_is_403';
    ok !defined set_cookie($r, 'deskauth_session'), 'login_form_with_foreign_origin_sets_no_session';

    my $u = URI->new(url('/'));
    $r = form_post($b, '/auth/login', { %cred, csrf => $csrf },
                   Origin => $u->scheme . '://' . $u->host_port);
    is $r->code, 303, 'login_form_with_own_origin_and_right_csrf_is_303';
}
{
    my $b    = browser();
    my $csrf = csrf_from($b->get('/auth/register')->decoded_content);
    my $r = form_post($b, '/auth/register', { email => unique_email(), password => $PASSWORD,
        firstName => 'No', lastName => 'Csrf' });
    is $r->code, 403, 'register_form_without_csrf_is_403';
}

# --- form errors: message on the page, input kept, never the password ---------------

{
    my $b    = browser();
    my $csrf = csrf_from($b->get('/auth/login')->decoded_content);
    my $wrong = 'Wr0ng-Pa55-Zq9X';
    my $r = form_post($b, '/auth/login', { csrf => $csrf, email => $email, password => $wrong });
    my $html = $r->decoded_content // '';
    is $r->code, 401, 'login_form_wrong_password_is_401_page';
    like $r->header('Content-Type') // '', qr{^text/html\b}i, 'login_form_wrong_password_is_html';
    like $html, qr/Invalid credentials/, 'login_form_wrong_password_shows_invalid_credentials';
    like input_tag($html, 'email'), qr/\bvalue\s*=\s*["']\Q$email\E["']/,
        'login_form_wrong_password_keeps_the_email';
    unlike $html, qr/\Q$wrong\E/, 'login_form_wrong_password_does_not_echo_the_password';
    ok defined csrf_from($html), 'login_form_error_page_has_a_fresh_csrf_field';
}
{
    my $b    = browser();
    my $csrf = csrf_from($b->get('/auth/register')->decoded_content);
    my $new  = unique_email();
    my $short = 'Sh0rt7x';
    my $r = form_post($b, '/auth/register', { csrf => $csrf, email => $new, password => $short,
        firstName => 'Grace', lastName => 'Hopper' });
    my $html = $r->decoded_content // '';
    is $r->code, 400, 'register_form_short_password_is_400_page';
    my $at = index $html, input_tag($html, 'password');
    my $near = ($at > 0 && length input_tag($html, 'password'))
             ? substr($html, ($at > 600 ? $at - 600 : 0), 1200) : '';
    like $near, qr/at least 8/i, 'register_form_short_password_error_is_next_to_the_password_field';
    like input_tag($html, 'firstName'), qr/\bvalue\s*=\s*["']Grace["']/, 'register_form_error_keeps_firstName';
    like input_tag($html, 'lastName'), qr/\bvalue\s*=\s*["']Hopper["']/, 'register_form_error_keeps_lastName';
    like input_tag($html, 'email'), qr/\bvalue\s*=\s*["']\Q$new\E["']/, 'register_form_error_keeps_email';
    unlike $html, qr/\Q$short\E/, 'register_form_error_does_not_echo_the_password';
    ok !defined set_cookie($r, 'deskauth_session'), 'register_form_error_sets_no_session';
}
{
    my $b    = browser();
    my $csrf = csrf_from($b->get('/auth/register')->decoded_content);
    my $r = form_post($b, '/auth/register', { csrf => $csrf, email => uc($email),
        password => $PASSWORD, firstName => 'Dup', lastName => 'Licate' });
    my $html = $r->decoded_content // '';
    is $r->code, 409, 'register_form_existing_email_is_409_page';
    like $r->header('Content-Type') // '', qr{^text/html\b}i, 'register_form_existing_email_is_html';
    like input_tag($html, 'firstName'), qr/\bvalue\s*=\s*["']Dup["']/,
        'register_form_existing_email_keeps_the_input';
}

# --- every value is HTML-escaped -----------------------------------------------------

{
    my $b = browser();
    my $r = $b->post(url('/auth/register'),
        'Content-Type' => 'application/json', Accept => 'application/json',
        Content => JSON::PP->new->utf8->encode({ email => unique_email(), password => $PASSWORD,
            firstName => '<script>alert(1)</script>', lastName => q{"O'Brien" & <b>} }));
    is $r->code, 201, 'escaping_setup_json_registration_with_markup_in_names_is_201';
    my $html = $b->get('/api/auth/profile')->decoded_content // '';
    unlike $html, qr/<script>alert\(1\)/, 'profile_page_does_not_contain_the_raw_script_name';
    like $html, qr/&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'profile_page_shows_the_name_html_escaped';
    unlike $html, qr/"O'Brien" & <b>/, 'profile_page_escapes_quotes_ampersand_and_tags';
}

# --- sign-out ------------------------------------------------------------------------

{
    my $r = form_post($ua, '/auth/logout', {});
    is $r->code, 403, 'logout_form_without_csrf_is_403';
    is $ua->get('/api/auth/profile')->code, 200, 'logout_form_without_csrf_leaves_the_person_signed_in';

    my $old = jar_cookie($ua, 'deskauth_session');
    my $csrf = csrf_from($ua->get('/api/auth/profile')->decoded_content);
    $r = form_post($ua, '/auth/logout', { csrf => $csrf });
    is $r->code, 303, 'logout_form_is_303';
    like $r->header('Location') // '', $LOGIN_LOC, 'logout_form_sends_the_browser_to_the_sign_in_page';
    my $sc = set_cookie($r, 'deskauth_session') // '';
    ok $sc =~ /^deskauth_session=(?:""|);/ || $sc =~ /;\s*Max-Age=0\b/i
           || $sc =~ /;\s*Expires=[^;]*19[67]\d/i,
        'logout_form_clears_the_session_cookie' or diag "Set-Cookie: $sc";
    # (HTTP::Cookies ignores Max-Age=0 and keeps the emptied cookie: an
    # empty value is as good as none)
    my $left = jar_cookie($ua, 'deskauth_session');
    ok !defined $left || $left eq '', 'logout_form_leaves_no_session_cookie_in_the_browser';

    my $after = $ua->get('/api/auth/profile');
    ok(($after->code == 303 && ($after->header('Location') // '') =~ $LOGIN_LOC)
           || $after->code == 401,
       'profile_page_after_logout_is_303_to_sign_in_or_401') or diag $after->status_line;
    unlike $after->decoded_content // '', qr/\Q$email\E/, 'profile_page_after_logout_does_not_show_the_email';

    # the old cookie, replayed, is dead too: the session is revoked, not just forgotten
    my ($replay) = json_req(GET => '/api/auth/profile', undef,
                            Cookie => 'deskauth_session=' . ($old // 'none'));
    ok defined $old && $replay->code == 401, 'logout_form_revokes_the_session_so_the_old_cookie_is_refused';
}

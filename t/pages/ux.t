# docs/behaviour.md "Pages for people": what the server puts in the pages so
# that people need no help: every error of a form at once, in words for
# people, in an error summary linked to the fields; dates for people (the
# RFC 3339 value only in <time datetime>); devices named for people with
# "Sign out" buttons that say which; questions before "Sign out everywhere
# else" and a resume delete; "We sent a link to ADDRESS" with Resend after
# sign-up; "Check your inbox (ADDRESS)"; the signed-out notice; no sign-up
# form for a signed-in person; the sign-in form's tab order. (Focus, the
# announcements and the layout in a real browser: t/browser/ux_forms.mjs.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use URI ();
use DeskAuthTest;
use DeskAuthMail;
use DeskAuthOAuth qw(desktop_tokens);

plan tests => 53;

my $PW = 'correct horse 1';
my $CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
           . 'Chrome/131.0.0.0 Safari/537.36';
my $RFC3339 = qr/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/;

# The page's text outside tags and attributes.
sub text_of {
    my ($html) = @_;
    $html =~ s/<(script|style)\b.*?<\/\1>//gis;
    $html =~ s/<[^>]*>/ /g;
    return $html;
}

sub signup_form {
    my ($ua, %fields) = @_;
    my $csrf = csrf_from($ua->get('/auth/register')->content);
    return form_post($ua, '/auth/register', {csrf => $csrf, %fields});
}

# --- every error at once, in words for people ------------------------------------
{
    my $ua = browser();
    my $res = signup_form($ua, email => '', password => '', firstName => '', lastName => '');
    is $res->code, 400, 'signup_with_every_field_empty_is_400';
    my $html = $res->content;
    like $html, qr/There are 4 problems/, 'signup_shows_all_four_errors_at_once';
    like $html, qr/Enter your email address/, 'signup_says_enter_your_email_address';
    like $html, qr/Enter a password/, 'signup_says_enter_a_password';
    like $html, qr/Enter your first name/, 'signup_says_enter_your_first_name';
    like $html, qr/Enter your last name/, 'signup_says_enter_your_last_name';
    unlike $html, qr/firstName is required|is required/, 'signup_page_has_no_api_words';
    like $html, qr/<div class="error-summary" id="error-summary" role="alert"/,
        'the_error_summary_is_announced';
    my @links = $html =~ /<li><a href="#([a-z-]+)">/g;
    is "@links", 'email password first-name last-name', 'the_summary_links_to_each_field_in_order';
    my @invalid = $html =~ /<input\b[^>]*\bid="([a-z-]+)"[^>]*aria-invalid="true"/g;
    is scalar(@invalid), 4, 'each_bad_field_is_aria_invalid';
    like $html, qr/aria-describedby="first-name-error"/, 'each_field_is_described_by_its_error';

    $res = signup_form($ua, email => 'nope', password => 'x' x 80, firstName => 'Ada',
                       lastName => 'L' x 101);
    like $res->content, qr/Enter an email address like name\@example\.com/,
        'a_malformed_address_is_explained';
    like $res->content, qr/Use a shorter password/, 'a_long_password_is_explained_without_bytes';
    unlike $res->content, qr/72 bytes/, 'no_bytes_on_the_page';
    like $res->content, qr/value="nope"/, 'what_was_typed_is_kept';

    my ($jr, $jj) = json_req(POST => '/auth/register', {email => '', password => '',
                                                         firstName => '', lastName => ''});
    is $jj->{message}, 'email is required', 'the_json_api_keeps_its_first_message';

    my $csrf = csrf_from($ua->get('/auth/login')->content);
    $res = form_post($ua, '/auth/login', {csrf => $csrf, email => '', password => ''});
    like $res->content, qr/There are 2 problems/, 'signin_with_both_empty_shows_both_errors';
    like $res->content, qr/Enter your password/, 'signin_says_enter_your_password';
}

# --- the sign-in form's tab order --------------------------------------------------
{
    my $html = browser()->get('/auth/login')->content;
    my $email = index $html, 'id="email"';
    my $pw = index $html, 'id="password"';
    my $forgot = index $html, 'Forgot password?';
    ok $email >= 0 && $pw > $email && $forgot > $pw,
        'sign_in_tab_order_is_email_password_then_forgot_password';
}

# --- after sign-up: "We sent a link to ADDRESS", Resend, the badge ------------------
my ($ua, $email);
{
    $ua = browser();
    $ua->agent($CHROME);
    $email = lc unique_email();
    my $res = signup_form($ua, email => $email, password => $PW, firstName => 'Ada',
                          lastName => 'Lovelace');
    is $res->code, 303, 'signup_form_is_303';
    my $page = $ua->get('/api/auth/profile');
    my $html = $page->content;
    like $html, qr/We sent a link to <strong>\Q$email\E<\/strong>/, 'profile_says_we_sent_a_link_to_the_address';
    like $html, qr/<a class="badge warn" href="#verify-email">Email not verified/,
        'the_not_verified_badge_links_to_it';
    like $html, qr/<form method="post" action="\/auth\/verify">.*?Resend the link/s,
        'there_is_a_resend_button';
    my $csrf = csrf_from($html);
    $res = form_post($ua, '/auth/verify', {csrf => $csrf});
    is $res->code, 303, 'resend_is_303';
    like $res->header('Location') // '', qr{/api/auth/profile\?verify=sent}, 'resend_goes_back_to_the_profile';
    ok wait_mail($email, qr/^Confirm your email address\b/, 2), 'resend_mails_a_second_link';
    like $ua->get($res->header('Location'))->content, qr/A new link is on its way/,
        'the_profile_says_a_new_link_is_on_its_way';

    # --- dates for people -----------------------------------------------------------
    like $html, qr/<time datetime="$RFC3339">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC<\/time>/,
        'profile_shows_dates_for_people_in_time_elements';
    like $html, qr/\(just now\)|minutes? ago/, 'profile_says_how_long_ago';
    unlike text_of($html), $RFC3339, 'profile_text_has_no_rfc3339';

    # --- no sign-up form for a signed-in person ----------------------------------------
    $res = $ua->get('/auth/register');
    is $res->code, 303, 'signed_in_person_is_not_offered_sign_up';
    like $res->header('Location') // '', qr{/auth/login$}, 'signed_in_person_goes_to_sign_in_which_sends_home';
}

# --- devices named for people ------------------------------------------------------
{
    my (undef, $j) = login_user($email, $PW);
    my $ua2 = browser();
    $ua2->agent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 '
                . '(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1');
    my $csrf = csrf_from($ua2->get('/auth/login')->content);
    form_post($ua2, '/auth/login', {csrf => $csrf, email => $email, password => $PW});
    desktop_tokens(email => $email, password => $PW, device_name => 'vm');
    my $html = $ua->get('/auth/sessions')->content;
    my $text = text_of($html);
    like $text, qr/Chrome on Linux/, 'a_browser_is_named_chrome_on_linux';
    like $text, qr/Safari on iOS/, 'a_phone_is_named_safari_on_ios';
    like $text, qr/Example App on vm/, 'an_app_is_named_app_on_device';
    unlike $text, qr/Mozilla\/5\.0/, 'no_raw_user_agent_on_the_page';
    unlike $text, qr/$RFC3339/, 'no_rfc3339_on_the_devices_page';
    like $html, qr/<time datetime="$RFC3339">/, 'devices_page_dates_are_time_elements';
    like $html, qr/Sign out<span class="sr-only"> Safari on iOS<\/span><\/button>/,
        'each_sign_out_button_names_its_device';
    my @buttons = $html =~ /<button[^>]*>(Sign out<span class="sr-only">[^<]*<\/span>)<\/button>/g;
    ok @buttons >= 3, 'every_other_device_has_a_named_sign_out_button';
    like $html, qr/<form[^>]*data-confirm="Sign out of \d+ other devices?\?[^"]*">\s*<input[^>]*>\s*<input[^>]*value="others"/,
        'sign_out_everywhere_else_asks_first';
    my $ua3 = browser();
    $ua3->agent("<script>alert(1)</script>/1.0");
    $csrf = csrf_from($ua3->get('/auth/login')->content);
    form_post($ua3, '/auth/login', {csrf => $csrf, email => $email, password => $PW});
    $html = $ua->get('/auth/sessions')->content;
    unlike $html, qr/<script>alert/, 'a_user_agent_with_markup_is_escaped';
}

# --- resume delete asks first; a long name can wrap ---------------------------------
{
    my $name = ('a-very-long-file-name-without-spaces' x 4) . '.pdf';
    my ($res) = json_req(PUT => "/api/auth/profile/resume?filename=$name", \"%PDF-1.4\n%%EOF\n",
                         'Content-Type' => 'application/pdf',
                         bearer((login_user($email, $PW))[1]{tokens}{accessToken}));
    is $res->code, 200, 'setup_a_resume_with_a_long_name';
    my $html = $ua->get('/api/auth/profile')->content;
    like $html, qr/<form[^>]*data-confirm="Delete your resume [^"]*\Q$name\E[^"]*"/,
        'resume_delete_asks_first_and_names_the_file';
    like $html, qr/<dd class="resume-name">\Q$name\E<\/dd>/, 'the_long_name_is_shown_whole';
}

# --- forgot password: "Check your inbox (ADDRESS)" -----------------------------------
{
    my $b = browser();
    my $csrf = csrf_from($b->get('/auth/reset')->content);
    my $res = form_post($b, '/auth/reset', {csrf => $csrf, email => uc $email});
    is $res->code, 303, 'forgot_password_form_is_303';
    my $html = $b->get($res->header('Location'))->content;
    like $html, qr/Check your inbox \(\Q$email\E\)/, 'forgot_password_says_check_your_inbox_with_the_address';
    like $b->get($res->header('Location'))->content, qr/If an account exists for that address/,
        'a_reload_keeps_the_neutral_notice_without_the_address';
}

# --- the notice's address comes only from our own cookie, and only an address ----------
{
    require MIME::Base64;
    for my $planted ('Call +1 555 0100 to unlock your account', '<b>x</b>@example.com',
                     "a\@example.com\r\nX: y") {
        my $v = MIME::Base64::encode_base64url($planted);
        my $res = raw_req(GET => '/auth/reset?sent=1', undef, Accept => 'text/html',
                          Cookie => "deskauth_sent=$v");
        my $shown = $res->content =~ /Check your inbox/;
        ok !$shown && $res->content !~ /Call \+1 555|<b>x<\/b>/,
            'a_planted_notice_cookie_shows_nothing: ' . ($planted =~ s/\W+/_/gr);
    }
}

# --- signed out ----------------------------------------------------------------------
{
    my $csrf = csrf_from($ua->get('/api/auth/profile')->content);
    my $res = form_post($ua, '/auth/logout', {csrf => $csrf});
    is $res->code, 303, 'sign_out_is_303';
    like $ua->get($res->header('Location'))->content, qr/You are signed out\./,
        'the_sign_in_page_says_you_are_signed_out';
}

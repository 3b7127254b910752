# interface.md, Mail: email verification. Sign-up mails a one-time link to
# deskauth-verify; opening it (GET) confirms the address; a new link can be
# asked for with a neutral answer. Mails are read from t/bin/capture-mail.
#
# DeskAuthRequireVerifiedEmail on is tested on a server of its own, in
# t/api/verified_required.t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use URI ();
use DeskAuthTest;
use DeskAuthMail;

plan tests => 59;

my $VERIFY  = '/auth/verify';
my $SUBJECT = qr/^Confirm your email address\b/;
my $RESENT  = 'If that address has an account waiting for confirmation, a new link has been sent';
my @tokens_seen;

sub path_of { my $u = URI->new(shift // ''); return $u->path_query }

# Two assertions: status and the error code of the JSON error shape.
sub error_is {
    my ($res, $json, $status, $code, $name) = @_;
    is $res->code, $status, "${name}_is_$status";
    is ref $json eq 'HASH' ? $json->{error} // '' : '', $code, "${name}_error_is_$code"
        or diag $res->content;
}

sub profile_of {
    my ($access) = @_;
    my ($res, $json) = json_req(GET => '/api/auth/profile', undef, bearer($access // ''));
    return ref $json eq 'HASH' && ref $json->{data} eq 'HASH' ? $json->{data}{user} || {} : {};
}

my $mark = -s error_log_path() // 0;

# --- sign-up sends the link ----------------------------------------------------

my ($rres, $reg, $f) = register_user();
is $rres->code, 201, 'verify_setup_signup_is_201';
ok ref $reg eq 'HASH' && JSON::PP::is_bool($reg->{user}{emailVerified})
       && !$reg->{user}{emailVerified},
    'signup_user_emailVerified_is_false';

my $mail = wait_mail($f->{email}, $SUBJECT);
ok defined $mail, 'signup_sends_a_confirmation_mail_to_the_address';
is mail_header($mail, 'From'), 'noreply@deskauth.test', 'mail_from_is_DeskAuthMailFrom';
is mail_header($mail, 'MIME-Version'), '1.0', 'mail_has_MIME_Version_1_0';
like mail_header($mail, 'Content-Type') // '', qr{^text/plain;\s*charset=utf-8$}i,
    'mail_is_text_plain_utf8';
is mail_header($mail, 'Content-Transfer-Encoding'), '8bit', 'mail_is_8bit';
like mail_header($mail, 'Date') // '',
    qr/^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/,
    'mail_Date_is_rfc5322';
like mail_header($mail, 'Message-ID') // '', qr/^<[^<>\s@]+@[^<>\s@]+>$/,
    'mail_has_a_Message_ID';

my $link = mail_link($mail, $VERIFY);
like $link // '', qr{^\Q${\ url($VERIFY)}\E\?token=[A-Za-z0-9_-]{43}$},
    'mail_link_is_the_absolute_verify_url_with_a_43_char_token'
    or diag "mail: " . ($mail // 'none');
my $token = link_token($link);
push @tokens_seen, $token if $token;

# --- opening the link ----------------------------------------------------------

{
    # HEAD, as mail scanners and link previewers send it, does nothing.
    my ($head) = json_req(HEAD => path_of($link));
    is $head->code, 200, 'HEAD_of_the_link_is_200';
    ok !profile_of($reg->{tokens}{accessToken})->{emailVerified},
        'HEAD_of_the_link_confirms_nothing';
}
{
    my ($res, $json) = json_req(GET => path_of($link));
    is $res->code, 200, 'opening_the_link_is_200' or diag $res->content;
    ok ref $json eq 'HASH' && JSON::PP::is_bool($json->{success}) && $json->{success},
        'opening_the_link_answers_success_true';
    ok ref $json eq 'HASH' && $json->{data}{user}{emailVerified},
        'opening_the_link_answers_the_user_with_emailVerified_true';
}
ok profile_of($reg->{tokens}{accessToken})->{emailVerified},
    'after_the_link_the_profile_has_emailVerified_true';
{
    my ($res, $json) = login_user($f->{email}, $f->{password});
    ok $res->code == 200 && $json->{user}{emailVerified},
        'after_the_link_sign_in_reports_emailVerified_true';
}
{
    my ($res, $json) = json_req(GET => path_of($link));
    error_is($res, $json, 400, 'invalid_request', 'link_second_use');
}
{
    my $forged = join '', map { ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_')[rand 64] } 1 .. 43;
    my ($res, $json) = json_req(GET => "$VERIFY?token=$forged");
    error_is($res, $json, 400, 'invalid_request', 'forged_token');
}
{
    my ($res, $json) = json_req(GET => "$VERIFY?token=short");
    error_is($res, $json, 400, 'invalid_request', 'malformed_token');
}
{
    my ($res, $json) = json_req(GET => $VERIFY);
    error_is($res, $json, 400, 'invalid_request', 'json_GET_without_token');
}

# --- in a browser ---------------------------------------------------------------

my ($r2, $reg2, $f2) = register_user();
my $mail2 = wait_mail($f2->{email}, $SUBJECT);
my $link2 = mail_link($mail2, $VERIFY);
push @tokens_seen, link_token($link2) if $link2;
{
    my $ua = browser();
    my $page = $ua->get(path_of($link2));
    is $page->code, 200, 'browser_opening_the_link_is_200';
    like $page->content, qr/Email confirmed/, 'browser_page_says_email_confirmed';
    like $page->header('Content-Type') // '', qr{^text/html\b}i, 'browser_page_is_html';
    # A second click (or a mail scanner that opened it first) on the link
    # of a confirmed address is no error: the page says so.
    my $again = $ua->get(path_of($link2));
    is $again->code, 200, 'browser_second_use_of_a_confirmed_address_is_200';
    like $again->content, qr{<h1[^>]*>Already confirmed</h1>},
        'browser_second_use_says_already_confirmed';
    unlike $again->content, qr/invalid, has expired/,
        'browser_second_use_does_not_say_invalid';
}
ok profile_of($reg2->{tokens}{accessToken})->{emailVerified},
    'browser_link_sets_emailVerified_true';

# --- asking for a new link -----------------------------------------------------

my ($r3, $reg3, $f3) = register_user();
my $first3 = wait_mail($f3->{email}, $SUBJECT);
push @tokens_seen, link_token(mail_link($first3, $VERIFY)) // ();
my ($known_res, $known) = json_req(POST => $VERIFY, {email => uc $f3->{email}});
is $known_res->code, 200, 'resend_for_an_unverified_address_is_200';
is ref $known eq 'HASH' ? $known->{message} : '', $RESENT, 'resend_answer_is_neutral';
my ($unknown_res) = json_req(POST => $VERIFY, {email => unique_email()});
is $unknown_res->code, 200, 'resend_for_an_unknown_address_is_200';
is $unknown_res->content, $known_res->content,
    'resend_unknown_and_unverified_give_byte_identical_answers';
my ($verified_res) = json_req(POST => $VERIFY, {email => $f->{email}});
is $verified_res->content, $known_res->content,
    'resend_for_a_verified_address_gives_the_same_answer';

my $second3 = wait_mail($f3->{email}, $SUBJECT, 2);
ok defined $second3, 'resend_mails_a_second_link';
my $link3 = mail_link($second3, $VERIFY);
push @tokens_seen, link_token($link3) // ();
isnt $link3 // '', mail_link($first3, $VERIFY) // '', 'resent_link_is_a_new_token';
{
    my ($res) = json_req(GET => path_of($link3));
    is $res->code, 200, 'resent_link_confirms_the_address';
}
ok profile_of($reg3->{tokens}{accessToken})->{emailVerified},
    'resent_link_sets_emailVerified_true';

# the signed-in person, no body
my ($r4, $reg4, $f4) = register_user();
wait_mail($f4->{email}, $SUBJECT);
{
    my ($res, $json) = json_req(POST => $VERIFY, undef, bearer($reg4->{tokens}{accessToken}));
    is $res->code, 200, 'resend_for_the_signed_in_caller_is_200';
    my $m = wait_mail($f4->{email}, $SUBJECT, 2);
    ok defined $m, 'resend_for_the_signed_in_caller_mails_their_address';
    push @tokens_seen, link_token(mail_link($m, $VERIFY)) // ();
}
{
    my ($res, $json) = json_req(POST => $VERIFY, {});
    error_is($res, $json, 400, 'invalid_request', 'resend_without_email_or_session');
    like $json->{message} // '', qr/^email\b/, 'resend_without_email_message_names_email';
}
{
    my ($res, $json) = json_req(POST => $VERIFY, {email => 'not an address'});
    error_is($res, $json, 400, 'invalid_request', 'resend_invalid_email');
}

# nothing for the verified or unknown addresses
is scalar(mails_to($f->{email}, $SUBJECT)), 1, 'no_new_mail_for_an_already_verified_address';

# the page form
{
    my $ua = browser();
    my $page = $ua->get($VERIFY);
    is $page->code, 200, 'verify_page_is_200';
    my $csrf = csrf_from($page->content);
    ok defined $csrf, 'verify_page_form_has_a_csrf_token';
    my $res = form_post($ua, $VERIFY, {csrf => $csrf // '', email => unique_email()});
    is $res->code, 303, 'verify_page_form_post_is_303';
    like $res->header('Location') // '', qr{^(?:https?://[^/]+)?\Q$VERIFY\E\?sent=1$},
        'verify_page_form_post_goes_to_the_sent_notice';
    my $sent = $ua->get("$VERIFY?sent=1");
    like $sent->content, qr/If that address has an account waiting for confirmation/,
        'verify_sent_page_shows_the_neutral_notice';
    my $bad = form_post($ua, $VERIFY, {csrf => 'wrong', email => unique_email()});
    is $bad->code, 403, 'verify_page_form_without_csrf_is_403';
}
{
    my ($res) = json_req(PUT => $VERIFY, {});
    is $res->code, 405, 'verify_PUT_is_405';
}

# --- a failing mailer does not break sign-up -----------------------------------

{
    my $email = 'mailfail' . unique_email();
    my ($res) = register_user(email => $email);
    is $res->code, 201, 'signup_with_a_failing_mailer_still_succeeds';
    my $log = '';
    for (1 .. 50) {
        $log = error_log_since($mark);
        last if $log =~ /DA00203/;
        select undef, undef, undef, 0.1;
    }
    like $log, qr/DA00203: the mail command \S+ failed \(exit status 75\): verify mail for account \S+ not sent/,
        'failing_mailer_is_logged_once_with_its_exit_status';
}

# --- no link in the log ----------------------------------------------------------

{
    my $log = module_log_since($mark);
    my @leaked = grep { index($log, $_) >= 0 } grep { defined && length } @tokens_seen;
    ok @tokens_seen >= 4 && !@leaked, 'no_verification_token_appears_in_the_error_log'
        or diag scalar(@leaked) . ' of ' . scalar(@tokens_seen) . ' tokens in the log';
}

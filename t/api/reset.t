# interface.md, Mail: "Forgot password" (deskauth-reset). Always the same neutral
# answer; the owner gets a one-time link (30 min) by mail; setting a new
# password through it revokes every session of the account.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use URI ();
use DeskAuthTest;
use DeskAuthMail;
use DeskAuthLoad;

plan tests => 54 + 2 * 4;

my $RESET    = '/auth/reset';
my $SUBJECT  = qr/^Reset your password\b/;
my $NEUTRAL  = 'If an account exists for that address, a reset link has been sent';
my $PASSWORD = 'correct horse 1';
my @tokens_seen;

sub path_of { my $u = URI->new(shift // ''); return $u->path_query }

sub error_is {
    my ($res, $json, $status, $code, $name) = @_;
    is $res->code, $status, "${name}_is_$status";
    is ref $json eq 'HASH' ? $json->{error} // '' : '', $code, "${name}_error_is_$code"
        or diag $res->content;
}

# The next reset link mailed to $email (the $n-th reset mail), remembered
# for the log check at the end.
sub reset_link {
    my ($email, $n) = @_;
    my $link = mail_link(wait_mail($email, $SUBJECT, $n), $RESET);
    push @tokens_seen, link_token($link) if $link;
    return $link;
}

my $mark = -s error_log_path() // 0;

# --- an account with three sessions --------------------------------------------

my ($rres, $reg, $f) = register_user(password => $PASSWORD);
is $rres->code, 201, 'reset_setup_signup_is_201';
my ($l1, $login1) = login_user($f->{email}, $PASSWORD);
is $l1->code, 200, 'reset_setup_login_is_200';
my @access  = ($reg->{tokens}{accessToken}, $login1->{tokens}{accessToken});
my $refresh = $login1->{tokens}{refreshToken};
my $cookie_ua = browser();
{
    my $page = $cookie_ua->get('/auth/login');
    my $res = form_post($cookie_ua, '/auth/login',
        {csrf => csrf_from($page->content) // '', email => $f->{email}, password => $PASSWORD});
    is $res->code, 303, 'reset_setup_browser_signin_is_303';
}

# --- the neutral answer ----------------------------------------------------------

my ($unknown_res, $unknown) = json_req(POST => $RESET, {email => unique_email()});
my ($known_res, $known) = json_req(POST => $RESET, {email => "  \U$f->{email}\E "});
is $known_res->code, 200, 'reset_request_for_a_known_address_is_200';
is $unknown_res->code, 200, 'reset_request_for_an_unknown_address_is_200';
ok ref $known eq 'HASH' && JSON::PP::is_bool($known->{success}) && $known->{success},
    'reset_request_answers_success_true';
is ref $known eq 'HASH' ? $known->{message} : '', $NEUTRAL, 'reset_request_message_is_neutral';
is $known_res->content, $unknown_res->content,
    'reset_unknown_and_known_address_give_byte_identical_bodies';
is lc($known_res->header('Connection') // ''), 'close',
    'reset_request_answer_closes_the_connection';

my $link1 = reset_link($f->{email}, 1);
like $link1 // '', qr{^\Q${\ url($RESET)}\E\?token=[A-Za-z0-9_-]{43}$},
    'reset_mail_has_the_absolute_reset_url_with_a_token';
like mail_body(wait_mail($f->{email}, $SUBJECT)) // '', qr/30 minutes/,
    'reset_mail_says_the_link_lasts_30_minutes';

{
    my ($res, $json) = json_req(POST => $RESET, {});
    error_is($res, $json, 400, 'invalid_request', 'reset_request_without_email');
    like $json->{message} // '', qr/^email\b/, 'reset_request_without_email_names_email';
}

# the page: same 303 for a known and an unknown address
my $ua = browser();
my $form_link;
{
    my $page = $ua->get($RESET);
    is $page->code, 200, 'reset_page_is_200';
    like $page->content, qr/<input\b[^>]*\bname="email"/i, 'reset_page_has_an_email_field';
    my $csrf = csrf_from($page->content) // '';
    my $a = form_post($ua, $RESET, {csrf => $csrf, email => unique_email()});
    my $b = form_post($ua, $RESET, {csrf => $csrf, email => $f->{email}});
    is $b->code, 303, 'reset_page_form_post_is_303';
    ok $a->code == $b->code && ($a->header('Location') // '') eq ($b->header('Location') // '')
           && $a->content eq $b->content,
        'reset_page_unknown_and_known_address_give_the_same_answer';
    my $sent = $ua->get($b->header('Location') // "$RESET?sent=1");
    like $sent->content, qr/If an account exists for that address, we sent a link/,
        'reset_sent_page_shows_the_neutral_notice';
    my $bad = form_post($ua, $RESET, {csrf => 'wrong', email => $f->{email}});
    is $bad->code, 403, 'reset_page_form_without_csrf_is_403';
    $form_link = reset_link($f->{email}, 2);
    ok defined $form_link && $form_link ne ($link1 // ''),
        'reset_page_form_mails_another_link';
}

# --- the link opens a form -------------------------------------------------------

{
    my $page = $ua->get(path_of($link1));
    is $page->code, 200, 'reset_link_page_is_200';
    my $html = $page->content;
    ok $html =~ /<form\b[^>]*method="post"/i
           && $html =~ /<input\b[^>]*\bname="password"[^>]*type="password"/i
           && $html =~ /<input\b[^>]*\bname="confirm"/i,
        'reset_link_page_has_a_new_password_form';
    like $html, qr/<input type="hidden" name="token" value="\Q${\ link_token($link1)}\E">/,
        'reset_link_page_carries_the_token_hidden';
    my $res = form_post($ua, $RESET, {csrf => csrf_from($html) // '',
        token => link_token($link1), password => 'new horse 22', confirm => 'other horse 22'});
    is $res->code, 400, 'reset_form_with_different_confirmation_is_400';
    like $res->content, qr/not the same/, 'reset_form_says_the_passwords_differ';
}
{
    my $page = $ua->get("$RESET?token=" . ('x' x 43));
    is $page->code, 400, 'reset_page_with_a_forged_token_is_400';
}

# --- refused passwords keep the link ---------------------------------------------

{
    my ($res, $json) = json_req(POST => $RESET, {token => link_token($link1), password => 'short'});
    error_is($res, $json, 400, 'invalid_request', 'reset_short_password');
    like $json->{message} // '', qr/^password must be at least 8 characters/,
        'reset_short_password_message';
}
{
    my ($res, $json) = json_req(POST => $RESET, {token => link_token($link1), password => 'x' x 73});
    error_is($res, $json, 400, 'invalid_request', 'reset_73_byte_password');
    like $json->{message} // '', qr/^password must be at most 72 bytes/,
        'reset_long_password_message';
}

# --- a new password --------------------------------------------------------------

my $NEW = 'battery staple 2';
{
    my ($res, $json) = json_req(POST => $RESET, {token => link_token($link1), password => $NEW});
    is $res->code, 200, 'reset_with_the_link_is_200' or diag $res->content;
    ok ref $json eq 'HASH' && $json->{success}, 'reset_answers_success_true';
}
{
    my ($res) = login_user($f->{email}, $PASSWORD);
    is $res->code, 401, 'after_reset_the_old_password_fails';
    my ($res2, $json2) = login_user($f->{email}, $NEW);
    is $res2->code, 200, 'after_reset_the_new_password_works';
    ok $json2->{user}{emailVerified}, 'after_reset_the_address_is_confirmed';
}
for my $i (0 .. $#access) {
    my ($res) = json_req(GET => '/api/auth/profile', undef, bearer($access[$i] // ''));
    is $res->code, 401, "after_reset_earlier_session_${i}_access_token_is_401";
}
{
    my ($res) = json_req(POST => '/auth/logout', undef, bearer($access[1] // ''));
    is $res->code, 401, 'after_reset_logout_with_an_earlier_token_is_401';
    my ($rr) = json_req(POST => '/auth/token', {refreshToken => $refresh // ''});
    is $rr->code, 401, 'after_reset_an_earlier_refresh_token_is_refused';
    my $page = $cookie_ua->get('/api/auth/profile');
    isnt $page->code, 200, 'after_reset_the_earlier_browser_session_is_signed_out';
}
{
    my ($res, $json) = json_req(POST => $RESET, {token => link_token($link1), password => 'third horse 3'});
    error_is($res, $json, 400, 'invalid_request', 'reset_link_second_use');
}
{
    my $page = $ua->get(path_of($form_link));
    is $page->code, 400, 'reset_other_links_of_the_account_die_with_the_reset';
}

# --- the whole browser flow ------------------------------------------------------

json_req(POST => $RESET, {email => $f->{email}});
my $link3 = reset_link($f->{email}, 3);
my $NEWER = 'third horse 3';
{
    my $page = $ua->get(path_of($link3));
    my $res = form_post($ua, $RESET, {csrf => csrf_from($page->content) // '',
        token => link_token($link3), password => $NEWER, confirm => $NEWER});
    is $res->code, 303, 'reset_form_success_is_303';
    my $loc = $res->header('Location') // '';
    like $loc, qr{^(?:https?://[^/]+)?/auth/login\?password_reset=1$},
        'reset_form_goes_to_the_sign_in_page';
    my $login = $ua->get($loc);
    like $login->content, qr/Your password has been changed/,
        'sign_in_page_shows_the_password_changed_notice';
    my ($ok) = login_user($f->{email}, $NEWER);
    is $ok->code, 200, 'reset_by_form_sets_the_password';
}
{
    my $page = $ua->get('/auth/login');
    like $page->content, qr{<a href="/auth/reset">Forgot password\?</a>},
        'sign_in_page_links_to_forgot_password';
}
{
    my ($res) = json_req(DELETE => $RESET);
    is $res->code, 405, 'reset_DELETE_is_405';
}

# --- under concurrent load: nothing sent after the reset's answer succeeds ----------
# Six clients keep using three sessions of the account (two Bearer tokens, one
# browser cookie) while the password is reset, by JSON and by the form. The
# sessions must be forgotten only once the reset is committed: forgotten
# before, a check in between caches "valid" again from the old snapshot.

for my $how (qw(json form)) {
    my (undef, undef, $lf) = register_user();
    my $requests = session_requests($lf->{email}, $PASSWORD);
    json_req(POST => $RESET, {email => $lf->{email}});
    my $token = link_token(reset_link($lf->{email}, 1));
    my $new = "load horse $how 9";
    my $lua = browser();
    my $page = $lua->get("$RESET?token=" . ($token // ''));
    my $run = under_load(requests => $requests, action => sub {
        return $how eq 'json'
            ? (json_req(POST => $RESET, {token => $token, password => $new}))[0]->code
            : form_post($lua, $RESET, {csrf => csrf_from($page->content) // '', token => $token,
                                       password => $new, confirm => $new})->code;
    });
    is $run->{action_result}[0], $how eq 'json' ? 200 : 303, "reset_under_load_by_${how}_succeeds";
    ok((grep { $_->[0] < $run->{done} && $_->[1] == 200 } @{ $run->{rows} }) > 0,
       "reset_under_load_by_${how}_sessions_worked_before");
    cmp_ok sent_after($run), '>=', 20, "reset_under_load_by_${how}_requests_kept_coming_after";
    my @late = late_successes($run);
    is scalar @late, 0, "reset_under_load_by_${how}_nothing_sent_after_the_answer_succeeds"
        or diag scalar(@late) . ' late 200s, the last sent '
                . sprintf('%.3f s', $late[-1][0] - $run->{done}) . ' after the answer';
}

# --- no link in the log ------------------------------------------------------------

{
    my $log = module_log_since($mark);
    my @leaked = grep { index($log, $_) >= 0 } @tokens_seen;
    ok @tokens_seen >= 3 && !@leaked, 'no_reset_token_appears_in_the_error_log'
        or diag scalar(@leaked) . ' of ' . scalar(@tokens_seen) . ' tokens in the log';
    unlike $log, qr/\Q$NEW\E|\Q$NEWER\E/, 'no_new_password_appears_in_the_error_log';
}

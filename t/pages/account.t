# docs/interface.md "Account changes": the signed-in person changes the
# password, changes the email address (a link mailed to the new address
# makes the change) and deletes the account, through the JSON API
# (POST <profile URL>/password, POST <profile URL>/email, DELETE <profile
# URL>) and through the profile page's forms (CSRF). Each asks for the
# current password again; each refusal is tried in several forms.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use URI ();
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthMail;

plan tests => 66;

my $PROFILE = '/api/auth/profile';
my $PW      = 'correct horse 1';
my $NEW_PW  = 'battery staple 2';

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
sub path_of { my $u = URI->new(shift // ''); return $u->path_query }

# An account signed in through the API: (email, access token, refresh token).
sub account {
    my ($res, $j, $f) = register_user(password => $PW);
    my $t = h(h($j)->{tokens});
    return (lc $f->{email}, $t->{accessToken}, $t->{refreshToken});
}

sub api {
    my ($method, $path, $token, $data, @headers) = @_;
    return json_req($method => "$PROFILE$path", $data, bearer($token), @headers);
}

sub signs_in { my ($e, $p) = @_; my ($res) = login_user($e, $p); return $res->code == 200 }
sub token_works {
    my ($t) = @_;
    my ($res) = json_req(GET => $PROFILE, undef, bearer($t));
    return $res->code == 200;
}

# A browser signed in through the sign-up form: (ua, email, the profile page).
sub browser_account {
    my $ua = browser();
    my $email = unique_email();
    my $csrf = csrf_from($ua->get('/auth/register')->content);
    my $res = form_post($ua, '/auth/register', {csrf => $csrf, email => $email,
        password => $PW, firstName => 'Ada', lastName => 'Lovelace'});
    my $page = $ua->get($PROFILE);
    return ($ua, lc $email, $page);
}

# The audit rows (deskauthctl audit, oldest first) naming the address: read
# without --user, which looks the account up (a deleted one is gone).
sub audit_events {
    my ($email) = @_;
    my (undef, $out) = deskauthctl_output('audit');
    return join '', grep { /\t\Q$email\E\t/ } split /^/m, $out // '';
}

# --- change password: JSON -------------------------------------------------------
{
    my ($email, $access, $refresh) = account();
    my (undef, $other) = login_user($email, $PW);
    my $other_access = h(h($other)->{tokens})->{accessToken};

    my ($res, $j) = api(POST => '/password', $access, {currentPassword => 'wrong horse 9',
                                                        newPassword => $NEW_PW});
    is $res->code, 401, 'password_change_with_a_wrong_current_password_is_401';
    is h($j)->{error}, 'invalid_credentials', 'password_change_wrong_current_is_invalid_credentials';
    ($res, $j) = api(POST => '/password', $access, {newPassword => $NEW_PW});
    is $res->code, 400, 'password_change_without_current_password_is_400';
    like h($j)->{message} // '', qr/^password is required/, 'password_change_names_the_missing_field';
    ($res, $j) = api(POST => '/password', $access, {currentPassword => $PW, newPassword => 'short'});
    is $res->code, 400, 'password_change_with_a_short_new_password_is_400';
    like h($j)->{message} // '', qr/^newPassword must be at least/, 'password_change_names_newPassword';
    ($res, $j) = api(POST => '/password', $access, {currentPassword => $PW,
                                                    newPassword => 'x' x 73});
    is $res->code, 400, 'password_change_over_72_bytes_is_400';
    ok signs_in($email, $PW), 'refused_changes_leave_the_password_as_it_was';

    ($res) = json_req(POST => "$PROFILE/password", {currentPassword => $PW, newPassword => $NEW_PW});
    is $res->code, 401, 'password_change_without_a_token_is_401';
    ($res) = api(GET => '/password', $access);
    is $res->code, 405, 'password_change_GET_is_405';

    ($res, $j) = api(POST => '/password', $access, {currentPassword => $PW, newPassword => $NEW_PW});
    is $res->code, 200, 'password_change_is_200';
    is h($j)->{message}, 'Password changed', 'password_change_says_password_changed';
    ok !signs_in($email, $PW), 'the_old_password_no_longer_signs_in';
    ok signs_in($email, $NEW_PW), 'the_new_password_signs_in';
    ok token_works($access), 'the_session_that_changed_it_keeps_working';
    ok !token_works($other_access), 'every_other_session_is_signed_out';
    like audit_events($email), qr/\tpassword_changed\t\Q$email\E\t/, 'password_change_writes_an_audit_row';
}

# --- change password: the page ------------------------------------------------
{
    my ($ua, $email, $page) = browser_account();
    like $page->content, qr/<input\b[^>]*name="newPassword"/, 'profile_page_has_a_change_password_form';
    my $csrf = csrf_from($page->content);
    my $res = form_post($ua, $PROFILE, {action => 'account-password', password => $PW,
                                        newPassword => $NEW_PW, confirm => $NEW_PW});
    is $res->code, 403, 'password_form_without_csrf_is_403';
    $res = form_post($ua, $PROFILE, {csrf => $csrf, action => 'account-password', password => $PW,
                                     newPassword => $NEW_PW, confirm => $NEW_PW},
                     Origin => 'https://evil.example');
    is $res->code, 403, 'password_form_from_a_foreign_origin_is_403';
    $res = form_post($ua, $PROFILE, {csrf => $csrf, action => 'account-password', password => '',
                                     newPassword => 'short', confirm => 'other'});
    is $res->code, 400, 'password_form_with_errors_is_400';
    my $html = $res->content;
    like $html, qr/There are 2 problems/, 'password_form_shows_every_error_at_once';
    like $html, qr/Use at least \d+ characters for your password/, 'password_form_says_it_in_words_for_people';
    like $html, qr/<details class="action" open>\s*<summary>Change your password/,
        'password_form_stays_open_after_a_refusal';
    ok signs_in($email, $PW), 'refused_form_leaves_the_password';
    $res = form_post($ua, $PROFILE, {csrf => $csrf, action => 'account-password', password => $PW,
                                     newPassword => $NEW_PW, confirm => $NEW_PW});
    is $res->code, 303, 'password_form_is_303';
    like $ua->get($res->header('Location'))->content, qr/Your password was changed/,
        'profile_page_says_the_password_was_changed';
    ok signs_in($email, $NEW_PW), 'password_form_sets_the_new_password';
}

# --- change email -------------------------------------------------------------------
{
    my ($email, $access) = account();
    my ($taken) = account();
    my $new = unique_email();
    my ($res, $j) = api(POST => '/email', $access, {newEmail => $new, password => 'wrong horse 9'});
    is $res->code, 401, 'email_change_with_a_wrong_password_is_401';
    ($res, $j) = api(POST => '/email', $access, {newEmail => 'not an address', password => $PW});
    is $res->code, 400, 'email_change_to_a_malformed_address_is_400';
    like h($j)->{message} // '', qr/^newEmail/, 'email_change_names_newEmail';
    ($res, $j) = api(POST => '/email', $access, {newEmail => uc $taken, password => $PW});
    is $res->code, 409, 'email_change_to_an_address_in_use_is_409';
    is h($j)->{error}, 'user_exists', 'email_change_to_an_address_in_use_is_user_exists';
    ($res, $j) = api(POST => '/email', $access, {newEmail => "$new\r\nBcc: x\@evil.example",
                                                 password => $PW});
    is $res->code, 400, 'email_change_with_a_header_injection_is_400';

    ($res, $j) = api(POST => '/email', $access, {newEmail => $new, password => $PW});
    is $res->code, 200, 'email_change_is_200';
    my $mail = wait_mail(lc $new, qr/^Confirm your new email address\b/);
    ok $mail, 'a_link_is_mailed_to_the_new_address';
    ok signs_in($email, $PW), 'the_address_stays_until_the_link_is_opened';
    my $link = mail_link($mail, '/auth/verify');
    my $ua = browser();
    my $page = $ua->get(path_of($link));
    is $page->code, 200, 'opening_the_new_address_link_is_200';
    like $page->content, qr/\Q${\ lc $new}\E/, 'the_page_names_the_new_address';
    ok signs_in(lc $new, $PW), 'the_new_address_signs_in';
    ok !signs_in($email, $PW), 'the_old_address_no_longer_signs_in';
    my ($pr, $pj) = json_req(GET => $PROFILE, undef, bearer($access));
    my $u = h(h(h($pj)->{data})->{user});
    ok $u->{email} eq lc $new && $u->{emailVerified}, 'the_profile_has_the_new_confirmed_address';
    like audit_events(lc $new), qr/\temail_changed\t/, 'email_change_writes_an_audit_row';
    is $ua->get(path_of($link))->code, 200, 'opening_it_again_says_already_confirmed';
    ok signs_in(lc $new, $PW), 'a_second_open_changes_nothing';
}

# --- delete account ---------------------------------------------------------------
{
    my ($email, $access, $refresh) = account();
    my ($res, $j) = api(DELETE => '', $access, {password => 'wrong horse 9'});
    is $res->code, 401, 'delete_with_a_wrong_password_is_401';
    ($res, $j) = api(DELETE => '', $access, {});
    is $res->code, 400, 'delete_without_a_password_is_400';
    ($res) = json_req(DELETE => $PROFILE, {password => $PW});
    is $res->code, 401, 'delete_without_a_token_is_401';
    ($res) = json_req(DELETE => $PROFILE, {password => $PW}, bearer($access),
                      'Content-Type' => 'text/plain');
    ok $res->code == 415 || $res->code == 400, 'delete_without_json_is_refused';
    ok token_works($access) && signs_in($email, $PW), 'refused_deletes_delete_nothing';

    ($res, $j) = api(DELETE => '', $access, {password => $PW});
    is $res->code, 200, 'delete_is_200';
    is h($j)->{message}, 'Account deleted', 'delete_says_account_deleted';
    ok !token_works($access), 'every_session_ends';
    my ($rr) = json_req(POST => '/auth/token', {refreshToken => $refresh});
    isnt $rr->code, 200, 'the_refresh_token_is_dead';
    ok !signs_in($email, $PW), 'the_account_cannot_sign_in';
    my $events = audit_events($email);
    like $events, qr/\tsign_up\t/, 'the_audit_rows_stay';
    like $events, qr/\taccount_deleted\t/, 'delete_writes_an_account_deleted_row';
    my ($again) = register_user(email => $email, password => $PW);
    is $again->code, 201, 'the_address_can_sign_up_again';
}

# --- delete account: the page --------------------------------------------------------
{
    my ($ua, $email, $page) = browser_account();
    like $page->content, qr/<form\b[^>]*data-confirm="Delete the account/,
        'delete_form_asks_first';
    my $csrf = csrf_from($page->content);
    my $res = form_post($ua, $PROFILE, {action => 'account-delete', password => $PW});
    is $res->code, 403, 'delete_form_without_csrf_is_403';
    $res = form_post($ua, $PROFILE, {csrf => $csrf, action => 'account-delete', password => 'nope'});
    is $res->code, 401, 'delete_form_with_a_wrong_password_is_401';
    like $res->content, qr/This is not your current password/, 'delete_form_says_why';
    $res = form_post($ua, $PROFILE, {csrf => $csrf, action => 'account-delete', password => $PW});
    is $res->code, 303, 'delete_form_is_303';
    like $res->header('Location') // '', qr{/auth/login\?account_deleted=1$},
        'delete_form_goes_to_the_sign_in_page';
    like $ua->get($res->header('Location'))->content, qr/Your account was deleted/,
        'the_sign_in_page_says_the_account_was_deleted';
    ok !signs_in($email, $PW), 'delete_form_deletes_the_account';
}

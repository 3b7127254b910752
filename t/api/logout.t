# interface.md, Sessions and sign-out "POST /auth/logout ends the current session", Tokens (the session
# check of every token), docs/behaviour.md "Logout".
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use DeskAuthTest;

plan tests => 24;

my $LOGOUT  = '/auth/logout';
my $PROFILE = '/api/auth/profile';


sub error_ok {
    my ($res, $status, $code, $name) = @_;
    my $j = jbody($res);
    is $res->code, $status, "${name}_status_is_$status";
    is_deeply [sort keys %{ ref $j eq 'HASH' ? $j : {} }],
        [qw(error message success)],
        "${name}_body_has_exactly_success_error_message";
    ok(ref $j eq 'HASH'
           && JSON::PP::is_bool($j->{success}) && !$j->{success}
           && defined $j->{error} && $j->{error} eq $code
           && defined $j->{message} && !ref $j->{message} && length $j->{message},
       "${name}_is_success_false_error_${code}_with_message")
        or diag 'body: ' . $res->content;
}

sub status_with { my ($tok, $path) = @_; my ($r) = json_req(GET => $path // $PROFILE, undef, bearer($tok)); $r }

my ($rres, undef, $f) = register_user();
my $a_tok = (jbody($rres) || {})->{tokens}{accessToken} // '';
my ($lres) = login_user($f->{email}, $f->{password});
my $b_tok = (jbody($lres) || {})->{tokens}{accessToken} // '';

is $rres->code, 201, 'logout_setup_registration_is_201';
is $lres->code, 200, 'logout_setup_second_session_by_login_is_200';
is status_with($a_tok)->code, 200, 'logout_before_logout_the_access_token_opens_the_profile';

# --- logout with a Bearer token ---------------------------------------------

{
    my ($r) = json_req(POST => $LOGOUT, {}, bearer($a_tok));
    my $j = jbody($r);
    is $r->code, 200, 'logout_with_bearer_is_200' or diag $r->content;
    like $r->header('Content-Type') // '', qr{^application/json\b}i,
        'logout_with_bearer_answers_json';
    is_deeply $j, { success => JSON::PP::true, message => 'Logged out' },
        'logout_body_is_success_true_message_logged_out';
}

# --- revocation: the same access token stops working at once -----------------

{
    my $r = status_with($a_tok);
    error_ok($r, 401, 'unauthorized', 'logout_revokes_the_session_so_its_access_token');
    like $r->header('WWW-Authenticate') // '', qr/^Bearer\b.*\berror="invalid_token"/,
        'logout_revoked_token_gets_WWW_Authenticate_error_invalid_token';
    is status_with($a_tok, '/api/auth/profile-with-token')->code, 401,
        'logout_revoked_token_is_refused_at_profile_with_token_too';
    my ($p) = json_req(PATCH => $PROFILE, { firstName => 'Revoked' }, bearer($a_tok));
    is $p->code, 401, 'logout_revoked_token_cannot_patch_the_profile';
}

# --- only that session ends -----------------------------------------------------

{
    my $r = status_with($b_tok);
    is $r->code, 200, 'logout_leaves_the_other_sessions_of_the_person_working';
    my $j = jbody($r) || {};
    is $j->{data}{user}{firstName}, 'Ada', 'logout_revoked_token_changed_nothing';
}

# --- a second logout with the same token, and logout without a token ----------

{
    my ($r) = json_req(POST => $LOGOUT, {}, bearer($a_tok));
    error_ok($r, 401, 'unauthorized', 'logout_twice_with_the_same_token');
}
{
    my ($r) = json_req(POST => $LOGOUT, {});
    error_ok($r, 401, 'unauthorized', 'logout_without_a_token');
}
{
    my ($r) = json_req(POST => $LOGOUT, {}, bearer('not.a.token'));
    error_ok($r, 401, 'unauthorized', 'logout_with_a_garbage_token');
}
{
    # a brand new sign-in works after a logout
    my ($r) = login_user($f->{email}, $f->{password});
    my $tok = (jbody($r) || {})->{tokens}{accessToken} // '';
    is status_with($tok)->code, 200, 'logout_does_not_stop_the_person_signing_in_again';
}

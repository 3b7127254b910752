# interface.md, Sign-up and sign-in: POST /auth/login (JSON API).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use MIME::Base64 ();
use LWP::UserAgent ();
use HTTP::Request ();
use DeskAuthTest;

plan tests => 55;

my $LOGIN   = '/auth/login';
my $RFC3339 = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
my %H = ('Content-Type' => 'application/json', 'Accept' => 'application/json');




sub claims {
    my $tok = shift // '';
    my (undef, $p) = split /\./, $tok;
    $p //= '';
    $p =~ tr{-_}{+/};
    $p .= '=' x ((4 - length($p) % 4) % 4);
    return eval { JSON::PP->new->utf8->decode(MIME::Base64::decode_base64($p)) } || {};
}

sub error_ok {
    my ($res, $status, $code, $name) = @_;
    my $j = jbody($res);
    is $res->code, $status, "${name}_status_is_$status";
    is_deeply [sort keys %{ ref $j eq 'HASH' ? $j : {} }],
        [qw(error message success)],
        "${name}_body_has_exactly_success_error_message";
    ok(ref $j eq 'HASH'
           && JSON::PP::is_bool($j->{success}) && !$j->{success}
           && jtype($j->{error}) eq 'string' && $j->{error} eq $code
           && jtype($j->{message}) eq 'string' && length $j->{message},
       "${name}_is_success_false_error_${code}_with_message")
        or diag 'body: ' . $res->content;
    return ref $j eq 'HASH' ? $j : {};
}

# --- a person registers, then signs in --------------------------------------

my ($rres, undef, $f) = register_user();
my $reg = jbody($rres) || {};
is $rres->code, 201, 'login_setup_registration_is_201';
my $ru = $reg->{user} || {};

select undef, undef, undef, 1.2;    # so that lastLoginAt must move on

my ($res) = login_user($f->{email}, $f->{password});
my $j = jbody($res) || {};
my $u = ref $j->{user} eq 'HASH' ? $j->{user} : {};
my $t = ref $j->{tokens} eq 'HASH' ? $j->{tokens} : {};

is $res->code, 200, 'login_valid_credentials_is_200'
    or diag $res->status_line . ' ' . $res->content;
like $res->header('Content-Type') // '', qr{^application/json\b}i,
    'login_answers_application_json';
ok JSON::PP::is_bool($j->{success}) && $j->{success}, 'login_success_is_json_true';
is $j->{message}, 'Login successful', 'login_message_is_login_successful';
ok JSON::PP::is_bool($j->{isNewUser}) && !$j->{isNewUser}, 'login_isNewUser_is_json_false';
is jtype($t->{accessToken}), 'string', 'login_tokens_accessToken_is_a_string';
is jtype($t->{refreshToken}), 'string', 'login_tokens_refreshToken_is_a_string';
is jtype($t->{expiresIn}), 'number', 'login_tokens_expiresIn_is_a_number';
is $t->{expiresIn}, 900, 'login_tokens_expiresIn_is_900';
is $t->{tokenType}, 'Bearer', 'login_tokens_tokenType_is_Bearer';
is_deeply [grep { !exists $u->{$_} } @USER_FIELDS], [],
    'login_user_object_has_every_field_of_spec_6_1';
ok defined $u->{id} && defined $ru->{id} && $u->{id} eq $ru->{id},
    'login_user_id_is_the_registered_id';
is $u->{email}, lc $f->{email}, 'login_user_email_is_the_registered_email';
is $u->{authType}, 'password', 'login_user_authType_is_password';
like $u->{lastLoginAt} // '', $RFC3339, 'login_lastLoginAt_is_rfc3339_utc';
ok defined $u->{lastLoginAt} && defined $ru->{lastLoginAt}
       && $u->{lastLoginAt} gt $ru->{lastLoginAt},
    'login_updates_lastLoginAt'
    or diag "registered: " . ($ru->{lastLoginAt} // 'undef') . " login: " . ($u->{lastLoginAt} // 'undef');
ok defined $u->{createdAt} && defined $ru->{createdAt}
       && $u->{createdAt} eq $ru->{createdAt},
    'login_leaves_createdAt_unchanged';

my ($sc) = grep { /^deskauth_session=[^;]+/ } $res->header('Set-Cookie');
ok defined $sc, 'login_sets_deskauth_session_cookie';
like $sc // '', qr/;\s*HttpOnly\b/i, 'login_session_cookie_is_HttpOnly';

my $c = claims($t->{accessToken});
ok defined $c->{sub} && defined $u->{id} && $c->{sub} eq $u->{id},
    'login_access_token_sub_is_user_id';
is $c->{exp} && $c->{iat} ? $c->{exp} - $c->{iat} : undef, 900,
    'login_access_token_lives_900_seconds';

{
    my ($pr) = json_req(GET => '/api/auth/profile', undef, bearer($t->{accessToken} // ''));
    is $pr->code, 200, 'login_access_token_opens_the_profile';
}

# each sign-in is its own session
my $rc = claims($reg->{tokens}{accessToken});
ok defined $c->{sid} && defined $rc->{sid} && $c->{sid} ne $rc->{sid},
    'login_starts_a_new_session_not_the_registration_one';
isnt $t->{refreshToken} // '', $reg->{tokens}{refreshToken} // '',
    'login_refresh_token_differs_from_registration_refresh_token';
{
    my ($r2) = login_user($f->{email}, $f->{password});
    my $j2 = jbody($r2) || {};
    is $r2->code, 200, 'login_second_time_is_200';
    ok defined $j2->{tokens}{refreshToken} && defined $t->{refreshToken}
           && $j2->{tokens}{refreshToken} ne $t->{refreshToken},
        'login_second_login_yields_a_different_refresh_token';
    my $c2 = claims($j2->{tokens}{accessToken});
    ok defined $c2->{sid} && defined $c->{sid} && $c2->{sid} ne $c->{sid},
        'login_second_login_yields_a_different_sid';
}

# --- invalid credentials: same status, same body ----------------------------

my ($wr) = login_user($f->{email}, 'wrong password 1');
my $wj = error_ok($wr, 401, 'invalid_credentials', 'login_wrong_password');
is $wj->{message}, 'Invalid credentials', 'login_wrong_password_message_is_invalid_credentials';
ok !grep({ /^deskauth_session=[^;]+/ } $wr->header('Set-Cookie')),
    'login_wrong_password_sets_no_session_cookie';

my ($nr) = login_user(unique_email(), 'wrong password 1');
my $nj = error_ok($nr, 401, 'invalid_credentials', 'login_unknown_email');
is $nj->{message}, 'Invalid credentials', 'login_unknown_email_message_is_invalid_credentials';
{
    my $canon = JSON::PP->new->canonical;
    ok keys(%$wj) == 3 && $canon->encode($nj) eq $canon->encode($wj),
        'login_wrong_password_is_401_and_same_body_as_unknown_email';
}

{
    my ($r) = login_user($f->{email}, uc $f->{password});
    error_ok($r, 401, 'invalid_credentials', 'login_password_is_case_sensitive');
}

# --- email is case-insensitive ---------------------------------------------

{
    my ($r) = login_user('  ' . uc($f->{email}) . ' ', $f->{password});
    my $rj = jbody($r) || {};
    is $r->code, 200, 'login_email_is_case_insensitive_and_trimmed';
    ok defined $rj->{user}{id} && defined $ru->{id} && $rj->{user}{id} eq $ru->{id},
        'login_upper_case_email_is_the_same_account';
}

# --- bad requests -------------------------------------------------------------

{
    my ($r) = json_req(POST => $LOGIN, { email => $f->{email} });
    my $ej = error_ok($r, 400, 'invalid_request', 'login_missing_password');
    like $ej->{message} // '', qr/^password\b/, 'login_missing_password_message_names_password';
}
{
    my ($r) = json_req(POST => $LOGIN, { password => $f->{password} });
    my $ej = error_ok($r, 400, 'invalid_request', 'login_missing_email');
    like $ej->{message} // '', qr/^email\b/, 'login_missing_email_message_names_email';
}
{
    my $r = raw_req(POST => $LOGIN, '{"email":', %H);
    error_ok($r, 400, 'invalid_request', 'login_malformed_json');
}
{
    my ($r) = json_req(GET => $LOGIN, undef, Accept => 'application/json');
    ok $r->code >= 200 && $r->code < 500 && !$r->header('Client-Warning'),
        'login_GET_with_json_accept_is_not_a_server_error'
        or diag $r->status_line;
}

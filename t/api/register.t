# interface.md, Sign-up and sign-in; Storage; Tokens and docs/behaviour.md "Accounts":
# POST /auth/register (JSON API).
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

plan tests => 133;

my $REGISTER = '/auth/register';
my $RFC3339  = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

# --- local helpers ---------------------------------------------------------

# The response body as JSON, decoded afresh (so that number/string types are
# still those of the wire), or undef.

# 'null', 'bool', 'object', 'array', 'string' or 'number' of a freshly
# decoded value.


sub b64url_decode {
    my $s = shift // '';
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return MIME::Base64::decode_base64($s);
}

# Three assertions: status, the exact JSON error shape, the error code.
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
    return $j;
}

sub valid_fields {
    return (email => unique_email(), password => 'correct horse 1',
            firstName => 'Ada', lastName => 'Lovelace', @_);
}

# --- 201 and the exact shape ---------------------------------------------

my $email_in = '  ' . uc(unique_email()) . ' ';
my ($res, undef, $f) = register_user(email => $email_in,
                                     company => 'Analytical Engines Ltd',
                                     jobRole => 'Programmer');
my $j = jbody($res);
my $u = (ref $j eq 'HASH' && ref $j->{user} eq 'HASH') ? $j->{user} : {};
my $t = (ref $j eq 'HASH' && ref $j->{tokens} eq 'HASH') ? $j->{tokens} : {};
my $now = time;

is $res->code, 201, 'register_valid_json_is_201'
    or diag $res->status_line . ' ' . $res->content;
like $res->header('Content-Type') // '', qr{^application/json\b}i,
    'register_answers_application_json';
ok ref $j eq 'HASH' && JSON::PP::is_bool($j->{success}) && $j->{success},
    'register_success_is_json_true';
is $j->{message}, 'Registration successful', 'register_message_is_registration_successful';
ok JSON::PP::is_bool($j->{isNewUser}) && $j->{isNewUser}, 'register_isNewUser_is_json_true';

# tokens
is jtype($t->{accessToken}), 'string', 'register_tokens_accessToken_is_a_string';
is jtype($t->{refreshToken}), 'string', 'register_tokens_refreshToken_is_a_string';
ok length($t->{refreshToken} // '') >= 43,
    'register_refresh_token_carries_at_least_256_bits';
isnt $t->{refreshToken} // '', $t->{accessToken} // '',
    'register_refresh_token_differs_from_access_token';
is jtype($t->{expiresIn}), 'number', 'register_tokens_expiresIn_is_a_number';
is $t->{expiresIn}, 900, 'register_tokens_expiresIn_is_900';
is $t->{tokenType}, 'Bearer', 'register_tokens_tokenType_is_Bearer';

# user object: every field of docs/interface.md "Sign-up and sign-in", right types
my @missing = grep { !exists $u->{$_} } @USER_FIELDS;
is_deeply \@missing, [], 'register_user_object_has_every_field_of_spec_6_1';
is jtype($u->{id}), 'string', 'register_user_id_is_a_string';
ok length($u->{id} // '') >= 20, 'register_user_id_is_at_least_20_chars';
is $u->{email}, lc(trim($email_in)), 'register_email_is_stored_trimmed_and_lower_cased';
is $u->{firstName}, 'Ada', 'register_user_firstName_round_trips';
is $u->{lastName}, 'Lovelace', 'register_user_lastName_round_trips';
is $u->{fullName}, 'Ada Lovelace', 'register_user_fullName_is_first_and_last_name';
is $u->{role}, 'USER', 'register_role_defaults_to_first_of_DeskAuthRoles_USER';
is $u->{company}, 'Analytical Engines Ltd', 'register_user_company_round_trips';
is $u->{jobRole}, 'Programmer', 'register_user_jobRole_round_trips';
is $u->{authType}, 'password', 'register_user_authType_is_password';
ok JSON::PP::is_bool($u->{emailVerified}) && !$u->{emailVerified},
    'register_user_emailVerified_is_json_false';
ok JSON::PP::is_bool($u->{isActive}) && $u->{isActive},
    'register_user_isActive_is_json_true';
ok exists $u->{resume} && !defined $u->{resume}, 'register_user_resume_is_null';
for my $ts (qw(createdAt updatedAt lastLoginAt)) {
    like $u->{$ts} // '', $RFC3339, "register_user_${ts}_is_rfc3339_utc";
}
my $created = rfc3339_epoch($u->{createdAt});
ok defined $created && abs($created - $now) < 300,
    'register_user_createdAt_is_now';
ok defined $u->{lastLoginAt} && defined $u->{createdAt}
       && $u->{lastLoginAt} ge $u->{createdAt},
    'register_signs_the_person_in_so_lastLoginAt_is_set';

# the browser session cookie (behaviour.md: deskauth_session; docs/interface.md)
my ($sc) = grep { /^deskauth_session=[^;]+/ } $res->header('Set-Cookie');
ok defined $sc, 'register_sets_deskauth_session_cookie';
like $sc // '', qr/;\s*HttpOnly\b/i, 'register_session_cookie_is_HttpOnly';
like $sc // '', qr/;\s*SameSite=Lax\b/i, 'register_session_cookie_is_SameSite_Lax';
like $sc // '', qr{;\s*Path=/(?:;|\s*$)}i, 'register_session_cookie_has_Path_root';

# --- the access token is an ES256 at+jwt (interface.md, Tokens) --------------------

my @parts = split /\./, ($t->{accessToken} // ''), -1;
is scalar(@parts), 3, 'register_access_token_is_a_three_part_jws';
my $hdr = eval { JSON::PP->new->utf8->decode(b64url_decode($parts[0])) } || {};
my $pl  = eval { JSON::PP->new->utf8->decode(b64url_decode($parts[1])) } || {};
is $hdr->{alg}, 'ES256', 'access_token_header_alg_is_ES256';
is $hdr->{typ}, 'at+jwt', 'access_token_header_typ_is_at_jwt';
is $hdr->{kid}, 'test-es256', 'access_token_header_kid_is_the_configured_kid';
is length(b64url_decode($parts[2] // '')), 64,
    'access_token_es256_signature_is_raw_r_s_64_bytes';
(my $issuer = url('/')) =~ s{/\z}{};   # t/conf/extra.conf.in: the server's own origin
is $pl->{iss}, $issuer, 'access_token_iss_is_DeskAuthIssuer';
ok jtype($pl->{aud}) eq 'string' && length $pl->{aud},
    'access_token_aud_is_a_single_string';
ok defined $pl->{sub} && defined $u->{id} && $pl->{sub} eq $u->{id},
    'access_token_sub_is_user_id';
ok jtype($pl->{sid}) eq 'string' && length $pl->{sid}, 'access_token_has_sid';
ok jtype($pl->{jti}) eq 'string' && length $pl->{jti}, 'access_token_has_jti';
ok defined $pl->{email} && defined $u->{email} && $pl->{email} eq $u->{email},
    'access_token_email_is_user_email';
is $pl->{role}, 'USER', 'access_token_role_is_user_role';
is $pl->{name}, 'Ada Lovelace', 'access_token_name_is_full_name';
is jtype($pl->{exp}), 'number', 'access_token_exp_is_numeric_date';
is(($pl->{exp} // 0) - ($pl->{iat} // 0), 900, 'access_token_exp_minus_iat_is_900');
ok defined $pl->{iat} && abs($pl->{iat} - $now) < 300, 'access_token_iat_is_now';
ok defined $pl->{nbf} && defined $pl->{exp} && $pl->{nbf} <= $pl->{iat}
       && $pl->{nbf} < $pl->{exp},
    'access_token_nbf_is_not_after_iat';
is $pl->{client_id}, 'deskauth-web', 'access_token_of_website_sign_up_has_client_id_deskauth_web';

# --- ids ------------------------------------------------------------------

{
    my ($r1) = register_user();
    my ($r2) = register_user();
    my $id1 = (jbody($r1) || {})->{user}{id} // '';
    my $id2 = (jbody($r2) || {})->{user}{id} // '';
    ok length($id1) >= 20 && length($id2) >= 20,
        'register_ids_are_at_least_20_chars';
    isnt $id1, $id2, 'register_ids_of_two_users_differ';
}

# --- roles ------------------------------------------------------------------

{
    my ($r) = register_user(role => 'EMPLOYER');
    my $rj = jbody($r) || {};
    is $r->code, 201, 'register_role_EMPLOYER_listed_in_DeskAuthRoles_is_201';
    is $rj->{user}{role}, 'EMPLOYER', 'register_role_EMPLOYER_is_stored';
    my @p = split /\./, ($rj->{tokens}{accessToken} // '');
    my $p = eval { JSON::PP->new->utf8->decode(b64url_decode($p[1])) } || {};
    is $p->{role}, 'EMPLOYER', 'register_role_EMPLOYER_is_in_the_access_token';
}
{
    my ($r) = register_user(role => 'ADMIN');
    error_ok($r, 403, 'forbidden', 'register_role_ADMIN_is_never_self_assignable');
    my ($r2) = register_user(role => 'SUPERUSER');
    error_ok($r2, 403, 'forbidden', 'register_unknown_role');
}

# --- required fields: 400 naming the field --------------------------------

for my $field (qw(email password firstName lastName)) {
    my %body = valid_fields();
    delete $body{$field};
    my ($r) = json_req(POST => $REGISTER, \%body);
    my $ej = error_ok($r, 400, 'invalid_request', "register_missing_${field}");
    like $ej->{message} // '', qr/^\Q$field\E\b/,
        "register_missing_${field}_message_names_the_field";
}

{
    my ($r) = json_req(POST => $REGISTER, { valid_fields(email => 'not-an-email') });
    my $ej = error_ok($r, 400, 'invalid_request', 'register_invalid_email');
    like $ej->{message} // '', qr/^email\b/, 'register_invalid_email_message_names_email';
}
{
    my ($r) = json_req(POST => $REGISTER, { valid_fields(password => 'x' x 7) });
    my $ej = error_ok($r, 400, 'invalid_request', 'register_password_of_7_chars');
    like $ej->{message} // '', qr/^password\b/, 'register_short_password_message_names_password';
}
{
    my ($r) = json_req(POST => $REGISTER, { valid_fields(password => 'y' x 73) });
    my $ej = error_ok($r, 400, 'invalid_request', 'register_password_of_73_bytes');
    like $ej->{message} // '', qr/^password\b/, 'register_long_password_message_names_password';
}
{
    # 73 bytes but only 37 characters: the limit is in bytes (bcrypt)
    my $pw = ("\x{e9}" x 36) . 'z';                 # 36 x 2 bytes + 1
    my $r = raw_req(POST => $REGISTER,
        JSON::PP->new->utf8->encode({ valid_fields(password => $pw) }),
        'Content-Type' => 'application/json', 'Accept' => 'application/json');
    error_ok($r, 400, 'invalid_request', 'register_password_of_73_utf8_bytes');
}
{
    my $pw = 'p' x 72;
    my ($r, undef, $rf) = register_user(password => $pw);
    is $r->code, 201, 'register_password_of_72_bytes_is_accepted';
    my ($lr) = login_user($rf->{email}, $pw);
    is $lr->code, 200, 'register_72_byte_password_signs_in';
}
{
    my ($r) = json_req(POST => $REGISTER, { valid_fields(firstName => '') });
    error_ok($r, 400, 'invalid_request', 'register_empty_firstName');
    my ($r2) = json_req(POST => $REGISTER, { valid_fields(lastName => 'L' x 101) });
    my $ej = error_ok($r2, 400, 'invalid_request', 'register_lastName_of_101_chars');
    like $ej->{message} // '', qr/^lastName\b/, 'register_long_lastName_message_names_lastName';
}
{
    my ($r) = json_req(POST => $REGISTER, { valid_fields(unknownMember => 'ignored') });
    is $r->code, 201, 'register_unknown_members_are_ignored';
}

# --- duplicates -------------------------------------------------------------

{
    my (undef, undef, $df) = register_user();
    my ($r) = register_user(email => ' ' . uc($df->{email}) . '  ');
    error_ok($r, 409, 'user_exists', 'register_duplicate_email_other_case_and_spaces');
    my ($lr) = login_user($df->{email}, 'correct horse 1');
    is $lr->code, 200, 'register_duplicate_attempt_leaves_the_first_account_working';
}

# --- malformed bodies ---------------------------------------------------------

my %H = ('Content-Type' => 'application/json', 'Accept' => 'application/json');

{
    my $r = raw_req(POST => $REGISTER, '{"email": "a@example.com", "password": ', %H);
    error_ok($r, 400, 'invalid_request', 'register_malformed_json');
}
{
    my $r = raw_req(POST => $REGISTER,
        JSON::PP->new->encode([{ valid_fields() }]), %H);
    error_ok($r, 400, 'invalid_request', 'register_json_array_body');
}
{
    my %b = valid_fields();
    my $inner = '{"a":' x 100 . '1' . '}' x 100;
    my $body = JSON::PP->new->encode(\%b);
    $body =~ s/}$/,"deep":$inner}/;
    my $r = raw_req(POST => $REGISTER, $body, %H);
    error_ok($r, 400, 'invalid_request', 'register_json_nested_100_levels');
    my ($lr) = login_user($b{email}, $b{password});
    is $lr->code, 401, 'register_rejected_deep_json_creates_no_account';
}
{
    my $r = raw_req(POST => $REGISTER, '', %H);
    error_ok($r, 400, 'invalid_request', 'register_empty_json_body');
}
{
    my $body = JSON::PP->new->encode({ valid_fields(padding => 'x' x (70 * 1024)) });
    my $r = raw_req(POST => $REGISTER, $body, %H);
    error_ok($r, 413, 'payload_too_large', 'register_json_body_of_70_KiB');
}
{
    my $r = raw_req(POST => $REGISTER, JSON::PP->new->encode({ valid_fields() }),
                    'Content-Type' => 'text/plain', 'Accept' => 'application/json');
    error_ok($r, 415, 'unsupported_media_type', 'register_text_plain_body');
}
{
    my %b = valid_fields();
    my $r = raw_req(POST => $REGISTER, JSON::PP->new->encode(\%b),
                    'Content-Type' => 'application/json; charset=utf-8',
                    'Accept' => 'application/json');
    is $r->code, 201, 'register_json_with_charset_parameter_is_accepted';
}
{
    my ($r) = json_req(DELETE => $REGISTER, undef);
    error_ok($r, 405, 'method_not_allowed', 'register_DELETE');
    like $r->header('Allow') // '', qr/\bPOST\b/, 'register_405_has_Allow_listing_POST';
}

# --- helpers ------------------------------------------------------------------

sub trim { my $s = shift; $s =~ s/^\s+|\s+$//g; return $s }

sub rfc3339_epoch {
    my $s = shift // return undef;
    my ($Y, $M, $D, $h, $m, $sec) =
        $s =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/ or return undef;
    require Time::Local;
    return Time::Local::timegm($sec, $m, $h, $D, $M - 1, $Y);
}

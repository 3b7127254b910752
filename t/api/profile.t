# interface.md, Profile and resume (without the resume), Tokens "Verification" (verification failures):
# GET / PATCH / PUT /api/auth/profile and /api/auth/profile-with-token.
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
use DeskAuthForge ();

plan tests => 107;

my $PROFILE = '/api/auth/profile';
my %H = ('Content-Type' => 'application/json', 'Accept' => 'application/json');




sub b64url { my $s = MIME::Base64::encode_base64(shift, ''); $s =~ tr{+/}{-_}; $s =~ s/=+$//; $s }
sub unb64url {
    my $s = shift // '';
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return MIME::Base64::decode_base64($s);
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

# The user object of a profile answer, or {}.
sub puser {
    my $j = jbody(shift);
    return (ref $j eq 'HASH' && ref $j->{data} eq 'HASH' && ref $j->{data}{user} eq 'HASH')
        ? $j->{data}{user} : {};
}

sub get_profile { my ($tok, $path) = @_; my ($r) = json_req(GET => $path // $PROFILE, undef, bearer($tok)); $r }
sub patch       { my ($tok, $data, $m) = @_; my ($r) = json_req($m // 'PATCH', $PROFILE, $data, bearer($tok)); $r }

# --- setup ------------------------------------------------------------------

my ($rres, undef, $f) = register_user(company => 'Old Co', jobRole => 'Old Role');
my $reg   = jbody($rres) || {};
my $tok   = $reg->{tokens}{accessToken} // '';
my $ru    = $reg->{user} || {};
is $rres->code, 201, 'profile_setup_registration_is_201';

# --- GET with a Bearer token ------------------------------------------------

{
    my $r = get_profile($tok);
    my $j = jbody($r) || {};
    my $u = puser($r);
    is $r->code, 200, 'profile_get_with_bearer_is_200' or diag $r->content;
    like $r->header('Content-Type') // '', qr{^application/json\b}i,
        'profile_get_answers_application_json';
    is_deeply [sort keys %$j], [qw(data message success)],
        'profile_get_body_has_exactly_success_message_data';
    ok JSON::PP::is_bool($j->{success}) && $j->{success}, 'profile_get_success_is_json_true';
    is $j->{message}, 'Profile retrieved successfully',
        'profile_get_message_is_profile_retrieved_successfully';
    is_deeply [grep { !exists $u->{$_} } @USER_FIELDS], [],
        'profile_get_data_user_has_every_field_of_spec_6_1';
    ok defined $u->{id} && defined $ru->{id} && $u->{id} eq $ru->{id},
        'profile_get_is_the_token_owner';
    is $u->{email}, lc $f->{email}, 'profile_get_email_is_the_registered_email';
    is $u->{company}, 'Old Co', 'profile_get_company_is_the_registered_company';
    ok exists $u->{resume} && !defined $u->{resume}, 'profile_get_resume_is_null_before_upload';
}

# --- the compatibility URL --------------------------------------------------

{
    my $r = get_profile($tok, '/api/auth/profile-with-token');
    my $j = jbody($r) || {};
    my $u = puser($r);
    is $r->code, 200, 'profile_with_token_url_is_200';
    is $j->{message}, 'Profile retrieved successfully', 'profile_with_token_url_has_the_same_message';
    ok defined $u->{id} && defined $ru->{id} && $u->{id} eq $ru->{id},
        'profile_with_token_url_is_the_token_owner';
}

# --- the browser session cookie, asked for JSON --------------------------------

{
    my $ua = browser();
    my $email = unique_email();
    my $r = $ua->post(url('/auth/register'), %H,
        Content => JSON::PP->new->utf8->encode({ email => $email,
            password => 'correct horse 1', firstName => 'Cookie', lastName => 'Monster' }));
    is $r->code, 201, 'profile_cookie_setup_registration_is_201';
    my $g = $ua->get(url($PROFILE), Accept => 'application/json');
    is $g->code, 200, 'profile_get_with_session_cookie_is_200';
    is puser($g)->{email}, $email, 'profile_get_with_session_cookie_is_the_cookie_owner';
}

# --- PATCH / PUT ----------------------------------------------------------------

my $before = puser(get_profile($tok));
select undef, undef, undef, 1.2;          # updatedAt has second resolution

{
    my $r = patch($tok, { firstName => 'Grace', lastName => 'Hopper',
                          company => 'US Navy', jobRole => 'Rear Admiral' });
    my $j = jbody($r) || {};
    my $u = puser($r);
    is $r->code, 200, 'profile_patch_is_200' or diag $r->content;
    ok JSON::PP::is_bool($j->{success}) && $j->{success}
           && jtype($j->{message}) eq 'string' && length $j->{message},
        'profile_patch_answers_success_true_with_a_message';
    is_deeply [grep { !exists $u->{$_} } @USER_FIELDS], [],
        'profile_patch_answers_in_the_get_shape_with_the_whole_user';
    is $u->{firstName}, 'Grace', 'profile_patch_sets_firstName';
    is $u->{lastName}, 'Hopper', 'profile_patch_sets_lastName';
    is $u->{company}, 'US Navy', 'profile_patch_sets_company';
    is $u->{jobRole}, 'Rear Admiral', 'profile_patch_sets_jobRole';
    is $u->{fullName}, 'Grace Hopper', 'profile_patch_updates_fullName';
    ok defined $u->{updatedAt} && defined $before->{updatedAt}
           && $u->{updatedAt} gt $before->{updatedAt},
        'profile_patch_moves_updatedAt_on';
    ok defined $u->{createdAt} && defined $before->{createdAt}
           && $u->{createdAt} eq $before->{createdAt},
        'profile_patch_leaves_createdAt';
    ok defined $u->{email} && defined $before->{email} && $u->{email} eq $before->{email},
        'profile_patch_leaves_email';

    my $g = puser(get_profile($tok));
    ok(($g->{firstName} // '') eq 'Grace' && ($g->{jobRole} // '') eq 'Rear Admiral'
           && defined $g->{updatedAt} && $g->{updatedAt} eq ($u->{updatedAt} // ''),
        'profile_patch_is_seen_by_the_next_get');
}
{
    my $r = patch($tok, { firstName => 'Grace', lastName => 'Hopper',
                          company => 'US Navy', jobRole => 'Compiler Author' }, 'PUT');
    is $r->code, 200, 'profile_put_is_200';
    is puser($r)->{jobRole}, 'Compiler Author', 'profile_put_sets_jobRole';
    is puser(get_profile($tok))->{jobRole}, 'Compiler Author', 'profile_put_is_seen_by_the_next_get';
}

# --- read-only fields are refused, and nothing changes -----------------------

my %readonly = (email => unique_email(), role => 'EMPLOYER',
                id => 'x' x 24, createdAt => '2000-01-01T00:00:00Z');
for my $field (qw(email role id createdAt)) {
    my $r = patch($tok, { firstName => 'Changed', $field => $readonly{$field} });
    my $ej = error_ok($r, 400, 'invalid_request', "profile_patch_with_${field}");
    like $ej->{message} // '', qr/\b\Q$field\E\b/, "profile_patch_with_${field}_message_names_${field}";
}
{
    my $g = puser(get_profile($tok));
    is $g->{firstName}, 'Grace', 'profile_refused_patch_changes_nothing_firstName';
    ok defined $g->{email} && defined $before->{email} && $g->{email} eq $before->{email},
        'profile_refused_patch_changes_nothing_email';
    is $g->{role}, 'USER', 'profile_refused_patch_changes_nothing_role';
    ok defined $g->{id} && defined $ru->{id} && $g->{id} eq $ru->{id},
        'profile_refused_patch_changes_nothing_id';
    ok defined $g->{createdAt} && defined $before->{createdAt}
           && $g->{createdAt} eq $before->{createdAt},
        'profile_refused_patch_changes_nothing_createdAt';
}

# --- field validation ----------------------------------------------------------

{
    my $r = patch($tok, { firstName => '' });
    my $ej = error_ok($r, 400, 'invalid_request', 'profile_patch_empty_firstName');
    like $ej->{message} // '', qr/\bfirstName\b/, 'profile_patch_empty_firstName_message_names_firstName';
}
{
    my $r = patch($tok, { firstName => 'F' x 101 });
    my $ej = error_ok($r, 400, 'invalid_request', 'profile_patch_firstName_of_101_chars');
    like $ej->{message} // '', qr/\bfirstName\b/, 'profile_patch_long_firstName_message_names_firstName';
}
{
    my $r = patch($tok, { firstName => 'F' x 100 });
    is $r->code, 200, 'profile_patch_firstName_of_100_chars_is_accepted';
    is puser($r)->{firstName}, 'F' x 100, 'profile_patch_firstName_of_100_chars_is_stored';
}
{
    my $r = patch($tok, { company => 'C' x 201 });
    my $ej = error_ok($r, 400, 'invalid_request', 'profile_patch_company_of_201_chars');
    like $ej->{message} // '', qr/\bcompany\b/, 'profile_patch_long_company_message_names_company';
}
{
    my $html = q{<b>"Tom & Jerry's"</b> <script>alert(1)</script> `=`};
    my $r = patch($tok, { company => $html });
    is $r->code, 200, 'profile_patch_html_special_company_is_200';
    is puser($r)->{company}, $html, 'profile_patch_html_special_company_round_trips_in_json';
    is puser(get_profile($tok))->{company}, $html,
        'profile_get_html_special_company_is_unchanged';
}
{
    my $r = raw_req(PATCH => $PROFILE, '{"firstName": ', %H, bearer($tok));
    error_ok($r, 400, 'invalid_request', 'profile_patch_malformed_json');
}
{
    my $r = raw_req(PATCH => $PROFILE, '{"firstName":"Plain"}',
                    'Content-Type' => 'text/plain', Accept => 'application/json', bearer($tok));
    error_ok($r, 415, 'unsupported_media_type', 'profile_patch_text_plain');
    my $fn = puser(get_profile($tok))->{firstName};
    ok defined $fn && $fn ne 'Plain', 'profile_patch_text_plain_changes_nothing';
}

# --- tokens: missing, garbage, tampered, alg none ------------------------------

{
    my ($r) = json_req(GET => $PROFILE, undef);
    error_ok($r, 401, 'unauthorized', 'profile_without_token');
    my $wa = $r->header('WWW-Authenticate') // '';
    like $wa, qr/^Bearer\b/, 'profile_without_token_has_WWW_Authenticate_Bearer';
    like $wa, qr/\brealm="[^"]+"/, 'profile_without_token_WWW_Authenticate_has_realm';
    unlike $wa, qr/\berror=/, 'profile_without_token_WWW_Authenticate_has_no_error_attribute';
}
{
    my $r2 = raw_req(PATCH => $PROFILE, '{"firstName":"Nobody"}', %H);
    is $r2->code, 401, 'profile_patch_without_token_is_401';
    my $fn = puser(get_profile($tok))->{firstName};
    ok defined $fn && $fn ne 'Nobody', 'profile_patch_without_token_changes_nothing';
}

# the same claims re-signed with the server's own key (t/keys/es256.pem):
# once still valid (the control), once expired beyond the 60 s leeway
sub forge {
    my (%over) = @_;
    my $t = eval {
        my $c = DeskAuthForge::claims_from($tok);
        @$c{keys %over} = values %over;
        DeskAuthForge::jwt_sign(
            header => { alg => 'ES256', typ => 'at+jwt', kid => 'test-es256' },
            claims => $c, es256 => DeskAuthForge::key_path('es256.pem'));
    };
    diag "cannot forge: $@" unless defined $t;
    return $t // 'forge.failed.x';
}
{
    my $r = get_profile(forge(exp => time + 600));
    is $r->code, 200, 'profile_token_signed_with_the_server_key_is_accepted_control';
}

my @bad = (
    garbage => 'garbage.token.value',
    expired_but_well_signed => forge(iat => time - 4000, nbf => time - 4000, exp => time - 3600),
    tampered_expired => do {
        my ($h, $p, $s) = split /\./, $tok;
        my $c = eval { JSON::PP->new->utf8->decode(unb64url($p)) } || {};
        $c->{exp} = time - 3600;
        $c->{iat} = $c->{nbf} = time - 4500;
        join '.', $h // '', b64url(JSON::PP->new->utf8->canonical->encode($c)), $s // '';
    },
    alg_none => do {
        my (undef, $p) = split /\./, $tok;
        b64url('{"alg":"none","typ":"at+jwt","kid":"test-es256"}') . '.' . ($p // '') . '.';
    },
    hs256_signed_with_nothing => do {
        my (undef, $p) = split /\./, $tok;
        require Digest::SHA;
        my $in = b64url('{"alg":"HS256","typ":"at+jwt","kid":"test-es256"}') . '.' . ($p // '');
        $in . '.' . b64url(Digest::SHA::hmac_sha256($in, ''));
    },
);
while (my ($name, $bad) = splice @bad, 0, 2) {
    my ($r) = json_req(GET => $PROFILE, undef, bearer($bad));
    error_ok($r, 401, 'unauthorized', "profile_${name}_token");
    like $r->header('WWW-Authenticate') // '', qr/^Bearer\b.*\berror="invalid_token"/,
        "profile_${name}_token_has_WWW_Authenticate_error_invalid_token";
}
{
    my $r = get_profile($tok);
    is $r->code, 200, 'profile_the_untampered_token_still_works';
}

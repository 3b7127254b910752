# The admin JSON API, deskauth-admin at /auth/admin behind Require
# deskauth-role ADMIN (interface.md, Administration; routes in the header of src/endpoints/da_admin.c):
#   GET    /auth/admin/users[?q=&limit=&offset=]  list and search
#   GET    /auth/admin/users/ID                   one user
#   PATCH  /auth/admin/users/ID {isActive, role}  enable/disable, change role
#   DELETE /auth/admin/users/ID/sessions          revoke a user's sessions
# The ADMIN is made with `deskauthctl user set-role EMAIL ADMIN` (ADMIN is never
# self-assignable, docs/interface.md), then signs in again to get a token with that role.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthOAuth qw(protected_status token_post);
use DeskAuthForge qw(jwt_decode);
use JSON::PP ();

plan tests => 7 + 9 + 5 + 7 + 4 + 8 + 6 + 4 + 6 + 3 + 5 + 5 + 8;

my $PW = 'correct horse 1';

sub h  { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
sub hd { my ($j) = @_; return h(h($j)->{data}) }

sub role_of { my ($token) = @_; my (undef, $p) = jwt_decode($token // ''); return h($p)->{role} }
sub access_of  { my ($json) = @_; return h(h($json)->{tokens})->{accessToken} }
sub refresh_of { my ($json) = @_; return h(h($json)->{tokens})->{refreshToken} }
sub true_bool  { my ($v) = @_; return JSON::PP::is_bool($v) && $v }
sub false_bool { my ($v) = @_; return JSON::PP::is_bool($v) && !$v }

# Is RES a STATUS with the exact JSON error body (docs/interface.md, Errors) of CODE?
sub error_is {
    my ($res, $status, $code) = @_;
    my $j = DeskAuthOAuth::decode_json_or_undef($res->content);
    return $res->code == $status && ref $j eq 'HASH' && keys %$j == 3
        && JSON::PP::is_bool($j->{success}) && !$j->{success}
        && defined $j->{error} && $j->{error} eq $code
        && defined $j->{message} && !ref $j->{message} && length $j->{message};
}

# A JSON request to the admin API as TOKEN.
sub admin {
    my ($method, $path, $token, $data) = @_;
    return json_req($method => "/auth/admin$path", $data, bearer($token // 'none'));
}

# data.users of a list answer (an array ref, empty when missing) and their emails
sub users_of { my ($json) = @_; my $u = hd($json)->{users}; return ref $u eq 'ARRAY' ? $u : [] }
sub emails   { my ($json) = @_; return [map { h($_)->{email} } @{ users_of($json) }] }

sub refresh_error {
    my ($refresh) = @_;
    my (undef, $j) = token_post([grant_type => 'refresh_token', refresh_token => $refresh // 'none']);
    return h($j)->{error};
}

# --- a USER, and no token ---------------------------------------------------------------------
my ($ur, $uj) = register_user();
is($ur->code, 201, 'setup: a USER registers');
{
    my ($res) = admin(GET => '/users', access_of($uj));
    is($res->code, 403, 'GET /auth/admin/users with a USER token is 403');
    like($res->header('Content-Type') // '', qr{^application/json\b}i, 'the 403 is JSON');
    ok(error_is($res, 403, 'forbidden'), 'the 403 has the JSON error shape with error "forbidden"') or diag($res->content);
    ($res) = json_req(GET => '/auth/admin/users', undef);
    is($res->code, 401, 'GET /auth/admin/users without a token is 401');
    like($res->header('WWW-Authenticate') // '', qr/^Bearer\b/i, 'the 401 asks for a Bearer token');
    ok(($res->header('Content-Type') // '') =~ m{^application/json\b}i && error_is($res, 401, 'unauthorized'),
       'the 401 is JSON with the error shape of docs/interface.md and error "unauthorized" (the admin API is a JSON API)')
        or diag(($res->header('Content-Type') // '') . ' ' . $res->content);
}

# --- making an ADMIN ------------------------------------------------------------------------------
my (undef, $aj, $af) = register_user(firstName => 'Root', lastName => 'Admin');
my $admin_email = lc $af->{email};
my $admin_id    = h(h($aj)->{user})->{id};
my $admin;
{
    is(deskauthctl('user', 'set-role', $admin_email, 'ADMIN'), 0, 'deskauthctl user set-role EMAIL ADMIN exits 0');
    my ($res, $j) = login_user($admin_email, $PW);
    is($res->code, 200, 'the new ADMIN signs in again');
    $admin = access_of($j);
    is(role_of($admin), 'ADMIN', 'the new sign-in gives a token with role ADMIN');
    is(h(h($j)->{user})->{role}, 'ADMIN', 'the sign-in answer\'s user object says role ADMIN');

    ($res, $j) = admin(GET => '/users', $admin);
    is($res->code, 200, 'GET /auth/admin/users with an ADMIN token is 200') or diag($res->as_string);
    ok(true_bool(h($j)->{success}), 'the list answer has "success": true');
    ok(ref hd($j)->{users} eq 'ARRAY' && @{ hd($j)->{users} } >= 2
       && !(grep { join(',', sort keys %{ h($_) }) ne join(',', sort @USER_FIELDS) } @{ hd($j)->{users} }),
       'data.users is an array of user objects (every field of the user object), the USER and the ADMIN at least');
    like($res->content, qr/"total"\s*:\s*\d+\s*[,}]/, 'data.total is a JSON number');
    ok((hd($j)->{total} // -1) =~ /\A\d+\z/ && hd($j)->{total} >= @{ users_of($j) },
       'data.total is at least the number of users on the page');
}

# --- search -----------------------------------------------------------------------------------------
# Two people whose emails differ only where the first has "_": a LIKE wildcard
# would match both, the literal text matches one.
my $tag          = sprintf 'adm%dt%d', $$, time;
my $target_email = "${tag}_x1\@example.com";
my $decoy_email  = "${tag}zx1\@example.com";
my ($tr, $tj) = register_user(email => $target_email, firstName => 'Tess', lastName => 'Target');
my ($zr)      = register_user(email => $decoy_email, firstName => 'Zed', lastName => 'Decoy');
my $target_id = h(h($tj)->{user})->{id};
{
    ok($tr->code == 201 && $zr->code == 201, 'setup: two people with similar emails register');
    my ($res, $j) = admin(GET => "/users?q=$tag", $admin);
    is_deeply([sort @{ emails($j) }], [sort $target_email, $decoy_email],
              'q= the start of an email finds the people whose email starts with it');
    is(hd($j)->{total}, 2, 'data.total counts the matches');
    (undef, $j) = admin(GET => '/users?q=' . uc("${tag}_X1"), $admin);
    is_deeply(emails($j), [$target_email], 'the search is case-insensitive');
    (undef, $j) = admin(GET => "/users?q=${tag}_x1", $admin);
    is_deeply(emails($j), [$target_email], 'q with "_" is taken literally (not a one-character wildcard)');
    ($res, $j) = admin(GET => "/users?q=${tag}%25x1", $admin);
    is($res->code, 200, 'q with "%" is a valid search');
    is_deeply([emails($j), hd($j)->{total}], [[], 0], 'q with "%" is taken literally (here it matches nobody)');
}

# The search is by prefix (an index serves it, docs/behaviour.md "Admin API
# search"): of the email, the first name or the last name, not a part inside.
{
    my $other_email = "p$tag\@example.com";
    my ($or) = register_user(email => $other_email, firstName => "Nm$tag", lastName => "Ln$tag");
    is($or->code, 201, 'setup: a third person, whose names start with the tag');
    my (undef, $j) = admin(GET => '/users?q=nm' . uc($tag), $admin);
    is_deeply([emails($j), hd($j)->{total}], [[$other_email], 1], 'q= the start of a first name finds it (any case)');
    (undef, $j) = admin(GET => "/users?q=LN$tag", $admin);
    is_deeply(emails($j), [$other_email], 'q= the start of a last name finds it');
    (undef, $j) = admin(GET => "/users?q=$tag", $admin);
    is_deeply([sort @{ emails($j) }], [sort $target_email, $decoy_email],
              'an email or a name that only contains the text further in does not match');
    (undef, $j) = admin(GET => '/users?q=x1@example.com', $admin);
    ok(!grep({ $_ eq $target_email } @{ emails($j) }), 'the end of an email does not find it');
}

# --- resumes in the list ------------------------------------------------------------------------------
# The list reads each user's resume details with the users (one query): the
# same object as GET /auth/admin/users/ID gives, null for a user without one.
{
    my $ua  = LWP::UserAgent->new(timeout => 60);
    my $req = HTTP::Request->new(PUT => url('/api/auth/profile/resume'),
                                 [Accept => 'application/json', 'Content-Type' => 'application/pdf',
                                  'X-Filename' => 'Tess CV.pdf', bearer(access_of($tj))]);
    $req->content("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    my $put = $ua->request($req);
    is($put->code, 200, 'setup: the target uploads a resume') or diag($put->content);
    my (undef, $j) = admin(GET => "/users?q=$tag", $admin);
    my %by = map { (h($_)->{email} // '') => h($_) } @{ users_of($j) };
    my $listed = h($by{$target_email}{resume});
    ok($listed->{filename} eq 'Tess CV.pdf' && $listed->{size} == length($req->content)
       && $listed->{contentType} eq 'application/pdf' && ($listed->{uploadedAt} // '') =~ /\A\d{4}-\d\d-\d\dT/
       && ($listed->{url} // '') =~ /\?user=\Q$target_id\E\z/,
       'in the list, the target\'s resume has its filename, size, contentType, uploadedAt and a ?user= URL')
        or diag(JSON::PP->new->canonical->encode($listed));
    my (undef, $one) = admin(GET => "/users/$target_id", $admin);
    is_deeply($listed, h(h(hd($one)->{user})->{resume}), 'the same object as GET /auth/admin/users/ID gives');
    ok(exists $by{$decoy_email}{resume} && !defined $by{$decoy_email}{resume},
       'a user without a resume is listed with "resume": null');
}

# --- paging -------------------------------------------------------------------------------------------
{
    my (undef, $p1) = admin(GET => "/users?q=$tag&limit=1&offset=0", $admin);
    my (undef, $p2) = admin(GET => "/users?q=$tag&limit=1&offset=1", $admin);
    my (undef, $p3) = admin(GET => "/users?q=$tag&limit=1&offset=2", $admin);
    is_deeply([scalar @{ users_of($p1) }, hd($p1)->{total}], [1, 2], 'limit=1 gives one user and the whole total');
    is(scalar @{ users_of($p2) }, 1, 'limit=1&offset=1 gives the next user');
    is_deeply([sort @{ emails($p1) }, @{ emails($p2) }], [sort $target_email, $decoy_email],
              'the two pages hold the two matches, each once');
    is_deeply([emails($p3), hd($p3)->{total}], [[], 2], 'offset past the end gives no users and the same total');
    # atoi() read '10abc' as 10 and '4294967297' as whatever it overflowed to.
    for my $bad ('limit=0', 'limit=abc', 'limit=100000', 'offset=-1', 'limit=10abc', 'limit=1e1',
                 'limit=%2B5', 'limit=%205', 'limit=', 'offset=1x', 'offset=4294967297',
                 'offset=99999999999999999999') {
        my ($res) = admin(GET => "/users?$bad", $admin);
        ok(error_is($res, 400, 'invalid_request'), "GET /auth/admin/users?$bad is 400 invalid_request")
            or diag($res->status_line . ' ' . $res->content);
    }
}

# --- one user --------------------------------------------------------------------------------------------
{
    my ($res, $j) = admin(GET => "/users/$target_id", $admin);
    is($res->code, 200, 'GET /auth/admin/users/ID is 200') or diag($res->as_string);
    is(h(hd($j)->{user})->{id}, $target_id, 'data.user is the user with that id');
    is(h(hd($j)->{user})->{email}, $target_email, 'data.user.email is that user\'s');
    is_deeply([sort keys %{ h(hd($j)->{user}) }], [sort @USER_FIELDS], 'data.user has every field of the user object');
    ($res) = admin(GET => "/users/$target_id/no-such-thing", $admin);
    ok(error_is($res, 404, 'not_found'), 'GET /auth/admin/users/ID/<unknown sub-path> is 404 not_found, not the user')
        or diag($res->status_line . ' ' . $res->content);
    ($res) = admin(GET => '/users/no-such-user-' . time, $admin);
    ok(error_is($res, 404, 'not_found'), 'GET /auth/admin/users/ID of an unknown id is 404 not_found');
}

# --- PATCH role ----------------------------------------------------------------------------------------------
my $target_access;
{
    my ($res, $j) = admin(PATCH => "/users/$target_id", $admin, { role => 'EMPLOYER' });
    is($res->code, 200, 'PATCH {"role":"EMPLOYER"} is 200') or diag($res->as_string);
    is(h(hd($j)->{user})->{role}, 'EMPLOYER', 'the answer shows role EMPLOYER');
    my (undef, $lj) = login_user($target_email, $PW);
    $target_access = access_of($lj);
    is(role_of($target_access), 'EMPLOYER', 'the user\'s next sign-in gives a token with role EMPLOYER');
    is(protected_status_at('/employer/', $target_access), 200,
       'that token opens a location that requires deskauth-role EMPLOYER');
}

# --- PATCH isActive false / true ---------------------------------------------------------------------------------
{
    my $target_refresh = refresh_of($tj);
    is(protected_status($target_access), 200, 'before: the user\'s access token opens /protected/');
    my ($res, $j) = admin(PATCH => "/users/$target_id", $admin, { isActive => JSON::PP::false });
    is($res->code, 200, 'PATCH {"isActive":false} is 200') or diag($res->as_string);
    ok(false_bool(h(hd($j)->{user})->{isActive}), 'the answer shows isActive false');
    is(protected_status($target_access), 401, 'the user\'s existing access token gets 401 at once (same server)');
    is(refresh_error($target_refresh), 'invalid_grant', 'the user\'s refresh token fails at /auth/token');
    ($res) = login_user($target_email, $PW);
    ok(error_is($res, 403, 'account_disabled'), 'signing in to the disabled account is 403 account_disabled')
        or diag($res->as_string);
}
my ($target_access2, $target_refresh2);
{
    my ($res, $j) = admin(PATCH => "/users/$target_id", $admin, { isActive => JSON::PP::true });
    is($res->code, 200, 'PATCH {"isActive":true} is 200') or diag($res->as_string);
    ok(true_bool(h(hd($j)->{user})->{isActive}), 'the answer shows isActive true');
    my ($lr, $lj) = login_user($target_email, $PW);
    is($lr->code, 200, 'signing in works again after isActive true');
    ($target_access2, $target_refresh2) = (access_of($lj), refresh_of($lj));
}

# --- what PATCH refuses ----------------------------------------------------------------------------------------------
{
    my ($res) = admin(PATCH => "/users/$target_id", $admin, { email => unique_email() });
    ok(error_is($res, 400, 'invalid_request'), 'PATCH {"email":...} is 400 invalid_request') or diag($res->content);
    ($res) = admin(PATCH => "/users/$target_id", $admin, { nickname => 'tess' });
    ok(error_is($res, 400, 'invalid_request'), 'PATCH with an unknown member is 400 invalid_request') or diag($res->content);
    my (undef, $j) = admin(GET => "/users/$target_id", $admin);
    is(h(hd($j)->{user})->{email}, $target_email, 'the refused PATCHes changed nothing (email)');
    ($res) = admin(PATCH => "/users/$admin_id", $admin, { isActive => JSON::PP::false });
    ok(error_is($res, 400, 'invalid_request'), 'an admin disabling their own account is 400 invalid_request')
        or diag($res->content);
    ($res) = admin(GET => '/users', $admin);
    is($res->code, 200, 'the admin\'s own session still works after the refusal');
}

# --- DELETE /auth/admin/users/ID/sessions -----------------------------------------------------------------------------
{
    is(protected_status($target_access2), 200, 'before: the user\'s new access token opens /protected/');
    my ($res, $j) = admin(DELETE => "/users/$target_id/sessions", $admin);
    is($res->code, 200, 'DELETE /auth/admin/users/ID/sessions is 200') or diag($res->as_string);
    ok($res->content =~ /"revoked"\s*:\s*\d+\s*[,}]/ && (hd($j)->{revoked} // 0) >= 1,
       'data.revoked is a number, at least 1');
    is(protected_status($target_access2), 401, 'the user\'s access token gets 401 at once');
    is(refresh_error($target_refresh2), 'invalid_grant', 'the user\'s refresh token fails at /auth/token');
}

# Status of GET PATH with TOKEN as a Bearer token.
sub protected_status_at {
    my ($path, $token) = @_;
    my ($res) = json_req(GET => $path, undef, bearer($token // 'none'));
    return $res->code;
}

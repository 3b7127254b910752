# SQL-looking input everywhere a client can put text (interface.md, Storage "every query is
# parameterised"; every rejection is a clear 4xx): register, login,
# profile PATCH, the admin search, /auth/token codes and refresh tokens, the
# /auth/sessions/<id> path. Each value is stored and returned verbatim or
# refused with a clear 4xx, never a 500 or a 503; afterwards registration and
# sign-in still work, so the tables are intact. The LIKE wildcards of the
# admin search (% and _) match themselves only.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthForge qw(jwt_decode);
use DeskAuthOAuth qw(token_post);
use URI::Escape qw(uri_escape_utf8);

plan tests => 9 + 6 + 9 + 6 + 4 + 4;

my $PW   = 'correct horse 1';
my $mark = -s error_log_path() // 0;

sub h  { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
sub hd { my ($j) = @_; return h(h($j)->{data}) }
sub show { my ($res) = @_; return $res->status_line . ' ' . substr($res->content // '', 0, 300) }
sub access_of { my ($json) = @_; return h(h($json)->{tokens})->{accessToken} }
sub role_of { my ($token) = @_; my (undef, $p) = jwt_decode($token // ''); return h($p)->{role} }

# A 4xx with the JSON error body (or the RFC 6749 §5.2 one at /auth/token).
sub clear_4xx {
    my ($res, $json) = @_;
    return $res->code >= 400 && $res->code < 500 && defined h($json)->{error} && !ref h($json)->{error};
}

# Values of FIELDS in HASH equal to those in WANT, or a diagnostic.
sub same_fields {
    my ($got, $want) = @_;
    my @diff = grep { (h($got)->{$_} // "\0undef") ne $want->{$_} } sort keys %$want;
    return @diff ? join('; ', map { "$_: got " . (h($got)->{$_} // 'undef') . " want $want->{$_}" } @diff) : '';
}

(my $tag = lc unique_email()) =~ s/\@.*//;

# --- register and login -----------------------------------------------------------------
my %reg = (
    email     => "a'--$tag\@x.com",
    password  => $PW,
    firstName => "Robert'); DROP TABLE deskauth_users;--",
    lastName  => qq{Robert"); DROP TABLE deskauth_sessions;--},
    company   => q{' OR '1'='1},
    jobRole   => q{"; SELECT * FROM x;--},
);
my ($res, $json) = json_req(POST => '/auth/register', \%reg);
is($res->code, 201, q{register with SQL in every field (email a'--...@x.com, names "Robert'); DROP TABLE ...") is 201})
    or diag(show($res));
my $token = access_of($json);
my $user_id = h(h($json)->{user})->{id};
my %want = map { $_ => $reg{$_} } qw(email firstName lastName company jobRole);
is(same_fields(h($json)->{user}, \%want), '', 'the registration answer returns every field verbatim');

($res, $json) = json_req(GET => '/api/auth/profile', undef, bearer($token // 'none'));
is(same_fields(hd($json)->{user}, \%want), '', 'the profile returns every field verbatim: stored as sent')
    or diag(show($res));

($res, $json) = login_user($reg{email}, $PW);
ok($res->code == 200 && defined $user_id && h(h($json)->{user})->{id} eq $user_id,
   q{signing in as a'--...@x.com is 200 and finds that account}) or diag(show($res));

my @logins = (
    [q{' OR 1=1 --@x.com}, 'anything1', q{email ' OR 1=1 --@x.com}],
    ["$reg{email}' OR '1'='1", $PW, q{the account's email followed by ' OR '1'='1}],
    [$reg{email}, q{' OR '1'='1}, q{the right email and the password ' OR '1'='1}],
    [q{x@x.com'; DROP TABLE deskauth_users;--}, 'anything1', q{email x@x.com'; DROP TABLE deskauth_users;--}],
    [q{%}, 'anything1', 'email % (a LIKE wildcard)'],
);
for my $l (@logins) {
    my ($email, $password, $name) = @$l;
    ($res, $json) = login_user($email, $password);
    ok($res->code == 401 && h($json)->{error} eq 'invalid_credentials' && !h($json)->{tokens},
       "login with $name: 401 invalid_credentials, nothing issued") or diag(show($res));
}

# --- profile PATCH -------------------------------------------------------------------------------
my %patch = (
    firstName => q{x'; UPDATE deskauth_users SET role='ADMIN';--},
    lastName  => q{O'Brien"); DROP TABLE deskauth_sessions;--},
    company   => q{'; DELETE FROM deskauth_sessions;--},
    jobRole   => q{' OR ''='},
);
($res, $json) = json_req(PATCH => '/api/auth/profile', \%patch, bearer($token // 'none'));
is($res->code, 200, 'PATCH the profile with SQL in every field: 200') or diag(show($res));
is(same_fields(hd($json)->{user}, \%patch), '', 'the PATCH answer returns the fields verbatim');
($res, $json) = json_req(GET => '/api/auth/profile', undef, bearer($token // 'none'));
ok($res->code == 200 && same_fields(hd($json)->{user}, \%patch) eq '',
   'the profile still opens with the same token (no session deleted) and shows the new fields verbatim')
    or diag(show($res));
is(hd($json)->{user}{role}, 'USER', q{the role is still USER (the "SET role='ADMIN'" text is only text)});
($res, $json) = json_req(PATCH => '/api/auth/profile', { role => q{ADMIN'--} }, bearer($token // 'none'));
ok($res->code == 400 && clear_4xx($res, $json) && (h($json)->{message} // '') =~ /\brole\b/,
   q{PATCH {"role":"ADMIN'--"} is 400 naming the read-only field}) or diag(show($res));
{
    # Module defect (reported): json-c keeps a \u0000 escape as a NUL inside
    # the string, and da_json_get_str() hands it on as a C string, so the
    # text after it is silently dropped ("Bobby" is stored, 200).
    ($res, $json) = json_req(PATCH => '/api/auth/profile', { firstName => "Bobby\x00'; DROP TABLE x;--" }, bearer($token // 'none'));
    ok($res->code == 400 && clear_4xx($res, $json), 'PATCH with a NUL character (\u0000) in a name is a clear 400, not a silent truncation')
        or diag(show($res));
}

# --- the admin search ----------------------------------------------------------------------------
my ($ar, $aj, $af) = register_user(firstName => 'Root', lastName => "Admin$tag");
my $ctl = deskauthctl('user', 'set-role', lc $af->{email}, 'ADMIN');
my ($lr, $lj) = login_user($af->{email}, $PW);
my $admin = access_of($lj);
ok($ar->code == 201 && $ctl == 0 && ($lr->code == 200) && (role_of($admin) // '') eq 'ADMIN',
   'setup: an ADMIN (deskauthctl user set-role, then a new sign-in)') or diag("ctl $ctl; " . show($lr));

my @wild = map { (register_user(lastName => $_))[0]->code } ("p${tag}%z", "p${tag}abz", "u${tag}_z", "u${tag}xz");
sub search {
    my ($q) = @_;
    my ($r, $j) = json_req(GET => '/auth/admin/users?limit=200&q=' . uri_escape_utf8($q), undef, bearer($admin // 'none'));
    my $users = hd($j)->{users};
    return ($r, $j, [map { lc(h($_)->{lastName} // '') } @{ ref $users eq 'ARRAY' ? $users : [] }]);
}
{
    my ($r, $j, $names) = search(q{Robert'); DROP TABLE deskauth_users;--});
    ok($r->code == 200 && (hd($j)->{total} // -1) == 0,
       q{admin search q=Robert'); DROP TABLE ...: 200, nobody (that first name was patched away)}) or diag(show($r));
    ($r, $j, $names) = search(q{O'Brien"); DROP TABLE deskauth_sessions;--});
    ok($r->code == 200 && (hd($j)->{total} // -1) == 1 && (h(hd($j)->{users}[0])->{id} // '') eq ($user_id // 'x'),
       q{admin search q=O'Brien"); DROP TABLE ...: 200, exactly the account with that last name}) or diag(show($r));
    my ($all) = (search(''))[1];
    ($r, $j) = search(q{' OR '1'='1});
    ok($r->code == 200 && (hd($j)->{total} // -1) == 0 && (hd($all)->{total} // 0) > 1,
       q{admin search q=' OR '1'='1: 200 and nobody (not every user)}) or diag(show($r));
    ($r, $j, $names) = search("p${tag}%");
    is("@wild @$names", "201 201 201 201 p${tag}%z", 'admin search: % matches only a literal % (p%z found, pabz not)')
        or diag(show($r));
    ($r, $j, $names) = search("u${tag}_z");
    is("@$names", "u${tag}_z", 'admin search: _ matches only a literal _ (u_z found, uxz not)') or diag(show($r));
    ($r, $j) = search(q{!%'_"\\});
    ok($r->code == 200 && (hd($j)->{total} // -1) == 0, q{admin search with the escape character and quotes (!%'_"\\): 200, nobody})
        or diag(show($r));
    ($r, $j) = json_req(GET => '/auth/admin/users/' . uri_escape_utf8(q{' OR '1'='1}), undef, bearer($admin // 'none'));
    ok($r->code == 404 && clear_4xx($r, $j), q{GET /auth/admin/users/' OR '1'='1 is 404}) or diag(show($r));
    ($r, $j) = json_req(PATCH => '/auth/admin/users/' . uri_escape_utf8(($user_id // 'x') . q{' OR '1'='1}),
                        { isActive => JSON::PP::false }, bearer($admin // 'none'));
    my ($p) = json_req(GET => '/api/auth/profile', undef, bearer($token // 'none'));
    ok($r->code == 404 && $p->code == 200, q{PATCH /auth/admin/users/<id>' OR '1'='1 {"isActive":false} is 404 and disables no one})
        or diag(show($r) . ' / ' . show($p));
}

# --- /auth/token ---------------------------------------------------------------------------------
{
    my @grants = (
        [[grant_type => 'authorization_code', code => q{' OR '1'='1}, client_id => q{example-app' --},
          redirect_uri => q{http://127.0.0.1/callback' OR 1=1--}, code_verifier => 'v' x 43],
         q{authorization_code with code ' OR '1'='1 and client_id example-app' --}],
        [[grant_type => 'authorization_code', code => q{x' UNION SELECT * FROM deskauth_codes--},
          client_id => 'example-app', redirect_uri => 'http://127.0.0.1/callback', code_verifier => 'v' x 43],
         q{authorization_code with code x' UNION SELECT ...}],
        [[grant_type => 'refresh_token', refresh_token => q{' OR 1=1 --}], q{refresh_token ' OR 1=1 --}],
        [[grant_type => 'urn:deskauth:connection-file', code => q{'; DELETE FROM deskauth_sessions;--},
          client_id => q{'; DROP TABLE deskauth_codes;--}], q{connection-file code '; DELETE FROM deskauth_sessions;--}],
    );
    for my $g (@grants) {
        my ($form, $name) = @$g;
        my ($r, $j) = token_post($form);
        # an unknown client_id is 401 invalid_client (RFC 6749 §5.2)
        ok((($r->code == 400 && (h($j)->{error} // '') =~ /^(?:invalid_grant|invalid_request)$/)
            || ($r->code == 401 && (h($j)->{error} // '') eq 'invalid_client')) && !h($j)->{access_token},
           "/auth/token $name: 400 or 401 with an OAuth error, nothing issued") or diag(show($r));
    }
    my ($r, $j) = json_req(POST => '/auth/token', { refreshToken => q{' OR '1'='1} });
    ok($r->code == 401 && (h($j)->{error} // '') eq 'unauthorized', q{JSON {"refreshToken":"' OR '1'='1"}: 401 unauthorized})
        or diag(show($r));
    ($r, $j) = json_req(POST => '/auth/token', undef, Authorization => q{Bearer ' OR '1'='1});
    ok($r->code == 401 && (h($j)->{error} // '') eq 'unauthorized', q{Authorization: Bearer ' OR '1'='1 at /auth/token: 401 unauthorized})
        or diag(show($r));
}

# --- /auth/sessions/<id> -----------------------------------------------------------------------
{
    for my $id (q{' OR '1'='1}, q{x'; DELETE FROM deskauth_sessions;--}, q{%}) {
        my ($r, $j) = json_req(DELETE => '/auth/sessions/' . uri_escape_utf8($id), undef, bearer($token // 'none'));
        ok($r->code == 404 && (h($j)->{error} // '') eq 'not_found', "DELETE /auth/sessions/$id is 404 not_found")
            or diag(show($r));
    }
    my ($r, $j) = json_req(GET => '/auth/sessions', undef, bearer($token // 'none'));
    my $sessions = hd($j)->{sessions};
    ok($r->code == 200 && ref $sessions eq 'ARRAY' && @$sessions >= 2 && grep({ h($_)->{current} } @$sessions),
       'the caller still has all their sessions (the current one and the earlier sign-in)') or diag(show($r));
}

# --- afterwards: the tables are intact -------------------------------------------------------------
{
    my ($r, $j, $f) = register_user(firstName => q{Still'; --}, lastName => 'Works');
    is($r->code, 201, 'a new registration still works (deskauth_users intact)') or diag(show($r));
    ($r, $j) = login_user($f->{email}, $PW);
    is($r->code, 200, 'and it signs in (deskauth_sessions intact)') or diag(show($r));
    ($r, $j) = login_user($reg{email}, $PW);
    ok($r->code == 200 && (h(h($j)->{user})->{id} // '') eq ($user_id // 'x'),
       q{the a'--...@x.com account still signs in}) or diag(show($r));
    my $log = error_log_since($mark);
    my @bad = grep { /database error|DA00034|exit signal|Segmentation fault|AddressSanitizer|\[(?:[a-z_]+:)?(?:emerg|alert|crit)\]/ }
              split /\n/, $log;
    ok(!@bad, 'the error log shows no database error and no crash for any of these requests')
        or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
}


# interface.md, Sign-up and sign-in error table: every row is asserted somewhere in t/api and t/pages.
#
#   400 invalid_request        register.t, login.t, profile.t; here: non-object JSON
#   401 invalid_credentials    login.t
#   401 unauthorized           profile.t, logout.t; here: other ways to send no/bad token
#   403 account_disabled       here (account disabled with deskauthctl)
#   403 forbidden              register.t (role), forms.t (CSRF, Origin)
#   404 not_found              here
#   405 method_not_allowed     register.t; here on the other handlers, with Allow
#   409 user_exists            register.t
#   413 payload_too_large      register.t; here at login and profile
#   415 unsupported_media_type register.t, profile.t; here at login
#   429 rate_limited           here (the default DeskAuthLoginLimit); ratelimit.t
#   503 unavailable            later work (needs the database taken down)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use JSON::PP ();
use LWP::UserAgent ();
use HTTP::Request ();
use DeskAuthTest;
use DeskAuthServer;

plan tests => 96;



# Four assertions: status, JSON content type, the exact JSON error shape of docs/interface.md, the code.
sub error_ok {
    my ($res, $status, $code, $name) = @_;
    my $j = jbody($res);
    is $res->code, $status, "${name}_status_is_$status";
    like $res->header('Content-Type') // '', qr{^application/json\b}i,
        "${name}_answers_application_json";
    is_deeply [sort keys %{ ref $j eq 'HASH' ? $j : {} }],
        [qw(error message success)],
        "${name}_body_has_exactly_success_error_message";
    ok(ref $j eq 'HASH'
           && JSON::PP::is_bool($j->{success}) && !$j->{success}
           && defined $j->{error} && !ref $j->{error} && $j->{error} eq $code
           && defined $j->{message} && !ref $j->{message} && length $j->{message},
       "${name}_is_success_false_error_${code}_with_message")
        or diag 'body: ' . $res->content;
}

my %J = ('Content-Type' => 'application/json', 'Accept' => 'application/json');

my ($rres) = register_user();
my $tok = (jbody($rres) || {})->{tokens}{accessToken} // '';
is $rres->code, 201, 'errors_setup_registration_is_201';

# --- 400 invalid_request ------------------------------------------------------

{
    my $r = raw_req(POST => '/auth/login', '"just a string"', %J);
    error_ok($r, 400, 'invalid_request', 'login_json_body_that_is_not_an_object');
}
{
    my $r = raw_req(PATCH => '/api/auth/profile', '[1,2,3]', %J, bearer($tok));
    error_ok($r, 400, 'invalid_request', 'profile_patch_json_array_body');
}

# --- 401 unauthorized -----------------------------------------------------------

{
    my ($r) = json_req(GET => '/api/auth/profile', undef);
    error_ok($r, 401, 'unauthorized', 'profile_without_token');
}
{
    my ($r) = json_req(GET => '/api/auth/profile', undef, bearer('garbage'));
    error_ok($r, 401, 'unauthorized', 'profile_with_garbage_token');
    like $r->header('WWW-Authenticate') // '', qr/\berror="invalid_token"/,
        'profile_with_garbage_token_has_error_invalid_token';
}
{
    my ($r) = json_req(GET => '/api/auth/profile-with-token', undef);
    error_ok($r, 401, 'unauthorized', 'profile_with_token_url_without_token');
}
{
    my ($r) = json_req(GET => '/api/auth/profile', undef,
                       Authorization => 'Basic YWRhQGV4YW1wbGUuY29tOnNlY3JldA==');
    error_ok($r, 401, 'unauthorized', 'profile_with_basic_credentials_instead_of_bearer');
}

# --- 404 not_found --------------------------------------------------------------

{
    my ($r) = json_req(GET => '/api/auth/profile/nope', undef, bearer($tok));
    error_ok($r, 404, 'not_found', 'profile_unknown_sub_path_with_valid_token');
}

# --- 405 method_not_allowed, with Allow -------------------------------------------

{
    # GET is the OpenID Connect end_session_endpoint (a "Sign out?" page)
    my ($r) = json_req(PUT => '/auth/logout', undef);
    error_ok($r, 405, 'method_not_allowed', 'logout_PUT');
    like $r->header('Allow') // '', qr/\bPOST\b/, 'logout_405_has_Allow_listing_POST';
    my $allow = $r->header('Allow') // '';
    ok length($allow) && $allow !~ /\bPUT\b/, 'logout_405_Allow_does_not_list_PUT';
}
{
    my ($r) = json_req(PUT => '/auth/login', {});
    error_ok($r, 405, 'method_not_allowed', 'login_PUT');
    my $allow = $r->header('Allow') // '';
    ok $allow =~ /\bGET\b/ && $allow =~ /\bPOST\b/, 'login_405_has_Allow_listing_GET_and_POST';
}
{
    my ($r) = json_req(PUT => '/auth/register', {});
    error_ok($r, 405, 'method_not_allowed', 'register_PUT');
    my $allow = $r->header('Allow') // '';
    ok $allow =~ /\bGET\b/ && $allow =~ /\bPOST\b/, 'register_405_has_Allow_listing_GET_and_POST';
}

# Every route answers the methods it does not take from the route table: 405
# with exactly the table's Allow (GET includes HEAD).
for my $case (['PUT', '/.well-known/jwks.json', 'GET'],
              ['DELETE', '/auth/token', 'POST'],
              ['PUT', '/auth/callback', 'GET, POST'],
              ['OPTIONS', '/auth/sessions', 'GET, POST, DELETE']) {
    my ($m, $path, $allow) = @$case;
    my ($r) = json_req($m => $path, undef);
    error_ok($r, 405, 'method_not_allowed', "route_table_${m}_$path");
    is $r->header('Allow'), $allow, "route_table_${m}_${path}_Allow_is_the_table_s";
}

# --- 413 payload_too_large ---------------------------------------------------------

{
    my $body = JSON::PP->new->encode({ email => unique_email(), password => 'x',
                                        padding => 'p' x (70 * 1024) });
    my $r = raw_req(POST => '/auth/login', $body, %J);
    error_ok($r, 413, 'payload_too_large', 'login_json_body_of_70_KiB');
}
{
    my $body = JSON::PP->new->encode({ company => 'c', padding => 'p' x (70 * 1024) });
    my $r = raw_req(PATCH => '/api/auth/profile', $body, %J, bearer($tok));
    error_ok($r, 413, 'payload_too_large', 'profile_patch_json_body_of_70_KiB');
}

# --- 415 unsupported_media_type ------------------------------------------------------

{
    my $r = raw_req(POST => '/auth/login', '{"email":"a@example.com","password":"x"}',
                    'Content-Type' => 'text/plain', Accept => 'application/json');
    error_ok($r, 415, 'unsupported_media_type', 'login_text_plain_body');
}
{
    my $r = raw_req(POST => '/auth/login', '<login/>',
                    'Content-Type' => 'application/xml', Accept => 'application/json');
    error_ok($r, 415, 'unsupported_media_type', 'login_xml_body');
}

# --- 429 rate_limited (DeskAuthLoginLimit default: 5 failures per account) -----

# The main server's limits are huge (t/conf/extra.conf.in): a server of its
# own keeps the default, DeskAuthLoginLimit 5 900.
SKIP: {
    my @missing = DeskAuthServer::missing();
    skip 'needs ' . join(', ', @missing), 7 if @missing;
    my $srv = DeskAuthServer->new(name => 'errors-429');
    ok $srv->start, 'login_limit_server_with_the_default_limit_starts' or diag $srv->why;
    my $email = unique_email();
    $srv->ctl_add_user($email, 'correct horse 1') or diag $srv->why;
    my @codes = map { ($srv->req(POST => '/auth/login',
                                 json => {email => $email, password => "wrong password $_"}))[0]->code } 1 .. 5;
    is "@codes", '401 401 401 401 401', 'login_five_failures_in_the_window_are_each_401';
    my ($r) = $srv->req(POST => '/auth/login', json => {email => $email, password => 'correct horse 1'});
    error_ok($r, 429, 'rate_limited', 'login_sixth_attempt_after_five_failures');
    my $ra = $r->header('Retry-After') // '';
    ok $ra =~ /^\d+$/ && $ra >= 1 && $ra <= 900, 'login_429_has_Retry_After_seconds_within_900'
        or diag "Retry-After: $ra";
    $srv->stop;
}

# --- 403 account_disabled (interface.md, Sessions and sign-out; the account is disabled with
# deskauthctl, interface.md, Administration, which works on the live database) -------------------

{
    my ($reg, undef, $f) = register_user();
    my $old = (jbody($reg) || {})->{tokens}{accessToken} // '';
    is deskauthctl('user', 'disable', $f->{email}), 0, 'deskauthctl_user_disable_exits_0';
    my ($r) = login_user($f->{email}, $f->{password});
    error_ok($r, 403, 'account_disabled', 'login_to_a_disabled_account');
    sleep 11;                    # DeskAuthSessionCacheTTL: the CLI cannot drop the server's cache
    my ($p) = json_req(GET => '/api/auth/profile', undef, bearer($old));
    ok length($old) && $p->code == 401, 'disabled_account_sessions_stop_working';
    my ($n) = register_user();
    is $n->code, 201, 'registration_keeps_working_after_deskauthctl_ran_on_the_live_database'
        or diag $n->status_line;
}

# deskauthctl on the test server's database (t/conf/deskauth-db.conf, written
# by t/run), as the user the server's children run as; its exit status.
sub deskauthctl {
    my @cmd = @_;
    my $conf = Apache::Test::vars('t_conf') . '/deskauth-db.conf';
    my ($driver, $params);
    if (open my $fh, '<', $conf) {
        while (<$fh>) {
            $driver = $1 if /^\s*DBDriver\s+(\S+)/;
            $params = $1 // $2 if /^\s*DBDParams\s+(?:"([^"]*)"|(\S+))/;
        }
    }
    my $ctl = Apache::Test::vars('top_dir') . '/deskauthctl';
    return -1 unless defined $driver && defined $params && -x $ctl;
    my @run = ($ctl, '--dbd-driver', $driver, '--dbd-params', $params, @cmd);
    unshift @run, 'runuser', '-u', Apache::Test::vars('user'), '--' if $> == 0;
    open my $null, '>', '/dev/null';
    my $pid = fork // return -1;
    if (!$pid) { open STDOUT, '>&', $null; exec @run; exit 127 }
    waitpid $pid, 0;
    return $? >> 8;
}

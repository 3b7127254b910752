# UserInfo (deskauth-userinfo, /auth/userinfo): GET or POST with a Bearer
# access token (header, or access_token in a form body, RFC 6750 §2.2), the
# claims of the granted scopes, Cache-Control: no-store; 403
# insufficient_scope without openid; 401 with WWW-Authenticate otherwise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthOIDC;
use DeskAuthForge qw(claims_from);

plan tests => 20;

sub h { ref $_[0] eq 'HASH' ? $_[0] : {} }
sub tokens_for {
    my %o = @_;
    my $f = oidc_signin(%o);
    my (undef, $j) = oidc_exchange($f);
    return (h($j), $f);
}

my ($t, $f) = tokens_for(scope => 'openid profile email');
my ($res, $json) = token_request(GET => '/auth/userinfo', undef, bearer($t->{access_token}));
is($res->code, 200, 'GET with the Bearer token: 200');
like($res->header('Cache-Control') // '', qr/no-store/, 'Cache-Control: no-store');
is(h($json)->{sub}, claims_from($t->{id_token})->{sub}, 'sub is the ID token sub');
is_deeply([@{ h($json) }{qw(email given_name family_name name)}], [$f->{email}, 'Ada', 'Lovelace', 'Ada Lovelace'],
          'the claims of scopes profile and email');
($res, $json) = token_post([access_token => $t->{access_token}], path => '/auth/userinfo');
ok($res->code == 200 && h($json)->{email} eq $f->{email}, 'POST with access_token in the form body: 200 with the claims');
($res, $json) = token_request(POST => '/auth/userinfo', '', bearer($t->{access_token}));
is($res->code, 200, 'POST with the Bearer header: 200');
($res) = token_post([access_token => $t->{access_token}], path => '/auth/userinfo', bearer($t->{access_token}));
is($res->code, 400, 'the token in both the header and the body: 400 (RFC 6750 §2)');

my ($o) = tokens_for(scope => 'openid');
($res, $json) = token_request(GET => '/auth/userinfo', undef, bearer($o->{access_token}));
ok($res->code == 200 && !exists h($json)->{email} && !exists h($json)->{name} && h($json)->{sub},
   'scope openid alone: sub only');
my ($e) = tokens_for(scope => 'email profile');
($res, $json) = token_request(GET => '/auth/userinfo', undef, bearer($e->{access_token}));
is($res->code, 403, 'a token without openid: 403');
is(h($json)->{error}, 'insufficient_scope', 'error insufficient_scope');
like($res->header('WWW-Authenticate') // '', qr/^Bearer .*error="insufficient_scope"/, 'WWW-Authenticate says insufficient_scope');
my (undef, $lj) = login_user($f->{email}, $f->{password});
($res) = token_request(GET => '/auth/userinfo', undef, bearer(h(h($lj)->{tokens})->{accessToken}));
is($res->code, 403, "the website's own token (no scope): 403 insufficient_scope");

($res, $json) = token_request(GET => '/auth/userinfo');
is($res->code, 401, 'no token: 401');
like($res->header('WWW-Authenticate') // '', qr/^Bearer realm="[^"]+"\z/, 'no token: WWW-Authenticate without error');
($res) = token_request(GET => '/auth/userinfo', undef, bearer($t->{id_token}));
ok($res->code == 401 && ($res->header('WWW-Authenticate') // '') =~ /error="invalid_token"/,
   'an ID token instead of an access token: 401 invalid_token');
my $broken = $t->{access_token} =~ s/.\z/$& eq 'A' ? 'B' : 'A'/er;
($res) = token_request(GET => '/auth/userinfo', undef, bearer($broken));
is($res->code, 401, 'an altered access token: 401');
($res) = token_request(DELETE => '/auth/userinfo', undef, bearer($t->{access_token}));
is($res->code, 405, 'DELETE: 405');
token_post([token => $t->{refresh_token}], path => '/auth/revoke');
($res) = token_request(GET => '/auth/userinfo', undef, bearer($t->{access_token}));
is($res->code, 401, 'after revocation of the session: 401');
my ($d) = tokens_for(scope => 'openid email');
json_req(PATCH => '/api/auth/profile', { firstName => 'Grace' }, bearer($d->{access_token}));
($res, $json) = token_request(GET => '/auth/userinfo', undef, bearer($d->{access_token}));
ok(!exists h($json)->{given_name}, 'scope email only: no profile claims');
my ($p) = tokens_for(scope => 'openid profile', email => $f->{email}, password => $f->{password});
($res, $json) = token_request(GET => '/auth/userinfo', undef, bearer($p->{access_token}));
is(h($json)->{given_name}, 'Ada', 'UserInfo reads the account as it is now');

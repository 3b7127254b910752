# With an HMAC signing key the server is not an OpenID provider (a public
# client cannot check an HMAC signature): the OIDC discovery document is 404,
# the RFC 8414 one lacks the OIDC members, openid is refused with
# invalid_scope sent back to the app, and configtest warns about a client
# configured for OpenID Connect. With no device=on client the device grant
# is not announced either. A server of its own (t/lib/DeskAuthServer.pm).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest ();
use DeskAuthServer;
use DeskAuthForge qw(key_path);
use DeskAuthOAuth qw(query_params pkce_pair challenge_of);

plan tests => 9;

my $hs = key_path('hs256.key');
my $secret = key_path('client-secret.txt');
my $s = DeskAuthServer->new(name => 'hmac', conf => <<"CONF");
DeskAuthSigningKey "$hs" hs-test
DeskAuthClient oidc-web https://rp.example/cb "name=RP" "secret=$secret"
<Location /.well-known/openid-configuration>
    SetHandler deskauth-metadata
</Location>
<Location /.well-known/oauth-authorization-server>
    SetHandler deskauth-metadata
</Location>
CONF
$s->start or BAIL_OUT('the HMAC server does not start: ' . $s->why);

my ($r) = $s->req(GET => '/.well-known/openid-configuration');
is($r->code, 404, 'with an HMAC key /.well-known/openid-configuration is 404');
my ($m, $j) = $s->req(GET => '/.well-known/oauth-authorization-server');
is($m->code, 200, 'the RFC 8414 document is still served');
ok(!exists $j->{id_token_signing_alg_values_supported} && !exists $j->{userinfo_endpoint},
   'it announces no ID token algorithm and no UserInfo endpoint');
ok(!grep({ $_ eq 'openid' } @{ $j->{scopes_supported} // [] }), 'openid is not in scopes_supported');
ok(!exists $j->{device_authorization_endpoint}
   && !grep({ /device_code/ } @{ $j->{grant_types_supported} // [] }),
   'no client has device=on here: no device_authorization_endpoint, no device grant announced');

my (undef, $c) = pkce_pair();
for my $scope ('openid', 'openid profile email') {
    my $u = URI->new($s->url('/auth/login'));
    $u->query_form(client_id => 'example-app', redirect_uri => 'http://127.0.0.1:5000/callback',
                   response_type => 'code', state => 'st', scope => $scope,
                   code_challenge => $c, code_challenge_method => 'S256');
    my ($res) = $s->req(GET => $u->path_query, headers => { Accept => 'text/html' });
    my $q = query_params($res->header('Location'));
    is_deeply([$res->code, @$q{qw(error state iss)}], [303, 'invalid_scope', 'st', $s->base],
              "scope=$scope: invalid_scope back to the app with state and iss");
}
like($s->error_log, qr/DA00500: DeskAuthClient oidc-web: uses OpenID Connect, but the signing key is HMAC/,
     'startup warns that a client configured for OpenID Connect has no OpenID provider');
my $out = `"${\ DeskAuthServer::httpd()}" -t -f "${\ $s->conf_file}" -d "${\ $s->dir}" 2>&1`;
like($out, qr/DA00500: .*not an OpenID provider/, 'configtest (httpd -t) prints the warning too');
$s->stop;

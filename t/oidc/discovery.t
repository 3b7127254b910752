# OpenID Connect Discovery 1.0 and RFC 8414: both well-known documents carry
# the same members with the same values, absolute endpoint URLs, the
# configured algorithm only (ES256 here, RS256 on the RSA-keyed virtual
# host), and one caching policy.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use URI;
use Apache::TestRequest ();

my @members = qw(issuer authorization_endpoint token_endpoint userinfo_endpoint jwks_uri
                 end_session_endpoint revocation_endpoint scopes_supported
                 response_types_supported response_modes_supported grant_types_supported
                 subject_types_supported id_token_signing_alg_values_supported
                 token_endpoint_auth_methods_supported code_challenge_methods_supported
                 claims_supported prompt_values_supported
                 authorization_response_iss_parameter_supported request_parameter_supported);

plan tests => 4 + @members + 12 + 9 + 3;

my ($or, $oidc) = token_request(GET => '/.well-known/openid-configuration');
my ($ar, $oauth) = token_request(GET => '/.well-known/oauth-authorization-server');
is($or->code, 200, 'GET /.well-known/openid-configuration is 200');
is($ar->code, 200, 'GET /.well-known/oauth-authorization-server is 200');
is_deeply($oidc, $oauth, 'both documents are identical');
like($or->header('Content-Type') // '', qr{^application/json\b}, 'the document is application/json');
for my $m (@members) {
    ok(exists $oidc->{$m}, "discovery has $m");
}
is($oidc->{issuer}, $oauth->{issuer} && URI->new(url('/'))->scheme . '://' . URI->new(url('/'))->host_port,
   'issuer is DeskAuthIssuer (the test server\'s own URL)');
like($oidc->{userinfo_endpoint} // '', qr{^https?://[^/]+/auth/userinfo\z}, 'userinfo_endpoint is the absolute /auth/userinfo URL');
like($oidc->{end_session_endpoint} // '', qr{^https?://[^/]+/auth/logout\z}, 'end_session_endpoint is the deskauth-logout URL');
is_deeply($oidc->{scopes_supported}, [qw(openid profile email offline_access)], 'scopes_supported: openid profile email offline_access');
is_deeply($oidc->{id_token_signing_alg_values_supported}, ['ES256'],
          'id_token_signing_alg_values_supported is exactly the configured ES256 (no RS256)');
is_deeply($oidc->{response_modes_supported}, ['query'], 'response_modes_supported: query');
is_deeply($oidc->{subject_types_supported}, ['public'], 'subject_types_supported: public');
is_deeply($oidc->{prompt_values_supported}, [qw(none login consent select_account)], 'prompt_values_supported');
ok($oidc->{authorization_response_iss_parameter_supported} && !$oidc->{request_parameter_supported},
   'iss in authorization responses is announced; request objects are not');
for my $k (qw(authorization_endpoint token_endpoint jwks_uri revocation_endpoint)) {
    like($oidc->{$k} // '', qr{^\Q$oidc->{issuer}\E/\S+\z}, "$k is an absolute URL under the issuer");
}
is_deeply($oidc->{response_types_supported}, ['code'], 'response_types_supported: code only');
is_deeply($oidc->{code_challenge_methods_supported}, ['S256'], 'code_challenge_methods_supported: S256 only');
is_deeply($oidc->{token_endpoint_auth_methods_supported}, [qw(none client_secret_basic client_secret_post)],
          'token_endpoint_auth_methods_supported: none, client_secret_basic, client_secret_post');
my %grants = map { $_ => 1 } @{ $oidc->{grant_types_supported} // [] };
ok($grants{authorization_code} && $grants{refresh_token} && !$grants{implicit} && !$grants{password},
   'grant_types_supported: authorization_code and refresh_token, no implicit or password grant')
    or diag(join ' ', keys %grants);
my $raw = $or->content;
ok($raw =~ /"authorization_response_iss_parameter_supported"\s*:\s*true\b/
   && $raw =~ /"request_parameter_supported"\s*:\s*false\b/,
   'the two flags are the JSON booleans true and false') or diag($raw);
my %claims = map { $_ => 1 } @{ $oidc->{claims_supported} // [] };
ok(!grep({ !$claims{$_} } qw(sub iss aud azp exp iat auth_time nonce sid amr name given_name family_name
                             updated_at role company job_role email email_verified)),
   'claims_supported lists the ID token and scope claims')
    or diag(join ' ', sort keys %claims);
my $cc = $or->header('Cache-Control') // '';
like($cc, qr/\bpublic\b.*max-age=\d+|max-age=\d+.*\bpublic\b/, 'Cache-Control: public with a max-age');
ok($cc !~ /no-store|no-cache/ && !grep({ /no-cache/ } $or->header('Pragma')),
   'no contradicting no-store / no-cache / Pragma: no-cache next to it')
    or diag("Cache-Control: $cc; Pragma: " . ($or->header('Pragma') // ''));

# --- an RSA signing key: the suite's virtual host (deskauth_vhost) announces RS256 only ------------
{
    my $old = Apache::TestRequest::module();
    Apache::TestRequest::module('deskauth_vhost');
    my (undef, $v) = token_request(GET => '/.well-known/openid-configuration');
    my (undef, $va) = token_request(GET => '/.well-known/oauth-authorization-server');
    Apache::TestRequest::module($old // 'default');
    is_deeply(ref $v eq 'HASH' ? $v->{id_token_signing_alg_values_supported} : undef, ['RS256'],
              'with an RSA key: id_token_signing_alg_values_supported is exactly RS256');
    is(ref $v eq 'HASH' ? $v->{issuer} : undef, 'https://vhost.deskauth.test', 'and the issuer is that server\'s own');
    is_deeply($v, $va, 'its two documents are identical too');
}

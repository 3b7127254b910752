# RFC 8414 metadata, the JWKS, and RFC 7009 revocation (interface.md, Handlers; Tokens; Desktop hand-off;
# docs/behaviour.md "Revocation and metadata").
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(jwt_decode);
use JSON::PP ();

plan tests => 16 + 9 + 8 + 4 + 3 + 3 + 4 + 3;

sub h   { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
sub err { my ($j) = @_; return ref $j eq 'HASH' ? $j->{error} : undef }

sub revoke {
    my (@pairs) = @_;
    return token_post([@pairs], path => '/auth/revoke');
}
sub refresh {
    my ($r) = @_;
    return token_post([grant_type => 'refresh_token', refresh_token => $r // 'none']);
}

# --- /.well-known/oauth-authorization-server (RFC 8414) ----------------------------------
{
    my ($res, $json) = token_request(GET => '/.well-known/oauth-authorization-server');
    my $m = h($json);
    is($res->code, 200, 'GET /.well-known/oauth-authorization-server is 200');
    like($res->header('Content-Type') // '', qr{^application/json\b}i, 'the metadata is application/json');
    is($m->{issuer}, origin(), 'issuer is DeskAuthIssuer (the test server\'s origin)');
    my %paths = (authorization_endpoint => '/auth/login', token_endpoint => '/auth/token',
                 revocation_endpoint => '/auth/revoke', jwks_uri => '/.well-known/jwks.json');
    for my $k (sort keys %paths) {
        like($m->{$k} // '', qr{^https?://[^/\s]+\Q$paths{$k}\E\z}, "$k is an absolute URL ending in $paths{$k}");
    }
    is($m->{token_endpoint}, url('/auth/token'), 'the endpoint URLs are built from DeskAuthIssuer');
    is_deeply($m->{response_types_supported}, ['code'], 'response_types_supported is ["code"]');
    is_deeply($m->{code_challenge_methods_supported}, ['S256'], 'code_challenge_methods_supported is ["S256"] only (no plain)');
    my %g = map { $_ => 1 } @{ ref $m->{grant_types_supported} eq 'ARRAY' ? $m->{grant_types_supported} : [] };
    ok($g{authorization_code}, 'grant_types_supported contains authorization_code');
    ok($g{refresh_token}, 'grant_types_supported contains refresh_token');
    ok(!$g{implicit} && !$g{password}, 'grant_types_supported lists neither implicit nor password');
    is_deeply($m->{token_endpoint_auth_methods_supported}, ['none', 'client_secret_basic', 'client_secret_post'],
              'token_endpoint_auth_methods_supported is none (public clients), client_secret_basic and client_secret_post');
    my ($post) = token_request(POST => '/.well-known/oauth-authorization-server', '{}', 'Content-Type' => 'application/json');
    is($post->code, 405, 'POST to the metadata is 405');
    my ($jw, $jj) = token_request(GET => $m->{jwks_uri} // '/none');
    is($jw->code, 200, 'the jwks_uri of the metadata answers 200');
}

# --- /.well-known/jwks.json -----------------------------------------------------------------
{
    my ($res, $json) = token_request(GET => '/.well-known/jwks.json');
    my $keys = ref h($json)->{keys} eq 'ARRAY' ? $json->{keys} : [];
    my %by = map { (h($_)->{kid} // '') => h($_) } @$keys;
    is($res->code, 200, 'GET /.well-known/jwks.json is 200');
    like($res->header('Content-Type') // '', qr{^application/(?:jwk-set\+)?json\b}i, 'the JWKS is JSON');
    ok($by{'test-es256'} && $by{'old-es256'}, 'the JWKS has kid test-es256 (signing) and old-es256 (verify only)');
    for my $kid ('test-es256', 'old-es256') {
        my $k = $by{$kid} // {};
        ok(($k->{kty} // '') eq 'EC' && ($k->{crv} // '') eq 'P-256', "$kid: kty EC, crv P-256");
        ok(defined $k->{x} && defined $k->{y} && $k->{x} =~ /^[A-Za-z0-9_-]{43}\z/ && $k->{y} =~ /^[A-Za-z0-9_-]{43}\z/,
           "$kid: x and y are 32-byte base64url coordinates");
    }
    is_deeply([grep { my $k = $_; grep { exists $k->{$_} } qw(d p q dp dq qi k) } @$keys], [],
              'no key in the JWKS has a private member ("d" or other)');
    my $t = desktop_tokens();
    my ($hdr) = jwt_decode($t->{access} // '');
    is(h($hdr)->{kid}, 'test-es256', 'issued tokens name kid test-es256, which the JWKS publishes');
}

# --- POST /auth/revoke (RFC 7009) -------------------------------------------------------------
my (undef, undef, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};

{
    my $t = desktop_tokens(email => $email, password => $password);
    my $other = desktop_tokens(email => $email, password => $password);
    is(protected_status($t->{access}), 200, 'setup: the desktop access token works before revocation');
    my ($res, $json) = revoke(token => $t->{refresh} // 'none');
    is($res->code, 200, 'POST /auth/revoke token=<refresh token> is 200');
    my ($rr, $rj) = refresh($t->{refresh});
    is($rr->code, 400, 'the revoked refresh token is refused (400)');
    is(err($rj), 'invalid_grant', 'the revoked refresh token gets invalid_grant');
    is(protected_status($t->{access}), 401, 'revoking the refresh token revokes the session: its access token gets 401');
    my ($pr) = json_req(GET => '/api/auth/profile', undef, bearer($t->{access} // 'none'));
    is($pr->code, 401, 'the revoked session\'s access token is refused by the profile API too');
    is(protected_status($other->{access}), 200, 'another session of the same person keeps working');
    my ($or) = refresh($other->{refresh});
    is($or->code, 200, 'another session of the same person can still refresh');
}
{
    my $t = desktop_tokens(email => $email, password => $password);
    my ($res) = revoke(token => $t->{access} // 'none');
    is($res->code, 200, 'POST /auth/revoke token=<access token> is 200');
    is(protected_status($t->{access}), 401, 'the revoked access token then gets 401 on /protected/');
    my ($rr, $rj) = refresh($t->{refresh});
    is(err($rj), 'invalid_grant', 'revoking the access token revokes its session: the refresh token gets invalid_grant');
    my ($again) = revoke(token => $t->{access} // 'none');
    is($again->code, 200, 'revoking an already revoked token is 200');
}
{
    my $t = desktop_tokens(email => $email, password => $password);
    my ($res) = revoke(token => $t->{refresh} // 'none', token_type_hint => 'access_token');
    is($res->code, 200, 'a refresh token with a wrong token_type_hint=access_token is 200');
    is(protected_status($t->{access}), 401, 'a wrong hint does not stop the revocation (RFC 7009 §2.1)');
    my ($rr, $rj) = refresh($t->{refresh});
    is(err($rj), 'invalid_grant', 'after revocation with a wrong hint, the refresh token gets invalid_grant');
}
{
    my ($res, $json) = revoke(token => 'garbage-not-a-token');
    is($res->code, 200, 'POST /auth/revoke token=garbage is 200 (RFC 7009 §2.2)');
    ($res, $json) = revoke(token => 'eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4In0.');
    is($res->code, 200, 'POST /auth/revoke with an unsigned JWT is 200');
    my ($lr, $lj) = login_user($email, $password);
    my $at = ref h($lj)->{tokens} eq 'HASH' ? $lj->{tokens}{accessToken} : undef;
    is(protected_status($at), 200, 'revoking garbage revokes nothing (a fresh session works)');
}
{
    my ($res, $json) = revoke();
    is($res->code, 400, 'POST /auth/revoke without token is 400');
    is(err($json), 'invalid_request', 'POST /auth/revoke without token gets invalid_request');
    ($res, $json) = revoke(token_type_hint => 'refresh_token');
    is($res->code, 400, 'POST /auth/revoke with only token_type_hint is 400');
    my ($get) = token_request(GET => '/auth/revoke?token=x');
    is($get->code, 405, 'GET /auth/revoke is 405');
}
{
    # a revoked session's tokens stay dead for the profile API, the token endpoint and protected locations
    my ($lr, $lj) = login_user($email, $password);
    my $tok = ref h($lj)->{tokens} eq 'HASH' ? $lj->{tokens} : {};
    my ($res) = revoke(token => $tok->{refreshToken} // 'none', token_type_hint => 'refresh_token');
    is($res->code, 200, 'revoking the refresh token of a JSON sign-in is 200');
    is(protected_status($tok->{accessToken}), 401, 'its access token then gets 401');
    my ($cr, $cj) = token_request(POST => '/auth/token', JSON::PP->new->encode({ refreshToken => $tok->{refreshToken} }),
                                  'Content-Type' => 'application/json');
    is($cr->code, 401, 'its refresh token is refused in the compatibility shape too (401)');
}

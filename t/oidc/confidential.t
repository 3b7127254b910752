# Confidential clients (secret=FILE): client_secret_basic and
# client_secret_post, 401 invalid_client for a wrong or missing secret and
# for an unknown client_id anywhere at /auth/token (WWW-Authenticate: Basic
# when Basic was used), auth= restricting the method (either way), client_id
# in the access tokens of a confidential client, refresh tokens bound to
# their client, pkce=optional, revocation of another client's token refused
# (RFC 7009 §2.1).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthOIDC;
use DeskAuthForge qw(claims_from);

plan tests => 46 + 3 + 3 + 6;

sub h { ref $_[0] eq 'HASH' ? $_[0] : {} }
my $ALL = 'openid profile email offline_access';
my $secret = client_secret('web-app');

sub web_code { return oidc_signin(client_id => 'web-app', redirect_uri => WEB_URI, scope => $ALL, @_) }

sub invalid_client {
    my ($res, $json, $name, $basic) = @_;
    ok($res->code == 401 && h($json)->{error} eq 'invalid_client' && !h($json)->{access_token},
       "$name: 401 invalid_client, nothing issued") or diag($res->as_string);
    if (defined $basic) {
        my $www = $res->header('WWW-Authenticate') // '';
        ok($basic ? $www =~ /^Basic realm=/ : $www eq '', "$name: " . ($basic ? 'WWW-Authenticate: Basic' : 'no WWW-Authenticate'));
    }
}

# --- the two methods -----------------------------------------------------------------------------
my $f = web_code();
my ($res, $json) = oidc_exchange($f);
is($res->code, 200, 'client_secret_basic: the code exchange is 200') or diag($res->as_string);
my $tok = h($json);
ok($tok->{id_token} && $tok->{refresh_token}, 'an ID token and (offline_access) a refresh token');
$f = web_code();
($res, $json) = oidc_exchange($f, auth => 'post');
is($res->code, 200, 'client_secret_post: the code exchange is 200') or diag($res->as_string);

# --- wrong, missing, malformed secrets ------------------------------------------------------------
for my $case (['a wrong secret (Basic)', secret => 'x' x 43, basic => 1],
              ['the secret with one character changed (Basic)', secret => substr($secret, 0, -1) . (substr($secret, -1) eq 'A' ? 'B' : 'A'), basic => 1],
              ['a prefix of the secret (Basic)', secret => substr($secret, 0, 20), basic => 1],
              ['the secret plus a character (post)', secret => "${secret}x", auth => 'post', basic => 0],
              ['an empty secret (post)', secret => '', auth => 'post', basic => 0]) {
    my ($name, %o) = @$case;
    my $basic = delete $o{basic};
    my $g = web_code();
    my ($r, $j) = oidc_exchange($g, %o);
    invalid_client($r, $j, $name, $basic);
    my ($r2, $j2) = oidc_exchange($g);
    is($r2->code, 200, "$name: the code still works with the right secret afterwards (nothing used up)");
}
{
    my $g = web_code();
    my ($r, $j) = oidc_exchange($g, secret => undef);
    invalid_client($r, $j, 'no secret at all (client_id only)', 0);
    ($r, $j) = token_post([grant_type => 'authorization_code', code => $g->{params}{code}, code_verifier => $g->{verifier},
                           redirect_uri => WEB_URI, client_id => 'web-app'],
                          Authorization => 'Basic !!!not-base64');
    invalid_client($r, $j, 'malformed Basic credentials', 1);
    ($r, $j) = token_post([grant_type => 'authorization_code', code => $g->{params}{code}, code_verifier => $g->{verifier},
                           redirect_uri => WEB_URI, client_id => 'sso-app'], basic_auth('web-app', $secret));
    invalid_client($r, $j, 'Basic for web-app, client_id sso-app in the body', 1);
}
# --- unknown client ids anywhere ------------------------------------------------------------------------
for my $form ([grant_type => 'authorization_code', code => 'x', client_id => 'nobody'],
              [grant_type => 'refresh_token', refresh_token => 'x', client_id => 'nobody'],
              [grant_type => 'urn:deskauth:connection-file', code => 'x', client_id => 'nobody'],
              [grant_type => 'urn:ietf:params:oauth:grant-type:device_code', device_code => 'x', client_id => 'nobody'],
              [grant_type => 'password', username => 'a@example.com', password => 'x', client_id => 'nobody'],
              [grant_type => 'client_credentials', client_id => 'nobody'],
              [client_id => 'nobody'],
              [grant_type => 'authorization_code', code => 'x', client_id => 'nobody', client_secret => 'y' x 40]) {
    my ($r, $j) = token_post($form);
    invalid_client($r, $j, "unknown client_id with " . ($form->[0] eq 'grant_type' ? "grant $form->[1]" : 'no grant')
                           . (grep({ $_ eq 'client_secret' } @$form) ? ' and a secret' : ''));
}
{
    my ($r, $j) = token_post([grant_type => 'authorization_code', code => 'x'], basic_auth('nobody', 'secret'));
    invalid_client($r, $j, 'unknown client in Basic', 1);
    ($r, $j) = token_post([token => 'x', client_id => 'nobody'], path => '/auth/revoke');
    invalid_client($r, $j, 'unknown client_id at the revocation endpoint');
    my (undef, undef, $fields) = register_user();
    my $p = oidc_signin(email => $fields->{email}, password => $fields->{password}, scope => 'openid');
    ($r, $j) = oidc_exchange($p, secret => 'a-secret-for-a-public-client');
    invalid_client($r, $j, 'a public client sending a secret');
}

# --- auth= and refresh ----------------------------------------------------------------------------------------
{
    my $g = oidc_signin(client_id => 'basic-app', redirect_uri => 'https://basic.example/cb', scope => 'openid');
    my ($r, $j) = oidc_exchange($g, auth => 'post');
    invalid_client($r, $j, 'auth=client_secret_basic client using client_secret_post', 0);
    ($r, $j) = oidc_exchange($g);
    is($r->code, 200, 'auth=client_secret_basic client using Basic: 200');
    $g = oidc_signin(client_id => 'post-app', redirect_uri => 'https://post.example/cb', scope => 'openid');
    ($r, $j) = oidc_exchange($g);
    invalid_client($r, $j, 'auth=client_secret_post client using Basic', 1);
    ($r, $j) = oidc_exchange($g, auth => 'post');
    is($r->code, 200, 'auth=client_secret_post client using client_secret_post: 200') or diag($r->as_string);
}
# --- client_id in every access token of a confidential client, refreshed too ------------------------
{
    is(claims_from($tok->{access_token} // '')->{client_id}, 'web-app', "web-app's access token carries client_id web-app");
    is(claims_from($tok->{id_token} // '')->{aud}, 'web-app', 'its ID token is for web-app');
    my ($r, $j) = oidc_refresh('web-app', $tok->{refresh_token});
    is(claims_from(h($j)->{access_token} // '')->{client_id}, 'web-app', 'the refreshed access token keeps client_id web-app');
    $tok->{refresh_token} = h($j)->{refresh_token} if h($j)->{refresh_token};
}
{
    my ($r, $j) = oidc_refresh('web-app', $tok->{refresh_token}, secret => undef);
    invalid_client($r, $j, "refreshing a confidential client's token without its secret");
    ($r, $j) = oidc_refresh('sso-app', $tok->{refresh_token});
    ok($r->code == 400 && h($j)->{error} eq 'invalid_grant', "another client (authenticated) refreshing web-app's token: invalid_grant");
    ($r, $j) = oidc_refresh('web-app', $tok->{refresh_token});
    is($r->code, 200, 'web-app refreshing its own token with its secret: 200') or diag($r->as_string);
    $tok->{refresh_token} = h($j)->{refresh_token};
}
# --- pkce=optional -----------------------------------------------------------------------------------------------
{
    my $g = oidc_signin(client_id => 'lax-app', redirect_uri => 'https://lax.example/cb', scope => 'openid', no_pkce => 1);
    ok($g->{params}{code}, 'pkce=optional: a confidential client may ask without PKCE');
    my ($r, $j) = oidc_exchange($g);
    ok($r->code == 200 && h($j)->{id_token}, 'and redeem the code with its secret') or diag($r->as_string);
    $g = oidc_signin(scope => 'openid', no_pkce => 1);
    is($g->{params}{error}, 'invalid_request', 'a public client without PKCE: invalid_request');
}
# --- revocation (RFC 7009 §2.1) ---------------------------------------------------------------------------------
{
    my (undef, undef, $fields) = register_user();
    my $d = oidc_signin(email => $fields->{email}, password => $fields->{password}, scope => 'openid');
    my (undef, $dj) = oidc_exchange($d);
    my $desk = h($dj);
    my ($r, $j) = token_post([token => $desk->{refresh_token}], path => '/auth/revoke', basic_auth('web-app', $secret));
    ok($r->code == 400 && h($j)->{error} eq 'unauthorized_client', "web-app revoking example-app's refresh token: unauthorized_client");
    ($r, $j) = token_post([token => $desk->{access_token}, client_id => 'pkce-only'], path => '/auth/revoke');
    ok($r->code == 400 && h($j)->{error} eq 'unauthorized_client', "pkce-only revoking example-app's access token: unauthorized_client");
    is(protected_status($desk->{access_token}), 200, 'the refused revocations left the session alive');
    ($r) = token_post([token => $tok->{refresh_token}], path => '/auth/revoke');
    ok($r->code == 401, "revoking web-app's token without its secret: 401");
    ($r) = token_post([token => $tok->{refresh_token}], path => '/auth/revoke', basic_auth('web-app', 'wrong' x 9));
    is($r->code, 401, 'revocation with a wrong secret: 401');
    ($r) = token_post([token => $tok->{refresh_token}], path => '/auth/revoke', basic_auth('web-app', $secret));
    is($r->code, 200, 'web-app revoking its own token with its secret: 200');
    my ($rr) = oidc_refresh('web-app', $tok->{refresh_token});
    is($rr->code, 400, 'and the token is revoked');
}

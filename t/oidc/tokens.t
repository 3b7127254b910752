# Scopes, claims and ID tokens: the granted scopes recorded on the session
# and sent as `scope` (token response, access token claim), client_id in
# every access token (deskauth-web for the website), the ID token's claims
# (signature checked with openssl), nonce echoed exactly, a new ID token on
# refresh with the same auth_time and no nonce, offline_access for
# confidential clients, a client's scope list; nonces echoed byte for byte
# and never mixed between two requests of one browser; DeskAuthIDTokenTTL.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthOIDC;
use DeskAuthForge qw(jwt_decode claims_from);
use Apache::TestRequest ();

plan tests => 45 + 3 + 4 + 4 + 2;

sub h { ref $_[0] eq 'HASH' ? $_[0] : {} }

my $ALL = 'openid profile email offline_access';

# --- a desktop app asking for everything -------------------------------------------
my $nonce = 'n-' . random_b64u(12);
my $f = oidc_signin(scope => $ALL, nonce => $nonce);
is($f->{params}{iss}, ISSUER, 'the authorization response carries iss');
my ($res, $json) = oidc_exchange($f);
my $j = h($json);
is($res->code, 200, 'the code exchange is 200') or diag($res->as_string);
is($j->{scope}, $ALL, 'the token response has the granted scope');
ok($j->{refresh_token}, 'a desktop (public) client gets a refresh token');
ok(id_token_valid($j->{id_token}), 'the ID token is an ES256 JWS of the signing key, typ JWT, kid');
my $id = claims_from($j->{id_token} // '');
my $at = claims_from($j->{access_token} // '');
is($id->{iss}, ISSUER, 'ID token iss');
is($id->{sub}, $at->{sub}, 'ID token sub is the access token sub');
is($id->{aud}, 'example-app', 'ID token aud is the client id');
is($id->{azp}, 'example-app', 'ID token azp is the client id');
is(($id->{exp} // 0) - ($id->{iat} // 0), 300, 'ID token lives DeskAuthIDTokenTTL (300 s)');
ok($id->{auth_time} && $id->{auth_time} <= $id->{iat} && $id->{iat} - $id->{auth_time} < 120,
   'ID token auth_time is the sign-in just now');
is($id->{nonce}, $nonce, 'ID token nonce is the request\'s, exactly');
is($id->{sid}, $at->{sid}, 'ID token sid is the session of the tokens');
is_deeply($id->{amr}, ['pwd'], 'ID token amr is ["pwd"] (RFC 8176)');
is($id->{email}, $f->{email}, 'scope email: email');
ok(exists $id->{email_verified} && !$id->{email_verified}, 'scope email: email_verified (false)');
is_deeply([@$id{qw(name given_name family_name role)}], ['Ada Lovelace', 'Ada', 'Lovelace', 'USER'],
          'scope profile: name, given_name, family_name, role');
ok(defined $id->{updated_at} && $id->{updated_at} =~ /^\d+\z/, 'scope profile: updated_at in seconds');
ok(exists $id->{company} && exists $id->{job_role}, 'scope profile: company and job_role');
is($at->{scope}, $ALL, 'the access token has the scope claim (RFC 9068 §2.2.3)');
is($at->{client_id}, 'example-app', 'the access token has client_id');

# --- refresh: a new ID token, same auth_time, no nonce -------------------------------
($res, $json) = oidc_refresh('example-app', $j->{refresh_token});
my $r = h($json);
is($res->code, 200, 'refresh is 200');
ok(id_token_valid($r->{id_token}), 'the refresh returns a new, signed ID token');
my $rid = claims_from($r->{id_token} // '');
is($rid->{auth_time}, $id->{auth_time}, 'the new ID token keeps auth_time');
ok(!exists $rid->{nonce}, 'the new ID token has no nonce');
is($rid->{sid}, $id->{sid}, 'the new ID token has the same sid');
is_deeply([@$rid{qw(iss sub aud azp)}, $rid->{amr}], [@$id{qw(iss sub aud azp)}, $id->{amr}],
          'the new ID token has the same iss, sub, aud, azp and amr');
is_deeply([@$rid{qw(email name family_name)}], [@$id{qw(email name family_name)}],
          'the new ID token has the claims of the granted scopes');
is($r->{scope}, $ALL, 'the refresh answer has the scope');
is(claims_from($r->{access_token} // '')->{scope}, $ALL, 'the refreshed access token keeps the scope claim');

# --- less asked, less given ------------------------------------------------------------
$f = oidc_signin(scope => 'openid');
($res, $json) = oidc_exchange($f);
$id = claims_from(h($json)->{id_token} // '');
ok($id->{sub} && !exists $id->{email} && !exists $id->{name}, 'scope openid alone: an ID token without email or profile claims');
ok(!exists $id->{nonce}, 'no nonce in the request (a public client with PKCE): none in the ID token');
$f = oidc_signin(scope => 'email');
($res, $json) = oidc_exchange($f);
ok($res->code == 200 && !exists h($json)->{id_token}, 'scope email without openid: no ID token');
is(h($json)->{scope}, 'email', 'scope email without openid: scope email');
$f = oidc_signin(scope => 'openid foo email https://example.com/x');
($res, $json) = oidc_exchange($f);
is(h($json)->{scope}, 'openid email', 'unknown scopes are dropped (RFC 6749 §3.3)');
$f = oidc_signin();
($res, $json) = oidc_exchange($f);
ok($res->code == 200 && !exists h($json)->{id_token} && !exists h($json)->{scope},
   'no scope: a plain OAuth answer (no ID token, no scope)');

# --- nonce: only in the ID token of its own request, the code works once -----------------
{
    my $n2 = 'second-' . random_b64u(8);
    my $g = oidc_signin(scope => 'openid', nonce => $n2);
    my ($r1, $j1) = oidc_exchange($g);
    my ($r2, $j2) = oidc_exchange($g);
    is(claims_from(h($j1)->{id_token} // '')->{nonce}, $n2, 'the nonce of a second request is its own');
    ok($r2->code == 400 && !h($j2)->{id_token}, 'the same code a second time: 400, no second ID token with the nonce');
    is(protected_status(h($j1)->{access_token}), 401, 'and the session of the first use is revoked');
}

# --- a nonce is echoed byte for byte, whatever text it is ----------------------------------
for my $n ('n "quoted" <b>&amp; + = % / ?#', "caf\x{e9} \x{65e5}\x{672c} \x{1F600}", 'x' x 1000) {
    my $g = oidc_signin(scope => 'openid', nonce => $n);
    my (undef, $gj) = oidc_exchange($g);
    my $got = claims_from(h($gj)->{id_token} // '')->{nonce};
    is($got, $n, 'the nonce ' . (length $n > 40 ? 'of 1000 bytes' : 'with spaces, quotes, markup or non-ASCII') . ' comes back exactly');
}

# --- two requests at once in one browser: each ID token has its own nonce -------------------
# (both consent pages open, confirmed in the other order; a code redeemed
# with another request's verifier gives nothing)
{
    my (undef, undef, $fields) = register_user();
    my $ua = browser();
    web_sign_in($ua, @$fields{qw(email password)});
    my %v = map { $_ => (pkce_pair())[0] } qw(a b c);
    my %common = (client_id => 'example-app', redirect_uri => LOOPBACK_URI, response_type => 'code',
                  scope => 'openid', code_challenge_method => 'S256');
    my %page = map { $_ => get_page($ua, authorize_url(%common, state => $_, nonce => "nonce-$_",
                                                       code_challenge => challenge_of($v{$_}))) } qw(a b c);
    my %code;
    for my $t (qw(b a c)) {
        my $res = submit_form($ua, $page{$t}, continue_form($page{$t}->content));
        my $hand = handoff_location($res);
        my $link = $hand ? code_link(get_page($ua, $hand)->content, LOOPBACK_URI) : undef;
        my $q = query_params($link // '');
        $code{$t} = [$q->{state}, $q->{code} // 'none'];
    }
    my %nonce;
    for my $t (qw(a b)) {
        my (undef, $j) = token_post([grant_type => 'authorization_code', code => $code{$t}[1],
                                     code_verifier => $v{$t}, redirect_uri => LOOPBACK_URI, client_id => 'example-app']);
        $nonce{$t} = [$code{$t}[0], claims_from(h($j)->{id_token} // '')->{nonce}];
    }
    is_deeply($nonce{a}, ['a', 'nonce-a'], 'the first page, confirmed second: its own state and nonce');
    is_deeply($nonce{b}, ['b', 'nonce-b'], 'the second page, confirmed first: its own state and nonce');
    my ($cr, $cj) = token_post([grant_type => 'authorization_code', code => $code{c}[1],
                                code_verifier => $v{a}, redirect_uri => LOOPBACK_URI, client_id => 'example-app']);
    ok($cr->code == 400 && !h($cj)->{id_token}, "a code redeemed with another request's verifier: 400, no ID token");
    (undef, $cj) = token_post([grant_type => 'authorization_code', code => $code{c}[1],
                               code_verifier => $v{c}, redirect_uri => LOOPBACK_URI, client_id => 'example-app']);
    ok(!h($cj)->{id_token}, 'and that try used the code up: no ID token with nonce-c afterwards');
}

# --- DeskAuthIDTokenTTL 120 (the deskauth_passkey_strict server of the suite) ---------------------
{
    my $old = Apache::TestRequest::module();
    Apache::TestRequest::module('deskauth_passkey_strict');
    my $g = oidc_signin(scope => 'openid');
    my ($gr, $gj) = oidc_exchange($g);
    my $gid = claims_from(h($gj)->{id_token} // '');
    is($gr->code, 200, 'the code exchange on the server with DeskAuthIDTokenTTL 120') or diag($gr->as_string);
    is(($gid->{exp} // 0) - ($gid->{iat} // 0), 120, 'its ID token lives 120 s');
    my (undef, $rj) = oidc_refresh('example-app', h($gj)->{refresh_token});
    my $rid2 = claims_from(h($rj)->{id_token} // '');
    is(($rid2->{exp} // 0) - ($rid2->{iat} // 0), 120, 'the ID token of a refresh lives 120 s too');
    isnt(claims_from(h($gj)->{access_token} // '')->{exp} - claims_from(h($gj)->{access_token} // '')->{iat}, 120,
         'the access token keeps its own lifetime');
    Apache::TestRequest::module($old // 'default');
}

# --- the website's own tokens -----------------------------------------------------------------
{
    my ($rr, $jj) = register_user();
    my $tok = h(h($jj)->{tokens})->{accessToken};
    is(claims_from($tok // '')->{client_id}, 'deskauth-web', 'a website sign-up token has client_id deskauth-web');
    my ($lr, $lj) = login_user($f->{email}, $f->{password});
    is(claims_from(h(h($lj)->{tokens})->{accessToken} // '')->{client_id}, 'deskauth-web',
       'a website sign-in token has client_id deskauth-web');
    my $ua = browser();
    web_sign_in($ua, $f->{email}, $f->{password});
    is(claims_from(session_cookie($ua) // '')->{client_id}, 'deskauth-web', 'the browser cookie token has client_id deskauth-web');
}

# --- confidential clients: offline_access, scope list ------------------------------------------
{
    my $g = oidc_signin(client_id => 'web-app', redirect_uri => WEB_URI, scope => 'openid email');
    ok($g->{params}{code}, 'web-app: a code straight back (no hand-off page)') or diag(join ' | ', map { $_->code } @{ $g->{steps} });
    my ($rr, $jj) = oidc_exchange($g);
    ok($rr->code == 200 && h($jj)->{id_token} && !exists h($jj)->{refresh_token},
       'a confidential client without offline_access gets no refresh token') or diag($rr->as_string);
    $g = oidc_signin(client_id => 'web-app', redirect_uri => WEB_URI, scope => $ALL);
    ($rr, $jj) = oidc_exchange($g);
    ok(h($jj)->{refresh_token}, 'with offline_access it gets one');
    $g = oidc_signin(client_id => 'web-app', redirect_uri => WEB_URI, scope => 'openid address');
    is_deeply([@{ $g->{params} }{qw(error state iss)}], ['invalid_scope', 'xyz', ISSUER],
              'a scope outside the client\'s list (scope=...) is invalid_scope back to the app');
    ok(!exists $g->{params}{code}, 'and no code');
}

# Attacks on the authorization-code + PKCE hand-off (interface.md, Tokens; Desktop hand-off;
# docs/behaviour.md "Desktop hand-off with PKCE"; RFC 7636, RFC 6749 §4.1.3,
# §5.2, RFC 9700 §4.5). Every attack must fail and issue nothing.
#
# Not tested: an expired code. DeskAuthCodeTTL is 60 s in the test server and
# cannot be shortened per test; a 61-second sleep is not worth one case.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use JSON::PP ();
use URI;

my $CLIENT = 'example-app';
my $URI    = LOOPBACK_URI;    # http://127.0.0.1:54321/callback

# Authorization requests that must be refused: [name, params to change].
my ($V0, $C0) = pkce_pair();
my @bad_requests = (
    ['code_challenge_method=plain',             code_challenge_method => 'plain', code_challenge => $V0],
    ['code_challenge_method=PLAIN',             code_challenge_method => 'PLAIN', code_challenge => $V0],
    ['code_challenge_method missing',           code_challenge_method => undef],
    ['code_challenge_method=s256 (lower case)', code_challenge_method => 's256'],
    ['code_challenge_method=S512',              code_challenge_method => 'S512'],
    ['code_challenge missing',                  code_challenge => undef],
    ['code_challenge empty',                    code_challenge => ''],
    ['code_challenge of 42 characters',         code_challenge => substr($C0, 0, 42)],
    ['code_challenge of 129 characters',        code_challenge => 'A' x 129],
    ['code_challenge with a character outside base64url', code_challenge => substr($C0, 0, 42) . '+'],
    ['code_challenge with padding',             code_challenge => "$C0="],
    ['response_type=token (implicit)',          response_type => 'token'],
    ['response_type missing',                   response_type => undef],
    ['response_type=code token',                response_type => 'code token'],
);

plan tests => 2 + 8 + 4 + 3 * 9 + 4 * 2 * @bad_requests
            + 3 + 3 + 4 + 3 + 3 + 3 + 4 + 3 + 3;

my (undef, undef, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};

sub code_for {
    my %o = @_;
    return desktop_signin(email => $email, password => $password, %o);
}

sub exchange {
    my (%p) = @_;
    my @order = qw(grant_type code code_verifier redirect_uri client_id);
    my %d = (grant_type => 'authorization_code', client_id => $CLIENT, redirect_uri => $URI, %p);
    return token_post([ map { defined $d{$_} ? ($_ => $d{$_}) : () } @order,
                        grep { my $k = $_; !grep { $_ eq $k } @order } sort keys %d ]);
}

sub err  { my ($j) = @_; return ref $j eq 'HASH' ? $j->{error} : undef }
sub none { my ($j) = @_; return !(ref $j eq 'HASH' && (defined $j->{access_token} || defined $j->{accessToken}
                                                          || defined $j->{refresh_token} || defined $j->{refreshToken})) }

# status 400, error CODE (or one of CODES), no token
sub refused {
    my ($res, $json, $codes, $name) = @_;
    $codes = [$codes] unless ref $codes;
    is($res->code, 400, "$name: 400") or diag($res->as_string);
    ok(defined err($json) && (grep { $_ eq err($json) } @$codes),
       "$name: error " . join(' or ', @$codes)) or diag('body: ' . $res->content);
    ok(none($json), "$name: no token is issued");
}

# --- code replay: the second use fails and revokes what the first use issued -------------
my $f = code_for();
ok(defined $f->{code}, 'setup: the hand-off page gives a code') or diag($f->{page} ? $f->{page}->content : 'no page');
my ($r1, $j1) = exchange(code => $f->{code}, code_verifier => $f->{verifier});
is($r1->code, 200, 'setup: the first exchange of the code is 200') or diag($r1->as_string);
my $at1 = ref $j1 eq 'HASH' ? $j1->{access_token} : undef;
my $rt1 = ref $j1 eq 'HASH' ? $j1->{refresh_token} : undef;
is(protected_status($at1), 200, 'replay: before the replay, the first access token works');
my ($r2, $j2) = exchange(code => $f->{code}, code_verifier => $f->{verifier});
is($r2->code, 400, 'replay: a second exchange of the same code is 400');
is(err($j2), 'invalid_grant', 'replay: the second exchange gets invalid_grant');
ok(none($j2), 'replay: the second exchange issues no token');
is(protected_status($at1), 401, 'replay: the access token from the first exchange stops working (401 on /protected/)');
my ($rr, $rj) = token_post([grant_type => 'refresh_token', refresh_token => $rt1 // 'none']);
is($rr->code, 400, 'replay: the refresh token from the first exchange is refused (400)');
is(err($rj), 'invalid_grant', 'replay: the refresh token from the first exchange gets invalid_grant');
ok(none($rj), 'replay: the refresh of a replayed code\'s session issues nothing');

# --- wrong or missing verifier -------------------------------------------------------------
{
    my $g = code_for();
    ok(defined $g->{code}, 'setup: a second code');
    my ($other) = pkce_pair();
    refused(exchange(code => $g->{code}, code_verifier => $other), 'invalid_grant',
            'a code_verifier that does not hash to the challenge');
}
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => undef) },
        ['invalid_grant', 'invalid_request'], 'no code_verifier although a code_challenge was sent');
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => '') },
        ['invalid_grant', 'invalid_request'], 'an empty code_verifier');
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => $g->{challenge}) },
        'invalid_grant', 'the code_challenge itself sent as the code_verifier');
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => substr($g->{verifier}, 0, 42)) },
        ['invalid_grant', 'invalid_request'], 'a truncated code_verifier (42 characters)');

# --- the code is bound to the redirect URI and the client -----------------------------------
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => $g->{verifier},
                                          redirect_uri => 'http://127.0.0.1:54322/callback') },
        'invalid_grant', 'redirect_uri at /auth/token on another loopback port than the authorization request\'s');
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => $g->{verifier},
                                          redirect_uri => 'com.example.app:/oauth2redirect') },
        'invalid_grant', 'redirect_uri at /auth/token another registered URI of the same client');
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => $g->{verifier},
                                          redirect_uri => undef) },
        ['invalid_grant', 'invalid_request'], 'no redirect_uri at /auth/token although the request had one');
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => $g->{verifier},
                                          client_id => 'pkce-only') },
        'invalid_grant', 'client_id at /auth/token another registered client (pkce-only)');
refused(do { my $g = code_for(); exchange(code => $g->{code}, code_verifier => $g->{verifier},
                                          client_id => 'equatorschatbot') },
        'invalid_grant', 'client_id at /auth/token another registered client (equatorschatbot)');

# --- refused authorization requests of a valid client and redirect URI: the
# error goes back to the app (RFC 6749 §4.1.2.1, RFC 7636 §4.4.1) with state
# and iss (RFC 9207), never a code, never a page to sign in on ---------------
my $signed_in = browser();
web_sign_in($signed_in, $email, $password);
my $ISSUER = (token_request(GET => '/.well-known/oauth-authorization-server'))[1]{issuer};
for my $case (@bad_requests) {
    my ($name, %change) = @$case;
    my ($v, $c) = pkce_pair();
    my %p = (client_id => $CLIENT, redirect_uri => $URI, response_type => 'code', state => 'xyz',
             code_challenge => $c, code_challenge_method => 'S256', %change);
    my @pairs = map { ($_ => $p{$_}) } qw(client_id redirect_uri response_type state code_challenge code_challenge_method);
    my $want = $name =~ /response_type/ ? 'unsupported_response_type' : 'invalid_request';
    for my $who (['signed out', browser()], ['signed in', $signed_in]) {
        my $res = get_page($who->[1], authorize_url(@pairs));
        is($res->code, 303, "$name ($who->[0]): 303 back to the app");
        my $loc = URI->new($res->header('Location') // '');
        my %q = $loc->query_form;
        is($loc->scheme && ($loc->scheme . '://' . $loc->host_port . $loc->path), $URI,
           "$name ($who->[0]): to the registered redirect URI");
        is_deeply([@q{qw(error state iss)}, defined $q{code} ? 'code!' : ()],
                  [$want, 'xyz', $ISSUER],
                  "$name ($who->[0]): error=$want with state and iss, no code");
        ok(!password_form($res->content) && !continue_form($res->content),
           "$name ($who->[0]): no sign-in or Continue form is offered for it");
    }
}

# --- codes of the wrong kind, made-up codes ---------------------------------------------------
refused(do { my ($v) = pkce_pair(); exchange(code => random_b64u(32), code_verifier => $v) },
        'invalid_grant', 'a made-up code');
refused(do {
            my $g = code_for();
            token_post([grant_type => 'urn:deskauth:connection-file', code => $g->{code} // 'none',
                        client_id => $CLIENT]);
        }, 'invalid_grant', 'a PKCE-bound authorization code redeemed as a connection file (skipping the verifier)');
{
    # the hand-off page's own ID (?h=...) is not a code
    my $ua = browser();
    my ($v, $c) = pkce_pair();
    my $page = get_page($ua, authorize_url(client_id => $CLIENT, redirect_uri => $URI, response_type => 'code',
                                           state => 'xyz', code_challenge => $c, code_challenge_method => 'S256'));
    my $h = handoff_location(sign_in($ua, $page, $email, $password));
    my $hid = $h ? { $h->query_form }->{h} : undef;
    ok(defined $hid, 'setup: the sign-in gives a hand-off page ID');
    my ($r, $j) = exchange(code => $hid // 'none', code_verifier => $v);
    is($r->code, 400, 'the hand-off page ID used as an authorization code is 400');
    is(err($j), 'invalid_grant', 'the hand-off page ID used as an authorization code gets invalid_grant');
    ok(none($j), 'the hand-off page ID used as an authorization code issues nothing');
}

# --- the token endpoint itself --------------------------------------------------------------
{
    my ($r, $j) = token_post([grant_type => 'urn:example:unknown', code => 'x']);
    is($r->code, 400, 'an unknown grant_type is 400');
    is(err($j), 'unsupported_grant_type', 'an unknown grant_type gets unsupported_grant_type');
    ok(none($j), 'an unknown grant_type issues nothing');
}
{
    my ($r, $j) = token_post([grant_type => 'password', username => $email, password => $password]);
    is($r->code, 400, 'grant_type=password (resource owner credentials) is 400');
    is(err($j), 'unsupported_grant_type', 'grant_type=password gets unsupported_grant_type');
    ok(none($j), 'grant_type=password issues nothing');
}
{
    my ($r, $j) = token_request(GET => '/auth/token?grant_type=authorization_code&code=x');
    is($r->code, 405, 'GET /auth/token is 405');
    like($r->header('Allow') // '', qr/\bPOST\b/, 'GET /auth/token: Allow names POST');
    ok(none($j), 'GET /auth/token issues nothing');
}
{
    my $g = code_for();
    my $body = JSON::PP->new->encode({ grant_type => 'authorization_code', code => $g->{code} // 'none',
                                       code_verifier => $g->{verifier}, redirect_uri => $URI,
                                       client_id => $CLIENT });
    my ($r, $j) = token_request(POST => '/auth/token', $body, 'Content-Type' => 'application/json');
    ok($r->code == 200 || ($r->code >= 400 && $r->code < 500),
       'a JSON body with grant_type authorization_code is handled (200) or refused with a 4xx, never a 5xx')
        or diag($r->as_string);
    ok(ref $j eq 'HASH', 'the answer to a JSON body is JSON') or diag($r->content);
    ok($r->code == 200 ? (defined $j->{access_token} || defined $j->{accessToken})
                       : (defined err($j) && none($j)),
       'a JSON body either gets tokens (200) or an error member and no token');
    my $ok = $r->code == 200;
    my ($r2) = exchange(code => $g->{code}, code_verifier => $g->{verifier});
    is($r2->code, $ok ? 400 : 200,
       'the code stays single-use across both encodings (used once by JSON: form refused; refused as JSON: form works)');
}
{
    my ($r, $j) = token_request(POST => '/auth/token', 'grant_type=authorization_code&code=x',
                                'Content-Type' => 'text/plain');
    ok($r->code >= 400 && $r->code < 500, 'a text/plain body to /auth/token is a 4xx');
    ok(none($j), 'a text/plain body issues nothing');
    isnt($r->code, 500, 'a text/plain body is not a 500');
}
{
    my ($r, $j) = token_post([code => 'x', code_verifier => 'y']);
    is($r->code, 400, 'no grant_type is 400');
    ok(defined err($j) && (err($j) eq 'invalid_request' || err($j) eq 'unsupported_grant_type'),
       'no grant_type gets invalid_request (or unsupported_grant_type)');
    ok(none($j), 'no grant_type issues nothing');
}

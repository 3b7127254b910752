# Forged and malformed access tokens (interface.md, Tokens "Verification"; RFC 8725).
# Each forgery differs from a token the module accepts (the control below)
# in one point only, so a 401 here is caused by that point.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthForge;
use LWP::UserAgent;
use JSON::PP ();

my $raw = LWP::UserAgent->new(max_redirect => 0, timeout => 30, cookie_jar => undef);
sub get_with { my ($path, @h) = @_; return $raw->get(url($path), @h) }
sub www_auth { return $_[0]->header('WWW-Authenticate') // '' }

my $KEY     = key_path('es256.pem');        # the server's signing key, kid test-es256
my $OLD_KEY = key_path('old-es256.pem');    # private half of the verify-only key old-es256
my $RSA_KEY = key_path('rsa.pem');

# A real token and its claims, from a real registration.
my ($reg, $json) = register_user();
my $real = ($json && ref $json->{tokens}) ? $json->{tokens}{accessToken} : 'none.none.none';
my ($real_header, $real_claims) = jwt_decode($real);
$real_claims ||= {};

my $n = 0;
# The claims of the real token with fresh times and jti; %o overrides,
# an undef value removes the claim.
sub claims {
    my (%o) = @_;
    my $now = time;
    my %c = (%$real_claims, iat => $now, nbf => $now, exp => $now + 600,
             jti => sprintf('forged-%d-%d-%d', $$, $now, ++$n));
    @c{keys %o} = values %o;
    delete @c{grep { !defined $c{$_} } keys %c};
    return \%c;
}
sub header { my (%o) = @_; my %h = (alg => 'ES256', typ => 'at+jwt', kid => 'test-es256', %o);
             delete @h{grep { !defined $h{$_} } keys %h}; return \%h }
sub es256 { my ($h, $c, $key) = @_; return jwt_sign(header => $h, claims => $c, es256 => $key // $KEY) }

my $now = time;
my $good = es256(header(), claims());

my $pub_pem = public_pem_of($KEY);
(my $pub_pem_nonl = $pub_pem) =~ s/\n\z//;
my $attacker = new_ec_key();

my ($rh, $rp, $rs) = split /\./, $real, 3;
my $tampered = join '.', $rh, b64url(JSON::PP->new->canonical->encode({ %$real_claims, role => 'ADMIN' })), $rs // '';

# The order n of P-256, and a token whose signature keeps r and has s set
# to the given 32 bytes.
my $P256_N_BYTES = pack 'H*', 'FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551';
sub with_s {
    my ($token, $s) = @_;
    my ($input, $sig) = $token =~ /\A(.*)\.([^.]*)\z/s;
    return $input . '.' . b64url(substr(b64url_decode($sig), 0, 32) . $s);
}

my @b64 = ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_');
my $rnd = sub { join '', map { $b64[rand @b64] } 1 .. $_[0] };
# httpd refuses header lines over LimitRequestFieldSize (8190) itself with a
# 400; these stay just under it so that the module is what answers.
my $big = 8190 - length('Authorization: Bearer ') - 2;

my @attacks = (
    ['alg none with an empty signature (trailing dot)',
        jwt_encode(header(alg => 'none'), claims()) . '.'],
    ['alg none without the trailing dot',
        jwt_encode(header(alg => 'none'), claims())],
    ['alg none with the real signature kept',
        join('.', (split /\./, jwt_encode(header(alg => 'none'), claims()))[0],
             (split /\./, $good)[1, 2])],
    ['HS256 signed with the bytes of the server public key PEM',
        jwt_sign(header => header(alg => 'HS256'), claims => claims(), hs256 => $pub_pem)],
    ['HS256 signed with the public key PEM without its final newline',
        jwt_sign(header => header(alg => 'HS256'), claims => claims(), hs256 => $pub_pem_nonl)],
    ['RS256 (not the pinned algorithm) signed with an RSA key',
        jwt_sign(header => header(alg => 'RS256'), claims => claims(), rs256 => $RSA_KEY)],
    ['tampered payload (role changed to ADMIN, signature kept)', $tampered],
    ['expired an hour ago (exp = now-3600)',
        es256(header(), claims(exp => $now - 3600, iat => $now - 4200, nbf => $now - 4200))],
    ['not yet valid (nbf = now+3600)', es256(header(), claims(nbf => $now + 3600))],
    ['issued in the future (iat = now+3600)', es256(header(), claims(iat => $now + 3600, nbf => $now))],
    ['wrong iss', es256(header(), claims(iss => 'https://evil.example'))],
    ['missing iss', es256(header(), claims(iss => undef))],
    ['wrong aud', es256(header(), claims(aud => 'https://other.example'))],
    ['aud as an array holding the right audience', es256(header(), claims(aud => [$real_claims->{aud} // 'x']))],
    ['missing aud', es256(header(), claims(aud => undef))],
    ['missing exp', es256(header(), claims(exp => undef))],
    ['unknown kid "nope" (signed with the real key)', es256(header(kid => 'nope'), claims())],
    ['missing kid (signed with the real key)', es256(header(kid => undef), claims())],
    ['typ "JWT" instead of at+jwt', es256(header(typ => 'JWT'), claims())],
    ['missing typ', es256(header(typ => undef), claims())],
    ['a jku header (signed with the real key)',
        es256(header(jku => 'https://evil.example/jwks.json'), claims())],
    ['signed by a fresh attacker key with kid test-es256', es256(header(), claims(), $attacker)],
    ['kid old-es256 but signed with the current key', es256(header(kid => 'old-es256'), claims())],
    ['kid test-es256 but signed with the old key', es256(header(), claims(), $OLD_KEY)],
    ['a 2-part token (header.payload)', join('.', (split /\./, $good)[0, 1])],
    ['a 4-part token', "$good." . (split /\./, $good)[2]],
    ['signature of the real token on forged claims', join('.', (split /\./, $good)[0, 1]) . ".$rs"],
    ['~8 KiB of garbage', 'A' x $big],
    ['~8 KiB garbage in three base64url parts',
        join('.', $rnd->(int($big / 3) - 1), $rnd->(int($big / 3) - 1), $rnd->(int($big / 3) - 1))],
    # ECDSA malleability: (r, n - s) verifies wherever (r, s) does; only the
    # low s is accepted, so nobody can re-spell a token.
    ['high s: the server\'s own token with s replaced by n - s', es256_flip_s($real)],
    ['high s: the control token (real key, real claims) with s replaced by n - s', es256_flip_s($good)],
    ['high s: a verify-only key (old-es256) token with s replaced by n - s',
        es256_flip_s(es256(header(kid => 'old-es256'), claims(), $OLD_KEY))],
    ['s replaced by n itself (out of range)', with_s($good, $P256_N_BYTES)],
    ['s replaced by zero', with_s($good, "\x00" x 32)],
);

plan tests => 3 + 2 * @attacks + 1 + 6 + 3 + 4;

ok(($real_header->{kid} // '') eq 'test-es256' && defined $real_claims->{sid},
   'a registration token has kid test-es256 and a sid (the forgeries copy its claims)');
is(get_with('/protected/', bearer($real))->code, 200, 'control: the real token opens /protected/');
is(get_with('/protected/', bearer($good))->code, 200,
   'control: our own token signed with the real key and the real claims opens /protected/');

for my $a (@attacks) {
    my ($name, $token) = @$a;
    my $res = get_with('/protected/', bearer($token));
    is($res->code, 401, "$name: 401");
    like(www_auth($res), qr/^Bearer\b.*error="invalid_token"/, "$name: WWW-Authenticate error=\"invalid_token\"");
}

# Over httpd's header limit the module never sees the token; it must not pass.
{
    my $res = get_with('/protected/', bearer('A' x 9000));
    ok($res->code == 400 || $res->code == 401,
       'a 9000-byte token (over LimitRequestFieldSize) is refused (400 from httpd or 401)')
        or diag('got ' . $res->status_line);
}

# Key rotation: a verify-only key still verifies tokens it signed.
{
    my $old = es256(header(kid => 'old-es256'), claims(), $OLD_KEY);
    is(get_with('/protected/', bearer($old))->code, 200,
       'rotation: a token signed by the verify-only key old-es256 (kid old-es256, real sid) is 200');
}

# Session check: a well-signed token whose sid is not a session.
{
    my $ghost = es256(header(), claims(sid => 'no-such-session-' . $rnd->(20)));
    my $res = get_with('/protected/', bearer($ghost));
    is($res->code, 401, 'a validly signed token with an unknown sid is 401 (session check)');
    like(www_auth($res), qr/error="invalid_token"/, 'unknown sid: error="invalid_token"');
    is(get_with('/nosession/', bearer($ghost))->code, 200,
       'DeskAuthSessionCheck off: the same token with an unknown sid is 200');
    my $nosid = es256(header(), claims(sid => undef));
    is(get_with('/protected/', bearer($nosid))->code, 401, 'a validly signed token without a sid is 401 (session check)');
    is(get_with('/nosession/', bearer(es256(header(), claims(exp => $now - 3600, iat => $now - 4200, nbf => $now - 4200))))->code, 401,
       'DeskAuthSessionCheck off still refuses an expired token');
}

# Every handler that takes a token verifies it the same way.
for my $a ([ 'alg none', jwt_encode(header(alg => 'none'), claims()) . '.' ],
           [ 'HS256 with the public key PEM', jwt_sign(header => header(alg => 'HS256'), claims => claims(), hs256 => $pub_pem) ],
           [ 'unknown kid', es256(header(kid => 'nope'), claims()) ]) {
    my ($res) = json_req('GET', '/api/auth/profile', undef, bearer($a->[1]));
    is($res->code, 401, "profile API refuses a token with $a->[0]: 401");
}

# Our own signer writes only low-s signatures, or the rule above would
# refuse half of our tokens: 24 sign-ins, each token checked (a signer that
# did not normalise would pass with a chance of 1 in 2^24).
{
    my (undef, undef, $f) = register_user();
    my ($all_low, $all_open) = (1, 1);
    my $last;
    for (1 .. 24) {
        my ($res, $j) = login_user($f->{email}, $f->{password});
        my $t = ref $j eq 'HASH' && ref $j->{tokens} eq 'HASH' ? $j->{tokens}{accessToken} : '';
        $all_low &&= es256_s_is_low($t);
        $last = $t;
    }
    ok($all_low, 'the access tokens of 24 sign-ins all have a low-s signature');
    is(get_with('/protected/', bearer($last // ''))->code, 200, 'control: the last of them opens /protected/');
    my $cookie = sub { (Cookie => "deskauth_session=$_[0]") };
    my $web = do { my ($res) = login_user($f->{email}, $f->{password});
                   (($res->header('Set-Cookie') // '') =~ /deskauth_session=([^;]+)/)[0] // '' };
    is(get_with('/protected/', $cookie->($web))->code, 200, 'control: the browser session cookie opens /protected/');
    is(get_with('/protected/', $cookie->(es256_flip_s($web)))->code, 401,
       'the browser session cookie with s replaced by n - s is 401');
}

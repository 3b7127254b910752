# Require deskauth-claim over an array claim (amr, RFC 8176): any element
# that is one of the values grants; the array is exported space-separated
# (DESKAUTH_AMR, X-DeskAuth-Amr), also from the verified-token cache. Tokens
# are signed with the server's own key, as another sign-in method of the
# site (passkeys: ["hwk","user"]) would mint them; forms that must not pass:
# a password-only amr, a look-alike string, a nested array, an object, a
# number, no amr at all, and an otp token signed with another key.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthForge qw(claims_from jwt_sign key_path new_ec_key);
use LWP::UserAgent;

plan tests => 17;

my ($reg, $json) = register_user();
my $claims = claims_from($json->{tokens}{accessToken});
my $n = 0;

sub minted {
    my ($amr, $key) = @_;
    my %c = (%$claims, jti => "amr-$$-" . ++$n);
    if (defined $amr) { $c{amr} = $amr } else { delete $c{amr} }
    return jwt_sign(header => { alg => 'ES256', typ => 'at+jwt', kid => 'test-es256' },
                    claims => \%c, es256 => $key // key_path('es256.pem'));
}

sub status_of {
    my ($token) = @_;
    my ($res) = json_req(GET => '/amr/', undef, bearer($token));
    return $res->code;
}

is_deeply($claims->{amr}, ['pwd'], 'a password sign-in token says amr ["pwd"]');
is(status_of(minted(['hwk', 'user'])), 200, 'amr ["hwk","user"] (a passkey): granted');
is(status_of(minted(['pwd', 'otp', 'mfa'])), 200, 'amr ["pwd","otp","mfa"]: granted');
is(status_of(minted(['mfa', 'otp'])), 200, 'the matching element need not be first');
is(status_of(minted('otp')), 200, 'a plain string claim equal to a value: granted');
is(status_of(minted(['pwd'])), 403, 'amr ["pwd"]: 403');
is(status_of(minted(['pwd otp'])), 403, 'one element "pwd otp" is not "otp": 403');
is(status_of(minted('pwd otp')), 403, 'the string "pwd otp" is not "otp": 403');
is(status_of(minted([['otp']])), 403, 'a nested array: 403');
is(status_of(minted({ otp => 1 })), 403, 'an object: 403');
is(status_of(minted(['OTP'])), 403, 'values compare case-sensitively: 403');
is(status_of(minted(undef)), 403, 'no amr claim: 403');
is(status_of(minted(['otp'], new_ec_key())), 401, 'amr ["otp"] signed with another key: 401');

my $ka = LWP::UserAgent->new(keep_alive => 1, timeout => 30, cookie_jar => undef);
my $token = minted(['hwk', 'user', 'mfa']);
for my $pass ('verified', 'cached') {
    my $body = $ka->get(url('/echo-env'), bearer($token))->content;
    like($body, qr/^ENV DESKAUTH_AMR=hwk user mfa$/m, "DESKAUTH_AMR space-separated ($pass)");
    like($body, qr/^HDR X-DeskAuth-Amr: hwk user mfa$/mi, "X-DeskAuth-Amr too ($pass)");
}

# Failed passkey sign-ins count against the client's address as wrong
# passwords do (DeskAuthLoginLimit 3 30: 12 failures per address in 30 s),
# then 429 rate_limited with Retry-After; another address is not affected;
# and the failures are counted in the same counter as wrong passwords. On a
# server of its own (the main test server has huge limits). The assertions
# are well-formed but answer no challenge the server issued: each is a
# failed ceremony (401) until the limit.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use MIME::Base64 qw(encode_base64url);

my @missing = DeskAuthServer::missing();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 1 + 12 + 3 + 1 + 2;

my $srv = DeskAuthServer->new(name => 'passkeylimit', conf => "DeskAuthLoginLimit 3 30\n",
    locations => "<Location /auth/passkey>\n    SetHandler deskauth-passkey\n</Location>\n");
ok($srv->start, 'a server of its own with DeskAuthLoginLimit 3 30') or BAIL_OUT($srv->why);

my $n = 0;
sub forged {
    my $cd = qq({"type":"webauthn.get","challenge":"${\ encode_base64url('made up ' . ++$n)}",)
           . qq("origin":"${\ $srv->url('')}"});
    $cd =~ s{/"}{"};
    return { id => 'AAECAw', rawId => 'AAECAw', type => 'public-key',
             response => { clientDataJSON => encode_base64url($cd),
                           authenticatorData => encode_base64url("\0" x 32 . "\x05\0\0\0\1"),
                           signature => encode_base64url('x' x 70), userHandle => 'dXNlcg' } };
}

for my $i (1 .. 12) {
    my ($res, $j) = $srv->req(POST => '/auth/passkey/login', json => forged(), from => '127.0.0.21');
    is($res->code . ' ' . ($j->{error} // ''), '401 invalid_credentials', "forged assertion $i: 401");
}
my ($res, $j) = $srv->req(POST => '/auth/passkey/login', json => forged(), from => '127.0.0.21');
is($res->code, 429, 'the 13th failure from the address: 429');
is($j->{error}, 'rate_limited', '... rate_limited');
like($res->header('Retry-After') // '', qr/^\d+$/, '... with Retry-After');
($res, $j) = $srv->req(POST => '/auth/passkey/login', json => forged(), from => '127.0.0.22');
is($res->code, 401, 'another address still gets the plain failure');

# Passkey failures and wrong passwords share the address's counter.
for my $i (1 .. 11) {
    $srv->req(POST => '/auth/passkey/login', json => forged(), from => '127.0.0.23');
}
($res, $j) = $srv->req(POST => '/auth/login', json => { email => 'nobody@example.com', password => 'wrong horse 1' },
                       from => '127.0.0.23');
is($res->code, 401, 'a wrong password after 11 passkey failures: the 12th failure, 401');
($res, $j) = $srv->req(POST => '/auth/login', json => { email => 'nobody2@example.com', password => 'wrong horse 1' },
                       from => '127.0.0.23');
is($res->code, 429, 'then the address is limited for passwords too: 429');

# Brute force of a confidential client's secret is limited like sign-ins
# (DeskAuthLoginLimit): each try takes its slot before the comparison, per
# client and per client address (x4); over the limit every try gets 429 with
# Retry-After, the right secret too, so a guesser learns nothing more; a
# success gives its slot back. The revocation endpoint and client_secret_post
# take from the same limit. A server of its own with a limit of 3.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest ();
use DeskAuthServer;
use DeskAuthForge qw(key_path slurp_file);
use DeskAuthOIDC qw(basic_auth);

plan tests => 9 + 6 + 3;

my $file = key_path('client-secret.txt');
my $secret = slurp_file($file);
$secret =~ s/\n\z//;
my $spread = join '', map { qq{DeskAuthClient spread-$_ https://spread$_.example/cb "secret=$file"\n} } 1 .. 5;
my $s = DeskAuthServer->new(name => 'secret-limit', conf => $spread . <<"CONF");
DeskAuthLoginLimit 3 60
DeskAuthClient web-app https://rp.example/cb "secret=$file"
DeskAuthClient other-app https://other.example/cb "secret=$file"
DeskAuthClient third-app https://third.example/cb "secret=$file"
DeskAuthClient fourth-app https://fourth.example/cb "secret=$file"
CONF
$s->start or BAIL_OUT($s->why);

# One try of a secret: at /auth/token (or path => '/auth/revoke'), with
# Basic (or post => 1: client_secret_post).
sub try {
    my ($client, $guess, %o) = @_;
    my $path = $o{path} // '/auth/token';
    my @form = $path eq '/auth/revoke' ? (token => 'x') : (grant_type => 'refresh_token', refresh_token => 'x');
    push @form, (client_id => $client, client_secret => $guess) if $o{post};
    my ($res, $json) = $s->req(POST => $path, from => $o{from}, form => \@form,
                               headers => { $o{post} ? () : basic_auth($client, $guess) });
    return ($res->code, ref $json eq 'HASH' ? $json->{error} // '' : '', $res->header('Retry-After'));
}

# the right secret passes client authentication (then the made-up refresh token fails: 400)
my ($c) = try('web-app', $secret);
is($c, 400, 'the right secret: past client authentication (invalid_grant for the made-up token)');
my @wrong = map { [try('web-app', "guess-$_-" . ('x' x 40))] } 1 .. 3;
ok(!grep({ $_->[0] != 401 || $_->[1] ne 'invalid_client' } @wrong), 'three wrong secrets: 401 invalid_client each');
my ($c4, $e4, $ra) = try('web-app', 'guess-4-' . ('x' x 40));
is($c4, 429, 'the fourth wrong secret: 429');
ok(defined $ra && $ra =~ /^\d+\z/ && $ra > 0, 'with Retry-After');
my ($c5) = try('web-app', $secret);
is($c5, 429, 'over the limit the right secret gets 429 too: no oracle for the guesser');
my ($c6) = try('web-app', $secret, from => '127.0.0.9');
is($c6, 429, 'from another address too (the limit is per client)');
my ($c7) = try('other-app', $secret, from => '127.0.0.9');
is($c7, 400, 'another client from another address is not affected');
my @ip = map { [try('other-app', "g$_" . ('y' x 40), from => '127.0.0.10')] } 1 .. 3;
ok(!grep({ $_->[0] != 401 } @ip), 'three wrong secrets of other-app from 127.0.0.10: 401 each');

# every way of presenting a secret takes from the same limit
my ($c8) = try('web-app', $secret, path => '/auth/revoke');
is($c8, 429, 'over the limit, the right secret at the revocation endpoint: 429 too');
my ($c9) = try('web-app', $secret, post => 1);
is($c9, 429, 'over the limit, the right secret as client_secret_post: 429 too');
my @rev = map { [try('third-app', "r$_" . ('z' x 40), path => '/auth/revoke', from => '127.0.0.11')] } 1 .. 3;
ok(!grep({ $_->[0] != 401 } @rev), 'three wrong secrets of third-app at the revocation endpoint: 401 each');
my ($c10) = try('third-app', $secret, from => '127.0.0.11');
is($c10, 429, 'guesses at the revocation endpoint count: then the token endpoint answers 429');
my @post = map { [try('fourth-app', "p$_" . ('w' x 40), post => 1, from => '127.0.0.12')] } 1 .. 3;
ok(!grep({ $_->[0] != 401 } @post), 'three wrong secrets of fourth-app as client_secret_post: 401 each');
my ($c11) = try('fourth-app', $secret, from => '127.0.0.12');
is($c11, 429, 'guesses sent as client_secret_post count: then Basic answers 429');
# one address guessing across clients: 4 x 3 tries, then every client is 429 from there
my @spread = map { my $n = $_; map { [try("spread-$n", "s$_" . ('v' x 40), from => '127.0.0.13')] } 1 .. 3 } 1 .. 4;
ok(!grep({ $_->[0] != 401 } @spread), 'twelve wrong secrets from one address over four clients: 401 each');
my ($c12) = try('spread-5', 'guess' . ('u' x 40), from => '127.0.0.13');
is($c12, 429, 'the thirteenth from that address, to a fifth client: 429 (the limit per address, x4)');
my ($c13) = try('spread-5', $secret, from => '127.0.0.14');
is($c13, 400, 'that client from another address is not affected');
is_deeply([$s->crash_lines], [], 'no crash');
$s->stop;

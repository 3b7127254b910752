# Brute force of a confidential client's secret is limited like sign-ins
# (DeskAuthLoginLimit): each try takes its slot before the comparison, per
# client and per client address (x4); over the limit every try gets 429 with
# Retry-After, the right secret too, so a guesser learns nothing more; a
# success gives its slot back. A server of its own with a limit of 3.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest ();
use DeskAuthServer;
use DeskAuthForge qw(key_path slurp_file);
use DeskAuthOIDC qw(basic_auth);

plan tests => 9;

my $file = key_path('client-secret.txt');
my $secret = slurp_file($file);
$secret =~ s/\n\z//;
my $s = DeskAuthServer->new(name => 'secret-limit', conf => <<"CONF");
DeskAuthLoginLimit 3 60
DeskAuthClient web-app https://rp.example/cb "secret=$file"
DeskAuthClient other-app https://other.example/cb "secret=$file"
CONF
$s->start or BAIL_OUT($s->why);

sub try {
    my ($client, $guess, %o) = @_;
    my ($res, $json) = $s->req(POST => '/auth/token', from => $o{from},
                               form => [grant_type => 'refresh_token', refresh_token => 'x'],
                               headers => { basic_auth($client, $guess) });
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
is_deeply([$s->crash_lines], [], 'no crash');
$s->stop;

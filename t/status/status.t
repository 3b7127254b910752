# mod_status (docs/status.md): with mod_status loaded, /server-status has a
# DeskAuth section and ?auto "DeskAuth...: N" lines, counted by each child
# in its own slot of shared memory and summed when read. A server of its
# own (prefork, several children, so that requests land in different
# processes) on the database of the run; every number is read before and
# after the requests that should move it, and must move by exactly that.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthDB;

my @missing = (DeskAuthServer::missing(), DeskAuthDB::missing());
push @missing, DeskAuthServer::libexec() . '/mod_status.so'
    unless -f DeskAuthServer::libexec() . '/mod_status.so';
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 21;

my $PW = 'correct horse 1';
my $srv = DeskAuthServer->new(
    name => 'status', mpm => 'prefork',
    conf => DeskAuthServer::load('status') . "DeskAuthLoginLimit 3 60\n"
          # a rotated token presented again is a replay, never a retry
          . "DeskAuthRefreshReuseInterval 0\n"
          . "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\n",
    locations => "<Location /server-status>\n    SetHandler server-status\n</Location>\n");
my $db = DeskAuthDB::fresh('status', $srv->{params}) or BAIL_OUT('no database');
@$srv{qw(driver params)} = @$db{qw(driver params)};
DeskAuthServer::spew($srv->conf_file, $srv->config);
ok($srv->start, 'a server with mod_status and mod_deskauth starts (prefork, 4 children)')
    or BAIL_OUT($srv->why);

# The DeskAuth lines of ?auto, as a hash.
sub status {
    my ($res) = $srv->req(GET => '/server-status?auto');
    return { $res->content =~ /^DeskAuth(\w+): ([\d.]+)$/mg };
}
# The counters that moved between two readings, as "Name+N ..." (sorted).
sub moved {
    my ($before, $after) = @_;
    return join ' ', map { "$_+" . ($after->{$_} - $before->{$_}) }
                     grep { !/Ratio$/ && ($after->{$_} // 0) != ($before->{$_} // 0) } sort keys %$after;
}
# A request on a connection of its own (another child, likely).
sub fresh { my (@args) = @_; return $srv->req(@args, ua => $srv->ua) }

my $s0 = status();
my @lines = qw(SignIns SignInsFailed SignUps TokensIssued Refreshes RefreshReuse 401NoToken
               401InvalidToken 401SessionEnded 429 VerifiedCacheHits VerifiedCacheMisses
               VerifiedCacheHitRatio SessionCacheHits SessionCacheMisses SessionCacheHitRatio
               DatabaseErrors);
is(join(' ', grep { !defined $s0->{$_} } @lines), '', '?auto has every DeskAuth line');
my ($page) = $srv->req(GET => '/server-status', headers => { Accept => 'text/html' });
like($page->content, qr{<h2>DeskAuth</h2>.*failed sign-ins}s, '/server-status has a DeskAuth section');

# --- sign-up, sign-in, failures ---------------------------------------------------------
my ($res, $j) = fresh(POST => '/auth/register', json => { email => 'st@example.com', password => $PW,
                                                         firstName => 'S', lastName => 'T' });
is($res->code, 201, 'a sign-up');
my $s1 = status();
# Two tokens: the API's access token and the browser cookie's.
is(moved($s0, $s1), 'SignUps+1 TokensIssued+2', 'a sign-up: SignUps+1, TokensIssued+2 (API and cookie)');

my ($lres, $lj) = fresh(POST => '/auth/login', json => { email => 'st@example.com', password => $PW });
is($lres->code, 200, 'a sign-in');
my $s2 = status();
is(moved($s1, $s2), 'SignIns+1 TokensIssued+2', 'a sign-in: SignIns+1, TokensIssued+2');

fresh(POST => '/auth/login', json => { email => 'st@example.com', password => 'wrong horse' }) for 1 .. 5;
my $s3 = status();
is(moved($s2, $s3), '429+2 SignInsFailed+3',
   'five wrong passwords over four children, limit 3: SignInsFailed+3, 429+2 (summed over children)');

# --- refresh and reuse -------------------------------------------------------------------
my $refresh = $lj->{tokens}{refreshToken};
($res, $j) = fresh(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $refresh]);
is($res->code, 200, 'a refresh');
my $s4 = status();
is(moved($s3, $s4), 'Refreshes+1 TokensIssued+1', 'a refresh: Refreshes and TokensIssued');
($res) = fresh(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $refresh]);
is($res->code, 400, 'the rotated refresh token again');
my $s5 = status();
is(moved($s4, $s5), 'RefreshReuse+1', 'reuse detected: RefreshReuse');

# --- protected requests: 401 reasons and the caches -------------------------------------------
($res) = fresh(GET => '/protected/');
my $s6 = status();
is(moved($s5, $s6), '401NoToken+1', 'no token: 401NoToken');
($res) = fresh(GET => '/protected/', bearer => 'not.a.token');
my $s7 = status();
is(moved($s6, $s7), '401InvalidToken+1 VerifiedCacheMisses+1', 'a bad token: 401InvalidToken (a cache miss)');

my $ended = $j->{access_token};            # of the session the reuse ended
(undef, $lj) = fresh(POST => '/auth/register', json => { email => 'st2@example.com', password => $PW,
                                                        firstName => 'S', lastName => 'T' });
my $access = $lj->{tokens}{accessToken};    # st@ is locked by the rate limit now
my $ua = $srv->ua(keep_alive => 1);      # one connection: one child, its own caches
my $s7b = status();
($res) = $srv->req(GET => '/protected/', bearer => $access, ua => $ua);
is($res->code, 200, 'a protected page with a new sign-in\'s token');
($res) = $srv->req(GET => '/protected/', bearer => $access, ua => $ua);
my $s8 = status();
is(moved($s7b, $s8), 'SessionCacheHits+1 SessionCacheMisses+1 VerifiedCacheHits+1 VerifiedCacheMisses+1',
   'twice the same token: a miss then a hit in both caches');
ok($s8->{VerifiedCacheHitRatio} > 0 && $s8->{VerifiedCacheHitRatio} < 1,
   "the verified-token hit ratio is between 0 and 1 ($s8->{VerifiedCacheHitRatio})");

($res) = $srv->req(GET => '/protected/', bearer => $ended, ua => $ua);
is($res->code, 401, 'the session ended with the reuse: its token is refused');
my $s9 = status();
like(moved($s8, $s9), qr/\b401SessionEnded\+1\b/, 'a token of an ended session: 401SessionEnded');
is($s9->{DatabaseErrors}, 0, 'no database error in all this');
is(join('', $srv->crash_lines), '', 'no child crashed');

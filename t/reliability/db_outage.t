# A database outage (interface.md, Sign-up and sign-in "503 unavailable: database down — never a
# crash, never a 200"; and the module recovers by itself
# when the database returns), with PostgreSQL, the only driver where the
# database can go away under a running httpd: a throwaway cluster of its own
# (tools/pg start), an httpd of its own on it (DBDriver pgsql), and
# `tools/pg pause` (the cluster stops, its data stays) / `tools/pg resume`.
#
#   0. sign-up, sign-in, and a warm-up of 8 clients at once, so that mod_dbd
#      pools several connections in every child;
#   1. a restart with no traffic (pause, resume): within 20 s sign-in works
#      again for every client, without restarting httpd;
#   2. an outage under traffic: sign-up, sign-in, the profile, a refresh and
#      a protected page whose session is not cached are 503 unavailable
#      (never 500, never 200), httpd keeps running; a protected page whose
#      session was cached is 200 until the cached answer expires, even once
#      it is due to be asked again (docs/behaviour.md), and 503 after; after
#      the resume no answer is a 500.
#
# Both defects this test first found are fixed and now asserted: the
# statements lost by a libpq reconnect are prepared again, and transactions
# no longer crash a child when BEGIN fails.
# Skipped when the PostgreSQL binaries (PG_BINDIR, default
# /usr/lib/postgresql/15/bin) are missing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);

my $PG_BINDIR = $ENV{PG_BINDIR} || '/usr/lib/postgresql/15/bin';
my $pg_tool   = DeskAuthServer::top_dir() . '/tools/pg';
my $PW        = 'correct horse 1';

my @missing = DeskAuthServer::missing();
push @missing, "PostgreSQL binaries in $PG_BINDIR (tools/deps --test installs them, or set PG_BINDIR)"
    unless -x "$PG_BINDIR/initdb" && -x "$PG_BINDIR/pg_ctl";
push @missing, "$pg_tool" unless -x $pg_tool;
push @missing, 'the DBD driver for pgsql (libaprutil1-dbd-pgsql)'
    unless grep { -e } glob('/usr/lib/*/apr-util-1/apr_dbd_pgsql*.so'), glob('/usr/lib/apr-util-1/apr_dbd_pgsql*.so');
push @missing, 'a postgres OS user (tests run as root)' if $> == 0 && !getpwnam('postgres');
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 5 + 4 + 15 + 2;

$SIG{ALRM} = sub { die "db_outage.t took longer than 90 s\n" };
alarm 90;

# --- a PostgreSQL of our own ----------------------------------------------------------------
my $owner = $$;
my $tmp = tempdir('deskauth-outage-XXXXXX', TMPDIR => 1);
chmod 0755, $tmp;                              # user postgres must reach $tmp/pg
my $pgdir = "$tmp/pg";
END {
    if (defined $owner && $$ == $owner && $pgdir) {
        local $?;
        system($pg_tool, 'stop', $pgdir) if -e "$pgdir/.deskauth-test-cluster";
        remove_tree($tmp) if -d $tmp && !$ENV{DESKAUTH_TEST_KEEP};
    }
}
sub pg { my (@args) = @_; my $out = `"$pg_tool" @args 2>&1`; return ($? >> 8, $out) }

my $pg_port = DeskAuthServer::free_port();
my ($rc, $params) = pg('start', $pgdir, $pg_port);
chomp $params;
ok($rc == 0 && $params =~ /^host=\S+ port=$pg_port dbname=\S+ user=\S+$/m,
   "tools/pg start: a throwaway PostgreSQL on port $pg_port") or BAIL_OUT("tools/pg start failed: $params");
($params) = $params =~ /^(host=.*)$/m;

# 8 sign-ins to one account run at once; each holds a slot of the account's
# limit while its bcrypt runs (an attempt takes its slot first), so the
# default 5 per account would refuse some: this file is about the database.
my $srv = DeskAuthServer->new(name => 'outage', driver => 'pgsql', params => $params,
                              conf => "DeskAuthLoginLimit 1000 900\n");
ok($srv->start, 'an httpd of its own starts on it (DBDriver pgsql)') or BAIL_OUT($srv->why);
my $pid = $srv->{pid};

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
sub show { my ($res) = @_; return $res->status_line . ' ' . substr($res->content // '', 0, 200) }
sub unavailable {
    my ($res, $json) = @_;
    return $res->code == 503 && (h($json)->{error} // '') eq 'unavailable'
        && JSON::PP::is_bool(h($json)->{success}) && !h($json)->{success};
}
sub login { my ($email, %o) = @_; return $srv->req(POST => '/auth/login', json => { email => $email, password => $PW }, %o) }
sub signup {
    my ($email) = @_;
    return $srv->req(POST => '/auth/register', json => { email => $email, password => $PW, firstName => 'Db', lastName => 'Outage' });
}

my $n = 0;
sub email { return sprintf 'outage-%d-%d@example.com', $$, ++$n }

# PAR clients at once, EACH sign-ins apiece; the status codes.
sub parallel_logins {
    my ($email, $par, $each) = @_;
    my @kids;
    for (1 .. $par) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $kid = fork // die "fork: $!";
        if (!$kid) {
            close $rd;
            my $ua = $srv->ua;
            my @codes = map { code_of(login($email, ua => $ua)) } 1 .. $each;
            print $wr "@codes\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$kid, $rd];
    }
    my @codes;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $line = <$fh> // '';
        waitpid $k->[0], 0;
        push @codes, split ' ', $line;
    }
    return @codes;
}
sub tally { my %n; $n{$_}++ for @_; return join ', ', map { "$n{$_} x $_" } sort keys %n }

my $lost_signups  = 0;                      # sign-ups whose connection died with their child
my ($email0, $access0, $refresh0);          # the account of part 0 and its tokens

# The code of a sign-in or sign-up answer, '503-not-unavailable' for a 503
# without the JSON error body.
sub code_of { my ($r, $j) = @_; return $r->code == 503 && !unavailable($r, $j) ? '503-not-unavailable' : $r->code }
sub no_500 { my (@codes) = @_; return !grep { $_ ne '200' && $_ ne '201' && $_ ne '503' } @codes }

# Until LIMIT s have passed: rounds of 8 clients at once (3 sign-ins each)
# until three rounds in a row are all 200, then the token from before opens
# /protected/ and a sign-up works. (success, the codes seen, a summary).
sub recovered_within {
    my ($limit) = @_;
    my $t0 = time;
    my (@codes, @rounds);
    my $good = 0;
    while ($good < 3 && time - $t0 < $limit) {
        my @c = parallel_logins($email0, 8, 3);
        push @codes, @c;
        push @rounds, sprintf '%.1fs: %s', time - $t0, tally(@c);
        $good = grep({ $_ ne '200' } @c) ? 0 : $good + 1;
        sleep 0.5 unless $good;
    }
    my ($p) = $srv->req(GET => '/protected/', bearer => $access0);
    my ($r, $j) = signup(email());
    push @codes, code_of($r, $j);
    push @rounds, 'old token at /protected/: ' . $p->code . ', sign-up: ' . $r->code;
    return ($good == 3 && $p->code == 200 && $r->code == 201, \@codes, join "\n", @rounds);
}

# --- 0. before ------------------------------------------------------------------------------------
$email0 = email();
my ($res, $json) = signup($email0);
is($res->code, 201, 'before the outage: sign-up is 201') or diag(show($res));
($res, $json) = login($email0);
($access0, $refresh0) = @{ h(h($json)->{tokens}) }{qw(accessToken refreshToken)};
my ($r2, $j2) = login($email0);
my $access_uncached = h(h($j2)->{tokens})->{accessToken};    # its session is never checked before part 2
ok($res->code == 200 && $access0 && $refresh0 && $r2->code == 200 && $access_uncached,
   'before the outage: sign-in is 200 with tokens (twice: two sessions)') or diag(show($res));
{
    my @codes = parallel_logins($email0, 8, 5);
    ok(@codes == 40 && !grep({ $_ != 200 } @codes), 'warm-up: 8 clients at once, 40 sign-ins, all 200 (mod_dbd pools several connections)')
        or diag(tally(@codes));
}

# --- 1. a restart with no traffic ---------------------------------------------------------------------
{
    my ($prc, $out) = pg('pause', $pgdir);
    my ($rrc, $rout) = pg('resume', $pgdir);
    ok($prc == 0 && $rrc == 0, 'tools/pg pause, then resume: PostgreSQL restarted, nothing asked of httpd meanwhile')
        or diag("$out$rout");
    my ($ok, $codes, $rounds);
    {
        ($ok, $codes, $rounds) = recovered_within(20);
        ok($ok, 'within 20 s every client signs in again (3 rounds in a row of 24 sign-ins from 8 clients all 200), '
                . 'the token from before opens /protected/, sign-up is 201: without restarting httpd')
            or diag($rounds);
    }
    ok(no_500(@$codes), 'meanwhile every answer is a success or a 503 unavailable, never a 500: ' . tally(@$codes));
    ok($srv->alive && $srv->{pid} == $pid, 'httpd keeps running (the same parent)');
}

# --- 2. an outage under traffic --------------------------------------------------------------------------
{
    my $email = $email0;
    my ($access, $refresh) = ($access_uncached, $refresh0);
    my (undef, $lj) = login($email);
    my $access_cached = h(h($lj)->{tokens})->{accessToken};
    my $t_cached = time;
    ($res) = $srv->req(GET => '/protected/', bearer => $access_cached);
    ok($res->code == 200 && time - $t_cached < 0.5, 'a third session opens /protected/ (its answer is now cached)')
        or diag(show($res));
    my ($prc, $out) = pg('pause', $pgdir);
    my $down = !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $pg_port, Timeout => 2);
    ok($prc == 0 && $down, 'tools/pg pause: PostgreSQL is stopped (its port refuses connections)') or diag($out);

    my @signups;
    {
        ($res, $json) = signup(email());
        push @signups, $res;
        ok(unavailable($res, $json), 'POST /auth/register, the first request of the outage: 503 unavailable (no crash)')
            or diag(show($res));
    }
    my @seen;
    for (1 .. 5) { my ($r, $j) = login($email); push @seen, unavailable($r, $j) ? 503 : show($r) }
    is("@seen", '503 503 503 503 503', 'POST /auth/login, 5 times: 503 unavailable each (never 500, never 200)');
    # Another child may still hold a connection that has not noticed: then
    # the same crash (counted, and part of the TODO below), else a 503.
    ($res, $json) = signup(email());
    push @signups, $res;
    my $lost = sub { my ($r) = @_; return !DeskAuthServer::answered($r) || ($r->content // '') =~ /closed connection/i };
    ok(unavailable($res, $json) || $lost->($res),
       'POST /auth/register again: 503 unavailable (or the known crash, on a child that has not noticed yet)')
        or diag(show($res));
    $lost_signups = grep { $lost->($_) } @signups;
    ($res, $json) = $srv->req(GET => '/protected/', bearer => $access);
    ok($res->code == 503, 'GET /protected/ with a token whose session is not cached: 503') or diag(show($res));
    ($res, $json) = $srv->req(GET => '/api/auth/profile', bearer => $access);
    ok(unavailable($res, $json), 'GET /api/auth/profile: 503 unavailable') or diag(show($res));
    ($res, $json) = $srv->req(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $refresh]);
    ok($res->code == 503 && !h($json)->{access_token}, 'a refresh at /auth/token: 503, nothing issued') or diag(show($res));
    ($res, $json) = $srv->req(GET => '/auth/login', headers => { Accept => 'text/html' });
    ok($res->code == 200 && $res->content =~ /<form/i, 'the sign-in page itself still renders (it needs no database)')
        or diag(show($res));
    # Cached at whole second C, the answer (DeskAuthSessionCacheTTL 10) is
    # asked again from C + 8 and expires at C + 10.
    sleep $t_cached + 8.3 - time;
    ($res) = $srv->req(GET => '/protected/', bearer => $access_cached);
    is($res->code, 200, 'the cached session, due to be asked again but not expired: 200 (the answer still holds)')
        or diag(show($res));
    sleep $t_cached + 10.5 - time;
    ($res, $json) = $srv->req(GET => '/protected/', bearer => $access_cached);
    ok($res->code == 503, 'the same once its cached answer has expired: 503') or diag(show($res));
    ok($srv->alive && $srv->{pid} == $pid, 'httpd keeps running (the same parent, no restart)');
    like($srv->error_log, qr/DA000(?:33|34)/, 'the outage is logged (no database connection / database error)');

    ($prc, $out) = pg('resume', $pgdir);
    is($prc, 0, 'tools/pg resume: PostgreSQL runs again, same data, same port') or diag($out);
    # How far this recovers depends on which pooled connections the outage
    # touched (part 1 measures recovery itself): here only "never a 500".
    my @codes;
    my $t0 = time;
    while (time - $t0 < 5) {
        push @codes, parallel_logins($email, 8, 2);
        sleep 0.5;
    }
    ok(no_500(@codes), 'for 5 s after the resume, every sign-in answer is a 200 or a 503 unavailable, never a 500: '
                       . tally(@codes));
}

$srv->stop;
# mod_dbd logs "child init failed" (crit) for a child started while the
# database is down: expected here, once a crash made httpd start another.
my @crash = grep { !/AH00636: child init failed/ } $srv->crash_lines;
my @segv  = grep { /exit signal/ } @crash;
ok(@segv <= $lost_signups && @crash == @segv,
   "no fatal error, and no crashed child beyond the sign-ups that lost their connection ($lost_signups)")
    or diag(join "\n", @crash[0 .. ($#crash < 9 ? $#crash : 9)]);
{
    ok(!@crash, 'no crashed child at all in the error log') or diag(join "\n", @crash[0 .. ($#crash < 9 ? $#crash : 9)]);
}

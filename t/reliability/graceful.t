# `apachectl graceful` under load drops no request (docs/interface.md "No data lost").
# An httpd of its own (DESKAUTH_TEST_MPM, default event); 8 clients, each on
# one keep-alive connection, send 2,000 requests in all, alternately a
# protected page with a valid Bearer token (AuthType DeskAuth, session check
# on) and the sign-in page (GET /auth/login); meanwhile the test runs
# `apache2 -k graceful` (same -f and -d) twice. Every request must get a 200:
# no connection error, no 5xx, no 401; the error log shows both restarts and
# no crash. The clients pace themselves (10 ms between requests), so that
# the load lasts several seconds and both new generations serve part of it.
#
# A client whose idle keep-alive connection the server closes (the old
# generation's children close theirs) reconnects and sends the request again
# when it got not a single byte back: a request the server never took
# (RFC 9112 §9.3.1), as every browser does. Those retries are counted and
# shown; a request that got part of an answer, or none on a new connection,
# is an error.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(time sleep);

my $CLIENTS  = 8;
my $REQUESTS = 2000;
my @GRACEFUL_AT = (400, 1100);      # after this many answers
my $PACE     = 0.01;                # s between two requests of a client: the load lasts
                                    # seconds, so both new generations serve part of it

my @missing = DeskAuthServer::missing();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 10;

$SIG{ALRM} = sub { die "graceful.t took longer than 60 s\n" };
alarm 60;
$SIG{PIPE} = 'IGNORE';

my $srv = DeskAuthServer->new(name => 'graceful');
ok($srv->start, "an httpd of its own starts ($srv->{mpm} MPM)") or BAIL_OUT($srv->why);
my $pid = $srv->{pid};

my ($res, $json) = $srv->req(POST => '/auth/register',
                             json => { email => "graceful-$$\@example.com", password => 'correct horse 1',
                                       firstName => 'Grace', lastName => 'Ful' });
my $token = ref $json eq 'HASH' && ref $json->{tokens} eq 'HASH' ? $json->{tokens}{accessToken} : undef;
ok($res->code == 201 && $token, 'setup: a sign-up gives an access token') or BAIL_OUT($res->as_string);
{
    my ($p) = $srv->req(GET => '/protected/', bearer => $token);
    my ($l) = $srv->req(GET => '/auth/login', headers => { Accept => 'text/html' });
    ok($p->code == 200 && $l->code == 200, 'the token opens /protected/ and the sign-in page is 200')
        or diag($p->status_line . ' / ' . $l->status_line);
}

# --- a small keep-alive HTTP/1.1 client ------------------------------------------------------------
my @REQ = (
    "GET /protected/ HTTP/1.1\r\nHost: 127.0.0.1:$srv->{port}\r\nAuthorization: Bearer $token\r\nAccept: text/html\r\n\r\n",
    "GET /auth/login HTTP/1.1\r\nHost: 127.0.0.1:$srv->{port}\r\nAccept: text/html\r\n\r\n",
);

sub connect_srv {
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $srv->{port}, Timeout => 10);
}

# Read one response from C (a hash: sock, buf). Returns (status, error,
# bytes received); the connection is closed when the server says so.
sub read_response {
    my ($c) = @_;
    my $sel = IO::Select->new($c->{sock});
    my $got = 0;
    my $fill = sub {
        return 0 unless $sel->can_read(15);
        my $n = sysread $c->{sock}, $c->{buf}, 65536, length $c->{buf};
        $got += $n if $n;
        return $n;
    };
    while ($c->{buf} !~ /\r\n\r\n/) {
        my $n = $fill->();
        return (0, defined $n ? 'closed before the headers' : "read: $!", $got) unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $c->{buf}, 2;
    my ($status) = $head =~ m{^HTTP/1\.[01] (\d{3})} or return (0, 'no status line', $got);
    my $close = $head =~ /^Connection:\s*close/mi;
    if (my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi) {
        while (length $rest < $len) {
            my $before = length $c->{buf};
            $fill->() or return (0, 'closed in the body', $got);
            $rest .= substr $c->{buf}, $before;
        }
        $c->{buf} = substr $rest, $len;
    }
    elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
        while ($rest !~ /(?:^|\r\n)0\r\n\r\n/) {
            my $before = length $c->{buf};
            $fill->() or return (0, 'closed in a chunked body', $got);
            $rest .= substr $c->{buf}, $before;
        }
        $c->{buf} = '';
    }
    else {
        $close = 1;
        1 while $fill->();
        $c->{buf} = '';
    }
    if ($close) { close $c->{sock}; $c->{sock} = undef }
    return ($status, undef, $got);
}

# One client: N requests on a keep-alive connection; one line per answer to OUT.
sub client {
    my ($n, $first, $out) = @_;
    my $c = { sock => undef, buf => '', used => 0 };
    for my $i (0 .. $n - 1) {
        my $req = $REQ[($i + $first) % 2];
        my $line;
        for my $attempt (1, 2) {
            if (!$c->{sock}) {
                $c->{sock} = connect_srv() or do { $line = "ERR connect: $!"; last };
                $c->{buf} = '';
                $c->{used} = 0;
            }
            my $reused = $c->{used}++;
            my $w = syswrite $c->{sock}, $req;
            my ($status, $err, $got) = defined $w ? read_response($c) : (0, "write: $!", 0);
            if ($status) { $line = $status; last }
            close $c->{sock} if $c->{sock};
            $c->{sock} = undef;
            if ($reused && !$got && $attempt == 1) { print $out "RETRY\n"; next }
            $line = 'ERR ' . ($reused ? 'reused' : 'new') . " connection, $got bytes: $err";
            last;
        }
        print $out "$line\n";
        sleep $PACE;
    }
}

# --- the load, and two graceful restarts in the middle ------------------------------------------------
my (@kids, %status, @errors, @graceful);
my $retries = 0;
my $sel = IO::Select->new;
for my $k (0 .. $CLIENTS - 1) {
    pipe(my $rd, my $wr) or die "pipe: $!";
    my $kid = fork // die "fork: $!";
    if (!$kid) {
        close $rd;
        $wr->autoflush(1);
        client($REQUESTS / $CLIENTS, $k, $wr);
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    push @kids, $kid;
    $sel->add($rd);
}
my $done = 0;
my $t0 = time;
my %buf;
while ($sel->count) {
    for my $fh ($sel->can_read(20)) {
        my $n = sysread $fh, $buf{$fh}, 65536, length($buf{$fh} // '');
        if (!$n) { $sel->remove($fh); close $fh; next }
        while ($buf{$fh} =~ s/^([^\n]*)\n//) {
            my $line = $1;
            if ($line eq 'RETRY') { $retries++; next }
            $done++;
            if ($line =~ /^\d{3}$/) { $status{$line}++ } else { push @errors, $line }
        }
    }
    if (@graceful < @GRACEFUL_AT && $done >= $GRACEFUL_AT[@graceful]) {
        my $at = $done;
        my $rc = $srv->graceful;
        push @graceful, { at => $at, rc => $rc, out => $srv->why, t => time - $t0 };
    }
}
waitpid $_, 0 for @kids;
my $elapsed = time - $t0;
note(sprintf '%d answers in %.1f s; graceful after %s answers; %d keep-alive retries',
     $done, $elapsed, join(' and ', map { $_->{at} } @graceful), $retries);

ok(@graceful == 2 && !grep({ $_->{rc} } @graceful) && !grep({ $_->{at} >= $REQUESTS } @graceful),
   'apache2 -k graceful ran twice while requests were in flight, exit status 0 each')
    or diag(join "\n", map { "after $_->{at}: exit $_->{rc} $_->{out}" } @graceful);
is($done + 0, $REQUESTS, "all $REQUESTS requests were answered");
ok(!@errors, "no connection error ($retries idle keep-alive connections closed by the server were retried)")
    or diag(scalar(@errors) . " errors, e.g.:\n" . join "\n", @errors[0 .. ($#errors < 9 ? $#errors : 9)]);
is(join(', ', map { "$status{$_} x $_" } sort keys %status), "$REQUESTS x 200",
   'every answer is 200: no 5xx, no 401 (the token kept working across both restarts)');

sleep 0.5;
my $log = $srv->error_log;
my $restarts = () = $log =~ /SIGUSR1 received|Graceful restart requested/g;   # event | prefork
my $resumed = () = $log =~ /resuming normal operations/g;
ok($restarts == 2 && $resumed == 3, 'the error log shows both graceful restarts, each completed (resuming normal operations)')
    or diag("SIGUSR1: $restarts, resuming: $resumed");
my ($after) = $srv->req(GET => '/protected/', bearer => $token);
ok($after->code == 200 && $srv->alive && $srv->{pid} == $pid,
   'afterwards the same httpd (same parent) still answers 200 with the token') or diag($after->status_line);
$srv->stop;
my @crash = $srv->crash_lines;
ok(!@crash, 'no crashed child or fatal error in the error log') or diag(join "\n", @crash[0 .. ($#crash < 9 ? $#crash : 9)]);

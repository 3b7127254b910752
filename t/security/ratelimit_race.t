# Rate limits under parallel attempts: an attempt takes its slot before the
# work it guards (a sign-in's bcrypt check, a sign-up, a reset mail), all of
# its counters at once under one lock, so that 30 attempts sent at the same
# moment cannot all pass a check made before any of them was counted. And a
# failing grant at /auth/token is what the token limit counts: other
# clients' failures behind the same address never refuse a valid refresh or
# code exchange.
#
#   DeskAuthLoginLimit 5 60      5 failures per account, 20 per address, 60 s
#   DeskAuthRegisterLimit 5 60   5 sign-ups per address, every attempt counts
#   DeskAuthPasswordCost 10      each password check takes tens of ms, the
#                                time in which unreserved attempts raced
#
# Each burst opens its 30 connections first, writes the 30 requests back to
# back and then reads every answer (as t/reliability/concurrent_signup.t),
# from source addresses of 127.0.0.0/8 of its own, so that the per-address
# counters of the parts do not mix. The server uses the run's database
# (PostgreSQL in a pgsql run, else a SQLite file of its own). The last part
# runs the one-account burst again on a server whose DeskAuthCache is a
# memcached of its own (skipped without memcached): socache has no atomic
# increment, and nothing else locks an MP-safe provider.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthCtl ();
use DeskAuthOAuth ();
use Digest::SHA qw(sha256);
use POSIX ();
use Time::HiRes qw(time sleep);
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use MIME::Base64 qw(encode_base64url);
use URI ();

my $LIMIT  = 5;
my $WINDOW = 60;
my $BURST  = 30;
my $PW     = 'correct horse 1';
my $WRONG  = 'wrong horse 1';
my $JSON   = JSON::PP->new->utf8->canonical;

my @missing = DeskAuthServer::missing();
push @missing, DeskAuthServer::ctl_path() . ' (run make)' unless -x DeskAuthServer::ctl_path();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 1 + 1 + 3 + 3 + 3 + 2 + 3 + 5 + 3 + 1 + 3;

$SIG{ALRM} = sub { die "ratelimit_race.t took longer than 240 s\n" };
alarm 240;
$SIG{PIPE} = 'IGNORE';

# The run's database: PostgreSQL when t/run runs pgsql (tables shared with
# the main test server, accounts unique), else a SQLite file of our own.
my ($driver, $params) = DeskAuthCtl::db_args();
my %db = defined $driver && $driver eq 'pgsql' ? (driver => 'pgsql', params => $params) : ();
my $srv = DeskAuthServer->new(
    name => 'race', cost => 10, %db,
    conf => "DeskAuthLoginLimit $LIMIT $WINDOW\nDeskAuthRegisterLimit $LIMIT $WINDOW\n"
          . qq{DeskAuthMailCommand "/bin/sh -c 'cat >/dev/null'"\n}
          . "<Location /auth/reset>\n    SetHandler deskauth-reset\n</Location>\n");
ok($srv->start, "a server of its own: DeskAuthLoginLimit $LIMIT $WINDOW, DeskAuthRegisterLimit $LIMIT $WINDOW, "
               . 'database ' . ($db{driver} // 'sqlite3')) or BAIL_OUT($srv->why);

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

my $n = 0;
sub email { my ($tag) = @_; return sprintf '%s-%d-%d@example.com', $tag, $$, ++$n }

# --- the burst ------------------------------------------------------------------------

# Send every request of REQS at once and read every answer. A request is
# {from, method, path, json | form | body, headers}; the answer is added as
# {status, json, retry_after} (status 0: no answer).
sub burst {
    my (@reqs) = @_;
    my $base = URI->new($srv->base);
    for my $q (@reqs) {
        my %h = (Host => $base->host_port, Accept => 'application/json', Connection => 'close',
                 %{ $q->{headers} || {} });
        my $body = '';
        if ($q->{json}) { $body = $JSON->encode($q->{json}); $h{'Content-Type'} = 'application/json' }
        elsif ($q->{form}) {
            my $u = URI->new('http:');
            $u->query_form(@{ $q->{form} });
            $body = $u->query;
            $h{'Content-Type'} = 'application/x-www-form-urlencoded';
        }
        $h{'Content-Length'} = length $body;
        $q->{out} = ($q->{method} // 'POST') . " $q->{path} HTTP/1.1\r\n"
                  . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n$body";
        $q->{sock} = IO::Socket::INET->new(PeerAddr => $base->host, PeerPort => $base->port,
                                           LocalAddr => $q->{from} // '127.0.0.1', Timeout => 10)
            or die "connect from $q->{from}: $!";
        $q->{buf} = '';
    }
    syswrite $_->{sock}, $_->{out} for @reqs;
    my $sel = IO::Select->new(map { $_->{sock} } @reqs);
    my %by_sock = map { ($_->{sock} => $_) } @reqs;
    while ($sel->count) {
        my @ready = $sel->can_read(60) or last;
        for my $s (@ready) {
            my $q = $by_sock{$s};
            my $got = sysread $s, $q->{buf}, 65536, length $q->{buf};
            if (!$got) { $sel->remove($s); close $s }
        }
    }
    for my $q (@reqs) {
        my ($head, $body) = split /\r\n\r\n/, $q->{buf}, 2;
        ($q->{status}) = ($head // '') =~ m{^HTTP/1\.[01] (\d{3})};
        $q->{status} //= 0;
        ($q->{retry_after}) = ($head // '') =~ /^Retry-After:\s*(\S+)/mi;
        $q->{json} = eval { $JSON->decode($body // '') };
        delete @$q{qw(sock out buf)};
    }
    return @reqs;
}

sub count { my ($status, @r) = @_; return scalar grep { $_->{status} == $status } @r }
sub summary { my (@r) = @_; my %c; $c{$_->{status}}++ for @r; return join ', ', map { "$c{$_} x $_" } sort keys %c }

# Every answer either PASS (the status of an attempt that went on) or a 429
# rate_limited with a Retry-After within the window, and at most MAX of
# PASS (at least one). Returns the number of PASS answers, or -1.
sub at_most {
    my ($pass, $max, @r) = @_;
    my $passed = count($pass, @r);
    my @bad = grep {
        $_->{status} != $pass
            && !($_->{status} == 429 && (h($_->{json})->{error} // '') eq 'rate_limited'
                 && ($_->{retry_after} // '') =~ /^\d+$/ && $_->{retry_after} >= 1
                 && $_->{retry_after} <= $WINDOW)
    } @r;
    return !@bad && $passed >= 1 && $passed <= $max ? $passed : -1;
}

sub login_req { my ($from, $email, $pw) = @_; return { from => $from, path => '/auth/login', json => { email => $email, password => $pw } } }
sub login { my ($from, $email, $pw) = @_; return $srv->req(POST => '/auth/login', from => $from, json => { email => $email, password => $pw }) }

# --- accounts, straight into the database ------------------------------------------------
my %acct = map { $_ => email($_) } qw(one many right clear ip grant);
$acct{"ip$_"} = email("ip$_") for 1 .. 5;
{
    my @failed = grep { !$srv->ctl_add_user($acct{$_}, $PW, cost => 10) } sort keys %acct;
    ok(!@failed, 'setup: deskauthctl user add made the accounts') or diag("failed: @failed: " . $srv->why);
}

# --- 1. one account, 30 wrong passwords at once ------------------------------------------
{
    my @r = burst(map { login_req("127.0.1.$_", $acct{one}, $WRONG) } 1 .. $BURST);
    my $passed = at_most(401, $LIMIT, @r);
    is($passed, $LIMIT, "$BURST wrong passwords for one account at once, from $BURST addresses: "
                        . "exactly $LIMIT get 401, the others 429 rate_limited with Retry-After")
        or diag(summary(@r));
    my ($res) = login('127.0.1.99', $acct{one}, $PW);
    is($res->code, 429, 'the account is locked afterwards, even for the right password') or diag($res->status_line);

    @r = burst(map { login_req('127.0.2.1', $acct{many}, $_ % 2 ? $WRONG : uc $WRONG) } 1 .. $BURST);
    is(at_most(401, $LIMIT, @r), $LIMIT, "$BURST wrong passwords for another account at once from ONE address: "
                                          . "exactly $LIMIT get 401 (the account's limit is the smaller)")
        or diag(summary(@r));
}

# --- 2. one address, 30 accounts at once ------------------------------------------------------
{
    my $ip_limit = 4 * $LIMIT;
    my @r = burst(map { login_req('127.0.3.1', email('nobody'), $WRONG) } 1 .. $BURST);
    is(at_most(401, $ip_limit, @r), $ip_limit,
       "$BURST wrong sign-ins for $BURST unknown accounts at once from one address: exactly $ip_limit (4 x $LIMIT) get 401")
        or diag(summary(@r));
    @r = burst(map { login_req('127.0.3.2', $acct{"ip" . (1 + $_ % 5)}, $WRONG) } 1 .. $BURST);
    is(at_most(401, $ip_limit, @r), $ip_limit,
       "$BURST wrong passwords over 5 existing accounts at once from one address: at most $ip_limit get 401 "
       . "(5 per account, so exactly $ip_limit)") or diag(summary(@r));
    my ($res) = login('127.0.3.1', $acct{right}, $PW);
    is($res->code, 429, 'the address is limited afterwards: the right password of an untouched account is 429')
        or diag($res->status_line);
}

# --- 3. slots of attempts that did not fail are given back ----------------------------------------
{
    # 4 wrong and 1 right at once: 5 slots, none refused; the right one signs in.
    my @r = burst((map { login_req('127.0.4.1', $acct{right}, $WRONG) } 1 .. $LIMIT - 1),
                  login_req('127.0.4.1', $acct{right}, $PW));
    ok(count(401, @r) == $LIMIT - 1 && $r[-1]{status} == 200,
       ($LIMIT - 1) . ' wrong passwords and the right one at once: 401s and a 200 (under the limit, nothing refused)')
        or diag(summary(@r));
    # The right password sent 20 times, 5 at a time from one address: each
    # gives its slot back, so the address has no failure at the end.
    my @codes;
    for (1 .. 4) {
        push @codes, map { $_->{status} } burst(map { login_req('127.0.4.2', $acct{clear}, $PW) } 1 .. $LIMIT);
    }
    is(scalar(grep { $_ == 200 } @codes), 4 * $LIMIT, '20 right passwords from one address, 5 at a time: 200 each')
        or diag("@codes");
    my @seen;
    for my $i (1 .. 4 * $LIMIT) {
        my ($res) = login('127.0.4.2', $acct{"ip" . (1 + $i % 5)} =~ s/^/x/r, $WRONG);
        push @seen, $res->code;
    }
    my ($res) = login('127.0.4.2', $acct{clear}, $PW);
    ok("@seen" eq join(' ', (401) x (4 * $LIMIT)) && $res->code == 429,
       'then 20 wrong passwords from that address are 401 (its successes took no slot), and the 21st attempt is 429')
        or diag("@seen then " . $res->code);
}

# --- 4. sign-up flooding -------------------------------------------------------------------------------
{
    my @emails = map { email('flood') } 1 .. $BURST;
    my @r = burst(map { { from => '127.0.5.1', path => '/auth/register',
                          json => { email => $_, password => $PW, firstName => 'Flo', lastName => 'Od' } } } @emails);
    my $made = count(201, @r);
    is(at_most(201, $LIMIT, @r), $LIMIT, "$BURST sign-ups at once from one address: exactly $LIMIT get 201, the others 429")
        or diag(summary(@r));
    my $k = 0;
    my @signed = grep { my ($res) = login('127.0.5.' . (10 + $k++), $_, $PW); $res->code == 200 } @emails;
    is(scalar @signed, $made, "only the $made accepted sign-ups made an account (the refused ones left nothing)")
        or diag(scalar(@signed) . " of $BURST emails sign in");
}

# --- 5. forgot-password flooding -------------------------------------------------------------------------
{
    my $reset = sub { my ($from, $e) = @_; return { from => $from, path => '/auth/reset', json => { email => $e } } };
    my @r = burst(map { $reset->("127.0.6.$_", $acct{one}) } 1 .. $BURST);
    is(at_most(200, $LIMIT, @r), $LIMIT,
       "$BURST reset requests for one address at once, from $BURST client addresses: exactly $LIMIT are answered 200")
        or diag(summary(@r));
    @r = burst(map { $reset->('127.0.6.100', email('reset')) } 1 .. $BURST);
    is(at_most(200, 4 * $LIMIT, @r), 4 * $LIMIT,
       "$BURST reset requests for $BURST addresses at once from one client: exactly " . 4 * $LIMIT . ' are answered 200')
        or diag(summary(@r));
    my ($res) = $srv->req(POST => '/auth/reset', from => '127.0.6.100', json => { email => email('reset') });
    is($res->code, 429, 'that client is refused afterwards') or diag($res->status_line);
}

# --- 6. failed grants never lock out valid ones ---------------------------------------------------------
my $APP = '127.0.7.1';                     # the NAT that every app sits behind
sub b64u { return encode_base64url($_[0]) }

# A PKCE code for example-app, through the sign-in page (from another address).
sub pkce_code {
    my ($email) = @_;
    my $verifier = b64u(join '', map { chr int rand 256 } 1 .. 48);
    my $ua = $srv->ua(from => '127.0.7.200', cookies => 1);
    my $u = URI->new($srv->url('/auth/login'));
    $u->query_form(client_id => 'example-app', redirect_uri => 'http://127.0.0.1/callback', response_type => 'code',
                   state => 's', code_challenge => b64u(sha256($verifier)), code_challenge_method => 'S256');
    my $page = $ua->get($u, Accept => 'text/html');
    my ($form) = grep { exists $_->{value}{password} } DeskAuthOAuth::forms($page->content);
    return () unless $form;
    my %data = (%{ $form->{value} }, email => $email, password => $PW);
    my $post = $ua->post($srv->url('/auth/login'), [%data], Origin => $srv->base, Accept => 'text/html');
    my $handoff = $post->code == 303 ? $post->header('Location') : return ();
    my $hpage = $ua->get(URI->new_abs($handoff, $srv->base), Accept => 'text/html');
    my $link = DeskAuthOAuth::code_link($hpage->content, 'http://127.0.0.1/callback');
    return (DeskAuthOAuth::query_params($link)->{code}, $verifier);
}

sub exchange {
    my ($code, $verifier) = @_;
    return $srv->req(POST => '/auth/token', from => $APP,
                     form => [grant_type => 'authorization_code', code => $code, code_verifier => $verifier,
                              redirect_uri => 'http://127.0.0.1/callback', client_id => 'example-app']);
}

{
    my ($code, $verifier) = pkce_code($acct{grant});
    my ($res, $json) = exchange($code // 'none', $verifier // 'none');
    my $refresh = h($json)->{refresh_token};
    ok($res->code == 200 && $refresh, 'setup: an app behind the address signs in with code + PKCE') or diag($res->status_line);

    # Bogus grants of four shapes from the same address, all at once.
    my @bogus = map {
        my $i = $_;
        $i % 4 == 0 ? { form => [grant_type => 'refresh_token', refresh_token => "bogus-$i-" . b64u(sha256($i))] }
      : $i % 4 == 1 ? { form => [grant_type => 'authorization_code', code => "bogus-$i", code_verifier => 'v' x 43,
                                 redirect_uri => 'http://127.0.0.1/callback', client_id => 'example-app'] }
      : $i % 4 == 2 ? { json => { refreshToken => "bogus-json-$i" } }
      :               { headers => { Authorization => "Bearer bogus-bearer-$i" } }
    } 1 .. $BURST;
    my @r = burst(map { { from => $APP, path => '/auth/token', %$_ } } @bogus);
    my %fail = (400 => 1, 401 => 1);
    my $failed = grep { $fail{$_->{status}} } @r;
    my @other = grep { !$fail{$_->{status}} && !($_->{status} == 429 && ($_->{retry_after} // '') =~ /^\d+$/) } @r;
    ok($failed == 4 * $LIMIT && !@other,
       "$BURST bogus grants at once (refresh, code, JSON and Bearer refresh) from one address: exactly "
       . 4 * $LIMIT . ' are judged (400/401), the others 429 with Retry-After') or diag(summary(@r));

    ($res, $json) = $srv->req(POST => '/auth/token', from => $APP,
                              form => [grant_type => 'refresh_token', refresh_token => $refresh // 'none']);
    my $next = h($json)->{refresh_token};
    ok($res->code == 200 && $next, 'a VALID refresh from the limited address still succeeds (form)') or diag($res->status_line);
    ($res, $json) = $srv->req(POST => '/auth/token', from => $APP, json => { refreshToken => $next // 'none' });
    ok($res->code == 200 && h($json)->{refreshToken}, 'and the JSON refresh of existing apps too') or diag($res->status_line);
    ($code, $verifier) = pkce_code($acct{grant});
    ($res, $json) = exchange($code // 'none', $verifier // 'none');
    ok($res->code == 200 && h($json)->{access_token}, 'a VALID code exchange from the limited address still succeeds')
        or diag($res->status_line);
}

# --- 7. the failing ones stay limited ----------------------------------------------------------------------
{
    my ($res, $json) = $srv->req(POST => '/auth/token', from => $APP,
                                 form => [grant_type => 'refresh_token', refresh_token => 'bogus-after']);
    ok($res->code == 429 && (h($json)->{error} // '') eq 'rate_limited' && ($res->header('Retry-After') // '') =~ /^\d+$/,
       'a failing grant from that address is still 429 rate_limited with Retry-After') or diag($res->status_line);
    # One bogus token presented from 30 addresses: its own counter.
    my @r = burst(map { { from => "127.0.8.$_", path => '/auth/token',
                          form => [grant_type => 'refresh_token', refresh_token => 'one-stolen-guess'] } } 1 .. $BURST);
    is(at_most(400, $LIMIT, @r), $LIMIT,
       "one bogus refresh token presented $BURST times at once from $BURST addresses: exactly $LIMIT are judged (per token)")
        or diag(summary(@r));
    ($res) = $srv->req(POST => '/auth/token', from => '127.0.8.200',
                       form => [grant_type => 'refresh_token', refresh_token => 'another-guess']);
    is($res->code, 400, 'another bogus token from a fresh address is judged (400): the limit was that token\'s')
        or diag($res->status_line);
}

$srv->stop;
my @crash = $srv->crash_lines;
ok(!@crash, 'no crashed child or fatal error in the error log') or diag(join "\n", @crash[0 .. ($#crash < 19 ? $#crash : 19)]);

# --- 8. the same race over memcached ----------------------------------------------------------------------
# memcache is MP-safe for socache, so nothing locks it for us: the counters'
# own mutex must make the read-modify-write atomic among the children.
my $mc_pid;
END { if ($mc_pid) { kill 'TERM', -$mc_pid; waitpid $mc_pid, 0 } }

# memcached's "stats" as a hash (empty when it does not answer).
sub mc_stats {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 2) or return {};
    print $s "stats\r\n";
    my %st;
    while (my $line = <$s>) {
        last if $line =~ /^(?:END|ERROR)/;
        $st{$1} = $2 if $line =~ /^STAT (\S+) (\S+)/;
    }
    return \%st;
}

SKIP: {
    my $memcached = (grep { -x } map { "$_/memcached" } split /:/, "$ENV{PATH}:/usr/bin:/usr/sbin")[0];
    my $mod = DeskAuthServer::libexec() . '/mod_socache_memcache.so';
    skip 'needs memcached and mod_socache_memcache.so', 3 unless $memcached && -f $mod;
    my $port = DeskAuthServer::free_port();
    $mc_pid = fork // die "fork: $!";
    if (!$mc_pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>&', \*STDOUT;
        exec $memcached, '-U', '0', '-l', '127.0.0.1', '-p', $port, '-m', '16', ($> == 0 ? ('-u', 'nobody') : ())
            or POSIX::_exit(127);
    }
    my $t0 = time;
    sleep 0.1 until keys %{ mc_stats($port) } || time - $t0 > 5;
    $srv = DeskAuthServer->new(
        name => 'race-mc', cost => 10, %db,
        conf => DeskAuthServer::load('socache_memcache')
              . "DeskAuthCache memcache:127.0.0.1:$port\nDeskAuthLoginLimit $LIMIT $WINDOW\n");
    ok($srv->start, "a server with DeskAuthCache memcache:127.0.0.1:$port starts") or diag($srv->why);
    my $mc = email('memcache');
    $srv->ctl_add_user($mc, $PW, cost => 10) or diag($srv->why);
    my @r = burst(map { login_req("127.0.9.$_", $mc, $WRONG) } 1 .. $BURST);
    is(at_most(401, $LIMIT, @r), $LIMIT,
       "over memcached, $BURST wrong passwords for one account at once: exactly $LIMIT get 401, the others 429")
        or diag(summary(@r));
    my ($res) = login('127.0.9.99', $mc, $PW);
    ok($res->code == 429 && (mc_stats($port)->{cmd_set} // 0) > 0,
       'the account is locked, and the counters are in memcached (it saw sets)') or diag($res->status_line);
    $srv->stop;
}

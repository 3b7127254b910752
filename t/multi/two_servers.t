# Several servers (docs/interface.md Storage: the socache for several servers;
# docs/behaviour.md "Revocation and metadata": revocation timing): two extra httpd instances, A and B, share one database
# and one shared cache and behave as one site. The cache is memcached
# (DeskAuthCache memcache:HOST:PORT, mod_socache_memcache) by default, Redis
# (DeskAuthCache redis:HOST:PORT, mod_socache_redis) when DESKAUTH_MULTI_CACHE
# is "redis": t/multi/two_servers_redis.t runs this file so. The test starts
# the cache server itself, on loopback on a free port.
#
#   - a token issued by A works on B (protected location, profile, sessions);
#   - a refresh token issued by B rotates on A, and replaying the rotated-away
#     one on B revokes the session everywhere;
#   - B answers a warm session check from the entry A stored in the cache
#     (the cache server's own counters prove it: a get hit, no set);
#   - a logout on A is refused on A at once and on B within
#     DeskAuthSessionCacheTTL (+1 s);
#   - a revocation that bypasses the cache (deskauthctl on the database) holds
#     on B once the cached "valid" answer expires, within the TTL (+1 s);
#   - failed sign-ins on A and B count together (the rate-limit counters
#     are in the shared cache);
#   - neither error log shows a crashed child.
#
# The database: the one the current run uses. Under t/run (which writes
# t/conf/deskauth-db.conf) a pgsql run shares its PostgreSQL; a sqlite3 run,
# or no t/run at all without DESKAUTH_TEST_PG_PARAMS, gets a fresh SQLite file
# in this test's temporary directory. The servers, the cache server and the
# temporary directory are removed in END, also when a test fails or dies.
# Skipped when the cache server (memcached, redis-server), its
# mod_socache_*.so, the built module or the test key is missing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthForge qw(token_sid);
use File::Path qw(remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Request ();
use IO::Socket::INET ();
use JSON::PP ();
use LWP::UserAgent ();
use POSIX qw(WNOHANG);
use URI ();
use Time::HiRes qw(time sleep);

my $TTL = 3;                                  # DeskAuthSessionCacheTTL
my $JSON = JSON::PP->new->utf8->canonical;

# --- what the test needs ---------------------------------------------------------
my $t_dir = File::Spec->rel2abs("$FindBin::Bin/..");
my $top   = Apache::Test::vars('top_dir') // File::Spec->rel2abs("$t_dir/..");
my $httpd = $ENV{HTTPD} || Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $so    = "$top/.libs/mod_deskauth.so";
my $key   = "$t_dir/keys/es256.pem";
my $ctl   = "$top/deskauthctl";
my $libexec = Apache::Test::vars('libexecdir');
if (!$libexec || !-d $libexec) {
    chomp($libexec = `${\($ENV{APXS} || 'apxs')} -q LIBEXECDIR 2>/dev/null` || '');
    $libexec ||= '/usr/lib/apache2/modules';
}
# The shared cache: memcached or Redis, each with its socache provider and
# the name of its server program.
my %CACHES = (memcache => 'memcached', redis => 'redis-server');
my $cache = $ENV{DESKAUTH_MULTI_CACHE} || 'memcache';
die "DESKAUTH_MULTI_CACHE: memcache or redis, not $cache\n" unless $CACHES{$cache};
my $cache_prog = $CACHES{$cache};
my ($cache_server) = grep { -x } "/usr/bin/$cache_prog", map { "$_/$cache_prog" } split /:/, $ENV{PATH} // '';

my @missing;
push @missing, "$cache_prog (tools/deps --test installs it)" unless $cache_server;
push @missing, "$libexec/mod_socache_$cache.so" unless -f "$libexec/mod_socache_$cache.so";
push @missing, "$so (run make)" unless -f $so;
push @missing, "$key (t/run generates it)" unless -f $key;
push @missing, "an httpd binary ($httpd)" unless -x $httpd;
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 43;

# --- processes and files, cleaned up in END ---------------------------------------
my (%procs, $tmp);              # name => pid (each the leader of its own process group)
my $cleaning_pid = $$;

sub stop_proc {
    my ($name) = @_;
    my $pid = delete $procs{$name} or return;
    kill 'TERM', $pid;            # the leader only, as DeskAuthServer::stop
    my $deadline = time + 10;
    while (time < $deadline) {
        my $w = waitpid($pid, WNOHANG);
        return if $w == $pid || $w == -1;
        sleep 0.1;
    }
    kill 'KILL', -$pid;
    waitpid $pid, 0;
}
sub stop_all { local $?; stop_proc($_) for sort keys %procs }

END {
    if (defined $cleaning_pid && $$ == $cleaning_pid) {
        local $?;
        stop_all();
        remove_tree($tmp) if $tmp && -d $tmp && !$ENV{DESKAUTH_TEST_KEEP};
    }
}
$SIG{INT} = $SIG{TERM} = sub { die "interrupted\n" };
$SIG{ALRM} = sub { die "two_servers.t took longer than 90 s\n" };
alarm 90;

# Start a program in its own process group; its stdout and stderr go to LOG.
sub spawn {
    my ($name, $log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }
    $procs{$name} = $pid;
    return $pid;
}
sub alive {
    my ($name) = @_;
    my $pid = $procs{$name} or return 0;
    return 1 if waitpid($pid, WNOHANG) == 0;
    delete $procs{$name};                 # reaped: nothing left to stop
    return 0;
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}
my %used_port;
sub new_port { my $p; do { $p = free_port() } while $used_port{$p}++; return $p }

sub slurp { my ($path) = @_; open my $fh, '<:raw', $path or return ''; local $/; return scalar <$fh> }
sub spew  { my ($path, $data) = @_; open my $fh, '>:raw', $path or die "$path: $!"; print $fh $data; close $fh or die "$path: $!" }

# --- who runs the children ----------------------------------------------------------
my $root = $> == 0;
my ($child_user, $child_group, $child_uid, $child_gid);
if ($root) {
    $child_user = $ENV{APACHE_TEST_USER} || 'nobody';
    ($child_uid, $child_gid) = (getpwnam $child_user)[2, 3];
    defined $child_uid or die "no user $child_user";
    $child_group = $ENV{APACHE_TEST_GROUP} || scalar getgrgid($child_gid);
}

$tmp = tempdir("deskauth-multi-$cache-XXXXXX", TMPDIR => 1);
chmod 0755, $tmp;               # the children (nobody) serve htdocs/ and reach db/

# --- the database --------------------------------------------------------------------
my ($driver, $params);
{
    my $run_conf = slurp("$t_dir/conf/deskauth-db.conf");
    my ($run_driver) = $run_conf =~ /^\s*DBDriver\s+(\S+)/m;
    my ($run_params) = $run_conf =~ /^\s*DBDParams\s+"?([^"\n]*)"?/m;
    my $pg = $ENV{DESKAUTH_TEST_PG_PARAMS};
    if (defined $run_driver ? $run_driver eq 'pgsql' : defined $pg && length $pg) {
        ($driver, $params) = ('pgsql', (defined $pg && length $pg) ? $pg : $run_params);
    }
    else {
        mkdir "$tmp/db", 0700 or die "$tmp/db: $!";
        ($driver, $params) = ('sqlite3', "$tmp/db/deskauth.db");
        spew($params, '');
        if ($root) { chown $child_uid, $child_gid, "$tmp/db", $params or die "chown: $!" }
    }
}
note "database: $driver";

# --- the cache server --------------------------------------------------------------------
my $mc_port = new_port();
if ($cache eq 'memcache') {
    spawn(cache => "$tmp/cache.log", $cache_server, '-U', '0', '-l', '127.0.0.1', '-p', $mc_port,
          '-m', '16', '-c', '256', ($root ? ('-u', $child_user) : ()));
}
else {
    # no persistence, nothing written outside $tmp; protected mode stays on
    # (loopback only)
    spawn(cache => "$tmp/cache.log", $cache_server, '--bind', '127.0.0.1', '--port', $mc_port,
          '--save', '', '--appendonly', 'no', '--dir', $tmp, '--maxmemory', '16mb',
          '--daemonize', 'no', '--logfile', '');
}

# Ask the cache server COMMAND; its reply's lines.
sub cache_ask {
    my ($command) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $mc_port, Timeout => 2) or return;
    print $s "$command\r\n";
    my @lines;
    if ($cache eq 'memcache') {
        while (my $line = <$s>) { last if $line =~ /^(?:END|ERROR)/; push @lines, $line }
    }
    else {                                # a RESP bulk string: $LENGTH, then the text
        my $head = <$s> // '';
        if ($head =~ /^\$(\d+)/) {
            my ($text, $want) = ('', $1 + 2);
            while (length $text < $want) { my $n = read($s, $text, $want - length $text, length $text); last unless $n }
            @lines = split /\r?\n/, $text;
        }
    }
    close $s;
    return @lines;
}

# The cache server's counters as { set, get_hits, get_misses, connections }, or undef.
sub mc_stats {
    my %st;
    if ($cache eq 'memcache') {
        my %raw = map { /^STAT (\S+) (\S+)/ ? ($1 => $2) : () } cache_ask('stats');
        return undef unless %raw;
        @st{qw(set get_hits get_misses connections)} = @raw{qw(cmd_set get_hits get_misses curr_connections)};
    }
    else {
        my %raw = map { /^(\w+):(\S+)/ ? ($1 => $2) : () } cache_ask('INFO all');
        return undef unless defined $raw{keyspace_hits};
        my $sets = 0;
        for my $cmd (qw(set setex psetex)) {
            $sets += $1 if ($raw{"cmdstat_$cmd"} // '') =~ /\bcalls=(\d+)/;
        }
        @st{qw(set get_hits get_misses connections)} = ($sets, @raw{qw(keyspace_hits keyspace_misses connected_clients)});
    }
    return \%st;
}
sub wait_for { my ($what, $limit) = @_; my $end = time + $limit;
               while (time < $end) { my $v = $what->(); return $v if $v; sleep 0.1 } return undef }

ok(wait_for(sub { alive('cache') && mc_stats() }, 10),
   "$cache_prog answers on 127.0.0.1:$mc_port") or diag(slurp("$tmp/cache.log"));

# --- httpd A and B -----------------------------------------------------------------------
my %builtin = map { /^\s*(\S+)\.c\s*$/ ? ($1 => 1) : () } `"$httpd" -l 2>/dev/null`;
sub load { my ($name) = @_;
           return $builtin{"mod_$name"} ? '' : qq{LoadModule ${name}_module "$libexec/mod_$name.so"\n} }

sub server_conf {
    my ($dir, $port) = @_;
    my $mpm = $ENV{DESKAUTH_TEST_MPM} || 'event';
    my $c = qq{# mod_deskauth t/multi/two_servers.t\n}
          . qq{ServerRoot "$dir"\nDefaultRuntimeDir "$dir/run"\nPidFile "$dir/run/httpd.pid"\n}
          . qq{ErrorLog "$dir/error_log"\nLogLevel warn deskauth:debug\n}
          . qq{Listen 127.0.0.1:$port\nServerName 127.0.0.1:$port\n}
          . qq{DocumentRoot "$dir/htdocs"\n};
    $c .= load("mpm_$mpm") unless grep { $builtin{"mod_mpm_$_"} || $builtin{$_} } qw(prefork worker event);
    $c .= load($_) for qw(dbd authn_core authz_core authz_user mime), "socache_$cache";
    $c .= qq{LoadModule deskauth_module "$so"\n};
    $c .= qq{User $child_user\nGroup $child_group\n} if $root;
    $c .= qq{TypesConfig /etc/mime.types\n} if -f '/etc/mime.types';
    $c .= qq{DBDriver $driver\nDBDParams "$params"\n};
    $c .= qq{DeskAuthSigningKey "$key" test-es256\n}
        . qq{DeskAuthIssuer https://deskauth.test\n}
        . qq{DeskAuthCache $cache:127.0.0.1:$mc_port\n}
        . qq{DeskAuthSessionCacheTTL $TTL\n}
        . qq{DeskAuthPasswordCost 4\n}
        . qq{DeskAuthStateDir "$dir/state"\n};
    my %handlers = ('/auth/register' => 'register', '/auth/login' => 'login', '/auth/logout' => 'logout',
                    '/auth/token' => 'token', '/auth/sessions' => 'sessions', '/api/auth/profile' => 'profile');
    $c .= qq{<Location $_>\n    SetHandler deskauth-$handlers{$_}\n</Location>\n} for sort keys %handlers;
    $c .= qq{<Directory "$dir/htdocs">\n    Require all granted\n</Directory>\n}
        . qq{<Location /protected/>\n    AuthType DeskAuth\n    Require valid-user\n</Location>\n};
    return $c;
}

my %srv;
for my $name (qw(A B)) {
    my $dir = "$tmp/$name";
    my $port = new_port();
    mkdir $_, 0755 or die "$_: $!" for $dir, "$dir/run", "$dir/state", "$dir/htdocs", "$dir/htdocs/protected";
    chown $child_uid, $child_gid, "$dir/state" if $root;
    spew("$dir/htdocs/protected/index.html", "<!doctype html><title>protected</title><p>protected on $name\n");
    spew("$dir/httpd.conf", server_conf($dir, $port));
    $srv{$name} = { name => $name, dir => $dir, port => $port, base => "http://127.0.0.1:$port" };
}

my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 0, requests_redirectable => [], agent => 'two_servers.t');

# (HTTP::Response, decoded JSON or undef)
sub req {
    my ($name, $method, $path, %o) = @_;
    my %h = (Accept => 'application/json', %{ $o{headers} || {} });
    my $body;
    if (defined $o{json}) { $body = $JSON->encode($o{json}); $h{'Content-Type'} = 'application/json' }
    elsif (defined $o{form}) {
        my $u = URI->new('http:'); $u->query_form(@{ $o{form} }); $body = $u->query;
        $h{'Content-Type'} = 'application/x-www-form-urlencoded';
    }
    $h{Authorization} = "Bearer $o{bearer}" if defined $o{bearer};
    my $res = $ua->request(HTTP::Request->new($method, $srv{$name}{base} . $path, [%h], $body));
    my $json = eval { $JSON->decode($res->content) };
    return ($res, $json);
}
sub answered { my ($res) = @_; return ($res->header(q{Client-Warning}) // q{}) ne q{Internal response} }   # LWP: no connection
sub protected { my ($name, $tok) = @_; my ($r) = req($name, GET => '/protected/index.html', bearer => $tok); return $r->code }
sub profile   { my ($name, $tok) = @_; return req($name, GET => '/api/auth/profile', bearer => $tok) }
sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

for my $s (map { $srv{$_} } qw(A B)) {
    my $out = `"$httpd" -t -f "$s->{dir}/httpd.conf" 2>&1`;
    diag("httpd -t for $s->{name}: $out") if $?;
    spawn($s->{name}, "$s->{dir}/stdout.log", $httpd, '-DFOREGROUND', '-f', "$s->{dir}/httpd.conf");
}
for my $name (qw(A B)) {
    my $last = 'no answer';
    my $up = wait_for(sub {
        return 'died' unless alive($name);
        my ($r) = req($name, GET => '/protected/index.html');
        $last = $r->status_line;
        return answered($r) && $r->code == 401 ? 'up' : 0;
    }, 20) // 'timeout';
    is($up, 'up', "server $name answers on port $srv{$name}{port} (a protected page without a token is 401)")
        or diag("last answer: $last\n" . slurp("$srv{$name}{dir}/stdout.log") . slurp("$srv{$name}{dir}/error_log"));
}
die "the servers did not start: see the diagnostics above\n" unless alive('A') && alive('B') && alive('cache');

my $n_user = 0;
sub new_email { return sprintf 'multi%dp%dn%d@example.com', time, $$, ++$n_user }
my $PASSWORD = 'correct horse 1';

sub delta { my ($s0, $s1, $k) = @_; return ($s1 && $s0) ? $s1->{$k} - $s0->{$k} : undef }

# Poll NAME's /protected/ with TOK every 0.5 s, for up to LIMIT s after T0;
# returns the seconds after T0 of the first 401 (undef if none) and the codes seen.
sub poll_401 {
    my ($name, $tok, $t0, $limit) = @_;
    my @seen;
    while (1) {
        my $code = protected($name, $tok);
        my $at = time - $t0;
        push @seen, sprintf '%.2fs:%d', $at, $code;
        return ($at, \@seen) if $code == 401;
        return (undef, \@seen) if $at > $limit;
        sleep 0.5;
    }
}

# --- 1. a token from A works on B; B reads the cache entry A wrote -------------------------
my $email1 = new_email();
my ($res, $json) = req(A => POST => '/auth/register',
                       json => { email => $email1, password => $PASSWORD, firstName => 'Ada', lastName => 'Lovelace' });
my $at1 = h(h($json)->{tokens})->{accessToken};
is($res->code, 201, 'register on A: 201 with tokens') or diag($res->as_string);
my $sid1 = token_sid($at1 // '');

my $s0 = mc_stats();
is(protected(A => $at1), 200, "A's token opens A's /protected/");
my $s1 = mc_stats();
is(protected(B => $at1), 200, "A's token opens B's /protected/ (shared key, issuer, database)");
my $s2 = mc_stats();
ok(delta($s0, $s1, 'set') >= 1, "A stored the \"session valid\" answer in $cache_prog (its sets grew)")
    or diag("$cache_prog before/after A: " . $JSON->encode([$s0 && @$s0{qw(set get_hits get_misses)}, $s1 && @$s1{qw(set get_hits get_misses)}]));
ok(delta($s1, $s2, 'get_hits') >= 1 && delta($s1, $s2, 'set') == 0,
   "B answered the session check from A's $cache_prog entry (a get hit, no set)")
    or diag("$cache_prog before/after B: " . $JSON->encode([$s1 && @$s1{qw(set get_hits get_misses)}, $s2 && @$s2{qw(set get_hits get_misses)}]));

($res, $json) = profile(B => $at1);
is($res->code, 200, "A's token opens B's profile") or diag($res->as_string);
is(h(h(h($json)->{data})->{user})->{email}, $email1, "B's profile is the account registered on A");

($res, $json) = req(B => GET => '/auth/sessions', bearer => $at1);
my @sess = @{ h(h($json)->{data})->{sessions} // [] };
my ($mine) = grep { ref $_ eq 'HASH' && defined $sid1 && ($_->{id} // '') eq $sid1 } @sess;
ok($res->code == 200 && $mine && $mine->{current},
   "B's /auth/sessions lists the session created on A as the current one") or diag($res->as_string);

# --- 2. refresh: issued by B, rotated on A, replay on B revokes everywhere -----------------
($res, $json) = req(B => POST => '/auth/login', json => { email => $email1, password => $PASSWORD });
my ($at_b, $rt_b) = @{ h(h($json)->{tokens}) }{qw(accessToken refreshToken)};
ok($res->code == 200 && $at_b && $rt_b, 'login on B: 200 with an access and a refresh token') or diag($res->as_string);

($res, $json) = req(A => POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $rt_b // 'none']);
my ($at_r, $rt_r) = @{ h($json) }{qw(access_token refresh_token)};
ok($res->code == 200 && $at_r && $rt_r && $rt_r ne $rt_b,
   "B's refresh token rotates on A (200, a new refresh token)") or diag($res->as_string);
is(token_sid($at_r // ''), token_sid($at_b // ''), 'the pair from A belongs to the session of the login on B');
is(protected(B => $at_r), 200, "the access token from A's refresh opens B's /protected/");

# the new token is used once, so the old one is a replay (not the retry of a
# lost answer within DeskAuthRefreshReuseInterval)
($res, $json) = req(B => POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $rt_r // 'none']);
($at_r, $rt_r) = @{ h($json) }{qw(access_token refresh_token)};
ok($res->code == 200 && $rt_r, "the new refresh token rotates on B") or diag($res->as_string);
($res, $json) = req(B => POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $rt_b // 'none']);
ok($res->code == 400 && (h($json)->{error} // '') eq 'invalid_grant' && !h($json)->{access_token},
   'the rotated-away refresh token, replayed on B: 400 invalid_grant, nothing issued') or diag($res->as_string);
($res, $json) = req(A => POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $rt_r // 'none']);
is($res->code, 400, 'after the replay the newest refresh token fails on A') or diag($res->as_string);
($res, $json) = req(B => POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $rt_r // 'none']);
is($res->code, 400, 'after the replay the newest refresh token fails on B') or diag($res->as_string);
is(protected(B => $at_r), 401, "after the replay the session's access token is refused on B (the server that revoked) at once");
{
    my $t0 = time;
    my ($at, $seen) = poll_401(A => $at_r, $t0, $TTL + 2);
    ok(defined $at && $at <= $TTL + 1, "after the replay the session's access token is refused on A within TTL+1 s")
        or diag("A answered: @$seen");
    note("A refused it after " . (defined $at ? sprintf('%.2f s', $at) : 'never'));
}
is(protected(A => $at_b), 401, "the session's first access token (login on B) is refused on A");
is(protected(A => $at1), 200, "the person's other session (registration on A) still works on A");

# --- 3. logout on A: A refuses at once, B within TTL+1 s ----------------------------------
my $email3 = new_email();
($res, $json) = req(A => POST => '/auth/register',
                    json => { email => $email3, password => $PASSWORD, firstName => 'Grace', lastName => 'Hopper' });
my $at3 = h(h($json)->{tokens})->{accessToken};
is($res->code, 201, 'register a second account on A') or diag($res->as_string);

my $w0 = mc_stats();
is(protected(B => $at3), 200, "warm-up: B accepts A's token");
my $w1 = mc_stats();
is(protected(B => $at3), 200, 'B accepts it again');
my $w2 = mc_stats();
ok(delta($w0, $w1, 'set') >= 1 && delta($w1, $w2, 'get_hits') >= 1 && delta($w1, $w2, 'set') == 0,
   "the warm-up stored the session in $cache_prog, and B's next check was answered from it")
    or diag("$cache_prog: " . $JSON->encode([map { $_ && [@$_{qw(set get_hits get_misses)}] } $w0, $w1, $w2]));

($res, $json) = req(A => POST => '/auth/logout', bearer => $at3, json => {});
my $t_revoke = time;
is($res->code, 200, 'POST /auth/logout on A with the Bearer token: 200') or diag($res->as_string);
is(protected(A => $at3), 401, 'A refuses the logged-out token at once');
{
    my ($at, $seen) = poll_401(B => $at3, $t_revoke, $TTL + 2);
    ok(defined $at && $at <= $TTL + 1, "B refuses the logged-out token within DeskAuthSessionCacheTTL+1 s ($TTL+1)")
        or diag("B answered: @$seen");
    note("B refused it after " . (defined $at ? sprintf('%.2f s', $at) : 'never') . " (@$seen)");
}
is(protected(B => $at3), 401, 'B keeps refusing it');
($res) = profile(B => $at3);
is($res->code, 401, "B's profile refuses it too");

# --- 4. a revocation that bypasses the cache: B's cached answer expires within the TTL -----
SKIP: {
    skip "no $ctl (run make)", 5 unless -x $ctl;
    my $email4 = new_email();
    ($res, $json) = req(A => POST => '/auth/register',
                        json => { email => $email4, password => $PASSWORD, firstName => 'Alan', lastName => 'Turing' });
    my $at4 = h(h($json)->{tokens})->{accessToken};
    is(protected(B => $at4), 200, "warm-up: B accepts a fresh token from A (cached for ${TTL} s)");
    my $t_warm = time;
    my @cmd = ($ctl, '--dbd-driver', $driver, '--dbd-params', $params, 'sessions', 'revoke', $email4);
    unshift @cmd, 'runuser', '-u', $child_user, '--' if $root && $driver eq 'sqlite3';
    my $out = do { open my $ph, '-|', @cmd or die "$ctl: $!"; local $/; my $o = <$ph>; close $ph; $o };
    my $t_revoke4 = time;
    is($?, 0, 'deskauthctl sessions revoke EMAIL (database only, no cache) exits 0') or diag($out);
    SKIP: {
        # the cache counts whole seconds: the entry lives at least TTL-2 s.
        skip 'deskauthctl took too long to see the cached answer', 1 if $t_revoke4 - $t_warm > 0.6;
        is(protected(B => $at4), 200,
           'right after a database-only revocation B still answers from its cache (the cache is really used)');
    }
    my ($at, $seen) = poll_401(B => $at4, $t_revoke4, $TTL + 2);
    ok(defined $at && $at <= $TTL + 1, 'B refuses it once the cached answer expires, within TTL+1 s')
        or diag("B answered: @$seen");
    note("B refused it after " . (defined $at ? sprintf('%.2f s', $at) : 'never') . " (@$seen)");
    is(protected(A => $at4), 401, 'A (no cache entry) refuses it at once');
}

# --- 5. the rate-limit counters live in the shared cache: both servers count together -------
# DeskAuthLoginLimit's default, 5 failed sign-ins per account: 5 wrong
# passwords spread over A and B, then the right one is refused on both.
{
    my $email5 = new_email();
    ($res) = req(A => POST => '/auth/register',
                 json => { email => $email5, password => $PASSWORD, firstName => 'Rate', lastName => 'Limit' });
    my @codes = map { my ($r) = req($_ % 2 ? 'B' : 'A', POST => '/auth/login',
                                    json => { email => $email5, password => "wrong password $_" }); $r->code } 0 .. 4;
    is("@codes", '401 401 401 401 401', 'five wrong passwords, on A, B, A, B, A: each 401');
    for my $name (qw(B A)) {
        ($res, $json) = req($name => POST => '/auth/login', json => { email => $email5, password => $PASSWORD });
        ok($res->code == 429 && (h($json)->{error} // '') eq 'rate_limited',
           "then the right password on $name: 429 rate_limited (the account's counter is the one both servers keep in $cache_prog)")
            or diag($res->as_string);
    }
}

# --- the cache server really carried the session checks of both servers ------------------
{
    my $st = mc_stats() // {};
    ok($st->{get_hits} && $st->{set} && $st->{connections} > 1,
       "$cache_prog served the servers: get hits " . ($st->{get_hits} // '?') . ', sets ' . ($st->{set} // '?')
       . ', connections ' . ($st->{connections} // '?'))
        or diag($JSON->encode($st));
}

# --- no crash, no cache or database failure in either error log ---------------------------
stop_proc($_) for qw(A B);
for my $name (qw(A B)) {
    my $log = slurp("$srv{$name}{dir}/error_log") . slurp("$srv{$name}{dir}/stdout.log");
    my @bad = grep { /exit signal|Segmentation fault|AddressSanitizer|\bcore dumped\b|\[(?:[a-z_]+:)?(?:emerg|alert|crit)\]|DeskAuthCache|socache_$cache:error/ }
              split /\n/, $log;
    ok(!@bad, "server $name: no crash, no cache failure in its error log") or diag(join "\n", @bad[0 .. ($#bad < 19 ? $#bad : 19)]);
}

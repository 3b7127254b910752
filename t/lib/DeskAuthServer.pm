package DeskAuthServer;
# A throwaway httpd of its own for tests that need a configuration the main
# test server (t/conf/extra.conf.in) must not have: small rate limits, a
# database that goes away, graceful restarts. Debian's apache2 (or $HTTPD)
# with the built .libs/mod_deskauth.so, in a temporary ServerRoot, on a free
# port of 127.0.0.1; its children run as nobody/nogroup when the test runs as
# root (as under t/run). Technique taken from t/config/configtest.t and
# t/multi/two_servers.t.
#
#   my $s = DeskAuthServer->new(conf => "DeskAuthLoginLimit 3 30\n");
#   $s->start or BAIL_OUT($s->why);     # waits until it answers
#   my ($res, $json) = $s->req(POST => '/auth/login', json => {...},
#                              from => '127.0.0.5');  # source address
#   $s->ctl_add_user($email, $password, cost => 4);   # deskauthctl on its DB
#   $s->graceful;  $s->stop;  $s->crash_lines;
#
# new() options: name, conf (directives appended), mpm (event), cost
# (DeskAuthPasswordCost, default 4), driver/params (default: a fresh SQLite
# file in the temporary directory), locations (extra text inside the server),
# log_level. Everything is removed in END (DESKAUTH_TEST_KEEP=1 keeps the
# directory), also when a test dies. DESKAUTH_TEST_CORES=DIR: children dump
# core there (with `ulimit -c unlimited`), to debug a crash.
use strict;
use warnings;

use Apache::Test ();
use File::Path qw(remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Request ();
use IO::Socket::INET ();
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes ();
use URI ();

my $JSON = JSON::PP->new->utf8->canonical;
my $t_dir = File::Spec->rel2abs(File::Spec->catdir((File::Spec->splitpath(__FILE__))[1], '..'));
my (@servers, %used_port);
my $owner_pid = $$;

# --- where things are ---------------------------------------------------------------

# The tree this t/ belongs to (also when run by hand from another directory,
# where Apache::Test's top_dir would be the current directory).
sub top_dir {
    my $here = File::Spec->rel2abs("$t_dir/..");
    return $here if -d "$here/.libs" || -e "$here/mod_deskauth.c";
    return Apache::Test::vars('top_dir') // $here;
}
sub t_dir   { return $t_dir }
sub httpd   { return $ENV{HTTPD} || Apache::Test::vars('httpd') || '/usr/sbin/apache2' }
sub module_so { return top_dir() . '/.libs/mod_deskauth.so' }
sub signing_key { return "$t_dir/keys/es256.pem" }
sub ctl_path { return top_dir() . '/deskauthctl' }

sub libexec {
    my $d = Apache::Test::vars('libexecdir');
    return $d if $d && -d $d;
    chomp($d = `${\($ENV{APXS} || 'apxs')} -q LIBEXECDIR 2>/dev/null` || '');
    return $d || '/usr/lib/apache2/modules';
}

# Reasons this machine cannot run a server of our own (empty: it can).
sub missing {
    my @m;
    push @m, module_so() . ' (run make)' unless -f module_so();
    push @m, signing_key() . ' (t/run generates it)' unless -f signing_key();
    push @m, 'an httpd binary (' . httpd() . ')' unless -x httpd();
    push @m, libexec() . '/mod_dbd.so' unless -f libexec() . '/mod_dbd.so';
    return @m;
}

# The user and group the children run as (undef when not root).
sub child_ids {
    return () unless $> == 0;
    my $user = $ENV{APACHE_TEST_USER} || 'nobody';
    my ($uid, $gid) = (getpwnam $user)[2, 3];
    die "no user $user\n" unless defined $uid;
    my $group = $ENV{APACHE_TEST_GROUP} || scalar getgrgid($gid);
    return ($user, $group, $uid, $gid);
}

sub free_port {
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0,
                                      ReuseAddr => 1) or die "no free port: $!";
        my $p = $s->sockport;
        close $s;
        return $p unless $used_port{$p}++;
    }
    die "no unused free port\n";
}

sub slurp { my ($path) = @_; open my $fh, '<:raw', $path or return ''; local $/; my $t = <$fh>; return $t // '' }
sub spew  { my ($path, $data) = @_; open my $fh, '>:raw', $path or die "$path: $!"; print $fh $data; close $fh or die "$path: $!" }

# --- the server ----------------------------------------------------------------------

sub new {
    my ($class, %o) = @_;
    my $self = bless { name => 'deskauth', mpm => $ENV{DESKAUTH_TEST_MPM} || 'event',
                       cost => 4, log_level => 'warn deskauth:info', conf => '',
                       locations => '', %o }, $class;
    my ($user, $group, $uid, $gid) = child_ids();
    @$self{qw(user group uid gid)} = ($user, $group, $uid, $gid);
    $self->{dir} = tempdir("deskauth-$self->{name}-XXXXXX", TMPDIR => 1);
    chmod 0755, $self->{dir};
    my $dir = $self->{dir};
    for my $d ("$dir/run", "$dir/state", "$dir/htdocs", "$dir/htdocs/protected", "$dir/db") {
        mkdir $d, 0755 or die "$d: $!";
    }
    if (defined $uid) { chown $uid, $gid, "$dir/state", "$dir/db" or die "chown: $!" }
    spew("$dir/htdocs/protected/index.html", "<!doctype html><title>protected</title><p>protected\n");
    spew("$dir/htdocs/index.html", "<!doctype html><title>open</title><p>open\n");
    unless ($self->{driver}) {
        @$self{qw(driver params)} = ('sqlite3', "$dir/db/deskauth.db");
        spew($self->{params}, '');
        chmod 0600, $self->{params};
        if (defined $uid) { chown $uid, $gid, $self->{params} or die "chown: $!" }
    }
    $self->{port} = free_port();
    $self->{base} = "http://127.0.0.1:$self->{port}";
    $self->{conf_file} = "$dir/httpd.conf";
    spew($self->{conf_file}, $self->config);
    push @servers, $self;
    # A harness that gives up on the test sends a signal: die, so that END
    # still stops the server and removes its directory.
    for my $sig (qw(INT TERM HUP)) {
        $SIG{$sig} = sub { die "interrupted by SIG$sig\n" } if !$SIG{$sig} || $SIG{$sig} eq 'DEFAULT';
    }
    return $self;
}

sub dir  { $_[0]{dir} }
sub port { $_[0]{port} }
sub base { $_[0]{base} }
sub conf_file { $_[0]{conf_file} }
sub error_log_path { "$_[0]{dir}/error_log" }
sub url  { my ($self, $path) = @_; return $self->{base} . $path }
sub why  { $_[0]{why} // '' }

my %builtin;
sub load {
    my ($name) = @_;
    %builtin = map { /^\s*(\S+)\.c\s*$/ ? ($1 => 1) : () } `"${\ httpd()}" -l 2>/dev/null` unless %builtin;
    return $builtin{"mod_$name"} ? '' : qq{LoadModule ${name}_module "${\ libexec()}/mod_$name.so"\n};
}

# The whole configuration: every handler at its default URL (interface.md,
# Handlers) and a
# protected location, then the caller's directives.
sub config {
    my ($self) = @_;
    my ($dir, $port, $mpm) = @$self{qw(dir port mpm)};
    my $c = "# mod_deskauth t/lib/DeskAuthServer.pm ($self->{name})\n"
          . qq{ServerRoot "$dir"\nDefaultRuntimeDir "$dir/run"\nPidFile "$dir/run/httpd.pid"\n}
          . qq{ErrorLog "$dir/error_log"\nLogLevel $self->{log_level}\n}
          . qq{Listen 127.0.0.1:$port\nServerName 127.0.0.1:$port\n}
          . qq{DocumentRoot "$dir/htdocs"\nKeepAlive On\nMaxKeepAliveRequests 0\n};
    load('dbd');   # fills %builtin
    $c .= load("mpm_$mpm") unless grep { $builtin{"mod_mpm_$_"} || $builtin{$_} } qw(prefork worker event);
    $c .= load($_) for qw(dbd authn_core authz_core authz_user socache_shmcb mime dir);
    $c .= qq{LoadModule deskauth_module "${\ module_so()}"\n};
    $c .= qq{User $self->{user}\nGroup $self->{group}\n} if defined $self->{user};
    $c .= qq{TypesConfig /etc/mime.types\n} if -f '/etc/mime.types';
    $c .= qq{DBDriver $self->{driver}\nDBDParams "$self->{params}"\n};
    $c .= qq{DeskAuthSigningKey "${\ signing_key()}" test-es256\n}
        . qq{DeskAuthIssuer http://127.0.0.1:$port\nDeskAuthSiteName "DeskAuth $self->{name}"\n}
        . qq{DeskAuthPasswordCost $self->{cost}\nDeskAuthStateDir "$dir/state"\n}
        . qq{DeskAuthClient example-app http://127.0.0.1/callback "name=Example App"\n};
    my %h = ('/auth/register' => 'register', '/auth/login' => 'login', '/auth/logout' => 'logout',
             '/auth/token' => 'token', '/auth/revoke' => 'revoke', '/auth/sessions' => 'sessions',
             '/auth/callback' => 'callback', '/api/auth/profile' => 'profile');
    $c .= qq{<Location $_>\n    SetHandler deskauth-$h{$_}\n</Location>\n} for sort keys %h;
    $c .= qq{<Directory "$dir/htdocs">\n    Require all granted\n</Directory>\n}
        . qq{<Location /protected/>\n    AuthType DeskAuth\n    Require valid-user\n</Location>\n};
    $c .= qq{CoreDumpDirectory "$ENV{DESKAUTH_TEST_CORES}"\n} if $ENV{DESKAUTH_TEST_CORES};
    $c .= $self->{locations} . $self->{conf};
    return $c;
}

# Start in the foreground, in a process group of its own; true once a
# protected page without a token answers 401 (within 20 s).
sub start {
    my ($self) = @_;
    my $out = `"${\ httpd()}" -t -f "$self->{conf_file}" -d "$self->{dir}" 2>&1`;
    if ($?) { $self->{why} = "httpd -t: $out"; return 0 }
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/stdout.log";
        open STDERR, '>&', \*STDOUT;
        exec { httpd() } httpd(), '-DFOREGROUND', '-f', $self->{conf_file}, '-d', $self->{dir}
            or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    my $ua = LWP::UserAgent->new(timeout => 3, keep_alive => 0);
    my $end = Time::HiRes::time() + 20;
    my $last = 'no answer';
    while (Time::HiRes::time() < $end) {
        if (!$self->alive) { $last = 'httpd exited'; last }
        my $r = $ua->get($self->url('/protected/'));
        $last = $r->status_line;
        return 1 if ($r->code == 401 || ($self->{any} && $r->code < 500)) && answered($r);
        Time::HiRes::sleep(0.1);
    }
    $self->{why} = "$self->{name} did not start ($last):\n" . slurp("$self->{dir}/stdout.log")
                 . slurp($self->error_log_path);
    return 0;
}

# Start and wait until anything answers (for servers whose /protected/ is
# not a mod_deskauth location), within 20 s.
sub start_any {
    my ($self) = @_;
    local $self->{any} = 1;
    return $self->start;
}

sub alive {
    my ($self) = @_;
    return 0 unless $self->{pid};
    return waitpid($self->{pid}, POSIX::WNOHANG()) == 0;
}

# `httpd -k graceful` with the same -f and -d; its exit status.
sub graceful {
    my ($self) = @_;
    my $out = `"${\ httpd()}" -k graceful -f "$self->{conf_file}" -d "$self->{dir}" 2>&1`;
    $self->{why} = $out;
    return $? >> 8;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    # As apachectl -k stop: the parent alone, which stops its children in
    # order. A signal to the whole group also reaches a child the parent
    # has just forked, still in its start-up (before it blocks signals),
    # where httpd's handler (just_die) destroys the child's pools from
    # within the signal handler, which is not safe.
    kill 'TERM', $pid;
    my $end = Time::HiRes::time() + 10;
    while (Time::HiRes::time() < $end) {
        return if waitpid($pid, POSIX::WNOHANG()) == $pid;
        Time::HiRes::sleep(0.1);
    }
    kill 'KILL', -$pid;
    waitpid $pid, 0;
}

# The OpenID provider's URLs that the main configuration does not mount
# (discovery, JWKS, UserInfo), for a server another one signs in through.
sub oidc_locations {
    return join '', map { "<Location $_->[0]>\n    SetHandler $_->[1]\n</Location>\n" }
        ['/.well-known/openid-configuration', 'deskauth-metadata'],
        ['/.well-known/jwks.json', 'deskauth-jwks'], ['/auth/userinfo', 'deskauth-userinfo'];
}

sub error_log { my ($self) = @_; return slurp($self->error_log_path) . slurp("$self->{dir}/stdout.log") }

# Lines of the error log that show a crashed child or a fatal error.
sub crash_lines {
    my ($self) = @_;
    return grep { /exit signal|Segmentation fault|AddressSanitizer|runtime error:|\bcore dumped\b|\[(?:[a-z_]+:)?(?:emerg|alert|crit)\]/ }
           split /\n/, $self->error_log;
}

# --- requests ---------------------------------------------------------------------------

# A user agent; FROM binds its connections to that source address (any of
# 127.0.0.0/8), so the server sees another client IP.
sub ua {
    my ($self, %o) = @_;
    my $ua = LWP::UserAgent->new(timeout => $o{timeout} // 30, requests_redirectable => [],
                                 agent => "DeskAuthServer/$self->{name}",
                                 keep_alive => $o{keep_alive} // 0,
                                 ($o{from} ? (local_address => $o{from}) : ()),
                                 ($o{cookies} ? (cookie_jar => {}) : ()));
    return $ua;
}

# (HTTP::Response, decoded JSON or undef). Options: json (sent as JSON),
# form (array ref, url-encoded), body + type (as is), headers (hash ref),
# bearer, from (source address), ua (a user agent to use).
sub req {
    my ($self, $method, $path, %o) = @_;
    my %h = (Accept => 'application/json', %{ $o{headers} || {} });
    my $body;
    if (defined $o{json}) { $body = $JSON->encode($o{json}); $h{'Content-Type'} //= 'application/json' }
    elsif (defined $o{form}) {
        my $u = URI->new('http:');
        $u->query_form(@{ $o{form} });
        $body = $u->query // '';
        $h{'Content-Type'} //= 'application/x-www-form-urlencoded';
    }
    elsif (defined $o{body}) { $body = $o{body}; $h{'Content-Type'} //= $o{type} // 'application/json' }
    $h{Authorization} = "Bearer $o{bearer}" if defined $o{bearer};
    my $ua = $o{ua} || ($self->{ua}{ $o{from} // '' } //= $self->ua(from => $o{from}));
    my $res = $ua->request(HTTP::Request->new($method, $self->url($path), [%h], $body));
    my $json = eval { $JSON->decode($res->content) };
    return ($res, $json);
}

# Did RES come from the server (not LWP's own "could not connect" answer)?
sub answered { my ($res) = @_; return ($res->header('Client-Warning') // '') ne 'Internal response' }

# --- the database, out of process --------------------------------------------------------

# deskauthctl ARGS on this server's database, STDIN fed to it; (exit status,
# stdout + stderr). As the children's user when root and SQLite, so that the
# file and its journal keep an owner the server can write.
sub ctl {
    my ($self, $stdin, @args) = @_;
    my @run = (ctl_path(), '--dbd-driver', $self->{driver}, '--dbd-params', $self->{params}, @args);
    unshift @run, 'runuser', '-u', $self->{user}, '--' if defined $self->{user} && $self->{driver} eq 'sqlite3';
    my $tmp = "$self->{dir}/ctl.out";
    my $pid = open(my $to, '|-') // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $tmp or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
        exec @run or POSIX::_exit(127);
    }
    print $to $stdin if defined $stdin;
    close $to;
    my $status = $? >> 8;
    return ($status, slurp($tmp));
}

# Create an account directly in the database (no sign-up limit involved).
sub ctl_add_user {
    my ($self, $email, $password, %o) = @_;
    my ($status, $out) = $self->ctl("$password\n", 'user', 'add', $email,
                                    '--cost', $o{cost} // 4, '--first', 'Test', '--last', 'User');
    return $status == 0 ? 1 : do { $self->{why} = $out; 0 };
}

# --- cleanup ---------------------------------------------------------------------------------

sub cleanup {
    my ($self) = @_;
    $self->stop;
    remove_tree($self->{dir}) if $self->{dir} && -d $self->{dir} && !$ENV{DESKAUTH_TEST_KEEP};
}

END {
    if ($$ == $owner_pid) {
        local $?;
        $_->cleanup for @servers;
    }
}

1;

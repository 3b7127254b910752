package DeskAuthDemo;
# The demo of the README (tools/demo) as the quickstarts' server: the
# configuration `tools/demo config` writes (conf/deskauth.conf, the
# examples' clients from examples/clients.conf, SQLite, http://localhost),
# in a temporary directory, on a free port, started in the foreground in a
# process group of its own and stopped in END. Used by t/quickstart/*.t,
# which run the examples exactly as docs/quickstart-*.md shows, with
# http://localhost:PORT in place of http://localhost:8080.
#
#   my $demo = DeskAuthDemo->start or plan skip_all => DeskAuthDemo::why();
#   my $p = $demo->person;                    # { ua, email, password }, signed in
#   my $link = $demo->browser_sign_in($url, $p);   # the app link of the hand-off page
#   $demo->approve_device($p, 'WDJB-MJHT', 'allow');
use strict;
use warnings;

use DeskAuthOAuth qw(forms password_form continue_form code_link attrs_of);
use DeskAuthServer ();
use File::Path qw(remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Request ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes ();
use URI ();

my $JSON = JSON::PP->new->utf8->canonical;
my (@demos, $why);
my $owner_pid = $$;

sub why { return $why // '' }

# Write the demo's configuration with tools/demo config and start httpd;
# the object once GET /auth/login answers 200 (within 20 s), else undef
# (why() says what went wrong).
sub start {
    my ($class) = @_;
    my $top = DeskAuthServer::top_dir();
    my $self = bless { port => DeskAuthServer::free_port(),
                       dir => tempdir('deskauth-demo-XXXXXX', TMPDIR => 1) }, $class;
    push @demos, $self;
    $self->{base} = "http://localhost:$self->{port}";
    local $ENV{DESKAUTH_DEMO_DIR} = $self->{dir};
    local $ENV{DESKAUTH_DEMO_PORT} = $self->{port};
    my $out = `"$top/tools/demo" config 2>&1`;
    if ($?) { $why = "tools/demo config: $out"; return undef }
    $self->{conf} = "$self->{dir}/httpd.conf";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/logs/stdout.log";
        open STDERR, '>&', \*STDOUT;
        exec { DeskAuthServer::httpd() } DeskAuthServer::httpd(), '-DFOREGROUND', '-f', $self->{conf}
            or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    my $ua = LWP::UserAgent->new(timeout => 3, keep_alive => 0);
    my $end = Time::HiRes::time() + 20;
    while (Time::HiRes::time() < $end) {
        last if waitpid($pid, POSIX::WNOHANG()) == $pid;
        return $self if $ua->get($self->url('/auth/login'))->code == 200;
        Time::HiRes::sleep(0.1);
    }
    $why = "the demo did not start:\n" . DeskAuthServer::slurp("$self->{dir}/logs/stdout.log")
         . DeskAuthServer::slurp("$self->{dir}/logs/error_log");
    return undef;
}

sub base { $_[0]{base} }
sub port { $_[0]{port} }
sub conf { $_[0]{conf} }
sub url  { my ($self, $path) = @_; return $self->{base} . $path }
sub error_log { my ($self) = @_; return DeskAuthServer::slurp("$self->{dir}/logs/error_log") }

# Lines of the demo's error log that show a crashed child or a fatal error.
sub crash_lines {
    my ($self) = @_;
    return grep { /exit signal|Segmentation fault|AddressSanitizer|runtime error:|\bcore dumped\b|\[(?:[a-z_]+:)?(?:emerg|alert|crit)\]/ }
           split /\n/, $self->error_log;
}

# Which of SECRETS (tokens, codes, passwords) appear in the demo's logs.
sub leaked {
    my ($self, @secrets) = @_;
    my $logs = $self->error_log . DeskAuthServer::slurp("$self->{dir}/logs/access_log");
    return grep { defined && length && index($logs, $_) >= 0 } @secrets;
}

# A browser of its own: cookies, no redirects followed, pages wanted.
sub browser {
    my $ua = LWP::UserAgent->new(cookie_jar => {}, requests_redirectable => [],
                                 agent => 'DeskAuthDemo-browser', timeout => 30);
    $ua->default_header(Accept => 'text/html');
    return $ua;
}

# A new account (JSON sign-up, which also signs this browser in):
# { ua, email, password, res }.
sub person {
    my ($self) = @_;
    my $p = { ua => browser(), password => 'correct horse 1',
              email => sprintf('qs%dp%dn%d@example.com', time, $$, ++$self->{people}) };
    $p->{res} = $p->{ua}->request(HTTP::Request->new(POST => $self->url('/auth/register'),
        ['Content-Type' => 'application/json', Accept => 'application/json'],
        $JSON->encode({ email => $p->{email}, password => $p->{password},
                        firstName => 'Ada', lastName => 'Lovelace' })));
    return $p;
}

# Submit FORM of PAGE (an HTTP::Response) as a browser does, FILL added.
sub submit {
    my ($self, $ua, $page, $form, %fill) = @_;
    my %data = map { $_ => $form->{value}{$_} }
               grep { $form->{type}{$_} ne 'submit' } keys %{ $form->{value} };
    @data{keys %fill} = values %fill;
    my $action = URI->new_abs($form->{action} // '', $page->request->uri);
    return $ua->post($action, [%data], Origin => $self->{base});
}

# Follow 303s (GET) from RES within this server; the last response.
sub follow {
    my ($self, $ua, $res) = @_;
    for (1 .. 5) {
        last unless $res->code == 303 || $res->code == 302;
        my $to = URI->new_abs($res->header('Location') // '', $res->request->uri);
        last unless index("$to", $self->{base}) == 0;
        $res = $ua->get($to);
    }
    return $res;
}

# A person in a fresh browser opens AUTH_URL (the app's authorization
# request), signs in with the form (or presses Continue), and lands on the
# hand-off page. Returns (the app link "REDIRECT_URI?code=..." of that page
# or undef, the last page).
sub browser_sign_in {
    my ($self, $auth_url, $p, $redirect_uri) = @_;
    my $ua = browser();
    my $page = $ua->get($auth_url);
    my $form = password_form($page->content);
    my $res = $form ? $self->submit($ua, $page, $form, email => $p->{email}, password => $p->{password})
            : (continue_form($page->content) ? $self->submit($ua, $page, continue_form($page->content))
               : $page);
    $res = $self->follow($ua, $res);
    return (code_link($res->content, $redirect_uri), $res);
}

# The signed-in person P types USER_CODE and presses DECISION (allow or
# deny) on the device pages; the response to the approval POST.
sub approve_device {
    my ($self, $p, $user_code, $decision) = @_;
    my $page = $p->{ua}->get($self->url("/auth/device?user_code=$user_code"));
    my @forms = grep { ($_->{action} // '') =~ m{/auth/device} } forms($page->content);
    my ($typed) = grep { exists $_->{value}{user_code} } @forms;
    return $page unless $typed;
    my $confirm = $self->follow($p->{ua}, $self->submit($p->{ua}, $page, $typed, user_code => $user_code));
    my ($approve) = grep { exists $_->{value}{decision} || ($_->{action} // '') =~ /approve/ }
                    forms($confirm->content);
    return $confirm unless $approve;
    return $self->submit($p->{ua}, $confirm, $approve, decision => $decision);
}

# --- the quickstarts' commands ----------------------------------------------------------

# The command line of DOC (a path under the top directory) that matches RE,
# with the demo's URL http://localhost:8080 replaced by this demo's base.
# undef when the document has no such line.
sub doc_command {
    my ($self, $doc, $re) = @_;
    my $text = DeskAuthServer::slurp(DeskAuthServer::top_dir() . "/$doc");
    my ($line) = grep { $_ =~ $re } split /\n/, $text;
    return undef unless defined $line;
    $line =~ s/^\s*(?:\$\s+)?//;
    $line =~ s{http://localhost:8080}{$self->{base}}g;
    return $line;
}

# Start COMMAND (a shell command line, run by sh in the top directory, with
# ENV added to the environment): { pid, out (file of its stdout), err (its
# stderr handle), said (stderr read so far) }.
sub run_command {
    my ($self, $command, %env) = @_;
    my $out = File::Temp->new;
    my $err_rd;
    pipe($err_rd, my $err_wr) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $err_rd;
        chdir DeskAuthServer::top_dir() or POSIX::_exit(126);
        @ENV{keys %env} = values %env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out->filename or POSIX::_exit(126);
        open STDERR, '>&', $err_wr or POSIX::_exit(126);
        exec '/bin/sh', '-c', "exec $command" or POSIX::_exit(127);
    }
    close $err_wr;
    return { pid => $pid, out => $out, err => $err_rd, said => '' };
}

# Read RUN's stderr until a line matches RE (or it ends, or SECONDS pass);
# the captures of RE (empty list when it never matched).
sub read_until {
    my ($self, $run, $re, $seconds) = @_;
    my @found;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($seconds // 30);
        while (my $line = readline $run->{err}) {
            $run->{said} .= $line;
            last if @found = $line =~ $re;
        }
        alarm 0;
        1;
    } or alarm 0;
    return @found;
}

# Wait for RUN to end (killed after SECONDS); (exit status, stdout, all of stderr).
sub finish {
    my ($self, $run, $seconds) = @_;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($seconds // 60);
        while (my $line = readline $run->{err}) { $run->{said} .= $line }
        waitpid $run->{pid}, 0;
        alarm 0;
        1;
    } or do {
        alarm 0;
        kill 'TERM', $run->{pid};
        waitpid $run->{pid}, 0;
        $run->{said} .= "(killed after $seconds s)\n";
    };
    return ($? >> 8, DeskAuthServer::slurp($run->{out}->filename), $run->{said});
}

# As DeskAuthServer's: TERM to the process group, KILL after 10 s.
sub stop { DeskAuthServer::stop(@_) }

END {
    if ($$ == $owner_pid) {
        local $?;
        for my $d (@demos) {
            $d->stop;
            remove_tree($d->{dir}) if $d->{dir} && -d $d->{dir} && !$ENV{DESKAUTH_TEST_KEEP};
        }
    }
}

1;

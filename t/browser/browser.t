# Real clients against the test server: AppAuth-JS in Node, the way an
# Electron main process signs a person in (appauth.mjs), the pages in
# headless Chromium with screenshots and QR decoding (pages.mjs), and
# openid-client as an OpenID Connect native app (oidc.mjs).
# Each script prints TAP; every line of it becomes a test here, named after
# the script, plus one test per script that it ran to the end (a crash, a
# timeout or a missing plan fails it). Screenshots: t/logs/screenshots/;
# each script's stderr: t/logs/browser-SCRIPT.stderr.
#
# Skipped when node, Debian's chromium or t/browser/node_modules are missing:
# `tools/deps --test` installs them (npm ci in t/browser). DESKAUTH_CHROMIUM
# names another Chromium binary.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use DeskAuthTest;
use File::Path qw(make_path);
use File::Spec ();
use File::Spec::Functions qw(catdir catfile);

my $DIR      = $FindBin::Bin;
my $CHROMIUM = $ENV{DESKAUTH_CHROMIUM} || '/usr/bin/chromium';
my $TIMEOUT  = 300;    # seconds per script; each also has its own watchdog

sub which {
    my ($cmd) = @_;
    for my $d (File::Spec->path) {
        my $f = catfile($d, $cmd);
        return $f if -f $f && -x _;
    }
    return undef;
}

my $node = which('node');
my $node_major = $node ? (`"$node" --version 2>/dev/null` =~ /^v(\d+)\./ ? $1 : 0) : 0;
my @missing;
push @missing, 'node >= 18' unless $node_major >= 18;
push @missing, $CHROMIUM unless -x $CHROMIUM;
push @missing, 't/browser/node_modules (npm ci)'
    unless -f "$DIR/node_modules/playwright-core/package.json"
        && -f "$DIR/node_modules/\@openid/appauth/package.json"
        && -f "$DIR/node_modules/openid-client/package.json";
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test installs them)' if @missing;

my $base = url('/');
$base =~ s{/+\z}{};
my $logs  = Apache::Test::vars('t_logs');
my $shots = catdir($logs, 'screenshots');
make_path($shots);
unlink glob(catfile($shots, '*'));

# Run one script; returns its parsed TAP.
sub run_script {
    my ($name, @args) = @_;
    my $stderr = catfile($logs, "browser-$name.stderr");
    my %run = (name => $name, stderr => $stderr, tests => [], plan => undef, other => []);

    my $pid = open(my $out, '-|');
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDERR, '>', $stderr or die "$stderr: $!";
        chdir $DIR or die "$DIR: $!";
        exec $node, catfile($DIR, "$name.mjs"), @args or die "exec $node: $!";
    }
    my $timed_out = 0;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm $TIMEOUT;
        while (my $line = <$out>) {
            chomp $line;
            if ($line =~ /^(not )?ok\b\s*\d*\s*(?:-\s*)?(.*)\z/) {
                my ($ok, $desc) = (!$1, $2);
                my ($directive, $reason) = ('', '');
                if ($desc =~ s/\s*(?<!\\)#\s*(SKIP|TODO)\S*\s*(.*)\z//i) {
                    ($directive, $reason) = (uc $1, $2);
                }
                $desc =~ s/\\#/#/g;
                push @{ $run{tests} }, { ok => $ok, desc => $desc, directive => $directive,
                                          reason => $reason, diag => [] };
            }
            elsif ($line =~ /^1\.\.(\d+)/) {
                $run{plan} = $1;
            }
            elsif ($line =~ /^#\s?(.*)\z/) {
                my $t = $run{tests}[-1];
                push @{ $t ? $t->{diag} : $run{other} }, $1;
            }
            elsif (length $line) {
                push @{ $run{other} }, $line;
            }
        }
        alarm 0;
        1;
    } or do {
        alarm 0;
        $timed_out = 1;
        kill 'TERM', $pid;
        sleep 2;
        kill 'KILL', $pid;
    };
    close $out;
    $run{status}    = $?;
    $run{timed_out} = $timed_out;
    return \%run;
}

sub stderr_tail {
    my ($file) = @_;
    open my $fh, '<', $file or return ();
    my @lines = <$fh>;
    chomp @lines;
    return @lines > 30 ? @lines[-30 .. -1] : @lines;
}

my @runs = (
    run_script('appauth', $base),
    run_script('pages', $base, $shots),
    run_script('resume', $base, $shots),
    run_script('oidc', $base),
);

plan tests => scalar(map { @{ $_->{tests} } } @runs) + @runs;

my $tb = Test::More->builder;
for my $run (@runs) {
    for my $t (@{ $run->{tests} }) {
        my $name = "$run->{name}: $t->{desc}";
        if ($t->{directive} eq 'SKIP') {
            $tb->skip("$name: $t->{reason}");
            next;
        }
        $tb->todo_start($t->{reason}) if $t->{directive} eq 'TODO';
        ok($t->{ok}, $name) or diag(join "\n", @{ $t->{diag} });
        $tb->todo_end if $t->{directive} eq 'TODO';
    }
    my $exit = $run->{status} >> 8;
    my $signal = $run->{status} & 127;
    my $ran = @{ $run->{tests} };
    my $complete = !$run->{timed_out} && !$signal && ($exit == 0 || $exit == 1)
        && defined $run->{plan} && $run->{plan} == $ran && $ran > 0;
    ok($complete, "$run->{name}.mjs ran to the end ($ran tests)") or diag(join "\n",
        $run->{timed_out} ? "timed out after $TIMEOUT s" : (),
        "exit status $exit" . ($signal ? ", signal $signal" : ''),
        'plan: ' . ($run->{plan} // 'none') . ", tests seen: $ran",
        @{ $run->{other} } ? ('output outside TAP:', @{ $run->{other} }) : (),
        "stderr ($run->{stderr}):", stderr_tail($run->{stderr}));
}

package DeskAuthNode;
# Node.js scripts that print TAP (t/browser/*.mjs), run from a .t file:
# each line of their TAP becomes a test of the .t, named after the script,
# plus one test per script that it ran to the end (a crash, a timeout or a
# missing plan fails it). Each script's stderr goes to
# t/logs/browser-SCRIPT.stderr. Used by t/browser/browser.t and
# t/device/browser.t.
#
#   my @missing = DeskAuthNode::missing('openid-client');
#   my @runs = map { DeskAuthNode::run_script($_, ...) } ...;
#   plan tests => DeskAuthNode::count(@runs);
#   DeskAuthNode::report(@runs);
use strict;
use warnings;

use Apache::Test ();
use File::Spec ();
use File::Spec::Functions qw(catdir catfile);
use FindBin ();
use Test::More ();

our $DIR      = File::Spec->rel2abs(catdir((File::Spec->splitpath(__FILE__))[1], '..', 'browser'));
our $CHROMIUM = $ENV{DESKAUTH_CHROMIUM} || '/usr/bin/chromium';
our $TIMEOUT  = 300;    # seconds per script; each also has its own watchdog
my $node;

sub which {
    my ($cmd) = @_;
    for my $d (File::Spec->path) {
        my $f = catfile($d, $cmd);
        return $f if -f $f && -x _;
    }
    return undef;
}

# What this machine lacks to run the scripts (empty: nothing): node >= 18,
# Chromium, and t/browser/node_modules with the given npm packages.
sub missing {
    my (@packages) = @_;
    $node = which('node');
    my $major = $node ? (`"$node" --version 2>/dev/null` =~ /^v(\d+)\./ ? $1 : 0) : 0;
    my @m;
    push @m, 'node >= 18' unless $major >= 18;
    push @m, $CHROMIUM unless -x $CHROMIUM;
    push @m, 't/browser/node_modules (npm ci)'
        if grep { !-f "$DIR/node_modules/$_/package.json" } 'playwright-core', @packages;
    return @m;
}

# Run one script; returns its parsed TAP.
sub run_script {
    my ($name, @args) = @_;
    my $stderr = catfile(Apache::Test::vars('t_logs'), "browser-$name.stderr");
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

# How many tests the runs make.
sub count {
    my (@runs) = @_;
    return scalar(map { @{ $_->{tests} } } @runs) + @runs;
}

# One test per TAP line of each run, and one that each ran to the end.
sub report {
    my (@runs) = @_;
    my $tb = Test::More->builder;
    for my $run (@runs) {
        for my $t (@{ $run->{tests} }) {
            my $name = "$run->{name}: $t->{desc}";
            if ($t->{directive} eq 'SKIP') {
                $tb->skip("$name: $t->{reason}");
                next;
            }
            $tb->todo_start($t->{reason}) if $t->{directive} eq 'TODO';
            Test::More::ok($t->{ok}, $name) or Test::More::diag(join "\n", @{ $t->{diag} });
            $tb->todo_end if $t->{directive} eq 'TODO';
        }
        my $exit = $run->{status} >> 8;
        my $signal = $run->{status} & 127;
        my $ran = @{ $run->{tests} };
        my $complete = !$run->{timed_out} && !$signal && ($exit == 0 || $exit == 1)
            && defined $run->{plan} && $run->{plan} == $ran && $ran > 0;
        Test::More::ok($complete, "$run->{name}.mjs ran to the end ($ran tests)") or Test::More::diag(join "\n",
            $run->{timed_out} ? "timed out after $TIMEOUT s" : (),
            "exit status $exit" . ($signal ? ", signal $signal" : ''),
            'plan: ' . ($run->{plan} // 'none') . ", tests seen: $ran",
            @{ $run->{other} } ? ('output outside TAP:', @{ $run->{other} }) : (),
            "stderr ($run->{stderr}):", stderr_tail($run->{stderr}));
    }
}

1;

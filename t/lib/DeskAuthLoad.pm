package DeskAuthLoad;
# Concurrent load around a revocation: worker processes send requests in a
# loop while the test revokes something, and every request is reported with
# the moment it was sent and the status it got. Whatever was sent after the
# revocation's answer came back must fail.
#
#   my $run = under_load(
#       requests => [ sub { HTTP::Request->new(GET => url('/protected/'), [bearer($t)]) }, ... ],
#       action   => sub { json_req(POST => '/auth/reset', {...}) },   # the revocation
#   );
#   $run->{done}        time (Time::HiRes) when action returned
#   $run->{rows}        [ [sent, status, request index], ... ] of every worker
#   late_successes($run)   rows sent after done that got 200
#   sent_after($run)       how many requests were sent after done
#   session_requests($email, $password)   three fresh sessions' requests
use strict;
use warnings;

use Exporter 'import';
use File::Temp ();
use HTTP::Request ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes ();
use DeskAuthTest qw(login_user browser bearer url);
use DeskAuthOAuth qw(web_sign_in session_cookie);

our @EXPORT = qw(under_load late_successes sent_after session_requests);

# One worker: requests in turn, forever, one line per answer; keep-alive
# like a real client, so that threads of one child share the load.
sub _work {
    my ($file, $requests, $n) = @_;
    open my $out, '>', $file or POSIX::_exit(1);
    $out->autoflush(1);
    my $ua = LWP::UserAgent->new(keep_alive => 1, requests_redirectable => [], timeout => 10);
    for (my $i = $n; ; $i++) {
        my $k = $i % @$requests;
        my $sent = Time::HiRes::time();
        my $res = $ua->request($requests->[$k]->());
        printf $out "%.6f %d %d\n", $sent, $res->code, $k;
    }
}

# Run WORKERS processes (default 6) sending REQUESTS (code refs that build
# an HTTP::Request) for WARMUP seconds (default 1), then ACTION, then
# AFTER more seconds (default 2). Returns { done, rows, action_result }.
sub under_load {
    my %o = (workers => 6, warmup => 1, after => 2, @_);
    my $dir = File::Temp->newdir();
    my @pids;
    for my $w (1 .. $o{workers}) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            _work("$dir/$w", $o{requests}, $w);
        }
        push @pids, $pid;
    }
    Time::HiRes::sleep($o{warmup});
    my @result = $o{action}->();
    my $done = Time::HiRes::time();
    Time::HiRes::sleep($o{after});
    kill 'KILL', @pids;
    waitpid $_, 0 for @pids;
    my @rows;
    for my $w (1 .. $o{workers}) {
        open my $in, '<', "$dir/$w" or next;
        while (my $line = <$in>) {
            push @rows, [split ' ', $line] if $line =~ /^\d+\.\d+ \d+ \d+\n\z/;
        }
    }
    return { done => $done, rows => \@rows, action_result => \@result };
}

# Sign the account in three times (two Bearer tokens, one browser cookie)
# and return the requests a client of each session sends: a protected page.
sub session_requests {
    my ($email, $password) = @_;
    my @req;
    for (1 .. 2) {
        my (undef, $j) = login_user($email, $password);
        my $t = ref $j eq 'HASH' ? $j->{tokens}{accessToken} // 'none' : 'none';
        push @req, sub { HTTP::Request->new(GET => url('/protected/'), [bearer($t)]) };
    }
    my $b = browser();
    web_sign_in($b, $email, $password);
    my $c = session_cookie($b) // 'none';
    push @req, sub { HTTP::Request->new(GET => url('/cookie-only/'), [Cookie => "deskauth_session=$c"]) };
    return \@req;
}

sub late_successes {
    my ($run) = @_;
    return grep { $_->[0] > $run->{done} && $_->[1] == 200 } @{ $run->{rows} };
}

sub sent_after {
    my ($run) = @_;
    return scalar grep { $_->[0] > $run->{done} } @{ $run->{rows} };
}

1;

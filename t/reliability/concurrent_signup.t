# Concurrent sign-ups (docs/interface.md "No data lost: concurrent sign-ups of the same
# email produce exactly one account and 409s"; Storage: emails unique
# case-insensitively), on the main test server. Twenty connections are opened
# first and the twenty requests written back to back, so that the server has
# them all in hand at once; then every answer is read.
#
#   1. the same new email 20 times: one 201, nineteen 409 user_exists, no 5xx;
#   2. three new emails interleaved, 7 times each: one 201 per email;
#   3. one new email in 20 spellings (case, surrounding spaces): one 201.
# Afterwards each account signs in, and deskauthctl lists it exactly once.
#
# Known defect (reported), a TODO when it shows: when the burst makes mod_dbd
# open new connections, preparing the module's statements on them fails with
# "database is locked" (AH00632, then DA00033), and those sign-ups get 503
# unavailable although the database is up (whole bursts may get no 201 at
# all). The no-data-lost assertions hold regardless: at most one 201 per
# email, every other answer a clear 409 or 503, as many accounts as 201s, and
# each 201 signs in; "exactly one 201 and only 409s" is the TODO.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use URI ();

plan tests => 3 * 3 + 1 + 2;

# The SQLite "database is locked" defect (see above): its TODO excuses the
# 503s only in a run whose error log shows that very cause.
my $LOCKED_TODO = 'defect: on SQLite, new mod_dbd connections fail to prepare ("database is locked") under a burst: 503';
my $LOCKED_SIGN = qr/AH00632: failed to prepare SQL statements: database is locked/;
my %all;                                    # email => its answers, every burst

my $PW   = 'correct horse 1';
my $JSON = JSON::PP->new->utf8->canonical;
my $mark = -s error_log_path() // 0;
my $base = URI->new(url('/'));
my ($host, $port) = ($base->host, $base->port);
$SIG{PIPE} = 'IGNORE';
$SIG{ALRM} = sub { die "concurrent_signup.t took longer than 60 s\n" };
alarm 60;

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# POST /auth/register for each email of EMAILS, all at once. Returns one
# {status, json, email} per request (status 0: no answer).
sub signup_burst {
    my (@emails) = @_;
    my @conns;
    for my $email (@emails) {
        my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 10)
            or die "connect: $!";
        my $body = $JSON->encode({ email => $email, password => $PW, firstName => 'Race', lastName => 'Condition' });
        push @conns, { sock => $s, email => $email, buf => '',
                       out => "POST /auth/register HTTP/1.1\r\nHost: $host:$port\r\nAccept: application/json\r\n"
                            . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n"
                            . "Connection: close\r\n\r\n$body" };
    }
    syswrite $_->{sock}, $_->{out} for @conns;
    my $sel = IO::Select->new(map { $_->{sock} } @conns);
    my %by_sock = map { ($_->{sock} => $_) } @conns;
    while ($sel->count) {
        my @ready = $sel->can_read(30) or last;
        for my $s (@ready) {
            my $c = $by_sock{$s};
            my $n = sysread $s, $c->{buf}, 65536, length $c->{buf};
            if (!$n) { $sel->remove($s); close $s }
        }
    }
    for my $c (@conns) {
        my ($head, $body) = split /\r\n\r\n/, $c->{buf}, 2;
        ($c->{status}) = ($head // '') =~ m{^HTTP/1\.[01] (\d{3})};
        $c->{status} //= 0;
        $c->{json} = eval { $JSON->decode($body // '') };
    }
    return @conns;
}

sub count { my ($status, @r) = @_; return scalar grep { $_->{status} == $status } @r }
sub conflict_ok { my (@r) = @_; return !grep { $_->{status} == 409 && (h($_->{json})->{error} // '') ne 'user_exists' } @r }
# Every answer other than 201 a clear 409 user_exists or 503 unavailable (the JSON error shape)?
sub clear_refusals {
    my (@r) = @_;
    my %want = (409 => 'user_exists', 503 => 'unavailable');
    return !grep { $_->{status} != 201 && (h($_->{json})->{error} // '') ne ($want{$_->{status}} // "\0") } @r;
}
sub summary { my (@r) = @_; my %n; $n{$_->{status}}++ for @r; return join ', ', map { "$n{$_} x $_" } sort keys %n }

# How many accounts deskauthctl lists with EMAIL (-1: the tool failed).
sub accounts_listed {
    my ($email) = @_;
    my ($status, $out, $err) = deskauthctl_output('user', 'list');
    return -1 if $status;
    return scalar grep { (split /\t/)[0] eq lc $email } split /\n/, $out;
}

# The assertions every burst must pass, defect or not; NAME says which burst.
sub burst_ok {
    my ($name, $emails, @r) = @_;
    my %mine = map { my $e = $_; ($e => [grep { $_->{email} eq $e } @r]) } @$emails;
    push @{ $all{$_} }, @{ $mine{$_} } for @$emails;
    ok(count(0, @r) == 0 && count(500, @r) == 0 && clear_refusals(@r),
       "$name: every request answered; each answer a 201, a 409 user_exists or a 503 unavailable, never a 500")
        or diag(summary(@r));
    my @winners = map { count(201, @{ $mine{$_} }) } @$emails;
    my @listed  = map { accounts_listed($_) } @$emails;
    ok(!grep({ $_ > 1 } @winners) && "@listed" eq "@winners",
       "$name: at most one 201 per email, and deskauthctl lists exactly that many accounts (no duplicate, none unannounced)")
        or diag("201s: @winners; listed: @listed; " . summary(@r));
    my @bad;
    for my $e (@$emails) {
        my ($w) = grep { $_->{status} == 201 } @{ $mine{$e} };
        next unless $w;
        my ($res, $json) = login_user($e, $PW);
        push @bad, "$e: " . $res->code unless $res->code == 200 && h(h($json)->{user})->{id} eq h(h($w->{json})->{user})->{id};
    }
    ok(!@bad, "$name: each email that got its 201 signs in, as the account of that 201") or diag("@bad");
    return %mine;
}

# --- 1. one email, twenty times ----------------------------------------------------------------
{
    my $email = unique_email();
    burst_ok('20 parallel sign-ups of one new email', [$email], signup_burst(($email) x 20));
}

# --- 2. three emails, interleaved ---------------------------------------------------------------
{
    my @emails = map { unique_email() } 1 .. 3;
    burst_ok('21 parallel sign-ups of 3 new emails, interleaved', \@emails, signup_burst(map { @emails } 1 .. 7));
}

# --- 3. one email in twenty spellings -------------------------------------------------------------------
{
    my $email = unique_email();
    my @spellings = map { my $e = $_ % 2 ? uc $email : ucfirst $email; $_ % 3 ? $e : "  $e " } 1 .. 20;
    my @r = signup_burst(@spellings);
    $_->{email} = $email for @r;             # one account, whatever the spelling
    burst_ok('the same email in 20 spellings (case, surrounding spaces) at once', [$email], @r);
    my ($winner) = grep { $_->{status} == 201 } @r;
    SKIP: {
        skip 'no 201 in this burst (the SQLite defect above)', 1 unless $winner;
        is(h(h($winner->{json})->{user})->{email}, lc $email, 'the account is stored trimmed and lower-cased');
    }
}

{
    # One assertion over the three bursts. Whether a burst hits the defect
    # varies from run to run, so the TODO applies only when the error log
    # shows its signature; a 503 for any other reason fails.
    local $main::TODO = error_log_since($mark) =~ $LOCKED_SIGN ? $LOCKED_TODO : undef;
    my @wrong = grep { my @a = @{ $all{$_} }; !(count(201, @a) == 1 && count(409, @a) == @a - 1 && conflict_ok(@a)) }
                sort keys %all;
    ok(!@wrong, 'every email of every burst got exactly one 201 and only 409 user_exists otherwise: no 503 from a busy database')
        or diag(join '; ', map { "$_: " . summary(@{ $all{$_} }) } @wrong);
}
{
    my @bad = grep { /database error|DA00034|exit signal|Segmentation fault|AddressSanitizer|\[(?:[a-z_]+:)?(?:emerg|alert|crit)\]/ }
              split /\n/, error_log_since($mark);
    ok(!@bad, 'the error log shows no database error and no crash') or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
}

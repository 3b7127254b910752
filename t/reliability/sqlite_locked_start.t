# A server whose children start while another process holds the SQLite
# file locked (a second httpd on the same file upgrading the schema,
# `deskauthctl` in a long transaction): no child fails to start, nothing
# critical in the error log, and once the lock is gone sign-in works without
# a restart. mod_dbd, given statements to prepare, prepared them when it
# opened its first connection at child start; SQLite refuses to prepare
# while another process writes ("database is locked"), and mod_dbd logged
# "AH00636: child init failed!" (crit). The module now prepares its
# statements on a connection's first use, waiting for the lock.
#
# The lock: the sqlite3 shell, as the children's user, in BEGIN EXCLUSIVE
# for LOCK_SECONDS, longer than the start-up of a child retries, on the
# rollback journal a new file has (in WAL mode readers do not wait).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use POSIX ();
use Time::HiRes qw(time sleep);

my $LOCK_SECONDS = 4;
my $PW = 'correct horse 1';

my @missing = DeskAuthServer::missing();
push @missing, 'the sqlite3 shell (package sqlite3)' unless grep { -x "$_/sqlite3" } split /:/, $ENV{PATH};
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 7;

$SIG{ALRM} = sub { die "sqlite_locked_start.t took longer than 60 s\n" };
alarm 60;

my $srv = DeskAuthServer->new(name => 'sqlitelock');
ok($srv->start, 'an httpd of its own starts on a fresh SQLite file') or BAIL_OUT($srv->why);
my $email = "locked-$$\@example.com";
my ($res) = $srv->req(POST => '/auth/register',
                      json => { email => $email, password => $PW, firstName => 'Lock', lastName => 'Ed' });
is($res->code, 201, 'setup: a sign-up creates the tables and an account') or diag($res->as_string);
$srv->stop;

# --- the file locked by another process while the server starts --------------------------------
my $locker = fork // die "fork: $!";
if (!$locker) {
    my @cmd = ('sqlite3', $srv->{params});
    unshift @cmd, 'runuser', '-u', $srv->{user}, '--' if defined $srv->{user};
    open STDOUT, '>', "$srv->{dir}/locker.log";
    open STDERR, '>&', \*STDOUT;
    open my $sh, '|-', @cmd or POSIX::_exit(127);
    select((select($sh), $| = 1)[0]);
    # a rollback journal, as a new file has until the module sets WAL:
    # then the lock keeps readers out too
    print $sh "PRAGMA journal_mode=DELETE;\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n";
    sleep $LOCK_SECONDS;
    print $sh "COMMIT;\nSELECT 'released';\n";
    close $sh;
    POSIX::_exit($? ? 1 : 0);
}
my $t0 = time;
sleep 0.1 until DeskAuthServer::slurp("$srv->{dir}/locker.log") =~ /locked/ || time - $t0 > 5;
like(DeskAuthServer::slurp("$srv->{dir}/locker.log"), qr/^locked$/m,
     'another process holds the file in BEGIN EXCLUSIVE');
ok($srv->start, 'the server starts while the file is locked') or diag($srv->why);
my $started = time - $t0;
waitpid $locker, 0;
is($? >> 8, 0, 'the lock is released') or diag(DeskAuthServer::slurp("$srv->{dir}/locker.log"));
note sprintf('started %.1f s into the %d s lock', $started, $LOCK_SECONDS);

# --- sign-in works at once, without a restart --------------------------------------------------
($res) = $srv->req(POST => '/auth/login', json => { email => $email, password => $PW });
is($res->code, 200, 'after the lock, sign-in works on the same server') or diag($res->as_string);

$srv->stop;
my @bad = $srv->crash_lines;
ok(!@bad, 'no child failed to start, nothing critical in the error log')
    or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);

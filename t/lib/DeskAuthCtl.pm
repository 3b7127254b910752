package DeskAuthCtl;
# deskauthctl (interface.md, Administration) on the test server's own
# database, out of process,
# as another server or an admin's shell would change it. The database is the
# one t/run wrote into t/conf/deskauth-db.conf; the tool runs as the user the
# server's children run as (when the suite runs as root), so that a SQLite
# file and its journal keep an owner the server can write.
#
#   is(deskauthctl('user', 'disable', $email), 0, '...');
#   my ($status, $out, $err) = deskauthctl_output('user', 'set-role', $email, 'ADMIN');
#   my ($status, $out, $err) = db_sql("SELECT count(*) FROM deskauth_sessions");
#
# Technique taken from t/api/errors.t.
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use File::Temp ();

our @EXPORT = qw(deskauthctl deskauthctl_output db_sql);

# (driver, params) of the test server's database, or an empty list.
sub db_args {
    my $conf = Apache::Test::vars('t_conf') . '/deskauth-db.conf';
    my ($driver, $params);
    open my $fh, '<', $conf or return;
    while (<$fh>) {
        $driver = $1 if /^\s*DBDriver\s+(\S+)/;
        $params = $1 // $2 if /^\s*DBDParams\s+(?:"([^"]*)"|(\S+))/;
    }
    close $fh;
    return defined $driver && defined $params ? ($driver, $params) : ();
}

# Run deskauthctl with ARGS; (exit status, stdout, stderr). The status is -1
# when the tool or the database configuration cannot be found.
sub deskauthctl_output {
    my @args = @_;
    my ($driver, $params) = db_args();
    my $ctl = Apache::Test::vars('top_dir') . '/deskauthctl';
    return (-1, '', "deskauthctl or t/conf/deskauth-db.conf missing\n")
        unless defined $params && -x $ctl;
    return run_as_child($ctl, '--dbd-driver', $driver, '--dbd-params', $params, @args);
}

# Run SQL on the test server's database with its own client (sqlite3 or
# psql), for what no interface of the module makes: (exit status, stdout,
# stderr), one row a line, columns separated by '|'.
sub db_sql {
    my ($sql) = @_;
    my ($driver, $params) = db_args();
    return (-1, '', "t/conf/deskauth-db.conf missing\n") unless defined $params;
    return $driver eq 'pgsql'
        ? run_as_child('psql', $params, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', $sql)
        : run_as_child('sqlite3', '-bail', '-cmd', '.timeout 10000', $params, $sql);
}

# Run a command as the user the server's children run as; (exit status,
# stdout, stderr).
sub run_as_child {
    my @run = @_;
    unshift @run, 'runuser', '-u', Apache::Test::vars('user'), '--' if $> == 0;

    my $out = File::Temp->new;
    my $err = File::Temp->new;
    open my $null, '<', '/dev/null' or return (-1, '', "/dev/null: $!\n");
    my $pid = fork // return (-1, '', "fork: $!\n");
    if (!$pid) {
        open STDIN,  '<&', $null;
        open STDOUT, '>&', $out;
        open STDERR, '>&', $err;
        exec @run;
        exit 127;
    }
    waitpid $pid, 0;
    my $status = $? >> 8;
    my $read = sub {
        my ($fh) = @_;
        open my $in, '<', $fh->filename or return '';
        local $/;
        my $text = <$in>;
        return defined $text ? $text : '';
    };
    return ($status, $read->($out), $read->($err));
}

# Exit status of deskauthctl ARGS (its output is dropped).
sub deskauthctl {
    my ($status) = deskauthctl_output(@_);
    return $status;
}

1;

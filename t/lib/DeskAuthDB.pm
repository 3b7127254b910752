package DeskAuthDB;
# A database of its own for a test's own server, on the driver of the run
# (t/conf/deskauth-db.conf): a fresh SQLite file, or a fresh PostgreSQL
# schema of the run's database (search_path in the connection string),
# dropped at the end. And plain SQL on it through the driver's own
# command-line tool, as an admin would.
#
#   my $db = DeskAuthDB::fresh('audit', "$dir/db/deskauth.db") or skip ...;
#   DeskAuthDB::sql($db, "INSERT ...") or die;
#   DeskAuthDB::value($db, "SELECT COUNT(*) FROM deskauth_users");
#   DeskAuthDB::refuse_inserts($db, 'deskauth_audit', 'email', $email);
use strict;
use warnings;

use Apache::Test ();
use File::Spec;

my $t_dir = File::Spec->rel2abs(File::Spec->catdir((File::Spec->splitpath(__FILE__))[1], '..'));
my @schemas;

# "sqlite3" or "pgsql": the driver of this run.
sub driver {
    open my $fh, '<', "$t_dir/conf/deskauth-db.conf" or return 'sqlite3';
    local $/;
    my ($d) = (<$fh> // '') =~ /^\s*DBDriver\s+(\S+)/m;
    return ($d // '') eq 'pgsql' ? 'pgsql' : 'sqlite3';
}

# What this machine lacks to run it (empty: nothing).
sub missing {
    my $tool = driver() eq 'pgsql' ? 'psql' : 'sqlite3';
    my @m;
    push @m, "the $tool command-line tool" if system('sh', '-c', "command -v $tool >/dev/null 2>&1");
    push @m, 'DESKAUTH_TEST_PG_PARAMS' if driver() eq 'pgsql' && !$ENV{DESKAUTH_TEST_PG_PARAMS};
    return @m;
}

sub _pg {
    my ($params, $sql, $as_user) = @_;
    local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
    open my $ps, '|-', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', $params or return 0;
    print $ps $sql;
    return close $ps;
}

# {driver, params}: an empty database named NAME; FILE is the SQLite file
# to use (made by DeskAuthServer, owned by the children's user).
sub fresh {
    my ($name, $file) = @_;
    return { driver => 'sqlite3', params => $file } if driver() eq 'sqlite3';
    my $schema = "deskauth_t_${name}_$$";
    $schema =~ tr/a-zA-Z0-9_/_/c;
    push @schemas, $schema;
    _pg($ENV{DESKAUTH_TEST_PG_PARAMS}, "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;\n")
        or return undef;
    return { driver => 'pgsql',
             params => "$ENV{DESKAUTH_TEST_PG_PARAMS} options='-c search_path=$schema'" };
}

# Run SQL on DB; true when every statement succeeded. SQLite runs as
# USER when given (the children's user, so that the file keeps its owner).
sub sql {
    my ($db, $sql, $user) = @_;
    return _pg($db->{params}, $sql) if $db->{driver} eq 'pgsql';
    my @cmd = ('sqlite3', '-bail', $db->{params});
    unshift @cmd, 'runuser', '-u', $user, '--' if $user && $> == 0;
    open my $sq, '|-', @cmd or return 0;
    print $sq $sql;
    return close $sq;
}

# The first column of the first row of a query, or undef.
sub value {
    my ($db, $query) = @_;
    my @cmd = $db->{driver} eq 'pgsql' ? ('psql', '-X', '-At', $db->{params}, '-c', $query)
                                       : ('sqlite3', $db->{params}, $query);
    open my $out, '-|', @cmd or return undef;
    my $v = <$out>;
    close $out;
    chomp $v if defined $v;
    return $v;
}

# A trigger that makes the database refuse the rows of TABLE whose COLUMN
# is VALUE ("... refused by the test"), as a full disk or a constraint
# would: to see that a failure leaves nothing half-written. allow_inserts
# drops it. True when it was made.
sub refuse_inserts {
    my ($db, $table, $column, $value, $user) = @_;
    my $name = "deskauth_test_refuse_$table";
    return sql($db, $db->{driver} eq 'pgsql' ? <<"PG" : <<"SQLITE", $user);
CREATE OR REPLACE FUNCTION $name() RETURNS trigger AS \$\$
BEGIN RAISE EXCEPTION '$table row refused by the test'; END \$\$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS $name ON $table;
CREATE TRIGGER $name BEFORE INSERT ON $table FOR EACH ROW
    WHEN (NEW.$column = '$value') EXECUTE PROCEDURE $name();
PG
CREATE TRIGGER IF NOT EXISTS $name BEFORE INSERT ON $table
    WHEN NEW.$column = '$value' BEGIN SELECT RAISE(ABORT, '$table row refused by the test'); END;
SQLITE
}

sub allow_inserts {
    my ($db, $table, $user) = @_;
    my $name = "deskauth_test_refuse_$table";
    return sql($db, $db->{driver} eq 'pgsql' ? "DROP TRIGGER IF EXISTS $name ON $table;\n"
                                             : "DROP TRIGGER IF EXISTS $name;\n", $user);
}

END {
    local $?;
    _pg($ENV{DESKAUTH_TEST_PG_PARAMS}, join '', map { "DROP SCHEMA IF EXISTS $_ CASCADE;\n" } @schemas)
        if @schemas;
}

1;

# The indexes of conf/schema/indexes.sql (docs/behaviour.md, "Admin API
# search"): a database made by an older version, with only deskauth.sql's
# tables and a row in them, gets every index the first time the code opens
# it (here deskauthctl, which runs what DeskAuthSchema auto runs), keeps its
# rows, and the admin search's prefix condition is answered from indexes,
# not by reading the whole table. On a fresh SQLite file, and on PostgreSQL
# when DESKAUTH_TEST_PG_PARAMS is set (in a schema of its own, dropped at
# the end, so the suite's tables are not touched). Plain Test::More, like
# t/ctl/deskauthctl.t; needs the sqlite3 and psql command-line tools.
use strict;
use warnings;

use Test::More;
use File::Basename qw(dirname);
use File::Spec::Functions qw(catfile rel2abs);
use File::Temp qw(tempdir);

my $top = dirname(dirname(dirname(rel2abs(__FILE__))));
my $ctl = $ENV{DESKAUTHCTL} || catfile($top, 'deskauthctl');
my $schema_sql = catfile($top, 'conf', 'schema', 'deskauth.sql');
my $tmp = tempdir('indexes-t.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $pg_params = $ENV{DESKAUTH_TEST_PG_PARAMS};
my $have = sub { !system('sh', '-c', "command -v $_[0] >/dev/null 2>&1") };

plan skip_all => "no $ctl (run make)" unless -x $ctl;
plan skip_all => 'needs the sqlite3 command-line tool' unless $have->('sqlite3');

delete @ENV{qw(DESKAUTH_DBD_DRIVER DESKAUTH_DBD_PARAMS)};

my @INDEXES = qw(deskauth_users_email_prefix deskauth_users_first_name_prefix
                 deskauth_users_last_name_prefix deskauth_sessions_expires deskauth_sessions_revoked
                 deskauth_refresh_used_session deskauth_codes_expires deskauth_device_codes_expires);

# The admin search's condition, as src/core/da_store.c's PREFIX_MATCH writes
# it, for the prefix "ada": byte-order range (up to "ada" and U+10FFFF in
# UTF-8), then LIKE.
sub prefix_where {
    my @arms = map {
        my $c = $_;
        qq{($c COLLATE "binary" >= 'ada' AND $c COLLATE "binary" < 'ada\xf4\x8f\xbf\xbf' AND $c LIKE 'ada%' ESCAPE '!')}
    } 'email', 'LOWER(first_name)', 'LOWER(last_name)';
    return 'WHERE ' . join(' OR ', @arms);
}

my $OLD_ROW = "INSERT INTO deskauth_users (id, email, password_hash, first_name, last_name, role, "
            . "created_at, updated_at) VALUES ('u-old', 'old\@example.com', 'x', 'Ada', 'Older', 'USER', 1, 1)";

sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; return scalar <$fh> }

# Run COMMAND (a list), its stdout; dies on failure.
sub run {
    my @cmd = @_;
    open my $ph, '-|', @cmd or die "$cmd[0]: $!";
    my $out = do { local $/; <$ph> } // '';
    close $ph;
    die "@cmd[0..1]: exit " . ($? >> 8) . "\n" if $?;
    return $out;
}

# One database: OPEN_SQL runs SQL text and returns its output (one line
# per row); CTL_ARGS selects it for deskauthctl; INDEX_NAMES lists the
# index names it has; PLAN gives the search condition's plan.
sub check_db {
    my (%d) = @_;
    my $name = $d{name};
    $d{sql}->(slurp($schema_sql) . ";\n$OLD_ROW;\n");
    my %before = map { $_ => 1 } $d{index_names}->();
    ok(!grep({ $before{$_} } @INDEXES), "$name: a database of the older schema has none of the new indexes");

    my $out = eval { run($ctl, @{ $d{ctl_args} }, 'user', 'list') };
    is($@, '', "$name: deskauthctl opens it");
    like($out // '', qr/^old\@example\.com\t/m, "$name: its row is still there");
    my %after = map { $_ => 1 } $d{index_names}->();
    is_deeply([grep { !$after{$_} } @INDEXES], [], "$name: every index of indexes.sql now exists");
    $out = eval { run($ctl, @{ $d{ctl_args} }, 'user', 'list') };
    is($@, '', "$name: opening it again (the indexes already there) works");

    my $plan = $d{plan}->('SELECT id FROM deskauth_users ' . prefix_where());
    unlike($plan, $d{full_scan}, "$name: the admin search's prefix condition reads no whole table")
        or diag($plan);
    like($plan, qr/deskauth_users_first_name_prefix/, "$name: the first name's arm uses its index")
        or diag($plan);
    like($plan, qr/deskauth_users_last_name_prefix/, "$name: the last name's arm uses its index")
        or diag($plan);
}

# --- SQLite ---------------------------------------------------------------------
{
    my $db = "$tmp/old.db";
    my $sqlite = sub { my ($sql) = @_; my $f = "$tmp/in.sql"; open my $fh, '>:raw', $f or die; print $fh $sql; close $fh;
                       return run('sh', '-c', qq{sqlite3 -batch "$db" < "$f"}) };
    check_db(
        name        => 'sqlite3',
        sql         => $sqlite,
        ctl_args    => ['-d', 'sqlite3', '-p', $db],
        index_names => sub { split /\n/, $sqlite->("SELECT name FROM sqlite_master WHERE type = 'index';") },
        plan        => sub { $sqlite->("EXPLAIN QUERY PLAN $_[0];") },
        full_scan   => qr/\bSCAN deskauth_users\b/,
    );
}

# --- PostgreSQL -------------------------------------------------------------------
SKIP: {
    skip 'PostgreSQL: DESKAUTH_TEST_PG_PARAMS is not set', 8 unless $pg_params;
    skip 'PostgreSQL: needs psql', 8 unless $have->('psql');
    my $schema = "idx_t_$$";
    my $conn = "$pg_params options='-c search_path=$schema'";
    my $psql = sub {
        my ($sql, %o) = @_;
        my $f = "$tmp/in.sql"; open my $fh, '>:raw', $f or die; print $fh $sql; close $fh;
        return run('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $o{plain} ? $pg_params : $conn, '-f', $f);
    };
    $psql->("CREATE SCHEMA $schema", plain => 1);
    my $ok = eval {
        check_db(
            name        => 'pgsql',
            sql         => $psql,
            ctl_args    => ['-d', 'pgsql', '-p', $conn],
            index_names => sub { split /\n/, $psql->("SELECT indexname FROM pg_indexes WHERE schemaname = '$schema'") },
            # a small table: without this the planner rightly prefers one page
            plan        => sub { $psql->("SET enable_seqscan = off; EXPLAIN $_[0]") },
            full_scan   => qr/Seq Scan on deskauth_users/,
        );
        1;
    };
    my $err = $@;
    $psql->("SET client_min_messages = warning; DROP SCHEMA $schema CASCADE", plain => 1);
    die $err unless $ok;
}

done_testing();

# deskauthctl, the admin tool (interface.md, Administration): runs the built ./deskauthctl
# on a fresh SQLite file, and on PostgreSQL when DESKAUTH_TEST_PG_PARAMS is
# set. Plain Test::More: `prove t/ctl/deskauthctl.t` needs no test server
# (Apache::Test also finds and runs it; it ignores the server).
#
# DESKAUTHCTL overrides the binary; the sqlite3 command-line tool, when
# present, is used to plant sessions and read back what was stored.
use strict;
use warnings;

use Test::More;
use File::Basename qw(dirname);
use File::Spec::Functions qw(catfile rel2abs);
use File::Temp qw(tempdir);
use POSIX qw(strftime);

my $top = dirname(dirname(dirname(rel2abs(__FILE__))));
my $ctl = $ENV{DESKAUTHCTL} || catfile($top, 'deskauthctl');
my $tmp = tempdir('deskauthctl-t.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $db  = "$tmp/deskauth.db";
my $have_sqlite3 = !system('sh', '-c', 'command -v sqlite3 >/dev/null 2>&1');

# A bcrypt hash of "imported pw" (cost 4), as another app would have stored it.
my $HASH_2Y = '$2y$04$.n/2TNTvcyCU//FkgxXF0e/hR.nRDXyj0HmPBLkwSrdaiB.0xQve2';
(my $HASH_2A = $HASH_2Y) =~ s/^\$2y\$/\$2a\$/;
(my $HASH_2B = $HASH_2Y) =~ s/^\$2y\$/\$2b\$/;

delete @ENV{qw(DESKAUTH_DBD_DRIVER DESKAUTH_DBD_PARAMS)};

# Run deskauthctl with ARGS and STDIN; {rc, out, err}. A death by signal
# counts as 128 + signal, never as success.
sub run_ctl {
    my ($stdin, @args) = @_;
    my %f = map { $_ => "$tmp/run.$_" } qw(in out err);
    open my $in, '>', $f{in} or die "$f{in}: $!";
    print $in $stdin // '';
    close $in;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', $f{in};
        open STDOUT, '>', $f{out};
        open STDERR, '>', $f{err};
        exec $ctl, @args or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    my %r = (rc => $rc);
    for my $k (qw(out err)) {
        open my $fh, '<', $f{$k} or die "$f{$k}: $!";
        local $/;
        $r{$k} = <$fh> // '';
    }
    return \%r;
}

sub ctl    { my ($stdin, @args) = @_; run_ctl($stdin, '-d', 'sqlite3', '-p', $db, @args) }
sub pg_ctl { my ($stdin, @args) = @_;
             run_ctl($stdin, '-d', 'pgsql', '-p', $ENV{DESKAUTH_TEST_PG_PARAMS}, @args) }

# One failure: the status, and exactly one "deskauthctl: ..." line on stderr.
sub fails_with {
    my ($r, $rc, $re, $name) = @_;
    subtest $name => sub {
        is($r->{rc}, $rc, "exit status $rc") or diag("stderr: $r->{err}");
        like($r->{err}, qr/\Adeskauthctl: [^\n]*\n\z/, 'one line on stderr');
        like($r->{err}, $re, 'says why');
        is($r->{out}, '', 'nothing on stdout');
    };
}

sub succeeds {
    my ($r, $re, $name) = @_;
    subtest $name => sub {
        is($r->{rc}, 0, 'exit status 0') or diag("stderr: $r->{err}");
        like($r->{out}, $re, 'confirmation on stdout');
        is($r->{err}, '', 'nothing on stderr');
    };
}

# email => [fields] of `user list`
sub listed {
    my ($run) = @_;
    my $r = $run->(undef, 'user', 'list');
    is($r->{rc}, 0, 'user list exits 0') or diag($r->{err});
    return { map { my @f = split /\t/, $_, -1; ($f[0] => \@f) } split /\n/, $r->{out} };
}

sub sql {
    my ($q) = @_;
    open my $fh, '-|', 'sqlite3', '-batch', $db, $q or die "sqlite3: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\n\z//;
    return $out;
}

my $n_session = 0;
sub plant_session {
    my ($email, $revoked_at) = @_;
    my $id = sprintf 'tsess%d', ++$n_session;
    my $now = time;
    sql("INSERT INTO deskauth_sessions (id, user_id, kind, refresh_hash, created_at, "
        . "last_used_at, expires_at, revoked_at) SELECT '$id', id, 'web', 'rh$id', $now, "
        . "$now, " . ($now + 3600) . ", " . ($revoked_at // 0)
        . " FROM deskauth_users WHERE email = '$email'");
    return $id;
}

sub revoked_at { sql("SELECT revoked_at FROM deskauth_sessions WHERE id = '$_[0]'") }

if (!-x $ctl) {
    plan tests => 1;
    fail("deskauthctl is built at $ctl (run make)");
    exit;
}

# --- help and usage errors (exit 2, the database untouched) -------------------

{
    my $r = run_ctl(undef, '--help');
    subtest 'help_is_a_manual_on_stdout' => sub {
        is($r->{rc}, 0, 'exit 0');
        like($r->{out}, qr/^SYNOPSIS$/m, 'has a synopsis');
        like($r->{out}, qr/^ +user add EMAIL \[--role ROLE\]/m, 'documents user add');
        like($r->{out}, $_, "documents $_") for
            qr/user list/, qr/user disable EMAIL/, qr/user enable EMAIL/,
            qr/user set-role EMAIL ROLE/, qr/user import FILE/, qr/sessions revoke EMAIL/,
            qr/sessions purge \[--days N\]/,
            qr/DESKAUTH_DBD_DRIVER/, qr/^EXIT STATUS$/m;
        is($r->{err}, '', 'nothing on stderr');
    };
}

my @usage = (
    [ [], qr/no command/, 'no_command' ],
    [ ['user'], qr/incomplete command/, 'group_without_verb' ],
    [ ['user', 'frob'], qr/unknown command 'user frob'/, 'unknown_command' ],
    [ ['user', 'add'], qr/usage: .*user add EMAIL/, 'missing_operand' ],
    [ ['user', 'disable', 'a@example.com', 'extra'], qr/usage: .*user disable EMAIL/,
      'extra_operand' ],
    [ ['user', 'list', '--frob'], qr/unknown option '--frob'/, 'unknown_option' ],
    [ ['user', 'list', '--role', 'ADMIN'], qr/takes no option --role/,
      'option_of_another_command' ],
    [ ['user', 'set-role', 'a@example.com', 'admin'], qr/invalid role 'admin'/,
      'lowercase_role' ],
    [ ['user', 'set-role', 'a@example.com', 'A' x 65], qr/invalid role/, 'role_too_long' ],
    [ ['user', 'enable', 'not-an-address'], qr/not a valid email address/,
      'invalid_email' ],
    [ ['user', 'add', 'a@example.com', '--cost', '3'], qr/--cost takes a number from 4 to 31/,
      'cost_out_of_range' ],
    [ ['user', 'add', 'a@example.com', '--role'], qr/--role needs a value/,
      'option_without_value' ],
    [ ['sessions', 'purge', '--days', '-1'], qr/--days takes a number from 0 to 36500/,
      'purge_days_negative' ],
    [ ['sessions', 'purge', '--days', '3x'], qr/--days takes a number/, 'purge_days_not_a_number' ],
);
for my $u (@usage) {
    my ($args, $re, $name) = @$u;
    fails_with(ctl("long enough password\n", @$args), 2, $re, "usage_error_${name}_exits_2");
}
fails_with(run_ctl(undef, 'user', 'list'), 2, qr/--dbd-driver/, 'no_database_given_exits_2');
ok(!-e $db, 'usage errors do not create the database');

# --- the database cannot be used -------------------------------------------------

fails_with(run_ctl(undef, '-d', 'sqlite3', '-p', "$tmp/no/such/dir/x.db", 'user', 'list'), 1,
           qr/^deskauthctl: cannot open the database: \S/, 'unopenable_database_is_exit_1');
fails_with(run_ctl(undef, '-d', 'nosuchdriver', '-p', 'x', 'user', 'list'), 1,
           qr/cannot load the DBD driver 'nosuchdriver'/, 'unknown_driver_is_exit_1');

# --- user add / list -------------------------------------------------------------

{
    my $r = ctl(undef, 'user', 'list');
    is_deeply([$r->{rc}, $r->{out}, $r->{err}], [0, '', ''],
              'user_list_of_a_fresh_database_is_empty');
    ok(-s $db, 'the database file was created');
}

my $before = time;
my $r = ctl("correct horse battery\n", 'user', 'add', ' Ada@Example.COM ');
succeeds($r, qr/\Aadded user ada\@example\.com, role USER, id \S+\n\z/,
         'user_add_normalises_the_email_and_defaults_to_USER');
my ($ada_id) = $r->{out} =~ /id (\S+)$/;

my $list = listed(\&ctl);
is_deeply([sort keys %$list], ['ada@example.com'], 'user_list_shows_the_new_user');
{
    my $f = $list->{'ada@example.com'} || [];
    is(scalar @$f, 6, 'user_list_has_six_tab_separated_fields');
    is_deeply([@$f[1 .. 3]], [qw(USER active unverified)], 'role, state and verification');
    like($f->[4] // '', qr/\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\z/, 'created is RFC 3339 UTC');
    my $created = $f->[4] // '';
    ok($created ge strftime('%Y-%m-%dT%H:%M:%SZ', gmtime($before - 1))
       && $created le strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + 1)),
       "created is now ($created)");
    is($f->[5], $ada_id, 'the id is the one user add printed');
}

SKIP: {
    skip 'no sqlite3 command-line tool', 3 unless $have_sqlite3;
    my $hash = sql("SELECT password_hash FROM deskauth_users WHERE email = 'ada\@example.com'");
    like($hash, qr/\A\$2y\$12\$/, 'user_add_stores_a_bcrypt_hash_of_cost_12_by_default');
    is(crypt('correct horse battery', $hash), $hash,
       'the password is the first line of stdin without its newline');
    isnt(crypt("correct horse battery\n", $hash), $hash, 'the newline is not part of it');
}

fails_with(ctl("another password\n", 'user', 'add', 'ADA@example.com', '--cost', '4'), 1,
           qr/\Adeskauthctl: user ada\@example\.com already exists\n\z/,
           'user_add_of_an_existing_email_is_exit_1');

fails_with(ctl("short\n", 'user', 'add', 'shorty@example.com', '--cost', '4'), 1,
           qr/at least 8 characters/, 'user_add_refuses_a_short_password');
fails_with(ctl(('x' x 73) . "\n", 'user', 'add', 'long@example.com', '--cost', '4'), 1,
           qr/at most 72 bytes/, 'user_add_refuses_a_password_over_72_bytes');
fails_with(ctl('', 'user', 'add', 'nopw@example.com', '--cost', '4'), 1,
           qr/no password/, 'user_add_without_stdin_is_exit_1');
succeeds(ctl(('y' x 72) . "\n", 'user', 'add', 'max@example.com', '--cost', '4'),
         qr/^added user max\@example\.com/, 'user_add_accepts_exactly_72_bytes');

succeeds(ctl("crlf password\r\n", 'user', 'add', 'boss@example.com', '--role', 'ADMIN',
             '--first', 'Grace', '--last', 'Hopper', '--verified', '--cost', '4'),
         qr/\Aadded user boss\@example\.com, role ADMIN, id \S+\n\z/,
         'user_add_takes_role_ADMIN_names_and_verified');
SKIP: {
    skip 'no sqlite3 command-line tool', 3 unless $have_sqlite3;
    my ($hash, $first, $last) = split /\|/,
        sql("SELECT password_hash, first_name, last_name FROM deskauth_users "
            . "WHERE email = 'boss\@example.com'");
    is(crypt('crlf password', $hash), $hash, 'a CRLF line ending is dropped');
    like($hash, qr/\A\$2y\$04\$/, '--cost 4 is used');
    is("$first $last", 'Grace Hopper', '--first and --last are stored');
}

$list = listed(\&ctl);
is_deeply([sort keys %$list], [qw(ada@example.com boss@example.com max@example.com)],
          'refused adds created nothing');
is_deeply([@{ $list->{'boss@example.com'} || [] }[1 .. 3]], [qw(ADMIN active verified)],
          'the admin is listed as ADMIN and verified');
unlike(ctl(undef, 'user', 'list')->{out}, qr/\$2[aby]\$/, 'user_list_never_prints_a_hash');

# --- set-role, sessions revoke, disable, enable ------------------------------------

succeeds(ctl(undef, 'user', 'set-role', 'ada@example.com', 'EMPLOYER'),
         qr/\Auser ada\@example\.com now has role EMPLOYER \(was USER\)\n\z/,
         'user_set_role_changes_the_role');
is(listed(\&ctl)->{'ada@example.com'}[1], 'EMPLOYER', 'user list shows the new role');

if ($have_sqlite3) {
    my @live = map { plant_session('ada@example.com') } 1 .. 2;
    my $old = plant_session('ada@example.com', 1000);
    my $other = plant_session('boss@example.com');
    succeeds(ctl(undef, 'sessions', 'revoke', 'ada@example.com'),
             qr/\Arevoked 2 sessions of ada\@example\.com\n\z/,
             'sessions_revoke_revokes_every_live_session_of_the_user');
    is(scalar(grep { revoked_at($_) >= $before } @live), 2, 'both sessions now have revoked_at');
    is(revoked_at($old), 1000, 'an already revoked session keeps its time');
    is(revoked_at($other), 0, "another user's session is untouched");

    my $again = plant_session('ada@example.com');
    succeeds(ctl(undef, 'user', 'disable', 'ada@example.com'),
             qr/\Adisabled user ada\@example\.com, revoked 1 session\n\z/,
             'user_disable_also_revokes_the_sessions');
    cmp_ok(revoked_at($again), '>=', $before, 'the live session is revoked');
}
else {
    diag('no sqlite3 command-line tool: sessions are not planted');
    succeeds(ctl(undef, 'sessions', 'revoke', 'ada@example.com'),
             qr/\Arevoked 0 sessions of ada\@example\.com\n\z/, 'sessions_revoke_runs');
    succeeds(ctl(undef, 'user', 'disable', 'ada@example.com'),
             qr/\Adisabled user ada\@example\.com, revoked 0 sessions\n\z/,
             'user_disable_disables');
}
is(listed(\&ctl)->{'ada@example.com'}[2], 'disabled', 'user list shows disabled');
is(listed(\&ctl)->{'boss@example.com'}[2], 'active', 'the other user stays active');

succeeds(ctl(undef, 'user', 'enable', 'Ada@Example.com'),
         qr/\Aenabled user ada\@example\.com\n\z/, 'user_enable_enables');
is(listed(\&ctl)->{'ada@example.com'}[2], 'active', 'user list shows active again');

for my $cmd (['user', 'disable'], ['user', 'enable'], ['user', 'set-role', undef, 'ADMIN'],
             ['sessions', 'revoke']) {
    my @args = @$cmd;
    $args[2] = 'nobody@example.com';
    fails_with(ctl(undef, @args), 1, qr/\Adeskauthctl: no user nobody\@example\.com\n\z/,
               "unknown_email_in_'@$cmd[0,1]'_is_exit_1");
}

# --- sessions purge: what can never be used again goes, nothing else ----------------

if ($have_sqlite3) {
    my ($now, $day) = (time, 86400);
    my %planted;
    # id => [expires_at, revoked_at]
    my %sessions = (p_old_revoked => [$now + $day, $now - 40 * $day],
                    p_new_revoked => [$now + $day, $now - 2 * $day],
                    p_old_expired => [$now - 40 * $day, 0],
                    p_new_expired => [$now - 2 * $day, 0],
                    p_live        => [$now + $day, 0]);
    for my $id (sort keys %sessions) {
        my ($exp, $rev) = @{ $sessions{$id} };
        sql("INSERT INTO deskauth_sessions (id, user_id, kind, refresh_hash, created_at, "
            . "last_used_at, expires_at, revoked_at) SELECT '$id', id, 'desktop', 'rh$id', "
            . ($now - 50 * $day) . ", $now, $exp, $rev FROM deskauth_users WHERE email = 'boss\@example.com'");
        sql("INSERT INTO deskauth_refresh_used (refresh_hash, session_id, used_at) "
            . "VALUES ('used$id', '$id', $now)");
    }
    for my $c (['c_old', $now - 40 * $day], ['c_new', $now - 2 * $day], ['c_live', $now + 60]) {
        sql("INSERT INTO deskauth_codes (code_hash, kind, user_id, created_at, expires_at) "
            . "VALUES ('$c->[0]', 'auth', 'u', $now, $c->[1])");
    }
    my $left = sub {
        join ' ', split /\n/, sql("SELECT id FROM deskauth_sessions WHERE id LIKE 'p\\_%' ESCAPE '\\' "
                                  . "UNION ALL SELECT 'used:' || session_id FROM deskauth_refresh_used "
                                  . "WHERE session_id LIKE 'p\\_%' ESCAPE '\\' "
                                  . "UNION ALL SELECT code_hash FROM deskauth_codes "
                                  . "WHERE code_hash LIKE 'c\\_%' ESCAPE '\\' ORDER BY 1");
    };
    my $sessions_before = sql('SELECT COUNT(*) FROM deskauth_sessions');
    # 3: these two, and the session revoked in 1970 planted for `sessions revoke`
    succeeds(ctl(undef, 'sessions', 'purge'), qr/\Apurged 3 sessions, 1 code\n\z/,
             'sessions_purge_deletes_what_ended_more_than_30_days_ago');
    is($left->(), 'c_live c_new p_live p_new_expired p_new_revoked used:p_live used:p_new_expired '
                . 'used:p_new_revoked',
       'the sessions revoked or expired 40 days ago, their used refresh tokens and the old code '
       . 'are gone; the rest stays');
    is(sql('SELECT COUNT(*) FROM deskauth_sessions'), $sessions_before - 3,
       'no other session was deleted');
    is(sql("SELECT COUNT(*) FROM deskauth_sessions WHERE revoked_at = 1000"), 0,
       'the one revoked in 1970 is gone too');
    succeeds(ctl(undef, 'sessions', 'purge', '--days', '1'), qr/\Apurged 2 sessions, 1 code\n\z/,
             'sessions_purge_days_1_also_deletes_those_of_2_days_ago');
    is($left->(), 'c_live p_live used:p_live', 'the live session and code stay');
    succeeds(ctl(undef, 'sessions', 'purge'), qr/\Apurged 0 sessions, 0 codes\n\z/,
             'sessions_purge_again_deletes_nothing');
}
else {
    diag('no sqlite3 command-line tool: purge runs on an empty set');
    succeeds(ctl(undef, 'sessions', 'purge'), qr/\Apurged \d+ sessions?, \d+ codes?\n\z/,
             'sessions_purge_runs');
}

# --- the other ways of naming the database -----------------------------------------

{
    local $ENV{DESKAUTH_DBD_DRIVER} = 'sqlite3';
    local $ENV{DESKAUTH_DBD_PARAMS} = $db;
    my $r = run_ctl(undef, 'user', 'list');
    is($r->{rc}, 0, 'environment_names_the_database');
    like($r->{out}, qr/^boss\@example\.com\t/m, 'and the same users are listed');
}
{
    my $r = run_ctl(undef, 'user', 'list', "--dbd-params=$db", '--dbd-driver', 'sqlite3');
    is($r->{rc}, 0, 'long_options_with_equals_and_after_the_command');
    like($r->{out}, qr/^ada\@example\.com\t/m, 'and the same users are listed');
}

# --- user import ---------------------------------------------------------------

{
    my $file = "$tmp/users.jsonl";
    open my $fh, '>', $file or die "$file: $!";
    print $fh join "\n",
        qq({"email":"Imp.A\@example.com","passwordHash":"$HASH_2A","firstName":"Ann","role":"EMPLOYER"}),
        qq({"email":"imp.b\@example.com","passwordHash":"$HASH_2B","emailVerified":true}),
        '',
        qq({"email":"imp.y\@example.com","passwordHash":"$HASH_2Y","lastName":"Why","company":"Y Ltd","jobRole":"CTO"}),
        qq({"email":"imp.bad\@example.com","passwordHash":"\$2x\$04\$notahashatall"}),
        qq({"email":"ada\@example.com","passwordHash":"$HASH_2Y"}),
        qq(not json {),
        qq({"email":"imp.nohash\@example.com"}),
        '';
    close $fh;
    my $r = ctl(undef, 'user', 'import', $file);
    subtest 'user_import_imports_2a_2b_2y_and_skips_bad_lines' => sub {
        is($r->{rc}, 1, 'exit 1: lines were skipped');
        is($r->{out}, "imported 3, skipped 4\n", 'summary on stdout');
        my @err = split /\n/, $r->{err};
        is(scalar @err, 4, 'one stderr line per skipped line') or diag($r->{err});
        like($err[0] // '', qr/\Q$file\E:5: skipped: passwordHash is not .*bcrypt/,
             'bad hash: line 5');
        like($err[1] // '', qr/:6: skipped: user ada\@example\.com already exists/,
             'existing user: line 6');
        like($err[2] // '', qr/:7: skipped: not valid JSON/, 'not JSON: line 7');
        like($err[3] // '', qr/:8: skipped: passwordHash is missing/, 'no hash: line 8');
        unlike($r->{err}, qr/\Q$HASH_2Y\E|\$2x\$04/, 'no hash is printed');
    };
    my $l = listed(\&ctl);
    is_deeply([@{ $l->{'imp.a@example.com'} || [] }[1 .. 3]], [qw(EMPLOYER active unverified)],
              'imported $2a$ user: email normalised, role kept');
    is_deeply([@{ $l->{'imp.b@example.com'} || [] }[1 .. 3]], [qw(USER active verified)],
              'imported $2b$ user: default role, emailVerified kept');
    ok($l->{'imp.y@example.com'}, 'imported $2y$ user');
    ok(!$l->{'imp.bad@example.com'} && !$l->{'imp.nohash@example.com'},
       'skipped lines created nobody');
    SKIP: {
        skip 'no sqlite3 command-line tool', 2 unless $have_sqlite3;
        is(sql("SELECT password_hash FROM deskauth_users WHERE email = 'imp.a\@example.com'"),
           $HASH_2A, 'the imported hash is stored as given');
        is(sql("SELECT last_name || '|' || company || '|' || job_role FROM deskauth_users "
               . "WHERE email = 'imp.y\@example.com'"), 'Why|Y Ltd|CTO',
           'lastName, company and jobRole are stored');
    }

    open $fh, '>', $file or die "$file: $!";
    print $fh qq({"email":"imp.c\@example.com","passwordHash":"$HASH_2Y"}\n);
    close $fh;
    succeeds(ctl(undef, 'user', 'import', $file, '--role', 'EMPLOYER'),
             qr/\Aimported 1, skipped 0\n\z/, 'user_import_of_a_clean_file_exits_0');
    is(listed(\&ctl)->{'imp.c@example.com'}[1], 'EMPLOYER',
       '--role is the role of lines without one');
    my $audit = ctl(undef, 'audit', '--user', 'imp.c@example.com');
    like($audit->{out}, qr/\bsign_up\b.*imported, role EMPLOYER/,
         'an imported account has its audit row (sign_up, "imported, role ...")');
    fails_with(ctl(undef, 'user', 'import', "$tmp/missing.jsonl"), 1,
               qr/cannot read .*missing\.jsonl/, 'user_import_of_a_missing_file_is_exit_1');
}

# --- PostgreSQL, when the harness provides one ----------------------------------

SKIP: {
    skip 'DESKAUTH_TEST_PG_PARAMS not set', 8 unless $ENV{DESKAUTH_TEST_PG_PARAMS};
    my $email = sprintf 'ctl%dp%d@example.com', time, $$;
    succeeds(pg_ctl("pg password 1\n", 'user', 'add', $email, '--cost', '4'),
             qr/\Aadded user \Q$email\E, role USER, id \S+\n\z/, 'pgsql_user_add');
    is_deeply([@{ listed(\&pg_ctl)->{$email} || [] }[1 .. 3]], [qw(USER active unverified)],
              'pgsql_user_list_shows_the_user');
    fails_with(pg_ctl("pg password 1\n", 'user', 'add', uc $email, '--cost', '4'), 1,
               qr/already exists/, 'pgsql_duplicate_add_is_exit_1');
    succeeds(pg_ctl(undef, 'user', 'disable', $email),
             qr/\Adisabled user \Q$email\E, revoked 0 sessions\n\z/, 'pgsql_user_disable');
    is(listed(\&pg_ctl)->{$email}[2], 'disabled', 'pgsql_user_list_shows_disabled');
    succeeds(pg_ctl(undef, 'user', 'enable', $email), qr/\Aenabled user/, 'pgsql_user_enable');
    is(listed(\&pg_ctl)->{$email}[2], 'active', 'pgsql_user_list_shows_active');
    fails_with(pg_ctl(undef, 'user', 'disable', "no.$email"), 1, qr/no user/,
               'pgsql_unknown_email_is_exit_1');
}

done_testing();

# Schema versions (docs/operations.md, Schema versions): a database made
# with the first release's schema (t/data/schema_v1.sql, from before
# versions were recorded), with a row in every table, is moved forward
#   1. by the module itself (DeskAuthSchema auto) when a server starts on it:
#      nothing lost, the old password signs in, the old desktop session
#      refreshes and reaches a protected page, a rotated refresh token
#      planted before the upgrade is still recognised as a replay;
#   2. by `deskauthctl schema upgrade`: other commands refuse an older
#      schema until then; a second upgrade has nothing to do;
#   3. not at all with DeskAuthSchema manual: the server says which version
#      it found and what to run.
# On the database of this run (SQLite, or PostgreSQL in a schema of its own
# of the run's database, through search_path).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthDB;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);

my @missing = (DeskAuthServer::missing(), DeskAuthDB::missing());
my $t_dir = DeskAuthServer::t_dir();
my $driver = DeskAuthDB::driver();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 9 + 8 + 3;

my $FIXTURE = DeskAuthServer::slurp("$t_dir/data/schema_v1.sql");
my $LATEST = () = DeskAuthServer::slurp(DeskAuthServer::top_dir() . '/conf/schema/deskauth.sql')
                  =~ /^-- version \d+:/mg;
my $PW = 'imported pw';
my $HASH = '$2y$04$.n/2TNTvcyCU//FkgxXF0e/hR.nRDXyj0HmPBLkwSrdaiB.0xQve2';   # of $PW
my @TABLES = qw(deskauth_users deskauth_sessions deskauth_refresh_used deskauth_codes
                deskauth_resumes);
sub b64url { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+\z//; return $s }
sub hash_of { return b64url(sha256($_[0])) }
sub count { my ($db, $table) = @_; return DeskAuthDB::value($db, "SELECT COUNT(*) FROM $table") // -1 }

# A database of the first release, filled: one row in every table.
# (driver, params) for DeskAuthServer; a fresh file or a fresh schema.
sub old_database {
    my ($name, $file, $refresh, $rotated) = @_;
    my $db = DeskAuthDB::fresh("up_$name", $file) or return;
    my $now = time;
    my $exp = $now + 30 * 86400;
    my $rows = <<"SQL";
INSERT INTO deskauth_users (id, email, password_hash, first_name, last_name, role,
    created_at, updated_at) VALUES ('u-old-$name', 'old-$name\@example.com', '$HASH', 'Old',
    'Timer', 'USER', $now, $now);
INSERT INTO deskauth_sessions (id, user_id, kind, client_id, device_name, user_agent, ip,
    refresh_hash, created_at, last_used_at, expires_at, revoked_at) VALUES ('s-old-$name',
    'u-old-$name', 'desktop', 'example-app', 'Old laptop', 'old-app/1.0', '127.0.0.1',
    '${\ hash_of($refresh)}', $now, $now, $exp, 0);
INSERT INTO deskauth_refresh_used (refresh_hash, session_id, used_at)
    VALUES ('${\ hash_of($rotated)}', 's-old-$name', $now);
INSERT INTO deskauth_codes (code_hash, kind, user_id, client_id, redirect_uri, created_at,
    expires_at) VALUES ('${\ hash_of("code-$name")}', 'code', 'u-old-$name', 'example-app',
    'http://127.0.0.1/callback', $now, $now + 300);
INSERT INTO deskauth_resumes (user_id, filename, content_type, size, data, uploaded_at)
    VALUES ('u-old-$name', 'cv.pdf', 'application/pdf', 5, 'JVBERi0=', $now);
SQL
    return DeskAuthDB::sql($db, $FIXTURE . $rows) ? $db : undef;
}

sub all_rows_kept {
    my ($db) = @_;
    my @lost = grep { count($db, $_) != 1 } @TABLES;
    return !@lost || do { diag("rows lost in: @lost"); 0 };
}

# --- 1. the module upgrades at startup --------------------------------------------------
{
    my ($refresh, $rotated) = ("old-refresh-token-$$-auto", "old-rotated-token-$$-auto");
    my $srv = DeskAuthServer->new(name => 'upgrade',
                                  ($driver eq 'pgsql' ? (driver => 'pgsql', params => 'x') : ()));
    my $db = old_database('auto', $srv->{params}, $refresh, $rotated);
    ok($db, "a first-release database on $driver, one row in every table");
    @$srv{qw(driver params)} = @$db{qw(driver params)};
    DeskAuthServer::spew($srv->conf_file, $srv->config);
    ok($srv->start, 'a server with DeskAuthSchema auto (the default) starts on it')
        or BAIL_OUT($srv->why);
    my ($st, $out) = $srv->ctl(undef, 'schema', 'version');
    like($out, qr/^schema version $LATEST\b/, "the module moved it to version $LATEST");
    ok(all_rows_kept($db), 'every row of every table is still there');
    my ($res, $json) = $srv->req(POST => '/auth/login',
                                 json => { email => 'old-auto@example.com', password => $PW });
    is($res->code, 200, 'the old account signs in with its old password');
    ($res, $json) = $srv->req(POST => '/auth/token', form => [grant_type => 'refresh_token',
                              refresh_token => $refresh, client_id => 'example-app']);
    is($res->code, 200, "the old desktop session's refresh token refreshes");
    ($res) = $srv->req(GET => '/protected/', bearer => $json->{access_token} // '');
    is($res->code, 200, 'and its new access token (the old session) reaches a protected page');
    ($res, $json) = $srv->req(POST => '/auth/token', form => [grant_type => 'refresh_token',
                              refresh_token => $rotated, client_id => 'example-app']);
    is($res->code . ' ' . ($json->{error} // ''), '400 invalid_grant',
       'a refresh token rotated before the upgrade is still a detected replay');
    is(join('', $srv->crash_lines), '', 'no child crashed');
    $srv->stop;
}

# --- 2. deskauthctl schema upgrade -------------------------------------------------------
{
    my $srv = DeskAuthServer->new(name => 'upgrade-ctl',
                                  ($driver eq 'pgsql' ? (driver => 'pgsql', params => 'x') : ()));
    my $db = old_database('ctl', $srv->{params}, "r-$$-ctl", "o-$$-ctl");
    ok($db, "another first-release database on $driver");
    @$srv{qw(driver params)} = @$db{qw(driver params)};
    my ($st, $out) = $srv->ctl(undef, 'schema', 'version');
    like($out, qr/^schema version 1 \(this deskauthctl: $LATEST\)/,
         'schema version: 1 (tables without a recorded version)');
    ($st, $out) = $srv->ctl(undef, 'user', 'list');
    ok($st == 1 && $out =~ /schema version 1.*schema upgrade/,
       'other commands refuse the older schema and name the command to run');
    ($st, $out) = $srv->ctl(undef, 'schema', 'upgrade');
    is("$st $out", "0 schema upgraded from version 1 to $LATEST\n", 'schema upgrade: 1 to latest');
    ($st, $out) = $srv->ctl(undef, 'schema', 'upgrade');
    is("$st $out", "0 schema version $LATEST: nothing to do\n", 'a second upgrade does nothing');
    ok(all_rows_kept($db), 'every row of every table is still there');
    ($st, $out) = $srv->ctl(undef, 'user', 'list');
    like($out, qr/^old-ctl\@example\.com\tUSER\tactive/m, 'user list shows the old account');
    ($st, $out) = $srv->ctl("$PW\n", 'user', 'add', 'new-ctl@example.com', '--cost', 4);
    is($st, 0, 'and new accounts are added beside it');
}

# --- 3. DeskAuthSchema manual: left alone, and said ------------------------------------------
{
    my $srv = DeskAuthServer->new(name => 'upgrade-manual', conf => "DeskAuthSchema manual\n",
                                  ($driver eq 'pgsql' ? (driver => 'pgsql', params => 'x') : ()));
    my $db = old_database('manual', $srv->{params}, "r-$$-m", "o-$$-m");
    @$srv{qw(driver params)} = @$db{qw(driver params)};
    DeskAuthServer::spew($srv->conf_file, $srv->config);
    ok($srv->start, 'a server with DeskAuthSchema manual starts on a first-release database')
        or BAIL_OUT($srv->why);
    like($srv->error_log, qr/DA00625: DeskAuthSchema manual: the database has schema version 1, this module needs $LATEST: run 'deskauthctl schema upgrade'/,
         'it logs the version it found, the one it needs, and what to run');
    my ($st, $out) = $srv->ctl(undef, 'schema', 'version');
    like($out, qr/^schema version 1 /, 'and leaves the database at version 1');
    $srv->stop;
}

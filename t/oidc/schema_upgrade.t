# A version-1 database (t/data/schema_v1.sql, the schema of part one)
# with an account and a session in it: with DeskAuthSchema auto the module
# adds the columns and the table of version 2 at its first connection, the
# old rows keep working, and OpenID Connect works on the upgraded tables.
# SQLite, in a server of its own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest ();
use DeskAuthServer;

my $sqlite = (grep { -x "$_/sqlite3" } File::Spec->path)[0];
my $htpasswd = (grep { -x "$_/htpasswd" } File::Spec->path)[0];
plan skip_all => 'needs the sqlite3 and htpasswd commands (tools/deps)' unless $sqlite && $htpasswd;
plan tests => 8;

my $s = DeskAuthServer->new(name => 'upgrade', conf => <<'CONF');
<Location /.well-known/openid-configuration>
    SetHandler deskauth-metadata
</Location>
CONF
my $db = $s->{params};
my $v1 = "$FindBin::Bin/../data/schema_v1.sql";
system("$sqlite/sqlite3", $db, ".read $v1") == 0 or BAIL_OUT("sqlite3 $db < $v1 failed");
# an account written as part one wrote it (deskauthctl would upgrade the schema)
my $email = DeskAuthTest::unique_email();
my ($hash) = `htpasswd -nbB -C 4 x 'correct horse 1'` =~ /^x:(\S+)/ or BAIL_OUT('htpasswd failed');
my $now = time;
system("$sqlite/sqlite3", $db, "INSERT INTO deskauth_users (id, email, password_hash, first_name, last_name, "
       . "role, created_at, updated_at) VALUES ('v1user', '$email', '$hash', 'Old', 'Timer', 'USER', $now, $now)") == 0
    or BAIL_OUT('inserting the version-1 account failed');
sub columns {
    my ($table) = @_;
    return join ' ', map { (split /\|/)[1] } split /\n/, `"$sqlite/sqlite3" "$db" "PRAGMA table_info($table)"`;
}
unlike(columns('deskauth_sessions'), qr/\bscope\b/, 'setup: a version-1 sessions table (no scope column)');

$s->start or BAIL_OUT('server on the v1 database: ' . $s->why);
my ($res, $json) = $s->req(POST => '/auth/login', json => { email => $email, password => 'correct horse 1' });
is($res->code, 200, 'the account made on the version-1 database signs in');
my %sc = map { $_ => 1 } split ' ', columns('deskauth_sessions');
ok(!grep({ !$sc{$_} } qw(scope auth_time amr parent_id)),
   'deskauth_sessions got scope, auth_time, amr, parent_id');
like(columns('deskauth_codes'), qr/\bscope\b.*\bnonce\b.*\bauth_time\b.*\bamr\b/, 'deskauth_codes got scope, nonce, auth_time, amr');
like(columns('deskauth_refresh_used'), qr/\bnext_hash\b/, 'deskauth_refresh_used got next_hash');
like(columns('deskauth_consents'), qr/\buser_id\b.*\bclient_id\b.*\bscope\b/, 'the table deskauth_consents exists');
my $rt = ref $json eq 'HASH' ? $json->{tokens}{refreshToken} : undef;
($res) = $s->req(POST => '/auth/token', form => [grant_type => 'refresh_token', refresh_token => $rt // 'x']);
is($res->code, 200, 'refresh works on the upgraded tables');
is_deeply([$s->crash_lines], [], 'no crash, no error at startup');
$s->stop;

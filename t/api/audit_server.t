# The audit log on a server of its own (docs/audit.md): rate-limited
# sign-ins get a row each (DeskAuthLoginLimit 2 60), DeskAuthAuditRetention
# deletes the rows older than it when the server starts and keeps the
# others, and `deskauthctl purge` deletes old rows, sessions and codes. On
# the database of the run (a fresh SQLite file or PostgreSQL schema).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthDB;

my @missing = (DeskAuthServer::missing(), DeskAuthDB::missing());
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 10;

my $PW = 'correct horse 1';
my $srv = DeskAuthServer->new(name => 'audit',
                              conf => "DeskAuthLoginLimit 2 60\nDeskAuthAuditRetention 1\n");
my $db = DeskAuthDB::fresh('audit', $srv->{params}) or BAIL_OUT('no database');
@$srv{qw(driver params)} = @$db{qw(driver params)};
DeskAuthServer::spew($srv->conf_file, $srv->config);

ok($srv->ctl_add_user('limited@example.com', $PW), 'setup: an account (deskauthctl user add)')
    or diag($srv->why);
my $day = 86400 * 1_000_000;
my $now = int(time * 1_000_000);
my $old_rows = join '', map { "INSERT INTO deskauth_audit (id, at, event) VALUES ('$_->[0]', $_->[1], 'sign_in');\n" }
                   ['older-than-retention', $now - 2 * $day], ['within-retention', $now - $day / 2];
ok(DeskAuthDB::sql($db, $old_rows, $srv->{user}), 'setup: a row two days old and one half a day old');
ok($srv->start, 'the server starts (DeskAuthAuditRetention 1)') or BAIL_OUT($srv->why);

sub has_row { my ($id) = @_; return DeskAuthDB::value($db, "SELECT COUNT(*) FROM deskauth_audit WHERE id = '$id'") }
is(has_row('older-than-retention'), 0, 'the row older than the retention is gone at startup');
is(has_row('within-retention'), 1, 'the row within it is kept');

my @codes = map { ($srv->req(POST => '/auth/login',
                             json => { email => 'limited@example.com', password => 'wrong horse' }))[0]->code } 1 .. 4;
is("@codes", '401 401 429 429', 'two failures, then 429 (DeskAuthLoginLimit 2 60)');
my ($st, $out) = $srv->ctl(undef, 'audit', '--user', 'limited@example.com');
my @limited = $out =~ /^\S+\trate_limited\tlimited\@example\.com\t127\.0\.0\.1\t.*\tsign-in\t/mg;
is(scalar @limited, 2, 'each 429 has its rate_limited row (address, IP, what was limited)');
my @failed = $out =~ /^\S+\tsign_in_failed\t/mg;
is(scalar @failed, 2, 'and each failure before it its sign_in_failed row');

($st, $out) = $srv->ctl(undef, 'purge', '--audit-days', '0', '--days', '0');
like($out, qr/^purged \d+ sessions?, \d+ codes?, [1-9]\d* audit rows?$/m, 'deskauthctl purge: audit rows too');
is(has_row('within-retention'), 0, 'purge --audit-days 0 deletes the rows older than now');

# Passkeys in headless Chromium with its virtual authenticator
# (t/browser/passkey.mjs): add, rename and remove a passkey on the profile
# page, sign in with it, and sign a waiting desktop app in with it. The test
# server's issuer is http://localhost:PORT, so the RP ID is "localhost",
# which browsers accept (they refuse IP literals). Screenshots:
# t/logs/screenshots/passkey-*.png. Skipped without node, Chromium or
# t/browser/node_modules (tools/deps --test).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use DeskAuthTest;
use DeskAuthNode;
use File::Path qw(make_path);
use File::Spec::Functions qw(catdir);

my @missing = DeskAuthNode::missing();
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test installs them)' if @missing;

my $base = url('/');
$base =~ s{/+\z}{};
my $shots = catdir(Apache::Test::vars('t_logs'), 'screenshots');
make_path($shots);

my @runs = (DeskAuthNode::run_script('passkey', $base, $shots));
plan tests => DeskAuthNode::count(@runs);
DeskAuthNode::report(@runs);

# The device authorization grant with a real client library and a real
# browser (t/browser/device.mjs): openid-client's device flow API polls
# while headless Chromium types the code, signs in and presses Allow; then
# the same with Deny. Screenshots of the approval pages: t/logs/screenshots/.
# Skipped when node, Debian's chromium or t/browser/node_modules are
# missing (`tools/deps --test` installs them).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthNode;
use File::Path qw(make_path);
use File::Spec::Functions qw(catdir);

my @missing = DeskAuthNode::missing('openid-client');
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test installs them)' if @missing;

my $base = url('/') =~ s{/+\z}{}r;
my $shots = catdir(Apache::Test::vars('t_logs'), 'screenshots');
make_path($shots);

my @runs = (DeskAuthNode::run_script('device', $base, $shots));
plan tests => DeskAuthNode::count(@runs);
DeskAuthNode::report(@runs);

# docs/quickstart-electron.md: the Electron example's sign-in module,
# examples/electron/deskauth-client.js (openid-client, as pinned in
# t/browser/package.json), run from Node against the demo's configuration
# while headless Chromium plays the person's browser
# (t/browser/electron_client.mjs): custom scheme, loopback, refresh,
# connection file, sign-out. Electron itself needs a display, so main.js is
# not started; the module is what the quickstart has people write.
#
# Skipped when node, Debian's chromium or t/browser/node_modules are
# missing: `tools/deps --test` installs them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthDemo;
use DeskAuthNode;
use DeskAuthServer ();

my @missing = (DeskAuthNode::missing('openid-client'), DeskAuthServer::missing());
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test installs them)' if @missing;

my $demo = DeskAuthDemo->start or BAIL_OUT(DeskAuthDemo::why());
# require('openid-client') in examples/electron/ finds t/browser's copy.
local $ENV{NODE_PATH} = "$DeskAuthNode::DIR/node_modules";
my @runs = (DeskAuthNode::run_script('electron_client', $demo->base));
plan tests => DeskAuthNode::count(@runs) + 1;
DeskAuthNode::report(@runs);
is_deeply([$demo->crash_lines], [], 'no child of the demo crashed');

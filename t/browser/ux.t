# The pages as a person meets them, in headless Chromium (ux_forms.mjs):
# errors, focus and announcements after a refused form, tab order, dates,
# device names, questions before sign-outs and deletes, layout at 320 px,
# and axe-core (0 violations at 390 and 1280 px, light and dark).
# Screenshots: t/logs/screenshots/ux-*.png; stderr:
# t/logs/browser-ux_forms.stderr. Skipped, as browser.t, when node, Debian's
# chromium or t/browser/node_modules (with axe-core) are missing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use DeskAuthTest;
use DeskAuthNode;
use File::Path qw(make_path);
use File::Spec::Functions qw(catdir catfile);

my @missing = DeskAuthNode::missing('playwright-core', 'axe-core');
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test installs them)' if @missing;

my $base = url('/');
$base =~ s{/+\z}{};
my $shots = catdir(Apache::Test::vars('t_logs'), 'screenshots');
make_path($shots);
unlink glob(catfile($shots, 'ux-*'));

my @runs = (DeskAuthNode::run_script('ux_forms', $base, $shots));

plan tests => DeskAuthNode::count(@runs);
DeskAuthNode::report(@runs);

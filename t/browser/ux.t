# The pages as a person meets them, in headless Chromium (ux_forms.mjs):
# errors, focus and announcements after a refused form, tab order, dates,
# device names, questions before sign-outs and deletes, layout at 320 px,
# and axe-core (0 violations at 390 and 1280 px, light and dark); and
# every other page state (ux_pages.mjs: sign-in, sign-up, reset and verify
# through real mails, the device pages, two-step sign-in, RP logout, the
# Passkeys part) with the same checks (t/browser/a11y.mjs).
# Screenshots: t/logs/screenshots/ux-forms-*.png and ux-pages-*.png (the
# other ux-* are browser.t's); stderr:
# t/logs/browser-ux_forms.stderr, t/logs/browser-ux_pages.stderr. Skipped, as browser.t, when node, Debian's
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
unlink glob(catfile($shots, 'ux-forms-*')), glob(catfile($shots, 'ux-pages-*'));

my $mail = catdir(Apache::Test::vars('t_dir'), 'state', 'mail');
my @runs = (
    DeskAuthNode::run_script('ux_forms', $base, $shots),
    DeskAuthNode::run_script('ux_pages', $base, $shots, $mail),
);

plan tests => DeskAuthNode::count(@runs);
DeskAuthNode::report(@runs);

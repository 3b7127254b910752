# Real clients against the test server (interface.md, Desktop hand-off, Pages):
# AppAuth-JS in Node, the way an Electron main process signs a person in
# (appauth.mjs), the pages in headless Chromium with screenshots and QR
# decoding (pages.mjs), and openid-client as an OpenID Connect native app
# (oidc.mjs); the consent, hand-off and error pages with axe-core at two
# sizes, light and dark (ux_handoff.mjs); the admin pages as an ADMIN uses
# them, with the same checks (ux_admin.mjs).
# Each script prints TAP; every line of it becomes a test here, named after
# the script, plus one test per script that it ran to the end (a crash, a
# timeout or a missing plan fails it). Screenshots: t/logs/screenshots/;
# each script's stderr: t/logs/browser-SCRIPT.stderr.
#
# Skipped when node, Debian's chromium or t/browser/node_modules are missing:
# `tools/deps --test` installs them (npm ci in t/browser). DESKAUTH_CHROMIUM
# names another Chromium binary.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use DeskAuthTest;
use DeskAuthNode;
use DeskAuthCtl;
use File::Path qw(make_path);
use File::Spec::Functions qw(catdir catfile);

my @missing = DeskAuthNode::missing('@openid/appauth', 'openid-client', 'axe-core');
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test installs them)' if @missing;

my $base = url('/');
$base =~ s{/+\z}{};
my $logs  = Apache::Test::vars('t_logs');
my $shots = catdir($logs, 'screenshots');
make_path($shots);
unlink glob(catfile($shots, '*'));

# ux_admin.mjs's ADMIN: no one can make themselves one, deskauthctl can.
my (undef, undef, $admin) = register_user(firstName => 'Ada', lastName => 'Admin');
deskauthctl('user', 'set-role', lc $admin->{email}, 'ADMIN') == 0
    or die "deskauthctl user set-role $admin->{email} ADMIN failed";

my @runs = (
    DeskAuthNode::run_script('appauth', $base),
    DeskAuthNode::run_script('pages', $base, $shots),
    DeskAuthNode::run_script('resume', $base, $shots),
    DeskAuthNode::run_script('oidc', $base),
    DeskAuthNode::run_script('ux_handoff', $base, $shots),
    DeskAuthNode::run_script('ux_admin', $base, $shots, $admin->{email}, $admin->{password}),
);

plan tests => DeskAuthNode::count(@runs);
DeskAuthNode::report(@runs);

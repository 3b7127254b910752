# Passkeys over the JSON API (docs/passkeys.md): t/browser/passkey_api.mjs
# drives the server with a software authenticator (t/browser/softauthn.mjs)
# and forges every way a ceremony can be wrong; each TAP line of it is a
# test here. Skipped without Node.js >= 18 (tools/deps --test).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use DeskAuthTest;
use DeskAuthCtl ();
use DeskAuthNode;
use JSON::PP ();

my @missing = grep { $_ eq 'node >= 18' } DeskAuthNode::missing();
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test installs it)' if @missing;

my $base = url('/');
$base =~ s{/+\z}{};

# deskauthctl on the server's database, as DeskAuthCtl runs it.
my ($driver, $params) = DeskAuthCtl::db_args();
my @ctl = (Apache::Test::vars('top_dir') . '/deskauthctl', '--dbd-driver', $driver,
           '--dbd-params', $params);
unshift @ctl, 'runuser', '-u', Apache::Test::vars('user'), '--' if $> == 0;

Apache::TestRequest::module('deskauth_passkey_strict');
my $strict = url('/');
$strict =~ s{/+\z}{};
Apache::TestRequest::module('default');

my @runs = (DeskAuthNode::run_script('passkey_api', $base, JSON::PP->new->encode(\@ctl), $strict));
plan tests => DeskAuthNode::count(@runs);
DeskAuthNode::report(@runs);

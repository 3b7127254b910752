# Sign in with another provider, judged by two real servers and Chromium
# (docs/external.md): "upstream", a mod_deskauth of its own, is the OpenID
# provider; "down" runs mod_deskauth with mod_auth_openidc (Debian
# libapache2-mod-auth-openidc) in front of deskauth-external at
# /auth/external/upstream; "closed" is the same with DeskAuthExternalSignup
# off. t/browser/external.mjs drives Chromium: a desktop hand-off (PKCE,
# loopback) that starts at "Continue with Upstream" on down's sign-in page
# and ends with the app's tokens (a new account, then the known identity),
# the takeover refusal and the link after the person proves the account,
# unverified upstream emails, linking and unlinking on the profile page,
# and the refusal of an unknown identity on "closed". Here: the audit rows
# the links left, and no crash in any server.
# Every server uses the run's database (SQLite or PostgreSQL).
# The upstream answers at http://localhost:PORT and the others at
# http://127.0.0.1:PORT: browsers keep cookies per host name, not per port,
# and both run mod_deskauth with the same cookie names.
# Skipped when mod_auth_openidc, node, Chromium or t/browser/node_modules
# are missing (tools/deps --test installs them).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest ();
use DeskAuthServer;
use DeskAuthNode;
use DeskAuthDB;
use DeskAuthForge qw(key_path slurp_file);
use JSON::PP ();
use File::Path qw(make_path);
use File::Spec;

my $OIDC_SO = '/usr/lib/apache2/modules/mod_auth_openidc.so';
my @missing = (DeskAuthNode::missing('playwright-core'), DeskAuthServer::missing(), DeskAuthDB::missing(),
               -f $OIDC_SO ? () : $OIDC_SO);
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test)' if @missing;

my $secret_file = key_path('client-secret.txt');
(my $secret = slurp_file($secret_file)) =~ s/\n\z//;
my $PATH = '/auth/external/upstream';

# A server of its own on the run's database (a fresh SQLite file or
# PostgreSQL schema).
sub server {
    my ($name) = @_;
    my $s = DeskAuthServer->new(name => $name);
    my $db = DeskAuthDB::fresh($name, $s->{params}) or BAIL_OUT("$name: no database");
    @$s{qw(driver params)} = @$db{qw(driver params)};
    return $s;
}

# --- the upstream provider ------------------------------------------------------------
my $up = server('upstream');
my $issuer = 'http://localhost:' . $up->port;
$up->{conf} = <<"CONF";
DeskAuthIssuer $issuer
DeskAuthClient down http://127.0.0.1$PATH/callback "name=Down Site" "secret=$secret_file" consent=never "scope=openid profile email"
${\ DeskAuthServer::oidc_locations()}
CONF
DeskAuthServer::spew($up->conf_file, $up->config);
$up->start or BAIL_OUT('upstream: ' . $up->why);

# --- the two servers that sign people in through it -----------------------------------
sub downstream {
    my ($name, $extra) = @_;
    my $s = server($name);
    my $base = $s->base;
    $s->{conf} = <<"CONF";
LoadModule auth_openidc_module "$OIDC_SO"
DeskAuthClient desk-app http://127.0.0.1/app/callback "name=Desk App"
DeskAuthExternalProvider upstream "Upstream" $PATH
$extra
OIDCProviderMetadataURL $issuer/.well-known/openid-configuration
OIDCClientID down
OIDCClientSecret "$secret"
OIDCRedirectURI $base$PATH/callback
OIDCCryptoPassphrase "external-test-$name"
OIDCScope "openid email profile"
OIDCPKCEMethod S256
OIDCCookie ${name}_oidc_session
OIDCStateCookiePrefix ${name}_oidc_state_
OIDCSessionType server-cache
<Location $PATH>
    AuthType openid-connect
    Require valid-user
    SetHandler deskauth-external
</Location>
CONF
    DeskAuthServer::spew($s->conf_file, $s->config);
    $s->start or BAIL_OUT("$name: " . $s->why);
    return $s;
}
my $down = downstream('down', '');
my $closed = downstream('closed', 'DeskAuthExternalSignup off');

# --- the people -------------------------------------------------------------------------
my $password = 'correct horse 1';
my %email = map { $_ => DeskAuthTest::unique_email() } qw(fresh taken unverified unverified_taken closed);
for my $who (qw(fresh taken closed)) {     # verified at the upstream
    my ($status, $out) = $up->ctl("$password\n", 'user', 'add', $email{$who}, '--cost', 4,
                                  '--first', 'Grace', '--last', 'Hopper', '--verified');
    BAIL_OUT("upstream user: $out") if $status;
}
for my $who (qw(unverified unverified_taken)) {
    $up->ctl_add_user($email{$who}, $password) or BAIL_OUT('upstream user: ' . $up->why);
}
# down already has accounts with two of these addresses (their own passwords)
my $own_password = 'another horse 2';
for my $who (qw(taken unverified_taken)) {
    $down->ctl_add_user($email{$who}, $own_password) or BAIL_OUT('down user: ' . $down->why);
}

my $args = JSON::PP->new->canonical->encode({
    upstream => $issuer, down => $down->base, closed => $closed->base, path => $PATH,
    password => $password, ownPassword => $own_password, email => \%email,
    shots => File::Spec->catdir(Apache::Test::vars('t_logs'), 'screenshots'),
});
make_path(File::Spec->catdir(Apache::Test::vars('t_logs'), 'screenshots'));
my $run = DeskAuthNode::run_script('external', $args);
plan tests => DeskAuthNode::count($run) + 5;
DeskAuthNode::report($run);

# --- what the servers recorded ----------------------------------------------------------------
my ($status, $audit) = $down->ctl(undef, 'audit', '--user', $email{taken});
like($audit, qr/external_linked/, "down's audit log: the upstream identity linked to the proved account")
    or diag($audit);
like($audit, qr/external_unlinked/, "down's audit log: and unlinked from the profile page");
($status, my $users) = $closed->ctl(undef, 'user', 'list');
unlike($users, qr/\Q$email{closed}\E/, 'DeskAuthExternalSignup off: no account was made for the unknown identity');
is_deeply([map { $_->crash_lines } $up, $down, $closed], [], 'no crash in any of the three servers');
unlike(join('', map { $_->error_log } $up, $down, $closed), qr/\Q$secret\E|\Q$password\E/,
       'no client secret or password in any log');
$_->stop for $down, $closed, $up;

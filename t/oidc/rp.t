# The second judge: mod_auth_openidc (Debian libapache2-mod-auth-openidc), as
# relying parties in httpds of their own, configured only with
# OIDCProviderMetadataURL pointing at our discovery and a confidential client.
# t/browser/rp.mjs drives Chromium: a page RP one protects sends it to our
# sign-in, it comes back and RP one's CGI sees OIDC_CLAIM_email; RP two
# (consent=never) signs the same browser in with no password; RP one's
# logout ends the session at our side (its refresh token stops working).
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
use DeskAuthForge qw(key_path slurp_file);
use File::Spec;

my $OIDC_SO = '/usr/lib/apache2/modules/mod_auth_openidc.so';
my @missing = (DeskAuthNode::missing(), -f $OIDC_SO ? () : $OIDC_SO);
plan skip_all => 'needs ' . join(', ', @missing) . ' (tools/deps --test)' if @missing;

my $secret_file = key_path('client-secret.txt');
my $sso_file = key_path('sso-secret.txt');
my %secret = (one => slurp_file($secret_file), two => slurp_file($sso_file));
s/\n\z// for values %secret;

# --- the provider: a mod_deskauth of its own, its issuer its own URL ----------------------
my $op = DeskAuthServer->new(name => 'op', conf => '');
my $issuer = $op->base;
$op->{conf} = <<"CONF";
DeskAuthIssuer $issuer
DeskAuthClient rp-one http://127.0.0.1/protected/redirect_uri "name=RP One" "secret=$secret_file" post-logout=http://127.0.0.1/loggedout.html "scope=openid profile email offline_access"
DeskAuthClient rp-two http://127.0.0.1/protected/redirect_uri "name=RP Two" "secret=$sso_file" consent=never
${\ DeskAuthServer::oidc_locations()}
CONF
DeskAuthServer::spew($op->conf_file, $op->config);
$op->start or BAIL_OUT('provider: ' . $op->why);
my $email = DeskAuthTest::unique_email();
my $password = 'correct horse 1';
$op->ctl_add_user($email, $password) or BAIL_OUT('provider user: ' . $op->why);

# --- two relying parties ---------------------------------------------------------------------------
sub relying_party {
    my ($name, $client, $secret) = @_;
    my $rp = DeskAuthServer->new(name => "rp-$name");
    my $base = $rp->base;
    my $cgi = File::Spec->rel2abs("$FindBin::Bin/../cgi-bin/oidc-env");
    $rp->{conf} = DeskAuthServer::load('cgid') . DeskAuthServer::load('alias') . <<"CONF";
LoadModule auth_openidc_module "$OIDC_SO"
OIDCProviderMetadataURL $issuer/.well-known/openid-configuration
OIDCClientID $client
OIDCClientSecret "$secret"
OIDCRedirectURI $base/protected/redirect_uri
OIDCCryptoPassphrase "rp-test-passphrase-$name"
OIDCScope "openid email profile offline_access"
OIDCPassRefreshToken On
OIDCPKCEMethod S256
# both RPs live on 127.0.0.1 (cookies ignore ports): a session cookie each
OIDCCookie rp_session_$name
OIDCStateCookiePrefix rp_state_${name}_
OIDCSessionType server-cache
OIDCCookieSameSite On
ScriptSock "${\ $rp->dir}/run/cgid.sock"
ScriptAlias /protected/env "$cgi"
<Location /protected/>
    AuthType openid-connect
    Require valid-user
</Location>
CONF
    DeskAuthServer::spew("${\ $rp->dir}/htdocs/loggedout.html", "<!doctype html><title>bye</title><p>Logged out of RP $name\n");
    DeskAuthServer::spew($rp->conf_file, $rp->config);
    return $rp;
}
my $one = relying_party('one', 'rp-one', $secret{one});
my $two = relying_party('two', 'rp-two', $secret{two});
for my $rp ($one, $two) {
    # mod_auth_openidc answers /protected/ with a 302 to the provider, not
    # the 401 DeskAuthServer->start waits for: start it by hand.
    my $out = `"${\ DeskAuthServer::httpd()}" -t -f "${\ $rp->conf_file}" -d "${\ $rp->dir}" 2>&1`;
    BAIL_OUT("relying party configuration: $out") if $?;
    $rp->start_any or BAIL_OUT('relying party: ' . $rp->why);
}

# --- Chromium through both ---------------------------------------------------------------------------------
my $run = DeskAuthNode::run_script('rp', $issuer, $one->base, $two->base, $email, $password, $secret{one});
plan tests => DeskAuthNode::count($run) + 2;
DeskAuthNode::report($run);
is_deeply([$op->crash_lines, $one->crash_lines, $two->crash_lines], [], 'no crash in any of the three servers');
unlike($op->error_log, qr/\Q$secret{one}\E|\Q$secret{two}\E/, 'no client secret in the provider\'s log');
$_->stop for $one, $two, $op;

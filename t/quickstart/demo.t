# The demo of the README (tools/demo) works with the examples as their
# READMEs say: started from the configuration `tools/demo config` writes,
# it calls itself http://localhost:PORT (issuer, passkey RP ID: browsers
# refuse passkeys on an IP address), and its authorization endpoint accepts
# the Electron example's client id with each of the example's redirect URIs
# (read from examples/electron/main.js), where an unregistered client gets
# "This app is not registered".
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthDemo;
use DeskAuthOAuth qw(pkce_pair password_form);
use DeskAuthServer ();
use JSON::PP ();
use URI ();

plan skip_all => 'needs ' . join(', ', DeskAuthServer::missing()) if DeskAuthServer::missing();

my $top = DeskAuthServer::top_dir();
my $main_js = DeskAuthServer::slurp("$top/examples/electron/main.js");
my ($client_id) = $main_js =~ /^\s*clientId:\s*'([^']+)'/m;
my ($scheme_uri) = $main_js =~ /^\s*redirectUri:\s*'([^']+)'/m;
my ($loopback_path) = $main_js =~ /^\s*loopbackPath:\s*'([^']+)'/m;

plan tests => 13;

ok($client_id && $scheme_uri && $loopback_path,
   'main.js names its client id, custom-scheme redirect URI and loopback path')
    or diag("client_id=" . ($client_id // '') . " redirect=" . ($scheme_uri // ''));
my $demo = DeskAuthDemo->start;
ok($demo, 'the demo configuration (tools/demo config) starts') or diag(DeskAuthDemo::why());
BAIL_OUT('no demo server') unless $demo;
my $base = $demo->base;

my $ua = DeskAuthDemo::browser();
my $meta = eval { JSON::PP->new->decode($ua->get("$base/.well-known/openid-configuration")->content) } || {};
is($meta->{issuer}, $base, 'the demo calls itself http://localhost:PORT (DeskAuthIssuer)');
my $options = $ua->post("$base/auth/passkey/login/options", Origin => $base,
                        'Content-Type' => 'application/json', Accept => 'application/json', Content => '{}');
my $rp = eval { JSON::PP->new->decode($options->content) } || {};
is($rp->{rpId}, 'localhost', 'passkeys: the relying party is localhost, which browsers accept');

# GET the authorization request of CLIENT with REDIRECT as a browser does.
sub authorize {
    my ($client, $redirect) = @_;
    my (undef, $challenge) = pkce_pair();
    my $u = URI->new("$base/auth/login");
    $u->query_form(client_id => $client, redirect_uri => $redirect, response_type => 'code',
                   state => 'quickstart', code_challenge => $challenge, code_challenge_method => 'S256');
    return DeskAuthDemo::browser()->get($u);
}

for my $redirect ($scheme_uri, "http://127.0.0.1:49152$loopback_path") {
    my $page = authorize($client_id, $redirect);
    is($page->code, 200, "$client_id with $redirect: the sign-in page");
    unlike($page->decoded_content, qr/not registered|does not know/, '... not "This app is not registered"');
    ok(password_form($page->content) && $page->decoded_content =~ /Example Desk/,
       '... a sign-in form for "Example Desk"');
}
my $stranger = authorize('com.example.unknown', $scheme_uri);
is($stranger->code, 400, 'an unregistered client id is refused (400)');
like($stranger->decoded_content, qr/This app is not registered/, '... with "This app is not registered"');
is_deeply([$demo->crash_lines], [], 'no child crashed');

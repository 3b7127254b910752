# A <VirtualHost> with DeskAuth directives of its own (t/conf/extra.conf.in,
# "deskauth_vhost"): its own signing key (RS256, kid vhost-rsa), issuer, site
# name and a handler URL of its own, over the main server's database.
#
#   - tokens: a token the virtual host signs works there and not on the main
#     server, and the other way round (keys and issuer per server);
#   - keys: each server's JWKS publishes its own keys only;
#   - pages: the sign-in page at the virtual host's own URL, with its name;
#   - mounts: /v/profile (mounted only there) serves the profile and its
#     /resume subpath;
#   - module-wide state: no child re-creates the schema on a request to the
#     virtual host (it did once per child when the schema-ready flag sat on
#     the per-vhost configuration).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use JSON::PP ();
use MIME::Base64 ();
use DeskAuthTest;

plan tests => 22;

my $JSON = JSON::PP->new->utf8;
my $mark = -s error_log_path();

# The decoded header and claims of a JWT.
sub jwt_parts {
    my ($tok) = @_;
    my @p = split /\./, $tok // '';
    return map {
        my $b = $_ // '';
        $b =~ tr{-_}{+/};
        $b .= '=' x ((4 - length($b) % 4) % 4);
        eval { $JSON->decode(MIME::Base64::decode_base64($b)) } || {};
    } @p[0, 1];
}

# Run CODE with requests going to SERVER ('main' or 'vhost').
sub on {
    my ($server, $code) = @_;
    my $old = Apache::TestRequest::module();
    Apache::TestRequest::module($server eq 'vhost' ? 'deskauth_vhost' : 'default');
    my @r = $code->();
    Apache::TestRequest::module($old);
    return wantarray ? @r : $r[0];
}

sub kids { my ($jwks) = @_; return join ',', sort map { $_->{kid} } @{ $jwks->{keys} || [] } }

# --- tokens -------------------------------------------------------------------
my (undef, undef, $f) = register_user();
my ($res, $main) = on(main => sub { login_user($f->{email}, $f->{password}) });
is($res->code, 200, 'sign-in on the main server');
my ($vres, $vhost) = on(vhost => sub {
    json_req(POST => '/v/login', {email => $f->{email}, password => $f->{password}}) });
is($vres->code, 200, 'sign-in at the virtual host\'s own login URL, same database');
my ($vh, $vc) = jwt_parts($vhost->{tokens}{accessToken});
is($vh->{alg}, 'RS256', 'the virtual host signs with its own algorithm');
is($vh->{kid}, 'vhost-rsa', '... and its own key');
is($vc->{iss}, 'https://vhost.deskauth.test', '... and its own issuer');
my (undef, $mc) = jwt_parts($main->{tokens}{accessToken});
my (undef, $meta) = on(main => sub { json_req(GET => '/.well-known/oauth-authorization-server') });
is($mc->{iss}, $meta->{issuer} // 'none', 'the main server keeps its own issuer');

my $get = sub {
    my ($server, $path, $token) = @_;
    return (on($server => sub { json_req(GET => $path, undef, bearer($token)) }))[0]->code;
};
is($get->(vhost => '/protected/', $vhost->{tokens}{accessToken}), 200, 'vhost token on the vhost: 200');
is($get->(main => '/protected/', $vhost->{tokens}{accessToken}), 401, 'vhost token on the main server: 401');
is($get->(vhost => '/protected/', $main->{tokens}{accessToken}), 401, 'main token on the vhost: 401');
is($get->(main => '/protected/', $main->{tokens}{accessToken}), 200, 'main token on the main server: 200');

# --- keys -----------------------------------------------------------------------
my (undef, $vjwks) = on(vhost => sub { json_req(GET => '/.well-known/jwks.json') });
my (undef, $mjwks) = on(main => sub { json_req(GET => '/.well-known/jwks.json') });
is(kids($vjwks), 'vhost-rsa', 'the vhost publishes its key only');
like(kids($mjwks), qr/\btest-es256\b/, 'the main server publishes its own key');
unlike(kids($mjwks), qr/vhost-rsa/, '... and not the vhost\'s');

# --- pages ----------------------------------------------------------------------
my $page = on(vhost => sub { browser()->get(url('/v/login')) });
is($page->code, 200, 'the sign-in page at the vhost URL');
like($page->content, qr/DeskAuth Vhost/, '... with the vhost\'s site name');
ok(defined csrf_from($page->content), '... and its form');
my $mpage = on(main => sub { browser()->get(url('/auth/login')) });
unlike($mpage->content, qr/DeskAuth Vhost/, 'the main server\'s page keeps its name');

# --- mounts ---------------------------------------------------------------------
my ($pres, $profile) = on(vhost => sub {
    json_req(GET => '/v/profile', undef, bearer($vhost->{tokens}{accessToken})) });
is($pres->code, 200, 'the profile at the vhost-only URL');
is($profile->{data}{user}{email}, lc $f->{email}, '... is the signed-in user\'s');
my ($rres, $rjson) = on(vhost => sub {
    json_req(GET => '/v/profile/resume', undef, bearer($vhost->{tokens}{accessToken})) });
is($rres->code, 404, 'its /resume subpath is found (no resume yet: 404)');
is($rjson->{error}, 'not_found', '... with the JSON error');

# --- module-wide state ------------------------------------------------------------
# Several requests per server, so every child likely served the vhost.
on(vhost => sub { json_req(GET => '/.well-known/jwks.json') for 1 .. 20 });
unlike(error_log_since($mark), qr/DA00440: .*on a request/,
       'no child re-created the schema for the virtual host');

# Open redirects at the authorization endpoint (interface.md, Desktop hand-off step 1:
# redirect URIs compare as exact strings; RFC 6749 §3.1.2, RFC 8252 §7.3,
# RFC 9700 §4.1): every redirect URI that is not exactly a registered one
# (loopback: any valid port) gets a 400 error page, no Location, and the page
# never links to it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use HTML::Entities qw(decode_entities);
use URI::Escape qw(uri_escape_utf8 uri_unescape);

# redirect_uri for client example-app (registered: com.example.app:/oauth2redirect,
# http://127.0.0.1/callback, http://[::1]/callback).
my @pkce_uris = (
    'HTTP://127.0.0.1/callback',                          # scheme case
    'Http://127.0.0.1:8080/callback',
    'COM.EXAMPLE.APP:/oauth2redirect',
    'http://127.0.0.1/Callback',                          # path case
    'http://127.0.0.1/callback/extra',                    # extra path
    'http://127.0.0.1/callbackx',
    'com.example.app:/oauth2redirect/evil',
    'http://127.0.0.1/callback/',                         # trailing slash
    'com.example.app:/oauth2redirect/',
    'http://127.0.0.1/x/../callback',                     # dot segments
    'http://127.0.0.1/./callback',
    'http://127.0.0.1/callback/..',
    'com.example.app:/x/../oauth2redirect',
    'http://127.0.0.1/callback?x=1',                      # added query
    'http://127.0.0.1:54321/callback?next=https://evil.example/',
    'com.example.app:/oauth2redirect?x=1',
    'http://127.0.0.1/callback#frag',                     # fragment
    'com.example.app:/oauth2redirect#',
    "http://127.0.0.1/callback\r\nSet-Cookie: x=1",       # CRLF
    "http://127.0.0.1/callback\r\nLocation: https://evil.example/",
    "http://127.0.0.1/callback\0",                        # NUL
    'http://evil@127.0.0.1/callback',                     # userinfo
    'http://127.0.0.1@evil.example/callback',
    'http://127.0.0.1:54321@evil.example/callback',
    'http://127.0.0.1.evil.com/callback',                 # look-alike hosts
    'http://127.0.0.1.nip.io/callback',
    'http://localhost/callback',
    'http://localhost:54321/callback',
    'http://127.0.0.2/callback',
    'http://127.1/callback',
    'http://2130706433/callback',
    'http://[::ffff:127.0.0.1]/callback',
    'http://[0:0:0:0:0:0:0:1]/callback',
    'http://[::1]evil.example/callback',
    'http://127.0.0.1\\callback',                         # backslashes
    'http://127.0.0.1\\@evil.example/callback',
    'http:\\\\127.0.0.1\\callback',
    'http://127.0.0.1/%63allback',                        # percent-encoded
    'http://127.0.0.1:54321/%63allback',
    'http://127.0.0.1%2fcallback',
    'com.example.app:%2Foauth2redirect',
    'javascript:alert(1)',                                # script and data
    'javascript://127.0.0.1/callback%0aalert(1)',
    'data:text/html,<script>alert(1)</script>',
    '//evil.example/callback',                            # scheme-relative
    '//127.0.0.1/callback',
    'https://127.0.0.1/callback',                         # other scheme
    'https://evil.example/callback',
    'ftp://127.0.0.1/callback',
    'http:/127.0.0.1/callback',
    'http:127.0.0.1/callback',
    'http://127.0.0.1:0/callback',                        # malformed ports
    'http://127.0.0.1:65536/callback',
    'http://127.0.0.1:99999/callback',
    'http://127.0.0.1:080/callback',
    'http://127.0.0.1:+1/callback',
    'http://127.0.0.1:-1/callback',
    'http://127.0.0.1:1x/callback',
    'http://127.0.0.1:54321:1/callback',
    'http://[::1]:0/callback',
    'http://[::1]:65536/callback',
    'http://127.0.0.1',                                   # no path
    'http://127.0.0.1:54321',
    ' http://127.0.0.1/callback',                         # spaces
    'http://127.0.0.1/callback ',
    'equatorschatbot://auth/callback',                    # another client's URIs
    'myapp://auth/callback',
    '',                                                   # empty
);

# redirect= (compatibility, interface.md, Desktop hand-off) for equatorschatbot://auth/callback.
my @compat_uris = (
    'EQUATORSCHATBOT://auth/callback',
    'equatorschatbot://AUTH/callback',
    'equatorschatbot://auth/Callback',
    'equatorschatbot://auth/callback/extra',
    'equatorschatbot://auth/callback/',
    'equatorschatbot://auth/x/../callback',
    'equatorschatbot://auth/./callback',
    'equatorschatbot://auth/callback?x=1',
    'equatorschatbot://auth/callback#frag',
    "equatorschatbot://auth/callback\r\nSet-Cookie: x=1",
    "equatorschatbot://auth/callback\0",
    'equatorschatbot://evil@auth/callback',
    'equatorschatbot://auth.evil.com/callback',
    'equatorschatbot://auth:1/callback',
    'equatorschatbot:/auth/callback',
    'equatorschatbot:auth/callback',
    'equatorschatbot://auth/%63allback',
    'equatorschatbot://auth\\callback',
    'equatorschatbotx://auth/callback',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '//evil.example/callback',
    'https://evil.example/callback',
    'com.example.app:/oauth2redirect',                    # registered, but not token-redirect
    'http://127.0.0.1/callback',
    'http://127.0.0.1:54321/callback',
    'myapp://auth/callback',
    ' equatorschatbot://auth/callback',
    '',
);

# Whole requests: [name, query pairs, the URI the page must not link to].
my ($V, $C) = pkce_pair();
my @pkce_base = (response_type => 'code', state => 'xyz', code_challenge => $C, code_challenge_method => 'S256');
my @requests = (
    (map { ["redirect_uri=" . shown($_), [client_id => 'example-app', redirect_uri => $_, @pkce_base], $_] } @pkce_uris),
    ['an unregistered client_id with a registered loopback URI',
     [client_id => 'evil-app', redirect_uri => 'http://127.0.0.1/callback', @pkce_base], 'http://127.0.0.1/callback'],
    ['an unregistered client_id with a registered private-use URI',
     [client_id => 'evil-app', redirect_uri => 'com.example.app:/oauth2redirect', @pkce_base], 'com.example.app:/oauth2redirect'],
    ['client_id in another case (Example-App)',
     [client_id => 'Example-App', redirect_uri => 'http://127.0.0.1/callback', @pkce_base], 'http://127.0.0.1/callback'],
    ['no client_id, a registered redirect_uri',
     [redirect_uri => 'http://127.0.0.1:54321/callback', @pkce_base], 'http://127.0.0.1:54321/callback'],
    ['client_id equatorschatbot with example-app\'s URI',
     [client_id => 'equatorschatbot', redirect_uri => 'com.example.app:/oauth2redirect', @pkce_base], 'com.example.app:/oauth2redirect'],
    ['client_id pkce-only with equatorschatbot\'s URI',
     [client_id => 'pkce-only', redirect_uri => 'equatorschatbot://auth/callback', @pkce_base], 'equatorschatbot://auth/callback'],
    ['redirect_uri twice, the attacker\'s first (RFC 6749 §3.1)',
     [client_id => 'example-app', redirect_uri => 'https://evil.example/cb', redirect_uri => 'http://127.0.0.1/callback', @pkce_base],
     'https://evil.example/cb'],
    ['redirect_uri twice, the attacker\'s second (RFC 6749 §3.1)',
     [client_id => 'example-app', redirect_uri => 'http://127.0.0.1/callback', redirect_uri => 'https://evil.example/cb', @pkce_base],
     'https://evil.example/cb'],
    (map { ["redirect=" . shown($_), [redirect => $_], $_] } @compat_uris),
    ['redirect= with client_id=example-app and a loopback URI (no token-redirect)',
     [client_id => 'example-app', redirect => 'http://127.0.0.1/callback'], 'http://127.0.0.1/callback'],
    ['redirect twice, the attacker\'s second',
     [redirect => 'equatorschatbot://auth/callback', redirect => 'https://evil.example/cb'], 'https://evil.example/cb'],
);

plan tests => 4 * 2 * @requests + 2 + 3;

sub shown {
    my ($s) = @_;
    $s =~ s/([\x00-\x1f])/sprintf '%%%02x', ord $1/ge;
    return length $s ? $s : '(empty)';
}

# Does VALUE (a URL attribute of the page) point at the attacker URI?
sub points_at {
    my ($value, $uri) = @_;
    return 0 unless length $uri;
    for my $v ($value, uri_unescape($value), decode_entities(uri_unescape($value))) {
        return 1 if index($v, $uri) >= 0;
        (my $trim = $uri) =~ s/^\s+|\s+$//g;
        return 1 if length $trim > 3 && index(lc $v, lc $trim) == 0;
    }
    return 0;
}

my (undef, undef, $fields) = register_user();
my $signed_in = browser();
my $sres = web_sign_in($signed_in, $fields->{email}, $fields->{password});
my $signed_out = browser();

for my $case (@requests) {
    my ($name, $pairs, $attacker) = @$case;
    my $u = authorize_url(@$pairs);
    for my $who (['signed out', $signed_out], ['signed in', $signed_in]) {
        my $res = get_page($who->[1], $u);
        my $html = $res->content;
        is($res->code, 400, "$name ($who->[0]): 400 error page")
            or diag(substr($html, 0, 1500));
        ok(!defined $res->header('Location') && !defined $res->header('Refresh'),
           "$name ($who->[0]): no Location or Refresh header");
        is_deeply([grep { points_at($_, $attacker) } url_attrs($html)], [],
                  "$name ($who->[0]): no href/src/action of the page points at the redirect URI");
        is_deeply([nonlocal_links($html)], [], "$name ($who->[0]): the error page links only to this site");
    }
}

# header injection, seen from the response headers themselves
{
    my $res = get_page($signed_out, authorize_url(client_id => 'example-app',
        redirect_uri => "http://127.0.0.1/callback\r\nSet-Cookie: x=1", @pkce_base));
    unlike(join("\n", $res->header('Set-Cookie')), qr/(?:^|\n)\s*x=1/, 'CRLF in redirect_uri injects no Set-Cookie');
    $res = get_page($signed_out, url('/auth/login') . '?redirect=' . uri_escape_utf8("equatorschatbot://auth/callback\r\nSet-Cookie: x=1"));
    unlike(join("\n", $res->header('Set-Cookie')), qr/(?:^|\n)\s*x=1/, 'CRLF in redirect= injects no Set-Cookie');
}

# the registered URIs themselves are accepted (the refusals above are not blanket refusals)
{
    ok($sres && $sres->code == 303, 'setup: the browser signed in');
    my $res = get_page($signed_out, authorize_url(client_id => 'example-app', redirect_uri => 'http://127.0.0.1:54321/callback', @pkce_base));
    is($res->code, 200, 'control: the registered loopback URI on any port is accepted (sign-in page)');
    $res = get_page($signed_out, authorize_url(client_id => 'example-app', redirect_uri => 'http://[::1]/callback', @pkce_base));
    is($res->code, 200, 'control: the registered [::1] loopback URI without a port is accepted (sign-in page)');
}

# The request's Host header (and the absolute-URI request line, and the
# X-Forwarded-* headers) never reaches a URL the module emits: the metadata
# (cached publicly), the connection file, the links in mails, the device
# grant's verification URIs, and the Origin check all follow DeskAuthIssuer (docs/behaviour.md "Public origin").
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthMail;
use IO::Socket::INET;
use JSON::PP ();
use URI;
use LWP::UserAgent;

my $ORIGIN = origin();                    # t/conf/extra.conf.in: DeskAuthIssuer
my $BASE = URI->new(url(q{/}));
my ($HOST, $PORT) = ($BASE->host, $BASE->port);
my $META = '/.well-known/oauth-authorization-server';

# Hosts an attacker may send, as header lists (and the request target).
my @forged = (
    ['Host: evil.example', $META, Host => 'evil.example'],
    ['Host: evil.example:8443 (with a port)', $META, Host => 'evil.example:8443'],
    ['Host: our name on another port', $META, Host => "$HOST:1"],
    ['an absolute-URI request line naming evil.example', "http://evil.example$META",
        Host => "$HOST:$PORT"],
    ['an absolute-URI request line with a port and no Host match', "http://evil.example:8443$META",
        Host => 'evil.example:8443'],
    ['X-Forwarded-Host, X-Forwarded-Proto and Forwarded', $META, Host => "$HOST:$PORT",
        'X-Forwarded-Host' => 'evil.example', 'X-Forwarded-Proto' => 'https',
        'Forwarded' => 'host=evil.example;proto=https'],
);

plan tests => 5 + 3 * @forged + 3 * 3 + 3 + 4 + 3 * @forged;

# One raw HTTP/1.1 GET (so that the request line and Host are ours):
# (status, lower-cased headers joined by ", ", body).
sub raw_get {
    my ($target, @h) = @_;
    return raw_request(GET => $target, undef, @h);
}

# The same with any method, and a form-encoded BODY when defined.
sub raw_request {
    my ($method, $target, $body, @h) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $PORT, Timeout => 15)
        or return (0, {}, '');
    my $req = "$method $target HTTP/1.1\r\n";
    while (my ($k, $v) = splice @h, 0, 2) { $req .= "$k: $v\r\n" }
    $req .= "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
          . length($body) . "\r\n" if defined $body;
    print $sock $req, "Accept: application/json\r\nConnection: close\r\n\r\n", $body // '';
    my $resp = do { local $/; <$sock> } // '';
    close $sock;
    my ($head, $content) = split /\r\n\r\n/, $resp, 2;
    my ($status) = ($head // '') =~ m{\AHTTP/1\.\d (\d{3})};
    my %h;
    for (split /\r\n/, $head // '') {
        next unless /^([^:]+):\s*(.*)\z/;
        $h{lc $1} = exists $h{lc $1} ? "$h{lc $1}, $2" : $2;
    }
    return ($status // 0, \%h, $content // '');
}

sub endpoints_ok {
    my ($body) = @_;
    my $m = eval { JSON::PP->new->decode($body) };
    return 0 unless ref $m eq 'HASH';
    my @urls = map { $m->{$_} // '' } qw(authorization_endpoint token_endpoint revocation_endpoint jwks_uri);
    return 4 == grep { index($_, "$ORIGIN/") == 0 } @urls;
}

# --- the metadata -----------------------------------------------------------------------
my ($st, $h, $baseline) = raw_get($META, Host => "$HOST:$PORT");
is($st, 200, 'metadata with our own Host is 200');
ok(endpoints_ok($baseline), "metadata endpoints start with DeskAuthIssuer ($ORIGIN)") or diag $baseline;
is($h->{'cache-control'}, 'public, max-age=300', 'metadata: one Cache-Control, public for five minutes');
ok(!exists $h->{pragma} && ($h->{'cache-control'} // '') !~ /no-store|no-cache|private/,
   'metadata: no Pragma no-cache or no-store contradicts it') or diag explain $h;
my (undef, $jh) = raw_get('/.well-known/jwks.json', Host => "$HOST:$PORT");
ok(($jh->{'cache-control'} // '') eq 'public, max-age=300' && !exists $jh->{pragma},
   'the JWKS has the same, consistent cache headers');

for my $f (@forged) {
    my ($name, $target, @hdr) = @$f;
    my ($s, undef, $body) = raw_get($target, @hdr);
    is($s, 200, "metadata with $name: 200");
    ok(endpoints_ok($body), "metadata with $name: endpoints on DeskAuthIssuer") or diag $body;
    ok($body eq $baseline && $body !~ /evil|:8443|:1\//,
       "metadata with $name: the very same document (what a cache keeps is right for everyone)");
}

# --- the connection file ------------------------------------------------------------------
# LWP's cookie jar goes by the Host header: with a forged one, the browser's
# cookies are sent by hand, as a browser tricked by DNS rebinding would not
# even do (it keeps cookies by the name in its address bar).
my $raw = LWP::UserAgent->new(max_redirect => 0, timeout => 30, cookie_jar => undef);
sub cookies_of {
    my ($ua) = @_;
    my @c;
    $ua->cookie_jar->scan(sub { push @c, "$_[1]=$_[2]" });
    return join '; ', @c;
}
my (undef, undef, $fields) = register_user();
my $b = browser();
web_sign_in($b, $fields->{email}, $fields->{password});
for my $hdr (['Host: evil.example', Host => 'evil.example'],
             ['Host: evil.example:8443', Host => 'evil.example:8443'],
             ['X-Forwarded-Host: evil.example', 'X-Forwarded-Host' => 'evil.example',
                 'X-Forwarded-Proto' => 'https']) {
    my ($name, @extra) = @$hdr;
    my $csrf = csrf_from($b->get(url('/api/auth/profile'), Accept => 'text/html')->decoded_content);
    my $res = $raw->post(url('/auth/callback'), [action => 'file', client_id => 'example-app', csrf => $csrf // ''],
                         Origin => $ORIGIN, Accept => 'text/html', Cookie => cookies_of($b), @extra);
    my $j = decode_json_or_undef($res->content) // {};
    is($res->code, 200, "connection file with $name: 200") or diag $res->content;
    is($j->{server}, $ORIGIN, "connection file with $name: server is DeskAuthIssuer");
    is($j->{tokenEndpoint}, "$ORIGIN/auth/token", "connection file with $name: tokenEndpoint on DeskAuthIssuer");
}

# --- links in mails -----------------------------------------------------------------------
sub mail_link_ok {
    my ($email, $subject, $path, $name) = @_;
    my $mail = wait_mail(lc $email, $subject);
    my $link = $mail ? mail_link($mail, $path) : undef;
    ok(defined $link && index($link, "$ORIGIN$path?token=") == 0, $name) or diag $link // 'no mail';
}
{
    json_req(POST => '/auth/reset', { email => $fields->{email} }, Host => 'evil.example');
    mail_link_ok($fields->{email}, qr/reset/i, '/auth/reset',
                 'reset mail asked with Host: evil.example links to DeskAuthIssuer');
    my (undef, undef, $other) = register_user();
    json_req(POST => '/auth/reset', { email => $other->{email} }, 'X-Forwarded-Host' => 'evil.example',
             'X-Forwarded-Proto' => 'https');
    mail_link_ok($other->{email}, qr/reset/i, '/auth/reset',
                 'reset mail asked with X-Forwarded-Host links to DeskAuthIssuer');
    my $email = unique_email();
    json_req(POST => '/auth/register', { email => $email, password => 'correct horse 1',
             firstName => 'Host', lastName => 'Header' }, Host => 'evil.example:8443');
    mail_link_ok($email, qr/Confirm/, '/auth/verify',
                 'verification mail of a sign-up with Host: evil.example:8443 links to DeskAuthIssuer');
}

# --- the Origin check follows DeskAuthIssuer too --------------------------------------------
# DNS rebinding: the browser is on evil.example, which resolves to us, so
# Host and Origin agree with each other; neither is this site.
{
    my $form = sub {
        my (@h) = @_;
        my $ua = browser();
        my $csrf = csrf_from($ua->get(url('/auth/login'))->decoded_content);
        return $raw->post(url('/auth/login'), [email => $fields->{email}, password => $fields->{password},
                          csrf => $csrf // ''], Accept => 'text/html', Cookie => cookies_of($ua), @h);
    };
    is($form->(Host => 'evil.example', Origin => 'http://evil.example')->code, 403,
       'sign-in form with Host and Origin both evil.example is 403');
    is($form->(Host => "evil.example:$PORT", Origin => "http://evil.example:$PORT")->code, 403,
       'sign-in form with Host and Origin both evil.example:PORT is 403');
    is($form->(Origin => "https://$HOST:$PORT")->code, 403,
       'sign-in form with our host but the https scheme as Origin is 403');
    is($form->(Host => 'evil.example', Origin => $ORIGIN)->code, 303,
       'control: our own Origin passes whatever the Host header says');
}

# --- the device grant's verification URIs -------------------------------------------------
# The TV shows them (and their QR code) to the person: a forged Host must not
# send that person to the attacker's page to type the code there.
for my $f (@forged) {
    my ($name, $target, @hdr) = @$f;
    (my $device = $target) =~ s/\Q$META\E\z/\/auth\/device/;
    my ($s, undef, $body) = raw_request(POST => $device, 'client_id=tv-app', @hdr);
    my $j = eval { JSON::PP->new->decode($body) };
    $j = {} unless ref $j eq 'HASH';
    is($s, 200, "device authorization with $name: 200") or diag $body;
    is($j->{verification_uri} // '', "$ORIGIN/auth/device",
       "device authorization with $name: verification_uri on DeskAuthIssuer");
    is($j->{verification_uri_complete} // '', "$ORIGIN/auth/device?user_code=" . ($j->{user_code} // 'none'),
       "device authorization with $name: verification_uri_complete on DeskAuthIssuer");
}

# The device authorization grant (RFC 8628) over HTTP on the main test
# server: the device's request, the approval pages in a browser (LWP), the
# token endpoint's answers while polling, and the attacks of RFC 8628 §5
# (a device code is useless without the approval, a user code is approved
# once, CSRF on Allow / Deny, replayed device codes). Rate limits and expiry
# need settings of their own: t/device/limits.t.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthDevice;
use File::Temp ();
use Time::HiRes qw(sleep);

plan tests => 76;

my $log_start = -s error_log_path() // 0;
my @user_codes;
sub start { my ($res, $j) = device_start(undef, @_); push @user_codes, $j->{user_code} if ref $j && $j->{user_code}; return ($res, $j) }
sub err_is {
    my ($res, $json, $status, $error, $name) = @_;
    ok($res->code == $status && ref $json eq 'HASH' && ($json->{error} // '') eq $error
       && length($json->{error_description} // ''), "$name: $status $error")
        or diag($res->code . ' ' . $res->content);
}

# --- the device's request (RFC 8628 §3.1, §3.2) ------------------------------
{
    my ($res, $j) = start();
    is($res->code, 200, 'device_authorization_request_is_200');
    like($res->header('Content-Type') // '', qr{^application/json}, 'answer is JSON');
    like($res->header('Cache-Control') // '', qr/no-store/, 'answer has Cache-Control: no-store');
    like($j->{device_code} // '', qr/^[A-Za-z0-9_-]{43,}$/, 'device_code is opaque, >= 256 bits');
    like($j->{user_code} // '', qr/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/,
         'user_code is XXXX-XXXX from the 20-letter alphabet');
    is($j->{verification_uri}, url('/auth/device'), 'verification_uri is the absolute URL of the handler');
    is($j->{verification_uri_complete}, url('/auth/device') . "?user_code=$j->{user_code}",
       'verification_uri_complete carries the user code');
    is($j->{expires_in}, 600, 'expires_in is DeskAuthDeviceCodeTTL (600)');
    is($j->{interval}, 5, 'interval is 5');
    my ($res2, $j2) = start();
    isnt($j2->{user_code}, $j->{user_code}, 'two requests get two user codes');
}
{
    my ($res, $j) = start(client_id => undef);
    err_is($res, $j, 400, 'invalid_request', 'missing client_id');
    ($res, $j) = start(client_id => 'nobody-app');
    err_is($res, $j, 401, 'invalid_client', 'unknown client');
    ($res, $j) = start(client_id => 'pkce-only');
    err_is($res, $j, 400, 'unauthorized_client', 'client without device=on');
    ($res, $j) = start(scope => "openid\x01");
    err_is($res, $j, 400, 'invalid_scope', 'scope with a control character');
    for my $name ('x' x 101, "TV \xe9 room", "\xe3\x83\x86" x 40 . "\xe3\x83", "a\x01b") {
        ($res, $j) = start(device_name => $name);
        is($res->code, 200, 'a long, Latin-1, cut or control-character device_name is cleaned, not refused');
    }
    ($res, $j) = json_req(POST => '/auth/device', { client_id => 'tv-app' });
    is($res->code, 415, 'a JSON body is 415 (the request is a form, RFC 8628 §3.1)');
    is(ref $j && $j->{error}, 'unsupported_media_type', '... with the error shape');
    ($res, $j) = json_req(DELETE => '/auth/device');
    ok($res->code == 405 && ($res->header('Allow') // '') =~ /POST/, 'DELETE is 405 with Allow');
}

# --- polling before approval ---------------------------------------------------
my ($pa, $pb);
{
    my ($res, $a) = start();
    my ($res2, $b) = start(client_id => 'cli-app');
    ($pa, $pb) = ($a, $b);
    my ($r, $j) = device_poll(undef, $a->{device_code});
    err_is($r, $j, 400, 'authorization_pending', 'first poll before approval');
    ($r, $j) = device_poll(undef, $b->{device_code}, 'cli-app');
    err_is($r, $j, 400, 'authorization_pending', 'first poll of another device code');
    ($r, $j) = device_poll(undef, $b->{device_code}, 'cli-app');
    err_is($r, $j, 400, 'slow_down', 'a second poll at once');
    ($r, $j) = device_poll(undef, $a->{device_code}, 'cli-app');
    err_is($r, $j, 400, 'invalid_grant', 'a device code presented by another client');
    sleep 5.2;
    ($r, $j) = device_poll(undef, $a->{device_code});
    err_is($r, $j, 400, 'authorization_pending', 'a poll after waiting the interval (5 s)');
    ($r, $j) = device_poll(undef, $b->{device_code}, 'cli-app');
    err_is($r, $j, 400, 'slow_down', 'after slow_down the interval grew to 10 s (5.2 s is too fast)');
    ($r, $j) = device_poll(undef, 'A' x 43);
    err_is($r, $j, 400, 'invalid_grant', 'an unknown device code');
    ($r, $j) = device_poll(undef, undef);
    err_is($r, $j, 400, 'invalid_request', 'no device_code');
}

# --- the person approves in a browser ------------------------------------------
my $alice = person();
{
    my ($res, $d) = start(device_name => 'Kitchen <TV>');
    (my $typed = lc $d->{user_code}) =~ s/-//;
    my $page = page_of(undef, $alice, "/auth/device?user_code=$typed");
    is($page->code, 200, 'the code page opens');
    like($page->decoded_content, qr/value="\Q$d->{user_code}\E"/,
         'the code page is pre-filled (case and dash ignored)');

    $page = page_of(undef, $alice, "/auth/device/confirm?user_code=$typed");
    my $html = $page->decoded_content;
    is($page->code, 200, 'confirm with the code typed in lower case without the dash');
    like($html, qr/Connect Test TV\?/, 'the approval page names the app');
    like($html, qr/Kitchen &lt;TV&gt;/, 'it names the device (escaped)');
    like($html, qr/127\.0\.0\.1/, 'it says where the request came from');
    like($html, qr/<time[^>]*datetime="\d{4}-\d\d-\d\dT/, 'it says when');
    like($html, qr/\Q$d->{user_code}\E/, 'it shows the code to compare with the device');

    my $r = approve_form(undef, $alice, $d->{user_code}, 'allow', csrf => undef);
    is($r->code, 403, 'Allow without the CSRF token is 403');
    $r = approve_form(undef, $alice, $d->{user_code}, 'allow', csrf => 'forged-token');
    is($r->code, 403, 'Allow with a wrong CSRF token is 403');
    $r = approve_form(undef, $alice, $d->{user_code}, 'allow', Origin => 'https://evil.example');
    is($r->code, 403, 'Allow from a foreign Origin is 403');
    my ($p, $j) = device_poll(undef, $d->{device_code});
    err_is($p, $j, 400, 'authorization_pending', 'after the refused forms the device still waits');

    my $anon = browser();
    $r = $anon->get(url('/auth/device/confirm?user_code=' . $d->{user_code}));
    is($r->code, 303, 'confirm while signed out goes to the sign-in page');
    like($r->header('Location') // '', qr{^/auth/login\?return=%2Fauth%2Fdevice%2Fconfirm%3Fuser_code%3D},
         '... and comes back to this code afterwards');

    $r = approve_form(undef, $alice, $d->{user_code}, 'allow');
    is($r->code, 303, 'Allow is 303');
    is($r->header('Location'), '/auth/device?result=approved', '... to the done page');
    like(page_of(undef, $alice, $r->header('Location'))->decoded_content, qr/Done — go back to your device/,
         'the done page says to go back to the device');
    $r = approve_form(undef, $alice, $d->{user_code}, 'allow');
    ok($r->code == 400 && $r->decoded_content =~ /expired or was already used/,
       'the same user code cannot be approved twice');
    $r = approve_form(undef, $alice, $d->{user_code}, 'deny');
    ok($r->code == 400, 'nor denied after it was approved');

    ($p, $j) = device_poll(undef, $d->{device_code});
    is($p->code, 200, 'the device gets its tokens at the next poll');
    ok($j->{access_token} && $j->{refresh_token} && $j->{token_type} eq 'Bearer',
       'RFC 6749 §5.1 token response');
    is($j->{user}{email}, $alice->{email}, 'for the person who approved');
    my ($s, $sj) = json_req(GET => '/auth/sessions', undef, bearer($j->{access_token}));
    my ($mine) = grep { $_->{current} } @{ $sj->{data}{sessions} || [] };
    ok($mine && $mine->{kind} eq 'device' && $mine->{deviceName} eq 'Kitchen <TV>'
       && $mine->{clientId} eq 'tv-app', 'a session of kind device with its device name');
    like(page_of(undef, $alice, '/auth/sessions')->decoded_content, qr/Test TV on Kitchen &lt;TV&gt;.*Device, by code/s,
         'the devices page lists it by name: APP on DEVICE, and how it signed in');
    my ($prot) = json_req(GET => '/protected/', undef, bearer($j->{access_token}));
    is($prot->code, 200, 'the access token opens a protected location');
    my ($rr, $rj) = DeskAuthDevice::form(undef, '/auth/token',
        [grant_type => 'refresh_token', refresh_token => $j->{refresh_token}]);
    ok($rr->code == 200 && $rj->{refresh_token}, 'the refresh token works');

    ($p, my $again) = device_poll(undef, $d->{device_code});
    err_is($p, $again, 400, 'invalid_grant', 'the device code a second time');
    ($prot) = json_req(GET => '/protected/', undef, bearer($rj->{access_token}));
    is($prot->code, 401, 'a replayed device code revokes the session it gave out');
}

# --- Deny --------------------------------------------------------------------
{
    my ($res, $d) = start();
    my $r = approve_form(undef, $alice, $d->{user_code}, 'deny');
    is($r->header('Location'), '/auth/device?result=denied', 'Deny is 303 to the denied page');
    like(page_of(undef, $alice, $r->header('Location'))->decoded_content, qr/<h1[^>]*>Denied</, 'the denied page');
    my ($p, $j) = device_poll(undef, $d->{device_code});
    err_is($p, $j, 400, 'access_denied', 'the device learns it was denied');
    $r = approve_form(undef, $alice, $d->{user_code}, 'allow');
    is($r->code, 400, 'a denied code cannot be approved afterwards');
    ($p, $j) = device_poll(undef, $d->{device_code});
    err_is($p, $j, 400, 'access_denied', 'and stays denied');
}

# --- wrong codes on the page ---------------------------------------------------
{
    for my $typed ('BCDF-GHJK', 'AEIO-UAEI', 'BCDFGHJKL', '') {
        my $r = page_of(undef, $alice, '/auth/device/confirm?user_code=' . $typed);
        is($r->code, 400, "a wrong code ('$typed') is 400 on the page");
    }
    my $r = approve_form(undef, $alice, 'BCDF-GHJK', 'allow');
    is($r->code, 400, 'approving a code that does not exist is 400');
}

# --- discovery, the profile link and the QR -------------------------------------
{
    my ($res, $m) = json_req(GET => '/.well-known/oauth-authorization-server');
    is($m->{device_authorization_endpoint}, url('/auth/device'), 'metadata: device_authorization_endpoint');
    ok((grep { $_ eq DEVICE_GRANT } @{ $m->{grant_types_supported} || [] }), 'metadata: the device_code grant');
    my $profile = page_of(undef, $alice, '/api/auth/profile')->decoded_content;
    like($profile, qr{<a [^>]*href="/auth/device"[^>]*>Connect a device with a code</a>},
         'the profile page links "Connect a device with a code"');
    my ($desktop) = $profile =~ m{(<section[^>]*connect-title.*?</section>)}s;
    ok($desktop && $desktop =~ /Device CLI/ && $desktop !~ /Test TV/,
       '"Connect a desktop app" offers no connection file to a device-only client');
}

SKIP: {
    my @tools = grep { !system("command -v $_ >/dev/null 2>&1") } qw(rsvg-convert zbarimg);
    skip 'needs rsvg-convert (librsvg2-bin) and zbarimg (zbar-tools)', 4 unless @tools == 2;
    my ($res, $d) = start();
    (my $typed = lc $d->{user_code}) =~ s/-/ /;
    my $qr = page_of(undef, $alice, '/auth/device/qr.svg?user_code=' . $typed);
    is($qr->code, 200, 'qr.svg is 200');
    like($qr->header('Content-Type') // '', qr{^image/svg\+xml}, 'qr.svg is image/svg+xml');
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    open my $fh, '>:raw', "$dir/qr.svg" or die $!;
    print $fh $qr->content;
    close $fh;
    system('rsvg-convert', '-w', '400', '-b', 'white', '-o', "$dir/qr.png", "$dir/qr.svg");
    chomp(my $text = `zbarimg --raw -q "$dir/qr.png" 2>/dev/null` // '');
    is($text, $d->{verification_uri_complete}, 'zbarimg decodes qr.svg to verification_uri_complete');
    my $bad = page_of(undef, $alice, '/auth/device/qr.svg?user_code=%3Cscript%3E');
    is($bad->code, 400, 'qr.svg of something that is not a user code is 400');
}

# --- nothing logs a code ---------------------------------------------------------
{
    # httpd's own trace5 logs request lines (with the query); our lines never
    # carry a code, in any spelling.
    my $log = join "\n", grep { /\[deskauth:/ } split /\n/, error_log_since($log_start);
    my @seen = grep { my $c = $_; (my $bare = $c) =~ s/-//; $log =~ /\Q$c\E|\Q$bare\E/i } @user_codes;
    ok(@user_codes >= 5 && !@seen, 'no user code appears in the module\'s log lines')
        or diag('found ' . ($seen[0] // 'no codes'));
}

# The connection file token.json and the QR code (interface.md, Desktop hand-off "The
# connection file holds its own one-time code", Tokens "Codes"; docs/behaviour.md
# "Connection file and QR code"): POST /auth/callback action=file from the
# profile page's "Connect a desktop app" or the hand-off page, redeemed with
# grant_type=urn:deskauth:connection-file.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(jwt_decode token_sid);
use JSON::PP ();
use Time::Local qw(timegm);
use URI;

plan tests => 8 + 14 + 11 + 8 + 3 + 3 + 4 + 3 + 3 + 4 + 3 + 4 + 5 + 5;

my $JWT_RE   = qr/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\z/;
my %APPS     = ('example-app' => 'Example App', 'equatorschatbot' => 'Equators Chatbot', 'pkce-only' => 'PKCE App');
my $CALLBACK = '/auth/callback';

my (undef, $regj, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};
my $EMAIL = lc $email;

sub h    { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }
sub err  { my ($j) = @_; return ref $j eq 'HASH' ? $j->{error} : undef }
sub none { my ($j) = @_; return !(ref $j eq 'HASH' && (defined $j->{access_token} || defined $j->{accessToken}
                                                          || defined $j->{refresh_token} || defined $j->{refreshToken})) }

# RFC 3339 date-time to epoch seconds, or undef.
sub rfc3339 {
    my ($s) = @_;
    return undef unless defined $s && $s =~ /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?([Zz]|([+-])(\d\d):(\d\d))\z/;
    my $t = eval { timegm($6, $5, $4, $3, $2 - 1, $1) } // return undef;
    $t -= ($8 eq '+' ? 1 : -1) * ($9 * 3600 + $10 * 60) if $8;
    return $t;
}

# A file response carries no file: no attachment, no code.
sub no_file {
    my ($res) = @_;
    my $j = decode_json_or_undef($res->content);
    return ($res->header('Content-Disposition') // '') !~ /attachment/i
        && !(ref $j eq 'HASH' && defined $j->{code});
}

sub file_post {
    my ($ua, %f) = @_;
    my %h = (Origin => origin(), Accept => 'text/html,application/json;q=0.9');
    $h{Origin} = delete $f{ORIGIN} if exists $f{ORIGIN};
    delete $h{Origin} unless defined $h{Origin};
    return $ua->post(url($CALLBACK), [map { ($_ => $f{$_}) } grep { defined $f{$_} } sort keys %f], %h);
}

sub redeem {
    my ($code, $client) = @_;
    return token_post([grant_type => 'urn:deskauth:connection-file', code => $code // 'none',
                       client_id => $client // 'example-app']);
}

sub session_of {
    my ($token) = @_;
    my (undef, $json) = json_req(GET => '/auth/sessions', undef, bearer($token // 'none'));
    my $list = ref h($json)->{data} eq 'HASH' ? $json->{data}{sessions} : undef;
    my $sid = token_sid($token);
    my ($s) = grep { ref $_ eq 'HASH' && defined $sid && ($_->{id} // '') eq $sid } @{ ref $list eq 'ARRAY' ? $list : [] };
    return $s;
}

# --- the profile page: "Connect a desktop app" ------------------------------------------
my $b = browser();
my $signin = web_sign_in($b, $email, $password);
is($signin && $signin->code, 303, 'setup: the browser signs in (303)');
my $prof = get_page($b, url('/api/auth/profile'));
is($prof->code, 200, 'GET /api/auth/profile with Accept text/html shows the profile page');
my $phtml = $prof->content;
my ($section) = $phtml =~ m{(Connect a desktop app.*?)(?:<section\b|</main|\z)}s;
ok(defined $section, 'the profile page has a "Connect a desktop app" section');
$section //= '';
my @missing = grep { text_of($section) !~ /\Q$APPS{$_}\E/ } sort keys %APPS;
is_deeply(\@missing, [], 'the section names every registered app (Example App, Equators Chatbot, PKCE App)');
my @file_forms = grep { $_->{method} eq 'post' && URI->new_abs($_->{action} // '', $prof->request->uri)->path eq $CALLBACK }
                 forms($section);
ok(@file_forms, 'the section has a POST form to the hand-off URL (/auth/callback)');
my %offered = map { $_ => 1 } map { @{ $_->{options}{client_id} || [] } } @file_forms;
is_deeply([grep { !$offered{$_} } sort keys %APPS], [], 'the person can pick any registered app (client_id of each)');
my %actions = map { $_ => 1 } map { @{ $_->{options}{action} || [] } } @file_forms;
ok($actions{file} && $actions{qr}, 'the section offers both action=file and action=qr');
my $csrf = csrf_from($phtml);
ok(defined $csrf, 'the profile page carries a CSRF token');

# --- POST /auth/callback action=file --------------------------------------------------------
my $mark = -s error_log_path() // 0;
my $before = time;
my $res = file_post($b, action => 'file', client_id => 'example-app', csrf => $csrf);
my $file = decode_json_or_undef($res->content);
my $fj = h($file);
is($res->code, 200, 'POST /auth/callback action=file&client_id=example-app is 200') or diag($res->as_string);
like($res->header('Content-Type') // '', qr{^application/json\b}i, 'the connection file is application/json');
like($res->header('Content-Disposition') // '', qr/^attachment\s*;\s*filename="token\.json"/i,
     'Content-Disposition: attachment; filename="token.json"');
like($res->header('Cache-Control') // '', qr/no-store/, 'the connection file is Cache-Control: no-store');
like($fj->{server} // '', qr{^https?://[^/\s]+}, 'server is an absolute URL');
like($fj->{tokenEndpoint} // '', qr{^https?://[^/\s]+.*/auth/token\z}, 'tokenEndpoint is the absolute URL of /auth/token');
is($fj->{clientId}, 'example-app', 'clientId is example-app');
ok(defined $fj->{code} && !ref $fj->{code} && length $fj->{code} >= 22, 'code is a one-time code (at least 128 bits)');
my $exp = rfc3339($fj->{expiresAt});
ok(defined $exp, 'expiresAt is an RFC 3339 date-time') or diag('expiresAt: ' . ($fj->{expiresAt} // 'none'));
ok(defined $exp && $exp >= $before + 540 && $exp <= time + 660, 'expiresAt is about 10 minutes ahead');
is(ref $fj->{user} eq 'HASH' ? $fj->{user}{email} : undef, $EMAIL, 'user.email is the signed-in person');
unlike($res->content, qr/access_?token|refresh_?token/i, 'the file has no accessToken or refreshToken anywhere');
unlike($res->content, qr/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/, 'the file holds no JWT');
is_deeply([sort keys %$fj], [sort qw(server tokenEndpoint clientId code expiresAt user)],
          'the file has exactly server, tokenEndpoint, clientId, code, expiresAt, user');

# --- redeeming it ---------------------------------------------------------------------------
my ($rr, $rj) = redeem($fj->{code});
my $tj = h($rj);
is($rr->code, 200, 'grant_type=urn:deskauth:connection-file&code&client_id is 200') or diag($rr->as_string);
like($tj->{access_token} // '', $JWT_RE, 'redeeming the file gives an access_token');
ok(defined $tj->{refresh_token} && length $tj->{refresh_token} >= 43, 'redeeming the file gives a refresh_token');
is($tj->{token_type}, 'Bearer', 'redeeming the file gives token_type Bearer');
like($rr->header('Cache-Control') // '', qr/no-store/, 'the redeem answer is Cache-Control: no-store');
is(protected_status($tj->{access_token}), 200, 'the access token from the file opens /protected/');
my (undef, $claims) = jwt_decode($tj->{access_token} // '');
is(h($claims)->{client_id}, 'example-app', 'the access token from the file has client_id example-app');
my $browser_sid = token_sid(session_cookie($b));
ok(defined h($claims)->{sid} && h($claims)->{sid} ne ($browser_sid // ''), 'the file creates its own session, not the browser\'s');
is(h(session_of($tj->{access_token}))->{kind}, 'file', '/auth/sessions shows the session as kind "file"');
is(h($tj->{user})->{email}, $EMAIL, 'the redeem answer names the person (user.email)');

{
    my @mine = grep { /\[deskauth:/ } split /\n/, error_log_since($mark);
    is_deeply([grep { my $v = $_; defined $v && length $v > 8 && grep { index($_, $v) >= 0 } @mine }
               $fj->{code}, $tj->{access_token}, $tj->{refresh_token}], [],
              'the module logs neither the connection code nor the tokens it gave for it');
}

# a second use fails and revokes what the first use issued (interface.md, Tokens)
my ($r2, $j2) = redeem($fj->{code});
is($r2->code, 400, 'redeeming the same file a second time is 400');
is(err($j2), 'invalid_grant', 'the second redeem gets invalid_grant');
ok(none($j2), 'the second redeem issues nothing');
is(protected_status($tj->{access_token}), 401, 'the second redeem revokes what the first issued: its access token gets 401');
my ($r3, $j3) = token_post([grant_type => 'refresh_token', refresh_token => $tj->{refresh_token} // 'none']);
is(err($j3), 'invalid_grant', 'the second redeem revokes what the first issued: its refresh token gets invalid_grant');
is(protected_status(session_cookie($b)), 200, 'the browser session is not touched by the replay of the file');
($r3, $j3) = redeem($fj->{code}, 'equatorschatbot');
is($r3->code, 400, 'a used file code with another client_id is 400 too');
ok(none($j3), 'a used file code with another client_id issues nothing');

# --- the code is bound to its client and kind ---------------------------------------------------
{
    my $f = h(decode_json_or_undef(file_post($b, action => 'file', client_id => 'example-app', csrf => $csrf)->content));
    my ($r, $j) = redeem($f->{code}, 'equatorschatbot');
    is($r->code, 400, 'a file for example-app redeemed with client_id=equatorschatbot is 400');
    is(err($j), 'invalid_grant', 'a file redeemed with another client_id gets invalid_grant');
    ok(none($j), 'a file redeemed with another client_id issues nothing');
}
{
    my $f = h(decode_json_or_undef(file_post($b, action => 'file', client_id => 'example-app', csrf => $csrf)->content));
    my ($v) = pkce_pair();
    my ($r, $j) = token_post([grant_type => 'authorization_code', code => $f->{code} // 'none', code_verifier => $v,
                              redirect_uri => 'http://127.0.0.1:54321/callback', client_id => 'example-app']);
    is($r->code, 400, 'a file code redeemed as an authorization_code with a made-up verifier is 400');
    is(err($j), 'invalid_grant', 'a file code used as an authorization_code gets invalid_grant');
    ok(none($j), 'a file code used as an authorization_code issues nothing');
}
{
    my ($r, $j) = redeem(random_b64u(32));
    is(err($j), 'invalid_grant', 'a made-up connection code gets invalid_grant');
    ok(none($j), 'a made-up connection code issues nothing');
    ($r, $j) = token_post([grant_type => 'urn:deskauth:connection-file', client_id => 'example-app']);
    is($r->code, 400, 'grant_type=urn:deskauth:connection-file without code is 400');
    ok(none($j), 'grant_type=urn:deskauth:connection-file without code issues nothing');
}

# --- the person picks another app ------------------------------------------------------------
{
    my $r = file_post($b, action => 'file', client_id => 'equatorschatbot', csrf => $csrf);
    my $f = h(decode_json_or_undef($r->content));
    is($f->{clientId}, 'equatorschatbot', 'a file for equatorschatbot says clientId equatorschatbot');
    my ($rr, $rj) = redeem($f->{code}, 'equatorschatbot');
    is($rr->code, 200, 'the equatorschatbot file is redeemed with client_id=equatorschatbot');
    is(h((jwt_decode(h($rj)->{access_token} // ''))[1])->{client_id}, 'equatorschatbot',
       'its access token has client_id equatorschatbot');
}
{
    my $r = file_post($b, action => 'file', client_id => 'evil-app', csrf => $csrf);
    ok($r->code >= 400 && $r->code < 500, 'action=file for an unregistered client_id is a 4xx');
    ok(no_file($r), 'action=file for an unregistered client_id gives no file');
    $r = file_post($b, action => 'file', csrf => $csrf);
    ok($r->code >= 400 && $r->code < 500 && no_file($r), 'action=file without client_id is a 4xx without a file');
}

# --- CSRF, Origin, method, signed out ------------------------------------------------------------
{
    my $r = file_post($b, action => 'file', client_id => 'example-app');
    is($r->code, 403, 'action=file without the csrf field is 403');
    ok(no_file($r), 'action=file without the csrf field gives no file');
    $r = file_post($b, action => 'file', client_id => 'example-app', csrf => 'x' . ($csrf // ''));
    is($r->code, 403, 'action=file with a wrong csrf value is 403');
    $r = file_post($b, action => 'file', client_id => 'example-app', csrf => $csrf, ORIGIN => 'https://evil.example');
    is($r->code, 403, 'action=file with a foreign Origin is 403');
}
{
    my $r = $b->get(url("$CALLBACK?action=file&client_id=example-app&csrf=" . ($csrf // '')), Accept => 'application/json');
    ok(no_file($r), 'GET /auth/callback?action=file gives no file (only a POST does)');
    isnt($r->code, 200, 'GET /auth/callback?action=file is not a 200');
    $r = $b->get(url("$CALLBACK?action=qr&client_id=example-app&csrf=" . ($csrf // '')), Accept => 'text/html');
    ok(!(grep { length > 2000 } $r->content =~ m{(<svg\b.*?</svg\s*>)}gis), 'GET /auth/callback?action=qr shows no QR code');
}
{
    my $anon = browser();
    my $lp = get_page($anon, url('/auth/login'));
    my $acsrf = csrf_from($lp->content);
    ok(defined $acsrf, 'setup: a signed-out browser holds a CSRF token from the sign-in page');
    my $r = file_post($anon, action => 'file', client_id => 'example-app', csrf => $acsrf);
    ok($r->code == 401 || $r->code == 303, 'a signed-out browser posting action=file gets 401 or 303') or diag($r->code);
    ok(no_file($r), 'a signed-out browser gets no file');
    my $api = app_ua()->post(url($CALLBACK), [action => 'file', client_id => 'example-app'],
                             Accept => 'application/json');
    ok(no_file($api) && $api->code >= 400, 'a request without any session gets no file');
}

# --- action=qr ---------------------------------------------------------------------------------
{
    my $r = file_post($b, action => 'qr', client_id => 'example-app', csrf => $csrf);
    is($r->code, 200, 'POST /auth/callback action=qr is 200');
    like($r->header('Content-Type') // '', qr{^text/html\b}i, 'action=qr answers with a page');
    ok((grep { length > 2000 } $r->content =~ m{(<svg\b.*?</svg\s*>)}gis), 'the page shows an inline SVG QR code');
    like($r->header('Cache-Control') // '', qr/no-store/, 'the QR page is Cache-Control: no-store');
    ok(no_file($r) && $r->content !~ /access_?token|refresh_?token/i, 'the QR page is not an attachment and shows no token');
}

# --- from the hand-off page ----------------------------------------------------------------------
{
    my $f = desktop_signin(email => $email, password => $password);
    my $html = $f->{page} ? $f->{page}->content : '';
    my ($form) = grep { $_->{html} =~ /Download connection file/ } forms($html);
    ok($form, 'the hand-off page has a "Download connection file" form');
    my $r = $form ? submit_form($f->{ua}, $f->{page}, $form) : undef;
    my $j = $r ? h(decode_json_or_undef($r->content)) : {};
    is($r && $r->code, 200, 'posting it is 200');
    like($r ? $r->header('Content-Disposition') // '' : '', qr/^attachment\s*;\s*filename="token\.json"/i,
         'it downloads token.json');
    is($j->{clientId}, 'example-app', 'the file is for the app that asked (clientId example-app)');
    my ($rr) = redeem($j->{code});
    is($rr->code, 200, 'the file from the hand-off page is redeemed');
}

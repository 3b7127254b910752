# Device data never breaks a sign-in (docs/behaviour.md, "Sessions and
# device data"): the User-Agent and the app's device_name are stored as
# valid UTF-8 (a byte that is not UTF-8 becomes U+FFFD, a control character
# a space), cut between two characters to 500 and 100 characters. Before,
# on PostgreSQL a 401-character User-Agent, a Latin-1 byte in it or 34
# Japanese characters as device_name gave 503 (and used up the code); on
# SQLite /auth/sessions returned invalid UTF-8. Each case goes through the
# real flow: the web sign-in, the PKCE code hand-off, the connection file;
# then /auth/sessions (JSON and page) must be valid UTF-8 and show the
# value as stored.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(token_sid);
use Encode ();
use HTTP::Request ();
use JSON::PP ();

my $FFFD  = "\x{FFFD}";
my $NIHON = '日';
my $SMILE = "\x{1F600}";                              # 4 bytes in UTF-8

# Web sign-in: [what, raw User-Agent bytes, userAgent expected, deviceName expected]
my @web = (
    ['a 401-character User-Agent', 'A' x 401, 'A' x 401, 'A' x 100],
    ['a 2,000-character User-Agent', 'B' x 2000, 'B' x 500, 'B' x 100],
    ['a Latin-1 byte (caf\xe9)', "Mozilla/5.0 caf\xe9 x", "Mozilla/5.0 caf${FFFD} x", "Mozilla/5.0 caf${FFFD} x"],
    ['a lone continuation byte and \xff', "UA \x80\xff end", "UA $FFFD$FFFD end", "UA $FFFD$FFFD end"],
    ['a tab (control character)', "Mozilla/5.0\tTab", 'Mozilla/5.0 Tab', 'Mozilla/5.0 Tab'],
    ['600 Japanese characters', Encode::encode('UTF-8', $NIHON x 600), $NIHON x 500, $NIHON x 100],
    ['an emoji across the 500th character', Encode::encode('UTF-8', ('a' x 499) . $SMILE . 'b'),
     ('a' x 499) . $SMILE, 'a' x 100],
    ['an emoji right after the 500th character', Encode::encode('UTF-8', ('a' x 500) . $SMILE),
     'a' x 500, 'a' x 100],
    ['a cut UTF-8 sequence at the end', "UA \xe6\x97", "UA $FFFD$FFFD", "UA $FFFD$FFFD"],
);

# Code hand-off: [what, device_name as sent in the query (percent-encoded), deviceName expected]
sub pct { my ($s) = @_; return join '', map { sprintf '%%%02X', ord } split //, Encode::encode('UTF-8', $s) }
my @device = (
    ['34 Japanese characters', pct($NIHON x 34), $NIHON x 34],
    ['200 Japanese characters', pct($NIHON x 200), $NIHON x 100],
    ['an emoji as the 100th character', pct(('a' x 99) . $SMILE . 'zz'), ('a' x 99) . $SMILE],
    ['an emoji after the 100th character', pct(('a' x 100) . $SMILE), 'a' x 100],
    ['Latin-1 and invalid bytes (caf%E9 %FF)', 'caf%E9%20%FF', "caf$FFFD $FFFD"],
    ['control characters (%01 %1B %7F U+0085)', 'a%01b%1Bc%7Fd%C2%85e', 'a b c d e'],
    ['an overlong and a surrogate sequence', '%C0%AF%ED%A0%80', $FFFD x 5],
);

plan tests => 1 + 4 * @web + 1 + 4 * @device + 3 + 4 + 4 + 7;

my $JSON = JSON::PP->new->utf8;

# Strictly decoded UTF-8 text, or undef when BYTES are not UTF-8.
sub utf8_text {
    my ($bytes) = @_;
    return eval { Encode::decode('UTF-8', "$bytes", Encode::FB_CROAK | Encode::LEAVE_SRC) };
}

# GET /auth/sessions as JSON with TOKEN: (response, the session of TOKEN's
# sid or undef, whether the body is valid UTF-8).
sub session_of {
    my ($token) = @_;
    my ($res) = json_req(GET => '/auth/sessions', undef, bearer($token // 'none'));
    my $valid = defined utf8_text($res->content);
    my $json = $valid ? eval { $JSON->decode($res->content) } : undef;
    my $list = ref $json eq 'HASH' && ref $json->{data} eq 'HASH' ? $json->{data}{sessions} : [];
    my $sid = token_sid($token // '');
    my ($s) = grep { ref $_ eq 'HASH' && defined $sid && ($_->{id} // '') eq $sid } @{ $list || [] };
    return ($res, $s, $valid);
}

sub show { my ($s) = @_; return defined $s ? JSON::PP->new->ascii->encode([$s]) : 'undef' }

my (undef, undef, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};
ok(defined $email, 'setup: an account');

# --- the web sign-in (JSON) --------------------------------------------------------
my $last_web;
for my $c (@web) {
    my ($what, $ua, $want_ua, $want_dev) = @$c;
    my $req = HTTP::Request->new(POST => url('/auth/login'),
        ['Content-Type' => 'application/json', Accept => 'application/json', 'User-Agent' => $ua],
        $JSON->encode({ email => $email, password => $password }));
    my $res = Apache::TestRequest::user_agent()->request($req);
    my $json = eval { $JSON->decode($res->content) };
    my $token = ref $json eq 'HASH' && ref $json->{tokens} eq 'HASH' ? $json->{tokens}{accessToken} : undef;
    is($res->code, 200, "web sign-in with $what is 200") or diag(substr($res->content, 0, 300));
    $last_web = $token if $token;
    my ($sres, $s, $valid) = session_of($token);
    ok($sres->code == 200 && $valid, "/auth/sessions after $what is 200 and valid UTF-8");
    is(show($s && $s->{userAgent}), show($want_ua), "userAgent after $what is stored as expected");
    is(show($s && $s->{deviceName}), show($want_dev), "deviceName after $what is the User-Agent's first 100 characters");
}

# The page lists every one of these sessions.
{
    my $res = Apache::TestRequest::user_agent()->get(url('/auth/sessions'), bearer($last_web // 'none'),
                                                     Accept => 'text/html');
    my $text = utf8_text($res->content);
    # Names for people from the cleaned values: a browser not known by name
    # is "Web browser", anything else its product token, cut to 50
    # characters between UTF-8 characters.
    ok($res->code == 200 && defined $text && $text =~ /Web browser/
       && $text =~ /\Q${\ ($NIHON x 50)}\E/ && $text !~ /\Q${\ ($NIHON x 51)}\E/,
       'the sessions page is 200, valid UTF-8, and shows names made of the cleaned values')
        or diag($res->status_line);
}

# --- the PKCE code hand-off -------------------------------------------------------
# The browser side with device_name sent as DEVICE (already percent-encoded),
# then the app's code exchange with a Latin-1, 401-byte User-Agent.
sub handoff_tokens {
    my ($device) = @_;
    my ($verifier, $challenge) = pkce_pair();
    my $ua = browser();
    my $authorize = authorize_url(client_id => 'example-app', redirect_uri => LOOPBACK_URI,
                                  response_type => 'code', state => 'xyz', code_challenge => $challenge,
                                  code_challenge_method => 'S256') . "&device_name=$device";
    my $page = get_page($ua, $authorize);
    my $post = sign_in($ua, $page, $email, $password);
    my $handoff = handoff_location($post);
    my $hpage = $handoff ? get_page($ua, $handoff) : undef;
    my $link = $hpage ? code_link($hpage->content, LOOPBACK_URI) : undef;
    my $code = query_params($link)->{code};
    my ($res, $json) = token_post([grant_type => 'authorization_code', code => $code // 'none',
                                   code_verifier => $verifier, redirect_uri => LOOPBACK_URI,
                                   client_id => 'example-app'],
                                  'User-Agent' => "App \xe9" . ('x' x 396));
    return ($page, $res, $json);
}

my $last_app;
for my $c (@device) {
    my ($what, $device, $want) = @$c;
    my ($page, $res, $json) = handoff_tokens($device);
    my $token = ref $json eq 'HASH' ? $json->{access_token} : undef;
    ok($page->code == 200 && defined utf8_text($page->content),
       "the sign-in page with device_name of $what is 200 and valid UTF-8");
    is($res->code, 200, "the code exchange with device_name of $what is 200") or diag(substr($res->content, 0, 300));
    $last_app = $token if $token;
    my ($sres, $s, $valid) = session_of($token);
    ok($sres->code == 200 && $valid, "/auth/sessions after device_name of $what is valid UTF-8");
    is(show($s && $s->{deviceName}), show($want), "deviceName of $what is stored as expected");
}
{
    my ($sres, $s) = session_of($last_app);
    is(show($s && $s->{userAgent}), show("App $FFFD" . ('x' x 396)),
       "the app's Latin-1 User-Agent is stored with U+FFFD in the code exchange");
    my $page = Apache::TestRequest::user_agent()->get(url('/auth/sessions'), bearer($last_app // 'none'),
                                                      Accept => 'text/html');
    my $text = utf8_text($page->content);
    ok($page->code == 200 && defined $text, 'the sessions page after every hand-off is 200 and valid UTF-8');
    ok(defined $text && $text =~ /\Q${\ ($NIHON x 34)}\E/ && $text =~ /a b c d e/,
       'the page shows the cleaned device names');
}

# --- the compatibility hand-off (token in the redirect) -----------------------------
{
    my $ua = browser();
    $ua->agent("Compat \xff" . ('y' x 600));
    my $page = get_page($ua, url('/auth/login?redirect=equatorschatbot://auth/callback&device_name=')
                             . pct($NIHON x 150));
    my $post = sign_in($ua, $page, $email, $password);
    my $handoff = handoff_location($post);
    my $hpage = $handoff ? get_page($ua, $handoff) : undef;
    is($hpage && $hpage->code, 200, 'the compatibility hand-off page with a long Latin-1 User-Agent is 200')
        or diag($hpage ? $hpage->status_line : 'no hand-off');
    my ($link) = grep { /[?&]token=/ } app_links($hpage ? $hpage->content : '', 'equatorschatbot://auth/callback');
    my $token = query_params($link)->{token};
    my ($sres, $s, $valid) = session_of($token);
    ok($sres->code == 200 && $valid, '/auth/sessions after the compatibility hand-off is valid UTF-8');
    is(show($s && $s->{deviceName}), show($NIHON x 100), 'its deviceName is cut to 100 characters');
    is(show($s && $s->{userAgent}), show("Compat $FFFD" . ('y' x 492)), 'its userAgent is cleaned and cut to 500');
}

# --- the connection file ------------------------------------------------------------
{
    my $b = browser();
    web_sign_in($b, $email, $password);
    my $prof = get_page($b, url('/api/auth/profile'));
    my $res = $b->post(url('/auth/callback'), [action => 'file', client_id => 'example-app',
                                               csrf => csrf_from($prof->content) // ''],
                       Origin => origin(), Accept => 'text/html,application/json;q=0.9');
    my $file = decode_json_or_undef($res->content);
    my $code = ref $file eq 'HASH' ? $file->{code} : undef;
    ok(defined $code, 'setup: a connection file') or diag($res->status_line);
    my ($rr, $rj) = token_post([grant_type => 'urn:deskauth:connection-file', code => $code // 'none',
                                client_id => 'example-app'],
                               'User-Agent' => Encode::encode('UTF-8', ('z' x 99) . $SMILE) . "\xc3");
    is($rr->code, 200, 'redeeming a connection file with an emoji at the cut and a cut sequence is 200')
        or diag(substr($rr->content, 0, 300));
    my ($sres, $s, $valid) = session_of(ref $rj eq 'HASH' ? $rj->{access_token} : undef);
    ok($sres->code == 200 && $valid, '/auth/sessions after the connection file is valid UTF-8');
    is(show($s && [$s->{kind}, $s->{deviceName}, $s->{userAgent}]),
       show(['file', ('z' x 99) . $SMILE, ('z' x 99) . $SMILE . $FFFD]),
       'the file session keeps the emoji whole and replaces the cut byte');
}

# --- names, company, job role: typed by a person, so refused (400), never 503 ----------
{
    my $raw = sub {
        my ($method, $path, $body, @h) = @_;
        my $req = HTTP::Request->new($method => url($path),
            ['Content-Type' => 'application/json', Accept => 'application/json', @h], $body);
        my $res = Apache::TestRequest::user_agent()->request($req);
        return ($res, eval { $JSON->decode($res->content) } // {});
    };
    my $e = unique_email();
    my ($r1, $j1) = $raw->(POST => '/auth/register',
        qq({"email":"$e","password":"correct horse 1","firstName":"Ren\xe9","lastName":"X"}));
    ok($r1->code == 400 && ($j1->{error} // '') eq 'invalid_request',
       'sign-up with a Latin-1 byte in firstName is 400 invalid_request') or diag($r1->status_line);
    my %ok = (email => $e, password => 'correct horse 1', firstName => $SMILE x 100,
              lastName => 'Lovelace', company => $NIHON x 200, jobRole => ('a' x 199) . $SMILE);
    my ($r2, $j2) = $raw->(POST => '/auth/register', $JSON->encode(\%ok));
    is($r2->code, 201, 'sign-up with 100 emoji as firstName and 200 Japanese characters as company is 201')
        or diag(substr($r2->content, 0, 300));
    my $u = ref $j2->{user} eq 'HASH' ? $j2->{user} : {};
    is(show([@$u{qw(firstName company jobRole)}]), show([@ok{qw(firstName company jobRole)}]),
       'they are stored and read back whole');
    my $tok = ref $j2->{tokens} eq 'HASH' ? $j2->{tokens}{accessToken} : 'none';
    my ($r3, $j3) = $raw->(PATCH => '/api/auth/profile', $JSON->encode({ company => $NIHON x 201 }), bearer($tok));
    ok($r3->code == 400 && ($j3->{message} // '') =~ /^company/, 'a company of 201 characters is 400 naming company');
    my ($r4, $j4) = $raw->(PATCH => '/api/auth/profile', $JSON->encode({ jobRole => "a\x{1}b" }), bearer($tok));
    ok($r4->code == 400 && ($j4->{message} // '') =~ /^jobRole/, 'a control character in jobRole is 400 naming jobRole');
    my ($r5) = $raw->(PATCH => '/api/auth/profile', qq({"lastName":"\xff\xfe"}), bearer($tok));
    is($r5->code, 400, 'invalid UTF-8 in lastName is 400');
    my ($r6, $j6) = $raw->(GET => '/api/auth/profile', undef, bearer($tok));
    ok($r6->code == 200 && defined utf8_text($r6->content)
       && (ref $j6->{data} eq 'HASH' ? $j6->{data}{user}{company} // '' : '') eq $NIHON x 200,
       'the profile is unchanged by the refused updates and valid UTF-8');
}

# The hand-off page as a person uses it (docs/behaviour.md, "The hand-off
# page"): the app's code lives DeskAuthCodeTTL (300 s by default) and the
# page says how long; a "Didn't open?" box; no QR code; a reload by the same
# browser session shows "Did APP open?" (200), never 410 and never a second
# link; "Get a new link" (a CSRF form) makes a new hand-off of the same
# request, which ends when the first one ends, for that browser session only.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthDB;
use URI;

plan tests => 44;

my $URI = 'myapp://auth/callback';
my (undef, undef, $f) = register_user();
my (undef, undef, $g) = register_user();

# The run's own database (t/run writes deskauth-db.conf), to read the codes.
sub main_db {
    open my $fh, '<', Apache::Test::vars('t_conf') . '/deskauth-db.conf' or return undef;
    my $conf = do { local $/; <$fh> };
    my ($driver) = $conf =~ /^\s*DBDriver\s+(\S+)/m;
    my ($params) = $conf =~ /^\s*DBDParams\s+"?([^"\n]*)"?/m;
    return { driver => $driver, params => $params };
}
my $db = main_db();

sub handoff_for {
    my ($ua, $state) = @_;
    my ($verifier) = pkce_pair();
    my $page = get_page($ua, authorize_url(client_id => 'pkce-only', redirect_uri => $URI,
                                           response_type => 'code', state => $state,
                                           code_challenge => challenge_of($verifier),
                                           code_challenge_method => 'S256'));
    my $form = continue_form($page->decoded_content);
    return ($form ? handoff_location(submit_form($ua, $page, $form)) : undef, $verifier);
}

sub exchange {
    my ($link, $verifier) = @_;
    my $q = query_params($link);
    return token_post([grant_type => 'authorization_code', code => $q->{code} // 'none',
                       code_verifier => $verifier, redirect_uri => $URI,
                       client_id => 'pkce-only']);
}

# The "Get a new link" form of a page, posted as the browser would (or with
# the changes given: csrf, Origin).
sub renew {
    my ($ua, $page, %change) = @_;
    my ($form) = grep { ($_->{value}{action} // '') eq 'renew' } forms($page->decoded_content);
    return undef unless $form;
    my %data = (%{ $form->{value} }, %change);
    delete $data{$_} for grep { !defined $data{$_} } keys %data;
    my $origin = exists $change{Origin} ? delete $data{Origin} : origin();
    return $ua->post(url('/auth/callback'), [%data], Accept => 'text/html',
                     defined $origin ? (Origin => $origin) : ());
}

my $ua = browser();
web_sign_in($ua, $f->{email}, $f->{password});
my ($handoff, $verifier) = handoff_for($ua, 'page-state');
ok($handoff, 'Continue leads to the hand-off page') or BAIL_OUT('no hand-off');

# --- the first opening ------------------------------------------------------------
my $page = get_page($ua, $handoff);
my $html = $page->decoded_content;
is($page->code, 200, 'the hand-off page opens (200)');
my $link = code_link($html, $URI);
ok($link, 'it links to the app with a code');
like($html, qr/data-expires-in="300"/, 'the page counts down from 300 s (DeskAuthCodeTTL default)');
like(text_of($html), qr/works once, for 5 minutes/, 'it says the link works once, for 5 minutes');
like(text_of($html), qr/Didn.t open\?/, 'it has a "Didn\'t open?" box');
like(text_of($html), qr/Get a new link/, 'it offers "Get a new link"');
ok(!($html =~ m{<svg\b[^>]*role="img"}i), 'no QR code (svg[role=img]) on the page');
SKIP: {
    skip 'no sqlite3/psql tool to read the code', 1 if DeskAuthDB::missing();
    my $ttl = DeskAuthDB::value($db, "SELECT expires_at - created_at FROM deskauth_codes "
                                   . "WHERE kind = 'code' AND state = 'page-state'");
    is($ttl, 300, 'the code stored for the app lives 300 s (DeskAuthCodeTTL default)');
}

# --- a reload ------------------------------------------------------------------------
my $reload = get_page($ua, $handoff);
is($reload->code, 200, 'reloading the page is 200, not 410');
is(code_link($reload->decoded_content, $URI), undef, 'the reload shows no code (nothing issued twice)');
like(text_of($reload->decoded_content), qr/Did PKCE App open\?/, 'the reload asks "Did PKCE App open?"');
like($reload->header('Cache-Control') // '', qr/no-store/, 'the reload is no-store');

# --- Get a new link ------------------------------------------------------------------
my $r1 = renew($ua, $reload);
is($r1 && $r1->code, 303, '"Get a new link" is a POST answered 303');
my $fresh = handoff_location($r1);
ok($fresh && $fresh ne $handoff, 'to a new hand-off page (a new ?h=)');
my $fp = $fresh ? get_page($ua, $fresh) : undef;
my $link2 = $fp ? code_link($fp->decoded_content, $URI) : undef;
ok($link2 && $link2 ne $link, 'the new page has a new code');
is(query_params($link2)->{state}, 'page-state', 'for the same request (same state)');
my ($t2, $j2) = exchange($link2, $verifier);
is($t2->code, 200, 'the new code is redeemed with the app\'s same PKCE verifier');
is(ref $j2 eq 'HASH' ? $j2->{user}{email} : undef, lc $f->{email}, 'for the same person');
my ($t1) = exchange($link, $verifier);
is($t1->code, 200, 'the first code, never redeemed, still works within its lifetime');
is(get_page($ua, $fresh)->code, 200, 'the new hand-off reloads as 200 too');
is(code_link(get_page($ua, $fresh)->decoded_content, $URI), undef, 'without a code');
is(renew($ua, $page) && renew($ua, $page)->code, 303,
   '"Get a new link" from the first page\'s form works again (the same request)');
SKIP: {
    skip 'no sqlite3/psql tool to read the codes', 1 if DeskAuthDB::missing();
    my $ends = DeskAuthDB::value($db, "SELECT COUNT(DISTINCT expires_at) FROM deskauth_codes "
                                    . "WHERE kind = 'handoff' AND state = 'page-state'");
    is($ends, 1, 'every renewed hand-off ends when the first one ends (one expires_at)');
}

# --- what may not renew it -----------------------------------------------------------
my $csrf = csrf_from($reload->decoded_content);
is(renew($ua, $reload, csrf => undef)->code, 403, 'renew without the CSRF field: 403');
is(renew($ua, $reload, csrf => 'A' x 43)->code, 403, 'renew with a wrong CSRF token: 403');
is(renew($ua, $reload, Origin => 'https://evil.example')->code, 403, 'renew from a foreign Origin: 403');
is(renew($ua, $reload, Origin => 'null')->code, 403, 'renew with Origin null (no Sec-Fetch-Site): 403');
is(renew($ua, $reload, h => 'A' x 43)->code, 410, 'renew of an unknown hand-off: 410');
is(renew($ua, $reload, h => undef)->code, 410, 'renew without h: 410');
{
    # the same person in another browser: its own session, not this one's
    my $other = browser();
    web_sign_in($other, $f->{email}, $f->{password});
    my $op = get_page($other, url('/auth/login?redirect=equatorschatbot://auth/callback'));
    my $oc = csrf_from($op->decoded_content);
    my ($hid) = ($handoff =~ /[?&]h=([^&]+)/);
    my $res = $other->post(url('/auth/callback'), [csrf => $oc, action => 'renew', h => $hid],
                           Origin => origin(), Accept => 'text/html');
    is($res->code, 410, 'renew from another browser session of the same person: 410');
    is(get_page($other, $handoff)->code, 410, 'and its reload of the page: 410');
    my $stranger = browser();
    web_sign_in($stranger, $g->{email}, $g->{password});
    my $sp = get_page($stranger, url('/auth/login?redirect=equatorschatbot://auth/callback'));
    $res = $stranger->post(url('/auth/callback'), [csrf => csrf_from($sp->decoded_content),
                           action => 'renew', h => $hid], Origin => origin(), Accept => 'text/html');
    is($res->code, 410, 'renew by another person: 410');
    my $nobody = browser();
    my $np = get_page($nobody, url('/auth/login'));
    $res = $nobody->post(url('/auth/callback'), [csrf => csrf_from($np->decoded_content),
                         action => 'renew', h => $hid], Origin => origin(), Accept => 'text/html');
    is($res->code, 401, 'renew with no session: 401');
}

# --- past its end ----------------------------------------------------------------------
SKIP: {
    skip 'no sqlite3/psql tool to change the hand-off', 3 if DeskAuthDB::missing();
    my ($h3) = handoff_for($ua, 'old-state');
    get_page($ua, $h3);
    my $user = $> == 0 ? 'nobody' : undef;
    ok(DeskAuthDB::sql($db, "UPDATE deskauth_codes SET expires_at = expires_at - 1801 "
                          . "WHERE kind = 'handoff' AND state = 'old-state';\n", $user),
       'setup: the hand-off ended (30 minutes after sign-in)');
    is(get_page($ua, $h3)->code, 410, 'a reload after its end: 410');
    is(renew($ua, get_page($ua, $fresh), h => ($h3 =~ /[?&]h=([^&]+)/)[0])->code, 410,
       'renew after its end: 410');
}

# --- HEAD -------------------------------------------------------------------------------
is($ua->head($fresh, Accept => 'text/html')->code, 200, 'HEAD of an opened hand-off: 200, as its GET');

# --- the token-redirect compatibility: the same page ------------------------------------
{
    my $b = browser();
    web_sign_in($b, $f->{email}, $f->{password});
    my $cont = get_page($b, url('/auth/login?redirect=equatorschatbot://auth/callback'));
    my $h = handoff_location(submit_form($b, $cont, continue_form($cont->decoded_content)));
    my $p1 = get_page($b, $h);
    like($p1->decoded_content, qr/data-expires-in="900"/,
         'token-redirect: the page counts down the access token\'s 900 s');
    my $p2 = get_page($b, $h);
    is($p2->code, 200, 'token-redirect: a reload is 200');
    is_deeply([app_links($p2->decoded_content, 'equatorschatbot://auth/callback')], [],
              'token-redirect: the reload shows no token');
    my $nr = renew($b, $p2);
    my $np = handoff_location($nr) ? get_page($b, handoff_location($nr)) : undef;
    my ($tl) = $np ? app_links($np->decoded_content, 'equatorschatbot://auth/callback') : ();
    my $tok = query_params($tl)->{token};
    ok($tok, 'token-redirect: "Get a new link" gives a page with a new token');
    my ($pr) = json_req(GET => '/protected/', undef, bearer($tok // 'none'));
    is($pr->code, 200, 'token-redirect: that token opens a protected location');
    my ($ps) = json_req(GET => '/api/auth/profile', undef, bearer($tok // 'none'));
    is($ps->code, 200, 'token-redirect: and the profile');
}

# Error pages (docs/behaviour.md, "Error pages"): styled like the other
# pages, they say what happened and where to go next; a 429 says when to
# try again; a refused redirect_uri is named on the page (escaped) and in
# the log (without its query); httpd's own 404 under /auth/ is the
# module's page (ErrorDocument 404 /auth/error, as conf/deskauth.conf has
# it), JSON for an API caller.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthServer;

plan tests => 14 + 5 * 5 + 6 + 7;

# The parts every error page has: a small status, the title, the next step.
sub error_page_ok {
    my ($res, $status, $name) = @_;
    my $html = $res->decoded_content // '';
    is($res->code, $status, "$name: $status");
    like($res->header('Content-Type') // '', qr{^text/html; charset=utf-8}i, "$name: an HTML page");
    like($html, qr{<p class="err-code">Error $status</p>}, "$name: a small \"Error $status\", not a huge number");
    ok((grep { m{^/auth/login} } url_attrs($html)) || $html =~ /class="btn[^"]*"/,
       "$name: a next step (a link to go on)");
}

# --- 404 under the module's URLs ---------------------------------------------------------
my $b = browser();
my $nf = get_page($b, url('/auth/no-such-page'));
error_page_ok($nf, 404, 'GET /auth/no-such-page');
like(text_of($nf->decoded_content), qr/Page not found.*sign-in page/, 'it says the page is not found and where to go');
like($nf->header('Content-Security-Policy') // '', qr/default-src 'none'/, 'with the pages\' CSP');
my ($nfj) = json_req(GET => '/auth/no-such-page');
is($nf->code, 404, 'an API caller: 404');
is((jbody($nfj) // {})->{error}, 'not_found', 'with the JSON error not_found');
like($nfj->header('Content-Type') // '', qr{^application/json}, 'as application/json');
is($b->post(url('/auth/no-such-page'), [x => 1])->code, 404, 'POST there: 404 too');
like(get_page($b, url('/auth/error'))->decoded_content, qr/Page not found/, '/auth/error opened directly: the 404 page');
is(get_page($b, url('/auth/error'))->code, 404, '/auth/error opened directly: 404');
is(get_page($b, url('/auth/login'))->code, 200, 'the module\'s pages are untouched (sign-in: 200)');
ok(get_page($b, url('/auth/no-such-page'))->decoded_content =~ /prefers-color-scheme: dark/,
   'dark mode: the page\'s style has the dark theme');

# --- refused redirect URIs: named on the page (escaped) and in the log -----------------------
my $secret = 'S' x 43;
my @refused = (
    ['PKCE, https', 'client_id=example-app&response_type=code&code_challenge_method=S256&code_challenge=' . ('a' x 43)
         . '&redirect_uri=', 'https://evil.example/cb', 'https://evil.example/cb'],
    ['PKCE, markup', 'client_id=example-app&response_type=code&redirect_uri=',
         'https://evil.example/"><script>alert(1)</script>', 'https://evil.example/"><script>alert(1)</script>'],
    ['PKCE, a query with a secret', 'client_id=pkce-only&response_type=code&redirect_uri=',
         "myapp://auth/other?token=$secret", 'myapp://auth/other'],
    ['token-redirect, unregistered', 'redirect=', 'evil://steal', 'evil://steal'],
    ['PKCE, CR LF in it', 'client_id=example-app&response_type=code&redirect_uri=',
         "https://evil.example/a\r\nDA00999: forged", 'https://evil.example/a'],
);
for my $r (@refused) {
    my ($name, $query, $uri, $logged) = @$r;
    my $mark = -s error_log_path() // 0;
    my $res = get_page($b, url('/auth/login?' . $query . URI::Escape::uri_escape($uri)));
    my $html = $res->decoded_content // '';
    is($res->code, 400, "$name: 400 page");
    ok(!defined $res->header('Location'), "$name: no redirect");
    (my $shown = $uri) =~ s/\r\n/\n/;
    ok(index(text_of($html), $uri =~ /\r/ ? 'https://evil.example/a' : $uri) >= 0,
       "$name: the page names the refused address");
    ok($html !~ /<script>alert/, "$name: escaped on the page (no markup of it)");
    my $log = error_log_since($mark);
    my @lines = grep { /DA00851/ } split /\n/, $log;
    # (httpd's own trace of the request line is not the module's: only its lines count)
    my $ours = join "\n", grep { /\[deskauth:/ } split /\n/, $log;
    ok(@lines == 1 && index($lines[0], $logged) >= 0 && $ours !~ /\Q$secret\E/
       && $log !~ /^DA00999|\] DA00999/m,
       "$name: one log line names $logged (no query, no forged line)") or diag(join "\n", @lines);
}

# --- an error page's CSP and headers ----------------------------------------------------
{
    my $res = get_page($b, url('/auth/callback'));
    error_page_ok($res, 400, 'GET /auth/callback with no hand-off');
    is($res->header('Cache-Control'), 'no-store', 'no-store');
    is($res->header('X-Frame-Options'), 'DENY', 'X-Frame-Options DENY');
}

# --- 429 says when to try again --------------------------------------------------------------
SKIP: {
    my @missing = DeskAuthServer::missing();
    skip "needs @missing", 7 if @missing;
    my $srv = DeskAuthServer->new(name => 'errors429', conf => "DeskAuthLoginLimit 2 900\n");
    ok($srv->start, 'a server of its own with DeskAuthLoginLimit 2 900') or skip $srv->why, 6;
    my $ua = $srv->ua(cookies => 1);
    $ua->default_header(Accept => 'text/html');
    my $res;
    for (1 .. 3) {
        my $page = $ua->get($srv->url('/auth/login'));
        $res = $ua->post($srv->url('/auth/login'), [csrf => csrf_from($page->decoded_content),
                         email => 'nobody@example.com', password => 'wrong password']);
    }
    is($res->code, 429, 'the third failed form sign-in: 429');
    my $wait = $res->header('Retry-After') // 0;
    ok($wait > 800 && $wait <= 900, 'Retry-After is about 15 minutes');
    like(text_of($res->decoded_content), qr/Too many failed sign-in attempts\. Try again in 1[45] minutes\./,
         'the page says when to try again, in minutes');
    my ($j) = $srv->req(POST => '/auth/login', json => { email => 'nobody@example.com', password => 'x' });
    is($j->code, 429, 'JSON: 429');
    like((eval { JSON::PP::decode_json($j->content) } // {})->{message} // '', qr/Try again in 1[45] minutes\./,
         'JSON: the message says when too');
    like($srv->error_log, qr/DA00140/, 'the refusal is logged');
    $srv->stop;
}

# Form POSTs and cookie-authenticated calls: "Origin: null" is accepted only
# with Sec-Fetch-Site: same-origin (what a browser sends for our own forms,
# whose pages say Referrer-Policy: no-referrer); the CSRF token is renewed
# at sign-in; behind a proxy that terminates TLS, the Origin check and the
# cookies' Secure flag follow DeskAuthIssuer's scheme, not the hop's.
# (docs/behaviour.md "Browser session and CSRF", "Public origin".)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthServer;
use LWP::UserAgent;
use URI;

my @null = (
    ['Origin: null alone', Origin => 'null'],
    ['Origin: null with Sec-Fetch-Site: cross-site', Origin => 'null', 'Sec-Fetch-Site' => 'cross-site'],
    ['Origin: null with Sec-Fetch-Site: same-site', Origin => 'null', 'Sec-Fetch-Site' => 'same-site'],
    ['Origin: null with Sec-Fetch-Site: none', Origin => 'null', 'Sec-Fetch-Site' => 'none'],
);
my @SAME = (Origin => 'null', 'Sec-Fetch-Site' => 'same-origin');

my (undef, undef, $f) = register_user();
my ($email, $password) = @$f{qw(email password)};

# The page's POST form picked by $pick, and a function that submits it
# with the given headers (and %fill).
sub post_form {
    my ($ua, $page, $form, $fill, @h) = @_;
    my %data = map { $_ => $form->{value}{$_} } grep { $form->{type}{$_} ne 'submit' } keys %{ $form->{value} };
    @data{keys %$fill} = values %$fill;
    my $action = URI->new_abs($form->{action} // '', $page->request->uri);
    return $ua->post($action, [%data], Accept => 'text/html', @h);
}
sub form_where {
    my ($html, $test) = @_;
    my ($form) = grep { $_->{method} eq 'post' && $test->($_) } forms($html // '');
    return $form;
}
sub signed_in { my $ua = browser(); web_sign_in($ua, $email, $password); return $ua }

# name, browser maker, page URL, form picker, fields to fill
my $cid = 'pkce-only';
my @forms = (
    ['sign-in', \&browser, '/auth/login', sub { exists $_[0]{value}{password} },
        { email => $email, password => $password }],
    ['sign-up', \&browser, '/auth/register', sub { exists $_[0]{value}{password} },
        { email => unique_email(), password => 'correct horse 1', firstName => 'N', lastName => 'O' }],
    ['profile', \&signed_in, '/api/auth/profile', sub { exists $_[0]{value}{firstName} },
        { firstName => 'Nul', lastName => 'Origin' }],
    ['Continue', \&signed_in, authorize_url(client_id => $cid, redirect_uri => 'myapp://auth/callback',
        response_type => 'code', state => 's', code_challenge => challenge_of((pkce_pair())[0]),
        code_challenge_method => 'S256'), sub { ($_[0]{action} // '') !~ /logout/ }, {}],
    ['connection file', \&signed_in, '/api/auth/profile',
        sub { ($_[0]{value}{action} // '') eq 'file' }, {}],
    ['forgot password', \&browser, '/auth/reset', sub { exists $_[0]{value}{email} }, { email => $email }],
    ['sign-out', \&signed_in, '/api/auth/profile', sub { ($_[0]{action} // '') =~ /logout/ }, {}],
);

plan tests => @forms * (1 + @null + 1) + 3 + 5 + 8;

# --- Origin: null on every form ------------------------------------------------------------
for my $fm (@forms) {
    my ($name, $make, $path, $pick, $fill) = @$fm;
    my $ua = $make->();
    my $page = $ua->get($path =~ /^http/ ? $path : url($path), Accept => 'text/html');
    my $form = form_where($page->decoded_content, $pick);
    ok($form, "$name: the page has the form") or diag $page->status_line;
    $form //= { value => {}, type => {} };
    for my $v (@null) {
        my ($vname, @h) = @$v;
        is(post_form($ua, $page, $form, $fill, @h)->code, 403, "$name form with $vname: 403");
    }
    my $ok = post_form($ua, $page, $form, $fill, @SAME);
    ok($ok->code != 403 && $ok->code < 500,
       "$name form with Origin: null and Sec-Fetch-Site: same-origin (a browser on our page): accepted")
        or diag $ok->status_line;
}

# A call authenticated by the cookie alone (JSON PATCH of the profile).
{
    my $ua = signed_in();
    my $patch = sub {
        my $req = HTTP::Request->new(PATCH => url('/api/auth/profile'),
                                     ['Content-Type' => 'application/json', Accept => 'application/json', @_],
                                     '{"company":"Null Inc"}');
        return $ua->request($req)->code;
    };
    is($patch->(Origin => 'null'), 403, 'cookie-only PATCH with Origin: null is 403');
    is($patch->(Origin => 'null', 'Sec-Fetch-Site' => 'cross-site'), 403,
       'cookie-only PATCH with Origin: null and Sec-Fetch-Site: cross-site is 403');
    is($patch->(@SAME), 200, 'cookie-only PATCH with Origin: null and Sec-Fetch-Site: same-origin is 200');
}

# --- the CSRF token is renewed at sign-in ---------------------------------------------------
sub csrf_cookie { my ($ua) = @_; my $v; $ua->cookie_jar->scan(sub { $v = $_[2] if $_[1] =~ /^(?:__Host-)?deskauth_csrf\z/ }); return $v }
{
    my $ua = browser();
    my $page = $ua->get(url('/auth/login'));
    my $before = csrf_cookie($ua);
    my $res = sign_in($ua, $page, $email, $password);
    my $after = csrf_cookie($ua);
    ok(defined $before && defined $after && $before ne $after, 'the form sign-in sets a new CSRF cookie');
    my $prof = $ua->get(url('/api/auth/profile'), Accept => 'text/html');
    my $form = form_where($prof->decoded_content, sub { exists $_[0]{value}{firstName} });
    is(post_form($ua, $prof, $form // { value => {}, type => {} }, { csrf => $before }, Origin => origin())->code, 403,
       'the token from before the sign-in no longer works');

    # Login CSRF / fixation: a token planted in the browser before sign-in.
    my $victim = browser();
    my $planted = 'P' x 43;
    $victim->cookie_jar->set_cookie(0, 'deskauth_csrf', $planted, '/', URI->new(url('/'))->host, URI->new(url('/'))->port,
                                    1, 0, 3600, 0);
    my $lp = $victim->get(url('/auth/login'));
    sign_in($victim, $lp, $email, $password);
    my $out = $victim->get(url('/api/auth/profile'), Accept => 'text/html');
    my $lo = form_where($out->decoded_content, sub { ($_[0]{action} // '') =~ /logout/ });
    is(post_form($victim, $out, $lo // { value => {}, type => {} }, { csrf => $planted }, Origin => origin())->code, 403,
       'a CSRF token planted before the sign-in does not work after it');
    is(post_form($victim, $out, $lo // { value => {}, type => {} }, {}, Origin => origin())->code, 303,
       'control: the page\'s own (new) token works');
    my ($jres) = login_user($email, $password);
    like(join("\n", $jres->header('Set-Cookie')), qr/(?:^|\n)deskauth_csrf=[A-Za-z0-9_-]{43};/,
         'a JSON sign-in renews the CSRF cookie too');
}

# --- behind a proxy that terminates TLS ---------------------------------------------------
# The proxy listens on https://127.0.0.1 (port 443) and forwards plain http
# to this server; DeskAuthIssuer says the public origin.
{
    my $s = DeskAuthServer->new(name => 'tlsproxy', conf => "DeskAuthIssuer https://127.0.0.1\n",
        locations => "<Location /.well-known/oauth-authorization-server>\n"
                   . "    SetHandler deskauth-metadata\n</Location>\n");
    ok($s->start, 'a server with DeskAuthIssuer https://127.0.0.1 starts') or diag $s->why;
    my $ua = LWP::UserAgent->new(max_redirect => 0, timeout => 30, cookie_jar => undef);
    my $reg = $ua->post($s->url('/auth/register'), 'Content-Type' => 'application/json',
        Content => qq({"email":"tls\@example.com","password":"correct horse 1","firstName":"T","lastName":"L"}));
    my $set = join "\n", $reg->header('Set-Cookie');
    like($set, qr/__Host-deskauth_session=[^;]+;[^\n]*; Secure/, 'over the http hop the session cookie is __Host- and Secure');
    my $page = $ua->get($s->url('/auth/login'), Accept => 'text/html');
    my ($csrf) = join("\n", $page->header('Set-Cookie')) =~ /__Host-deskauth_csrf=([^;]+);[^\n]*; Secure/;
    ok(defined $csrf, 'the CSRF cookie is __Host- and Secure too');
    my $post = sub {
        return $ua->post($s->url('/auth/login'), [email => 'tls@example.com', password => 'correct horse 1',
                         csrf => $csrf // ''], Accept => 'text/html', Cookie => "__Host-deskauth_csrf=" . ($csrf // ''), @_)->code;
    };
    is($post->(Origin => 'https://127.0.0.1'), 303, 'a form from the public https origin is accepted');
    is($post->(Origin => $s->base), 403, 'a form from the hop\'s http origin is 403');
    is($post->(Origin => $s->base, 'X-Forwarded-Proto' => 'http'), 403,
       'X-Forwarded-Proto does not change the origin the check wants');
    my $meta = $ua->get($s->url('/.well-known/oauth-authorization-server'));
    like($meta->content, qr{"token_endpoint":"https://127\.0\.0\.1/auth/token"},
         'the metadata gives the public https endpoints');
    $s->stop;
    ok(!$s->crash_lines, 'no child crashed');
}

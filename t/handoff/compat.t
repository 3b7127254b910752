# Compatibility hand-off: /auth/login?redirect=APP_URI -> APP_URI?token=JWT
# (interface.md, Desktop hand-off redirect URIs; docs/behaviour.md "Desktop hand-off").
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthForge qw(jwt_decode token_sid);
use HTML::Entities qw(decode_entities);
use URI;
use URI::Escape qw(uri_escape);
use DeskAuthOAuth qw(desktop_tokens);
use HTTP::Request ();
use LWP::UserAgent ();
use POSIX ();

my $APP      = 'equatorschatbot://auth/callback';
my $APP_NAME = 'Equators Chatbot';
my $TOKEN_RE = qr/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

my @open_redirects = (
    'equatorschatbot://auth/callback/extra',
    'EQUATORSCHATBOT://auth/callback',
    'equatorschatbot://auth/callback?x=1',
    'equatorschatbot://auth/callback#frag',
    'equatorschatbot://evil/callback',
    'https://evil.example/',
    'javascript:alert(1)',
    '//evil.example',
    "equatorschatbot://auth/callback\r\nSet-Cookie:x=1",
    'equatorschatbot://auth/../callback',
);

plan tests => 30 + 8 + 3 * 2 * @open_redirects + 1 + 3 + 3 * 6 + 3 + 3;

# --- small HTML readers ---------------------------------------------------------
sub attrs {
    my ($s) = @_;
    my %a;
    while ($s =~ /([A-Za-z_:][-\w:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g) {
        $a{lc $1} = decode_entities($2 // $3 // $4 // '') unless exists $a{lc $1};
    }
    return %a;
}

# Every <form>: action, method, named fields (first value wins) and their types.
sub forms {
    my ($html) = @_;
    my @forms;
    while ($html =~ m{<form\b([^>]*)>(.*?)</form\s*>}gis) {
        my ($fa, $inner) = ($1, $2);
        my %f = attrs($fa);
        my (%value, %type);
        while ($inner =~ m{<(input|button|textarea|select)\b([^>]*)>}gi) {
            my ($tag, %a) = (lc $1, attrs($2));
            next unless defined $a{name} && !exists $value{$a{name}};
            $type{$a{name}}  = lc($a{type} // ($tag eq 'button' ? 'submit' : 'text'));
            $value{$a{name}} = $a{value} // '';
        }
        push @forms, { action => $f{action}, method => lc($f{method} // 'get'),
                       value => \%value, type => \%type, html => $inner };
    }
    return @forms;
}

# Values of every attribute that can send a browser somewhere.
sub url_attrs {
    my ($html) = @_;
    my @v;
    while ($html =~ m{<[A-Za-z][^>]*>}g) {
        my %a = attrs(substr($&, 1));
        push @v, grep { defined } @a{qw(href src action formaction content data)};
    }
    return @v;
}

# Links (or refreshes) towards anything but this server.
my $FOREIGN = qr{^\s*(?:equatorschatbot|myapp|javascript|https?://evil)|evil\.example|^\s*//|url\s*=\s*['"]?\s*(?:\w+:|//)}i;
sub foreign_links { return grep { $_ =~ $FOREIGN } url_attrs($_[0]) }

sub text_of {
    my ($html) = @_;
    $html =~ s{<(script|style)\b.*?</\1\s*>}{ }gis;
    $html =~ s/<[^>]*>/ /g;
    $html = decode_entities($html);
    $html =~ s/\s+/ /g;
    return $html;
}

# The app links of a hand-off page: [href, text of the <a>].
sub app_links {
    my ($html) = @_;
    my @l;
    while ($html =~ m{<a\b([^>]*)>(.*?)</a\s*>}gis) {
        my ($inner, %a) = ($2, attrs($1));
        push @l, [ $a{href}, text_of($inner) ] if defined $a{href} && index($a{href}, "$APP?token=") == 0;
    }
    return @l;
}
sub token_in { my @l = app_links($_[0]); return @l && $l[0][0] =~ /\?token=($TOKEN_RE)\z/ ? $1 : undef }

my $BASE   = URI->new(url('/'));
my $ORIGIN = $BASE->scheme . '://' . $BASE->host_port;

sub login_url { return url('/auth/login') . '?redirect=' . $_[0] }
sub get_page  { my ($ua, $u) = @_; return $ua->get($u, 'Accept' => 'text/html') }

# Submit a form as a browser would (hidden fields kept, %fill added).
sub submit {
    my ($ua, $page_res, $form, %fill) = @_;
    my @names = sort keys %{ $form->{value} };
    my ($button) = grep { $form->{type}{$_} eq 'submit' } @names;   # the one that is clicked
    my %data = map { $_ => $form->{value}{$_} }
               grep { $form->{type}{$_} ne 'submit' || (defined $button && $_ eq $button) } @names;
    @data{keys %fill} = values %fill;
    my $action = URI->new_abs($form->{action} // '', $page_res->request->uri);
    return $ua->post($action, \%data, 'Origin' => $ORIGIN, 'Accept' => 'text/html');
}

sub password_form { my ($html) = @_; return (grep { grep { $_ eq 'password' } values %{ $_->{type} } } forms($html))[0] }
sub field_of_type {
    my ($form, $type, $name_re) = @_;
    my ($f) = grep { $form->{type}{$_} eq $type } sort keys %{ $form->{type} };
    ($f) = grep { $_ =~ $name_re } sort keys %{ $form->{type} } if !$f && $name_re;
    return $f;
}
sub sign_in {
    my ($ua, $page_res, $email, $password) = @_;
    my $form = password_form($page_res->content) or return undef;
    return submit($ua, $page_res, $form,
                  (field_of_type($form, 'email', qr/^(?:email|username|login)$/i) // 'email') => $email,
                  field_of_type($form, 'password') => $password);
}
# The form that continues to the app (not the header's sign-out form).
sub continue_form {
    my @post = grep { $_->{method} eq 'post' } forms($_[0]);
    my @app = grep { my $f = $_; (grep { defined && $_ eq $APP } values %{ $f->{value} })
                                 || index(decode_entities($f->{action} // ''), uri_escape($APP)) >= 0 } @post;
    return $app[0] // (grep { ($_->{action} // '') !~ /logout/ } @post)[0];
}
sub session_cookie {
    my ($ua) = @_;
    my $v;
    $ua->cookie_jar->scan(sub { $v = $_[2] if $_[1] =~ /^(?:__Host-)?deskauth_session\z/ });
    return $v;
}
sub is_handoff_location {
    my ($res) = @_;
    my $loc = $res->header('Location') // '';
    my $u = URI->new_abs($loc, $res->request->uri);
    return ($u->scheme // '') =~ /^https?\z/ && $u->host_port eq $BASE->host_port && ($u->query // '') =~ /(?:^|&)h=[^&]+/ ? $u : undef;
}

my ($reg, undef, $fields) = register_user();
my ($email, $password) = ($fields->{email}, $fields->{password});

# --- 1. sign in from the app's link ------------------------------------------------
my $b = browser();
my $page = get_page($b, login_url($APP));
is($page->code, 200, 'GET /auth/login?redirect=APP shows the sign-in page');
my $form = password_form($page->content);
ok($form, 'the sign-in page has a form with a password field');
ok($form && ((grep { defined && $_ eq $APP } values %{ $form->{value} })
             || index(URI->new_abs($form->{action} // '', url('/'))->as_string, uri_escape($APP)) >= 0
             || index(decode_entities($form->{action} // ''), $APP) >= 0),
   'the sign-in form carries the redirect URI');
ok(!defined token_in($page->content), 'nothing is handed off before sign-in');

my $post = sign_in($b, $page, $email, $password);
is($post && $post->code, 303, 'posting the sign-in form with valid credentials is 303');
my $handoff = $post && is_handoff_location($post);
ok($handoff, 'the 303 goes to the hand-off page (?h=ID) on this server, not to the app')
    or diag('Location: ' . ($post ? $post->header('Location') // 'none' : 'no response'));
$handoff //= URI->new(url('/auth/callback?h=missing'));

my $hp = get_page($b, $handoff);
is($hp->code, 200, 'the hand-off page opens (200)');
my @links = app_links($hp->content);
my $token = token_in($hp->content);
ok(defined $token, "the hand-off page links to $APP?token=<JWT>")
    or diag(substr($hp->content, 0, 2000));
ok((grep { $_->[1] =~ /\bOpen\b/ } @links), 'the link is a visible "Open" button');
like($hp->header('Cache-Control') // '', qr/no-store/, 'the hand-off page is Cache-Control: no-store');
# (an icon is a few hundred bytes of SVG; a QR code of a link with a JWT is kilobytes)
ok(!(grep { length > 2000 } $hp->content =~ m{(<svg\b.*?</svg\s*>)}gis),
   'the hand-off page shows no QR code of the link (no large inline SVG): no phone can use it');
ok(defined $token && !grep({ $_->[0] ne "$APP?token=$token" } @links), 'every app link carries the same token');
$token //= 'none.none.none';

my ($pres, $pjson) = json_req('GET', '/api/auth/profile', undef, bearer($token));
is($pres->code, 200, 'the handed-off token opens the profile API as a Bearer token');
is($pjson && $pjson->{data} && $pjson->{data}{user} ? $pjson->{data}{user}{email} : undef, lc $email,
   'the profile is that of the person who signed in');
my ($th, $tc) = jwt_decode($token);
is($tc && $tc->{client_id}, 'equatorschatbot', 'the handed-off token has client_id equatorschatbot');
is($th && $th->{typ}, 'at+jwt', 'the handed-off token is an access token (typ at+jwt)');
my $web_sid = token_sid(session_cookie($b));
ok(defined $web_sid, 'the browser holds its own session cookie');
ok(defined $tc && defined $tc->{sid} && defined $web_sid && $tc->{sid} ne $web_sid,
   'the desktop token belongs to a new session, not the browser session');

my $again = get_page($b, $handoff);
is($again->code, 200, 'opening the hand-off page a second time (a reload) is 200, not 410');
ok(!defined token_in($again->content) && $again->content !~ /token=$TOKEN_RE/,
   'the second opening shows no token');
like(text_of($again->content), qr/Get a new link/, 'the second opening offers "Get a new link"');

# --- 2. already signed in: "Continue to APP as EMAIL", one click ------------------
my $cont = get_page($b, login_url($APP));
is($cont->code, 200, 'a signed-in browser opening /auth/login?redirect=APP gets a page (200)');
like(text_of($cont->content), qr/Continue to \Q$APP_NAME\E as \Q@{[lc $email]}\E/,
     "the page says \"Continue to $APP_NAME as EMAIL\"");
ok(!defined $cont->header('Location') && $cont->content !~ /token=$TOKEN_RE/,
   'no silent hand-off: no Location, no token on the continue page');
my $cform = continue_form($cont->content);
my $cpost = $cform ? submit($b, $cont, $cform) : undef;
is($cpost && $cpost->code, 303, 'posting the continue form is 303');
my $h1 = $cpost && is_handoff_location($cpost);
ok($h1, 'the continue form leads to a hand-off page on this server')
    or diag('Location: ' . ($cpost ? $cpost->header('Location') // 'none' : 'no continue form') . "\n" . $cont->content);

my $stranger = browser();
my $foreign = get_page($stranger, $h1 // $handoff);
ok($h1 && $foreign->code != 200 && !defined token_in($foreign->content),
   'the hand-off page is bound to the browser session: another browser gets no token')
    or diag('stranger got ' . $foreign->code);

$cont = get_page($b, login_url($APP));
$cform = continue_form($cont->content);
$cpost = $cform ? submit($b, $cont, $cform) : undef;
my $h2 = ($cpost && is_handoff_location($cpost)) // $handoff;
my $hp2 = get_page($b, $h2);
my $token2 = token_in($hp2->content);
ok(defined $token2, 'after Continue the hand-off page links to the app with a token');
ok(defined $token2 && token_sid($token2) ne ($tc->{sid} // ''), 'each hand-off creates a new desktop session');
my ($pres2) = json_req('GET', '/api/auth/profile', undef, bearer($token2 // 'none'));
is($pres2->code, 200, 'the token from Continue opens the profile API');

# --- 3. a client without token-redirect=on must use PKCE ----------------------------
for my $who (['signed-out browser', browser()], ['signed-in browser', $b]) {
    my $res = get_page($who->[1], login_url('myapp://auth/callback'));
    is($res->code, 400, "$who->[0]: redirect= to a client without token-redirect is 400");
    like(text_of($res->content), qr/PKCE/, "$who->[0]: the error page says the app must use PKCE");
    ok(!defined $res->header('Location'), "$who->[0]: no Location header");
    is_deeply([foreign_links($res->content)], [], "$who->[0]: the page does not link to the app");
}

# --- 4. open redirects: never followed, never linked -------------------------------
my $fresh = browser();
for my $uri (@open_redirects) {
    (my $shown = $uri) =~ s/\r\n/%0d%0a/g;
    for my $who (['signed-out', $fresh], ['signed-in', $b]) {
        my $res = get_page($who->[1], login_url(uri_escape($uri)));
        is($res->code, 400, "redirect=$shown ($who->[0]): 400 error page");
        ok(!defined $res->header('Location'), "redirect=$shown ($who->[0]): no Location header");
        is_deeply([foreign_links($res->content)], [], "redirect=$shown ($who->[0]): the page never links to it");
    }
}
{
    my $res = get_page($fresh, login_url(uri_escape("$APP\r\nSet-Cookie:x=1")));
    unlike(join("\n", $res->header('Set-Cookie')), qr/(?:^|\n)\s*x=1/, 'CRLF in redirect= injects no header');
}

# --- 5. a tampered sign-in form cannot redirect elsewhere ----------------------------
{
    my $ua = browser();
    my $p = get_page($ua, login_url($APP));
    my $f = password_form($p->content);
    my $evil = 'https://evil.example/';
    if ($f) {
        my ($field) = grep { defined $f->{value}{$_} && $f->{value}{$_} eq $APP } keys %{ $f->{value} };
        if ($field) { $f->{value}{$field} = $evil }
        else {
            my $act = URI->new_abs($f->{action} // '', $p->request->uri);
            my %q = $act->query_form;
            $q{redirect} = $evil;
            $act->query_form(%q);
            $f->{action} = $act->as_string;
        }
    }
    my $res = $f ? submit($ua, $p, $f, (field_of_type($f, 'email', qr/^(?:email|username|login)$/i) // 'email') => $email,
                                    field_of_type($f, 'password') => $password) : $p;
    unlike($res->header('Location') // '', qr/evil/i, 'a sign-in form with a tampered redirect never sends the browser there');
    is_deeply([foreign_links($res->content)], [], 'a sign-in form with a tampered redirect never links there');
    my $next = is_handoff_location($res);
    my $after = $next ? get_page($ua, $next) : $res;
    is_deeply([grep { /evil/i } url_attrs($after->content)], [], 'no page after the tampered sign-in links to the attacker');
}

# --- 6. the handed-off access token buys one refresh token, once ----------------------
# An app that got only ?token=JWT refreshes with that token (as Bearer, or as
# JSON {"refreshToken"}): the first time it gets a refresh token; any later
# attempt is refused and revokes nothing (the first refresh token goes on).

# A new compatibility hand-off for the person; its access token.
sub compat_token {
    my $ua = browser();
    my $p = get_page($ua, login_url($APP));
    my $post = sign_in($ua, $p, $email, $password);
    my $next = $post && is_handoff_location($post);
    return $next ? token_in(get_page($ua, $next)->content) // 'none' : 'none';
}

my %exchange = (
    'Bearer, no body'          => sub { json_req(POST => '/auth/token', undef, bearer($_[0])) },
    'JSON {"refreshToken"}'    => sub { json_req(POST => '/auth/token', {refreshToken => $_[0]}) },
    'Bearer with a {} body'    => sub { json_req(POST => '/auth/token', {}, bearer($_[0])) },
);
sub refresh_of { my ($j) = @_; return ref $j eq 'HASH' ? $j->{refreshToken} : undef }

for my $first (sort keys %exchange) {
    my $t = compat_token();
    my ($res, $j) = $exchange{$first}->($t);
    my $r1 = refresh_of($j);
    ok($res->code == 200 && defined $r1, "exchange by $first: the first exchange gives a refresh token")
        or diag($res->content);
    for my $again (sort keys %exchange) {
        my ($r2, $j2) = $exchange{$again}->($t);
        ok($r2->code == 401 && !defined refresh_of($j2) && ($j2 && $j2->{error} // '') eq 'unauthorized',
           "exchange by $first, then again by $again: refused, no refresh token") or diag($r2->content);
    }
    my ($p) = json_req(GET => '/api/auth/profile', undef, bearer($t));
    is($p->code, 200, "exchange by $first: the refused attempts revoked nothing (the access token works)");
    my ($rr, $rj) = json_req(POST => '/auth/token', {refreshToken => $r1 // 'none'});
    ok($rr->code == 200 && defined refresh_of($rj), "exchange by $first: the first refresh token still works")
        or diag($rr->content);
}

# Four exchanges of one token at the same moment: one wins.
{
    my $t = compat_token();
    my @pids;
    pipe(my $rd, my $wr) or die "pipe: $!";
    for (1 .. 4) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            my $ua = LWP::UserAgent->new(keep_alive => 0);
            my $res = $ua->request(HTTP::Request->new(POST => url('/auth/token'),
                [Authorization => "Bearer $t", Accept => 'application/json']));
            my $j = DeskAuthTest::decode_json_or_undef($res->content);
            syswrite $wr, $res->code . ' ' . (refresh_of($j) // '-') . "\n";
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $wr;
    my @out = map { [split ' '] } <$rd>;
    waitpid $_, 0 for @pids;
    my @won = grep { $_->[0] == 200 } @out;
    ok(@out == 4 && @won == 1 && !grep({ $_->[0] != 200 && $_->[0] != 401 } @out),
       'four concurrent exchanges of one token: exactly one refresh token, the others refused')
        or diag(join ', ', map { $_->[0] } @out);
    my ($rr) = json_req(POST => '/auth/token', {refreshToken => @won ? $won[0][1] : 'none'});
    is($rr->code, 200, 'the winner\'s refresh token works (the losers revoked nothing)');
    my ($p) = json_req(GET => '/api/auth/profile', undef, bearer($t));
    is($p->code, 200, 'and the session is alive');
}

# A PKCE session of the same (token-redirect) client: its access token never
# becomes a refresh token, and trying does not disturb its own.
{
    my $d = desktop_tokens(client_id => 'equatorschatbot', redirect_uri => $APP,
                           email => $email, password => $password);
    ok(defined $d->{access} && defined $d->{refresh}, 'setup: a PKCE hand-off of equatorschatbot');
    my ($res, $j) = json_req(POST => '/auth/token', undef, bearer($d->{access} // 'none'));
    ok($res->code == 401 && !defined refresh_of($j), 'its access token as Bearer at /auth/token is refused')
        or diag($res->content);
    my ($rr) = json_req(POST => '/auth/token', {refreshToken => $d->{refresh} // 'none'});
    is($rr->code, 200, 'its own refresh token still works');
}

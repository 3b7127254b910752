# The CSRF cookie is never pasted into a page (docs/behaviour.md, "Browser
# session and CSRF"): a deskauth_csrf cookie counts only as 43 base64url
# characters. Before, any 43-byte value was reused and the sessions and
# profile pages put it into their HTML unescaped, so a cookie planted by a
# sibling subdomain or an injected Set-Cookie ran markup on our origin.
# Each attack value below is 43 bytes; every page with forms is asked with
# it next to a real session cookie: the page must not contain it, must set
# a fresh cookie, and every csrf field must be that fresh token. A form
# POST that sends the bad value as cookie and field is refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth qw(web_sign_in session_cookie origin);
use LWP::UserAgent;

my $B64URL43 = qr/\A[A-Za-z0-9_-]{43}\z/;
sub pad43 { my ($s) = @_; return substr($s . ('A' x 43), 0, 43) }

my @attacks = (
    ['a closing quote and a meta refresh', pad43(q{"><meta http-equiv=refresh content=0,url=//e>})],
    ['a script element', pad43(q{"><script>alert(document.domain)</script>})],
    ['an event handler in single quotes', pad43(q{' autofocus onfocus='alert(1)' x='})],
    ['a lone double quote at the end', ('A' x 42) . '"'],
    ['a less-than sign inside', ('A' x 20) . '<' . ('A' x 22)],
    ['an ampersand entity', ('A' x 37) . '&quot;'],
    ['spaces and an equals sign', ('A' x 20) . ' x=y ' . ('A' x 18)],
    ['standard base64 (+ and /)', ('A' x 20) . '+/' . ('A' x 21)],
    ['padding (=)', ('A' x 42) . '='],
    ['non-ASCII bytes', ('A' x 39) . "\xc3\xa9\xc3\xa9"],
);
my @pages = ('/auth/sessions', '/api/auth/profile', '/auth/login', '/auth/register');

plan tests => 2 + @attacks * (1 + 3 * @pages) + 2 * 2 + 5;

# --- a signed-in browser ---------------------------------------------------------------
my (undef, undef, $fields) = register_user();
my $b = browser();
my $signin = web_sign_in($b, @$fields{qw(email password)});
my $session = session_cookie($b);
ok(defined $session, 'setup: a browser session cookie') or diag($signin ? $signin->status_line : 'no sign-in');
is(length $attacks[0][1], 43, 'setup: the attack values are 43 bytes, as a real token');

my $raw = LWP::UserAgent->new(requests_redirectable => [], cookie_jar => undef, timeout => 30);

# GET PATH (a page) with CSRF cookie VALUE, and the session cookie unless
# PATH is the sign-in or sign-up page (which send a signed-in person on).
sub page_with {
    my ($path, $value) = @_;
    my $signed_in = $path =~ m{^/auth/(?:login|register)\b} ? '' : "deskauth_session=$session; ";
    return $raw->get(url($path), Accept => 'text/html', Cookie => "${signed_in}deskauth_csrf=$value");
}

# The deskauth_csrf value a response sets, or undef.
sub set_csrf {
    my ($res) = @_;
    for ($res->header('Set-Cookie')) {
        return $1 if defined && /^(?:__Host-)?deskauth_csrf=([^;]*)/;
    }
    return undef;
}

# Every value="..." of an input named csrf, as written in the HTML.
sub csrf_fields {
    my ($html) = @_;
    my @v;
    while ($html =~ /<input\b([^>]*)>/gi) {
        my $a = $1;
        push @v, $1 if $a =~ /\bname="csrf"/ && $a =~ /\bvalue="([^"]*)"/;
    }
    return @v;
}

for my $attack (@attacks) {
    my ($what, $value) = @$attack;
    for my $path (@pages) {
        my $res = page_with($path, $value);
        my $html = $res->content;
        my $fresh = set_csrf($res);
        is($res->code, 200, "$path with a CSRF cookie of $what is 200");
        ok(index($html, $value) < 0 && $html !~ /<script>alert|<meta http-equiv=refresh|onfocus='alert/,
           "$path does not contain the cookie of $what");
        my @f = csrf_fields($html);
        ok(defined $fresh && $fresh =~ $B64URL43 && $fresh ne $value && @f && !grep({ $_ ne $fresh } @f),
           "$path sets a new 43-character token for $what and every csrf field is it")
            or diag('set: ' . ($fresh // 'none') . ' fields: ' . join(' ', @f));
    }
    # The same value as cookie and form field is still refused.
    my $post = $raw->post(url('/auth/sessions'), [action => 'revoke-others', csrf => $value],
                          Accept => 'text/html', Origin => origin(),
                          Cookie => "deskauth_session=$session; deskauth_csrf=$value");
    is($post->code, 403, "a form POST with $what as cookie and field is 403");
}

# --- a token of ours is kept (the check is not simply "always new") ------------------
{
    my $mine = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234';
    for my $path ('/auth/sessions', '/api/auth/profile') {
        my $res = page_with($path, $mine);
        my @f = csrf_fields($res->content);
        ok(!defined set_csrf($res), "$path keeps a well-formed CSRF cookie (no new one)");
        ok(@f && !grep({ $_ ne $mine } @f), "$path puts the well-formed token into every csrf field");
    }
}

# --- the values of HTML built in C are escaped ---------------------------------------------
{
    my $res = page_with('/auth/sessions', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234');
    my $html = $res->content;
    my @items = $html =~ m{(<li class="session">.*?</li>)}gs;
    ok(@items >= 1, 'the sessions page lists the sessions');
    my @bad = grep { /<input\b[^>]*value="[^"]*[<>'][^"]*"/ } @items;
    is_deeply(\@bad, [], 'no hidden field of the sessions list holds an unescaped < > or quote');
    my $prof = page_with('/api/auth/profile', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234')->content;
    my ($connect) = $prof =~ m{(Connect a desktop app.*?)(?:<section\b|</main|\z)}s;
    ok(defined $connect && $connect =~ /name="client_id" value="example-app"/,
       'the "Connect a desktop app" forms carry client_id through the escaped hidden field');
    my $login = page_with('/auth/login?client_id=example-app&redirect_uri=http://127.0.0.1:1/callback'
                          . '&response_type=code&state=s&code_challenge=' . ('a' x 43)
                          . '&code_challenge_method=S256&device_name=%22%3E%3Cb%3Ex', 'x')->content;
    ok($login =~ /name="device_name" value="&quot;&gt;&lt;b&gt;x"/ && $login !~ /"><b>x/,
       'a device_name carried by the sign-in page is escaped');
    my $cont = $raw->get(url('/auth/login?client_id=example-app&redirect_uri=http://127.0.0.1:1/callback'
                             . '&response_type=code&state=%27%22%3E&code_challenge=' . ('a' x 43)
                             . '&code_challenge_method=S256'),
                         Accept => 'text/html', Cookie => "deskauth_session=$session")->content;
    ok($cont =~ /name="state" value="&#39;&quot;&gt;"/ && $cont !~ /value="'">/,
       'the state carried by the "Continue" page is escaped');
}

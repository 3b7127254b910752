# Claim headers through mod_proxy_http to a backend that keeps header names
# as sent. A WSGI or Rack server reads "X_DeskAuth_Role" as it reads
# "X-DeskAuth-Role" (both HTTP_X_DESKAUTH_ROLE), so every spelling of a
# claim header's name, '-' and '_' alike and in any case, must be gone
# before the request leaves httpd; only the token's claims arrive, once
# each (docs/behaviour.md, "Protected locations").
#
# The backend is this test's own child: it listens on
# t/state/echo-backend.sock (t/conf/extra.conf.in proxies /proxied/ and
# /proxied-open/ there) and answers each request with one "H name: value"
# line per header it received, names untouched. Requests are written on a
# raw socket, so that no client library rewrites the names either.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthForge qw(claims_from);
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_STREAM);
use URI;

my $sock = Apache::Test::vars('t_dir') . '/state/echo-backend.sock';

# The spoofing attempts: each spelling a backend maps to a claim header.
my @variants = (
    ['X_DeskAuth_Role',      'ADMIN'],
    ['x_deskauth_client_id', 'evil-app'],
    ['X-DESKAUTH_SUB',       'forged-sub'],
    ['x-deskauth-email',     'evil@example.com'],
    ['X_DESKAUTH-SID',       'forged-sid'],
    ['X-Deskauth_Name',      'Mallory'],
    ['X_deskAUTH_JTI',       'forged-jti'],
    ['X_DeskAuth_Extra',     'smuggled'],
);
my $spoofed = qr/ADMIN|evil-app|forged-sub|evil\@example\.com|forged-sid|Mallory|forged-jti|smuggled/;

plan tests => 3 + 8 + 2 * 3 + scalar(@variants);

# --- the backend ----------------------------------------------------------------
unlink $sock;
my $listener = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $sock, Listen => 16)
    or BAIL_OUT("cannot listen on $sock: $!");
chmod 0666, $sock;                  # httpd's children may run as nobody
my $backend = fork // BAIL_OUT("fork: $!");
if (!$backend) {
    while (my $c = $listener->accept) {
        my $head = '';
        while ($head !~ /\r\n\r\n/) {
            my $n = sysread $c, my $buf, 8192;
            last unless $n;
            $head .= $buf;
        }
        my (undef, @lines) = split /\r\n/, $head;
        my $body = join '', map { "H $_\n" } grep { length } @lines;
        print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
               . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
        close $c;
    }
    POSIX::_exit(0);
}
close $listener;
END { local $?; if ($backend) { kill 'TERM', $backend; waitpid $backend, 0; unlink $sock } }

# GET PATH with HEADERS ([name, value] pairs) exactly as written; returns
# (status, [[name, value], ...] the backend received).
sub raw_get {
    my ($path, @headers) = @_;
    my $u = URI->new(url($path));
    my $s = IO::Socket::INET->new(PeerAddr => $u->host, PeerPort => $u->port, Timeout => 30)
        or return (0, []);
    print $s "GET $path HTTP/1.0\r\nHost: " . $u->host_port . "\r\n"
           . join('', map { "$_->[0]: $_->[1]\r\n" } @headers) . "\r\n";
    local $/;
    my $raw = <$s> // '';
    close $s;
    my ($status) = $raw =~ m{^HTTP/\d\.\d (\d{3})};
    my (undef, $body) = split /\r\n\r\n/, $raw, 2;
    my @got = map { /^H ([^:]+): ?(.*)\z/ ? [$1, $2] : () } split /\n/, $body // '';
    return ($status // 0, \@got);
}

# The received headers that a WSGI/Rack backend would take for a claim
# header: name lower-cased, '_' read as '-', name => [values].
sub claim_like {
    my ($got) = @_;
    my %h;
    for (@$got) {
        (my $n = lc $_->[0]) =~ tr/_/-/;
        push @{ $h{$n} }, $_->[1] if $n =~ /^x-deskauth-/;
    }
    return \%h;
}

my ($reg, $json) = register_user();
my $token = ($json && ref $json->{tokens}) ? $json->{tokens}{accessToken} : 'none';
my $claims = claims_from($token);
ok(defined $claims->{sub} && defined $claims->{sid}, 'setup: a web session token with sub and sid');

# --- the backend sees names as sent ------------------------------------------------
{
    my ($status, $got) = raw_get('/proxied-open/', ['X_Other_Header', 'kept'], ['x-other-dash', 'kept']);
    is($status, 200, 'the backend answers through mod_proxy_http');
    ok((grep { $_->[0] eq 'X_Other_Header' && $_->[1] eq 'kept' } @$got)
       && (grep { $_->[0] eq 'x-other-dash' } @$got),
       'underscore header names reach the backend as sent (so the attack below is real)')
        or diag(explain($got));
}

# --- a protected location: only the token's claims, once each ------------------------
{
    my ($status, $got) = raw_get('/proxied/', ['Authorization', "Bearer $token"], @variants);
    my $h = claim_like($got);
    is($status, 200, 'protected /proxied/ with a token and 8 spoofed spellings is served');
    is_deeply($h->{'x-deskauth-role'}, ['USER'], 'X_DeskAuth_Role: ADMIN is gone; the token role arrives once');
    is_deeply($h->{'x-deskauth-sub'}, [$claims->{sub}], 'X-DESKAUTH_SUB is gone; the token sub arrives once');
    is_deeply($h->{'x-deskauth-sid'}, [$claims->{sid}], 'X_DESKAUTH-SID is gone; the token sid arrives once');
    is_deeply($h->{'x-deskauth-email'}, [$claims->{email}], 'x-deskauth-email is gone; the token email arrives once');
    # a website token's client_id is deskauth-web (RFC 9068: every token has one)
    is_deeply($h->{'x-deskauth-client-id'}, ['deskauth-web'],
              'x_deskauth_client_id is gone; the token client_id (deskauth-web) arrives once');
    ok(!exists $h->{'x-deskauth-extra'}, 'X_DeskAuth_Extra (a claim this token lacks) does not arrive at all')
        or diag(explain($h));
    ok(!grep({ $_->[1] =~ $spoofed } @$got), 'no spoofed value reaches the backend under any name')
        or diag(explain($got));
}

# --- an unprotected location: every spelling removed, with or without a token ----------
for my $case (['without a token'], ['with a token', ['Authorization', "Bearer $token"]]) {
    my ($what, @auth) = @$case;
    my ($status, $got) = raw_get('/proxied-open/', @auth, @variants);
    is($status, 200, "unprotected /proxied-open/ $what is served");
    is_deeply(claim_like($got), {}, "no claim-like header reaches an unprotected backend $what")
        or diag(explain($got));
    ok(!grep({ $_->[1] =~ $spoofed } @$got), "no spoofed value reaches an unprotected backend $what");
}

# --- each spelling on its own ---------------------------------------------------------
for my $v (@variants) {
    my ($status, $got) = raw_get('/proxied-open/', $v);
    ok($status == 200 && !%{ claim_like($got) }, "$v->[0] alone is removed")
        or diag("status $status: " . explain($got));
}

# DeskAuthPassClaims: claims exported as DESKAUTH_<CLAIM> env vars and
# X-DeskAuth-<Claim> request headers (docs/interface.md); incoming X-DeskAuth-*
# headers are removed on every request (docs/behaviour.md).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthForge qw(claims_from jwt_sign key_path);
use LWP::UserAgent;

plan tests => 39;

my $raw = LWP::UserAgent->new(max_redirect => 0, timeout => 30, cookie_jar => undef);

# The echo CGI prints "ENV NAME=value" and "HDR Name: value" lines.
sub echo {
    my ($path, @h) = @_;
    my $res = $raw->get(url($path), @h);
    my (%env, %hdr);
    for my $line (split /\r?\n/, $res->content) {
        if    ($line =~ /^ENV ([A-Za-z0-9_]+)=(.*)\z/) { $env{$1} = $2 }
        elsif ($line =~ /^HDR ([^:]+):\s?(.*)\z/)      { $hdr{lc $1} = $2 }
    }
    return ($res, \%env, \%hdr);
}

my $email = unique_email();
my ($reg, $json) = register_user(email => $email);
my $token = ($json && ref $json->{tokens}) ? $json->{tokens}{accessToken} : 'none';
my $claims = claims_from($token);
my %spoof = ('X-DeskAuth-Role' => 'ADMIN', 'X-DeskAuth-Email' => 'evil@example.com',
             'X-DeskAuth-Sub' => 'forged-sub', 'X-DeskAuth-Extra' => 'smuggled');

ok(defined $claims->{sub} && defined $claims->{sid}, 'the registration token carries sub and sid claims');

{
    my ($res, $env, $hdr) = echo('/echo-env', bearer($token));
    is($res->code, 200, '/echo-env with a valid token is served');
    is($env->{DESKAUTH_SUB}, $claims->{sub}, 'DESKAUTH_SUB is the token sub');
    is($env->{DESKAUTH_EMAIL}, lc $email, 'DESKAUTH_EMAIL is the registered email');
    is($env->{DESKAUTH_ROLE}, 'USER', 'DESKAUTH_ROLE is the default role USER');
    is($env->{DESKAUTH_SID}, $claims->{sid}, 'DESKAUTH_SID is the token sid');
    is($env->{DESKAUTH_NAME}, $claims->{name}, 'DESKAUTH_NAME is the token name claim');
    is($hdr->{'x-deskauth-sub'}, $claims->{sub}, 'X-DeskAuth-Sub header is the token sub');
    is($hdr->{'x-deskauth-email'}, lc $email, 'X-DeskAuth-Email header is the registered email');
    is($hdr->{'x-deskauth-role'}, 'USER', 'X-DeskAuth-Role header is USER');
    is($hdr->{'x-deskauth-sid'}, $claims->{sid}, 'X-DeskAuth-Sid header is the token sid');
}

# Spoofed headers on a protected location: the values seen are the token's.
{
    my ($res, $env, $hdr) = echo('/echo-env', bearer($token), %spoof);
    is($res->code, 200, '/echo-env with a valid token and spoofed X-DeskAuth-* headers is served');
    is($hdr->{'x-deskauth-role'}, 'USER', 'spoofed X-DeskAuth-Role: ADMIN does not arrive; the token role does');
    is($hdr->{'x-deskauth-email'}, lc $email, 'spoofed X-DeskAuth-Email does not arrive; the token email does');
    is($hdr->{'x-deskauth-sub'}, $claims->{sub}, 'spoofed X-DeskAuth-Sub does not arrive; the token sub does');
    is($env->{DESKAUTH_ROLE}, 'USER', 'DESKAUTH_ROLE is not influenced by the spoofed header');
    ok(!exists $hdr->{'x-deskauth-extra'}, 'a spoofed X-DeskAuth-Extra (no such claim) is removed');
    unlike($res->content, qr/ADMIN|evil\@example\.com|forged-sub|smuggled/,
           'no spoofed value reaches the application at all');
}

# DESKAUTH_* variables say what the token says, whatever the request
# carried: a SetEnvIf rule of the location (t/conf/extra.conf.in) turns
# X-Legacy-Role into DESKAUTH_ROLE, DESKAUTH_CLIENT_ID and DESKAUTH_ADMIN;
# headers named like the variables become HTTP_* (or nothing) in a CGI.
{
    my ($res, $env, $hdr) = echo('/echo-env', bearer($token), 'X-Legacy-Role' => 'ADMIN',
                                 ':DESKAUTH_ROLE' => 'ADMIN', 'Deskauth-Role' => 'ADMIN',
                                 ':DESKAUTH_CLIENT_ID' => 'ADMIN', ':X_DeskAuth_Role' => 'ADMIN');
    is($res->code, 200, '/echo-env with headers aimed at DESKAUTH_* is served');
    is($env->{DESKAUTH_ROLE}, 'USER', 'DESKAUTH_ROLE is the token role, not the one a header set');
    is($env->{DESKAUTH_CLIENT_ID}, 'deskauth-web',
       'DESKAUTH_CLIENT_ID is the token\'s (deskauth-web for the website), not the one a header set');
    ok(!exists $env->{DESKAUTH_ADMIN}, 'no DESKAUTH_* variable the token does not export (DESKAUTH_ADMIN)');
    is($hdr->{'x-deskauth-role'}, 'USER', 'X-DeskAuth-Role (HTTP_X_DESKAUTH_ROLE) is the token role');
    unlike($res->content, qr/ADMIN/, 'the value ADMIN reaches the application under no name');
}

# Control characters in a claim (a token signed with the server's key, as
# another service of the site might mint) reach the application blanked,
# when the token is verified and again when the verified-token cache of
# the same process answers (one keep-alive connection); each claim arrives
# once.
{
    my %c = (%$claims, name => "Eve\tEvil\x7fX\x01", jti => "ctl-$$-" . time);
    my $forged = jwt_sign(header => { alg => 'ES256', typ => 'at+jwt', kid => 'test-es256' },
                          claims => \%c, es256 => key_path('es256.pem'));
    my $ka = LWP::UserAgent->new(keep_alive => 1, timeout => 30, cookie_jar => undef);
    for my $pass ('verified', 'cached') {
        my $res = $ka->get(url('/echo-env'), bearer($forged));
        my $body = $res->content;
        is($res->code, 200, "a token with control characters in its name is served ($pass)");
        like($body, qr/^ENV DESKAUTH_NAME=Eve Evil X \n/m, "DESKAUTH_NAME has them blanked ($pass)");
        like($body, qr/^HDR X-DeskAuth-Name: Eve Evil X \n/m, "X-DeskAuth-Name has them blanked ($pass)");
        is(scalar(() = $body =~ /^HDR X-DeskAuth-Sub:/mg), 1, "X-DeskAuth-Sub arrives once ($pass)");
    }
}

# Unprotected location: incoming X-DeskAuth-* headers are removed all the same.
{
    my ($res, $env, $hdr) = echo('/echo-open', %spoof);
    is($res->code, 200, '/echo-open (no AuthType) is served');
    is_deeply([sort keys %$hdr], [], 'no X-DeskAuth-* header reaches an unprotected location');
    is_deeply([grep { /^DESKAUTH_/ } keys %$env], [], 'no DESKAUTH_* variable on an unprotected location');
    unlike($res->content, qr/ADMIN|evil\@example\.com|smuggled/, 'no spoofed value reaches an unprotected location');

    my ($res2, $env2, $hdr2) = echo('/echo-open', bearer($token), %spoof);
    is($res2->code, 200, '/echo-open with a token and spoofed headers is served');
    is_deeply([sort keys %$hdr2], [], 'a token does not make spoofed X-DeskAuth-* headers pass on an unprotected location');
    unlike($res2->content, qr/ADMIN|evil\@example\.com|smuggled/,
           'no spoofed value reaches an unprotected location when a token is sent');
}

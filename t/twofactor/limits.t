# Two-step sign-in on a server of its own (docs/twofactor.md):
#   DeskAuthLoginLimit 3 30   each wrong code counts as a failed sign-in, so
#                             brute force of codes ends in 429, and a known
#                             password does not reset the count;
#   DeskAuthRequire2FA EMPLOYER  an EMPLOYER must enrol before the sign-in
#                             completes (401 second_factor_enrolment_required);
#   configtest warns when DeskAuthDataKey is not set.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthTest qw(csrf_from);
use DeskAuthForge qw(jwt_decode);
use DeskAuthTotp qw(have_oathtool totp_code);
use File::Temp ();

my @missing = DeskAuthServer::missing();
push @missing, 'oathtool' unless have_oathtool();
push @missing, DeskAuthServer::ctl_path() . ' (run make)' unless -x DeskAuthServer::ctl_path();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 37;

my $PW = 'correct horse 1';
my $keyfile = File::Temp->new(SUFFIX => '.key');
print $keyfile unpack('H*', join '', map { chr int rand 256 } 1 .. 32), "\n";
close $keyfile;
chmod 0644, $keyfile->filename;

my $twofa = "<Location /auth/2fa>\n    SetHandler deskauth-twofactor\n</Location>\n";
my $srv = DeskAuthServer->new(name => 'twofactor', locations => $twofa,
    conf => "DeskAuthLoginLimit 3 30\nDeskAuthDataKey \"${\ $keyfile->filename}\"\n"
          . "DeskAuthRoles USER EMPLOYER\nDeskAuthRequire2FA EMPLOYER\n");
ok($srv->start, 'a server with DeskAuthLoginLimit 3 30 and DeskAuthRequire2FA EMPLOYER starts')
    or BAIL_OUT($srv->why);

sub amr_of {
    my ($token) = @_;
    my $c = eval { (jwt_decode($token))[1] } || {};
    return ref $c->{amr} eq 'ARRAY' ? join(' ', @{ $c->{amr} }) : '';
}

sub login { my ($email, $from) = @_; return $srv->req(POST => '/auth/login', json => { email => $email, password => $PW }, from => $from) }
sub code  { my ($mfa, $code, $from) = @_; return $srv->req(POST => '/auth/login', json => { mfaToken => $mfa, code => $code }, from => $from) }

# An account of role USER with an authenticator enrolled; returns its key.
sub enrolled {
    my ($email, $from) = @_;
    $srv->ctl_add_user($email, $PW) or return;
    my (undef, $j) = login($email, $from);
    my $at = $j->{tokens}{accessToken} or return;
    (undef, $j) = $srv->req(POST => '/auth/2fa', json => { action => 'setup' }, bearer => $at, from => $from);
    my $key = $j->{data}{secret} or return;
    my ($r) = $srv->req(POST => '/auth/2fa', json => { action => 'confirm', code => totp_code($key) },
                        bearer => $at, from => $from);
    return $r->code == 200 ? $key : undef;
}

sub wrong_codes {
    my ($key) = @_;
    my %w = map { totp_code($key, $_) => 1 } (-30, 0, 30, 60);
    return grep { !$w{$_} } map { sprintf '%06d', 111111 * $_ } 1 .. 9;
}

# --- brute force of codes -> 429 --------------------------------------------------
{
    my $from = '127.0.0.21';
    my $email = 'brute@example.com';
    my $key = enrolled($email, $from);
    ok($key, 'an account with an authenticator app');
    my ($r, $j) = login($email, $from);
    my $mfa = $j->{mfaToken};
    ok($r->code == 401 && $mfa, 'password step: 401 with an mfaToken');
    my @wrong = wrong_codes($key);
    my @got;
    for my $i (0 .. 2) {
        ($r, $j) = code($mfa, $wrong[$i], $from);
        push @got, $j->{error} // '';
    }
    is_deeply(\@got, [('invalid_code') x 3], 'three wrong codes: invalid_code each');
    ($r, $j) = code($mfa, $wrong[3], $from);
    is($r->code, 429, 'the fourth try within the window: 429');
    is($j->{error} // '', 'rate_limited', 'error rate_limited');
    like($r->header('Retry-After') // '', qr/^\d+$/, 'with Retry-After');
    ($r, $j) = code($mfa, totp_code($key, 30), $from);
    is($r->code, 429, 'even the right code is refused while the account is locked');
    ($r, $j) = login($email, $from);
    is($r->code, 429, 'and so is the right password (the code failures counted as sign-ins)');
}

# --- a known password does not reset the count ---------------------------------------
{
    my $from = '127.0.0.22';
    my $email = 'again@example.com';
    my $key = enrolled($email, $from);
    ok($key, 'a second enrolled account');
    my @wrong = wrong_codes($key);
    my ($r, $j) = login($email, $from);
    code($j->{mfaToken}, $wrong[0], $from);
    code($j->{mfaToken}, $wrong[1], $from);
    ($r, $j) = login($email, $from);
    ok($r->code == 401 && $j->{mfaToken}, 'signing in again with the password: a new mfaToken');
    ($r, $j) = code($j->{mfaToken}, $wrong[2], $from);
    is($j->{error} // '', 'invalid_code', 'a third wrong code, on the new mfaToken');
    ($r, $j) = login($email, $from);
    is($r->code, 429, 'the count went on across mfaTokens: 429');
}

# --- several accounts from one address: the per-IP counter -----------------------------
{
    my $from = '127.0.0.23';
    my @accounts = map { "ip$_\@example.com" } 1 .. 5;
    my (@keys, $limited);
    for my $e (@accounts) { push @keys, enrolled($e, $from) }
    is(scalar(grep { defined } @keys), 5, 'five enrolled accounts');
    my $n = 0;
    ACCOUNT: for my $i (0 .. 4) {
        my ($r, $j) = login($accounts[$i], $from);
        if ($r->code == 429) { $limited = 1; last }
        my @wrong = wrong_codes($keys[$i]);
        my $mfa = $j->{mfaToken};
        for my $w (@wrong[0 .. 2]) {
            ($r, $j) = code($mfa, $w, $from);
            if ($r->code == 429) { $limited = 1; last ACCOUNT }
            $n++;
        }
    }
    ok($limited, 'guessing codes of many accounts from one address ends in 429');
    cmp_ok($n, '<=', 12, "after at most 12 wrong codes ($n)");
}

# --- DeskAuthRequire2FA: enrol before the sign-in completes -------------------------------
{
    my $from = '127.0.0.24';
    my $email = 'boss@example.com';
    my ($st, $out) = $srv->ctl("$PW\n", 'user', 'add', $email, '--role', 'EMPLOYER', '--cost', 4);
    is($st, 0, 'an EMPLOYER account') or diag($out);
    my ($r, $j) = login($email, $from);
    is($r->code, 401, 'password step: 401');
    is($j->{error} // '', 'second_factor_enrolment_required', 'error second_factor_enrolment_required');
    my $key = $j->{secret} // '';
    like($key, qr/^[A-Z2-7]{32}$/, 'a new key to enrol');
    like($j->{otpauthUri} // '', qr{^otpauth://totp/.*secret=\Q$key\E}, 'with its otpauth URI');
    ok(!$j->{tokens}, 'and no token');
    my $mfa = $j->{mfaToken};
    ($r) = $srv->req(GET => '/api/auth/profile', bearer => $mfa, from => $from);
    is($r->code, 401, 'the mfaToken is no access token (second step skipped)');
    ($r) = $srv->req(POST => '/auth/2fa', json => { action => 'setup' }, bearer => $mfa, from => $from);
    is($r->code, 401, 'nor does it open the enrolment endpoint');
    ($r, $j) = code($mfa, '123456' eq totp_code($key) ? '654321' : '123456', $from);
    is($j->{error} // '', 'invalid_code', 'a wrong code does not enrol');
    my $c = totp_code($key);
    ($r, $j) = code($mfa, $c, $from);
    is($r->code, 200, 'the oathtool code enrols and completes the sign-in');
    is(scalar @{ $j->{recoveryCodes} || [] }, 10, 'the answer carries the ten recovery codes');
    is(amr_of($j->{tokens}{accessToken} // ''), 'pwd otp mfa', 'amr says otp');
    ($r, $j) = login($email, $from);
    is($j->{error} // '', 'second_factor_required', 'the next sign-in asks for a code');
    ($r, $j) = code($j->{mfaToken}, $c, $from);
    is($j->{error} // '', 'invalid_code', 'the enrolling code is not accepted again');
}

# --- DeskAuthRequire2FA on the sign-in page ---------------------------------------------
{
    my $from = '127.0.0.25';
    my $email = 'chief@example.com';
    $srv->ctl("$PW\n", 'user', 'add', $email, '--role', 'EMPLOYER', '--cost', 4);
    my $ua = $srv->ua(from => $from, cookies => 1);
    my $get = $ua->get($srv->url('/auth/login'), Accept => 'text/html');
    my $csrf = csrf_from($get->content);
    my %o = (Origin => $srv->base, Accept => 'text/html');
    my $r = $ua->post($srv->url('/auth/login'), [csrf => $csrf, email => $email, password => $PW], %o);
    my ($key) = $r->content =~ m{<code id="totp-key">([A-Z2-7]+)</code>};
    ok($r->code == 200 && $key && $r->content =~ /<svg\b/, 'page: the password shows the QR code and the key');
    my ($mfa) = $r->content =~ m{name="mfaToken" value="([^"]+)"};
    $csrf = csrf_from($r->content);
    my $w = $ua->post($srv->url('/auth/login'),
                      [csrf => $csrf, mfaToken => $mfa, code => '000000' eq totp_code($key) ? '111111' : '000000'], %o);
    is($w->code, 401, 'page: a wrong code, 401');
    like($w->content, qr{<code id="totp-key">\Q$key\E</code>}, 'page: the same key is shown again');
    $r = $ua->post($srv->url('/auth/login'), [csrf => $csrf, mfaToken => $mfa, code => totp_code($key)], %o);
    my @codes = $r->content =~ m{<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>}g;
    ok($r->code == 200 && @codes == 10, 'page: the right code signs in and shows the ten recovery codes');
    my ($p) = $ua->get($srv->url('/api/auth/profile'), Accept => 'application/json');
    is($p->code, 200, 'page: the browser is signed in');
}

# --- configtest warns without DeskAuthDataKey ---------------------------------------------
{
    my $bare = DeskAuthServer->new(name => 'nodatakey');
    my $out = `"${\ DeskAuthServer::httpd()}" -t -f "${\ $bare->conf_file}" -d "${\ $bare->dir}" 2>&1`;
    like($out, qr/DeskAuthDataKey: not set/, 'configtest warns when DeskAuthDataKey is not set');
    $out = `"${\ DeskAuthServer::httpd()}" -t -f "${\ $srv->conf_file}" -d "${\ $srv->dir}" 2>&1`;
    unlike($out, qr/DeskAuthDataKey/, 'and not when it is');
}

# Two-step sign-in in the JSON API (docs/twofactor.md): enrolment confirmed
# by an oathtool code, ten recovery codes, the second step after the
# password (401 second_factor_required + mfaToken, then {mfaToken, code}),
# amr in the tokens, Require deskauth-claim amr, DESKAUTH_AMR, and the
# attacks: a TOTP code replayed (the enrolment's too), a recovery code used
# twice (in several spellings), the mfaToken reused, expired, guessed, or
# used in place of a token (second step skipped), five wrong codes, the
# secret stored sealed, codes absent from the log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthForge qw(jwt_decode);
use DeskAuthTotp qw(have_oathtool totp_code token_hash sql_value);
use LWP::UserAgent;

plan skip_all => 'needs oathtool (tools/deps --test)' unless have_oathtool();
plan tests => 62;

my $log_start = -s error_log_path() // 0;
my ($driver, $params) = DeskAuthCtl::db_args();

sub amr_of {
    my ($token) = @_;
    my $c = eval { (jwt_decode($token))[1] } || {};
    return ref $c->{amr} eq 'ARRAY' ? join(' ', @{ $c->{amr} }) : '';
}

sub password_step {
    my ($email) = @_;
    return login_user($email, 'correct horse 1');
}

sub second_step {
    my ($token, $code) = @_;
    return json_req(POST => '/auth/login', { mfaToken => $token, code => $code });
}

# --- an account, and a password-only token for comparison ---------------------
my $email = unique_email();
my ($reg, $rj) = register_user(email => $email);
is($reg->code, 201, 'registered');
my $pw_token = $rj->{tokens}{accessToken};
is(amr_of($pw_token), 'pwd', 'a password sign-in says amr ["pwd"]');

# --- enrolment -----------------------------------------------------------------------
my ($res, $j) = json_req(GET => '/auth/2fa', undef, bearer($pw_token));
ok($res->code == 200 && $j->{data}{enabled} eq '0', 'status: two-step sign-in off');

($res, $j) = json_req(POST => '/auth/2fa', { action => 'setup' }, bearer($pw_token));
is($res->code, 200, 'setup answers 200');
my $key = $j->{data}{secret} // '';
like($key, qr/^[A-Z2-7]{32}$/, 'the key is 160 bits of base32');
my $qe = $email =~ s/\@/\@/r;
like($j->{data}{otpauthUri} // '',
     qr{^otpauth://totp/DeskAuth%20Test:\Q$qe\E\?secret=\Q$key\E&issuer=DeskAuth%20Test&},
     'the otpauth URI names the site and the account');

SKIP: {
    skip 'no sqlite3/psql tool', 2
        unless defined sql_value($driver, $params, 'SELECT 1');
    my $stored = sql_value($driver, $params,
        "SELECT t.secret FROM deskauth_totp t JOIN deskauth_users u ON u.id = t.user_id "
        . "WHERE u.email = '$email'") // '';
    like($stored, qr/^g1\./, 'the key is stored sealed (AES-256-GCM)');
    unlike($stored, qr/\Q$key\E/i, 'the stored value does not contain the key');
}

($res, $j) = json_req(POST => '/auth/2fa', { action => 'confirm', code => '000000' },
                      bearer($pw_token));
is($j->{error} // '', 'invalid_code', 'a wrong confirmation code is refused');
my $enrol_code = totp_code($key);
($res, $j) = json_req(POST => '/auth/2fa', { action => 'confirm', code => $enrol_code },
                      bearer($pw_token));
is($res->code, 200, 'the oathtool code confirms the enrolment');
my @recovery = @{ $j->{data}{recoveryCodes} || [] };
is(scalar @recovery, 10, 'ten recovery codes');
is(scalar(grep { /^[a-z2-7]{5}-[a-z2-7]{5}$/ } @recovery), 10, 'each is 10 base32 characters');
my %seen; @seen{@recovery} = ();
is(scalar keys %seen, 10, 'all different');

($res, $j) = json_req(POST => '/auth/2fa', { action => 'setup' }, bearer($pw_token));
is($res->code, 409, 'setup again while on: 409 (the key is kept)');
($res, $j) = json_req(GET => '/auth/2fa', undef, bearer($pw_token));
ok($j->{data}{enabled} && $j->{data}{recoveryCodesLeft} == 10, 'status: on, 10 codes left');

# --- the password step ---------------------------------------------------------------
($res, $j) = password_step($email);
is($res->code, 401, 'the right password alone: 401');
is($j->{error} // '', 'second_factor_required', 'error second_factor_required');
my $mfa = $j->{mfaToken} // '';
like($mfa, qr/^[A-Za-z0-9_-]{43}$/, 'mfaToken: 256 random bits, base64url');
ok(!$j->{tokens} && !$j->{accessToken}, 'no token in the first answer');
ok(!grep({ /deskauth_session/ } $res->header('Set-Cookie')), 'no session cookie either');

# --- second step skipped ---------------------------------------------------------------
for my $path ('/api/auth/profile', '/protected/', '/amr/') {
    my ($r2) = json_req(GET => $path, undef, bearer($mfa));
    is($r2->code, 401, "the mfaToken as a Bearer token at $path: 401");
}
{
    my $ua = LWP::UserAgent->new;
    my $rr = $ua->post(url('/auth/token'), [grant_type => 'refresh_token', refresh_token => $mfa]);
    is($rr->code, 400, 'the mfaToken as a refresh token: refused')
        or diag($rr->content);
}

# --- the enrolment's code counts as used ------------------------------------------------
($res, $j) = second_step($mfa, $enrol_code);
is($j->{error} // '', 'invalid_code', 'the code that confirmed the enrolment is refused (used once)');

my $next = totp_code($key, 30);
($res, $j) = second_step($mfa, $next);
is($res->code, 200, 'the next code (within the drift window) signs in');
is($j->{message} // '', 'Login successful', 'same answer as a password sign-in');
my $otp_token = $j->{tokens}{accessToken} // '';
my $otp_refresh = $j->{tokens}{refreshToken} // '';
is(amr_of($otp_token), 'pwd otp mfa', 'amr ["pwd","otp","mfa"] in the access token');

($res, $j) = second_step($mfa, totp_code($key, 30));
is($j->{error} // '', 'invalid_mfa_token', 'the mfaToken cannot be used twice');

# --- replay of a TOTP code ------------------------------------------------------------
($res, $j) = password_step($email);
my $mfa2 = $j->{mfaToken};
($res, $j) = second_step($mfa2, $next);
is($j->{error} // '', 'invalid_code', 'a TOTP code already used is refused (replay)');
($res, $j) = second_step($mfa2, $enrol_code);
is($j->{error} // '', 'invalid_code', 'an older code of the window is refused too');

# --- recovery codes, each once, in any spelling ---------------------------------------
($res, $j) = second_step($mfa2, $recovery[0]);
is($res->code, 200, 'a recovery code signs in');
is(amr_of($j->{tokens}{accessToken} // ''), 'pwd otp mfa', 'amr says otp');
for my $variant ($recovery[0], uc $recovery[0], $recovery[0] =~ s/-//r, " $recovery[0] ") {
    ($res, $j) = password_step($email);
    my ($r3, $j3) = second_step($j->{mfaToken}, $variant);
    is($j3->{error} // '', 'invalid_code', "recovery code used twice (as '$variant'): refused");
}
($res, $j) = password_step($email);
($res, $j) = second_step($j->{mfaToken}, uc($recovery[1] =~ s/-//r));
is($res->code, 200, 'another recovery code, upper case without dash: accepted');
($res, $j) = json_req(GET => '/auth/2fa', undef, bearer($otp_token));
is($j->{data}{recoveryCodesLeft}, 8, 'two recovery codes used, 8 left');

# --- five wrong codes end the mfaToken -------------------------------------------------
($res, $j) = password_step($email);
my $mfa3 = $j->{mfaToken};
my %window = map { totp_code($key, $_) => 1 } (-30, 0, 30, 60);
my @candidates = grep { !$window{$_} } map { sprintf '%06d', 111111 * $_ } 1 .. 9;
my @wrong;
for my $i (0 .. 4) {
    my ($r4, $j4) = second_step($mfa3, $candidates[$i]);
    push @wrong, $j4->{error} // '';
}
is_deeply([@wrong[0 .. 3]], [('invalid_code') x 4], 'wrong codes 1-4: invalid_code');
is($wrong[4], 'invalid_mfa_token', 'the fifth wrong code ends the attempt');
($res, $j) = second_step($mfa3, $recovery[2]);
is($j->{error} // '', 'invalid_mfa_token', 'then even an unused recovery code is refused with that mfaToken');

# --- unknown, malformed, expired mfaTokens ----------------------------------------------
($res, $j) = second_step('A' x 43, totp_code($key));
is($j->{error} // '', 'invalid_mfa_token', 'a guessed mfaToken: 401 invalid_mfa_token');
is($res->code, 401, '... status 401');
($res, $j) = second_step('', totp_code($key));
is($res->code, 400, 'an empty mfaToken: 400');
($res, $j) = password_step($email);
my $mfa4 = $j->{mfaToken};
($res, $j) = second_step($mfa4, '');
ok($res->code == 400 && ($j->{error} // '') eq 'invalid_request', 'no code: 400 invalid_request');
($res, $j) = json_req(POST => '/auth/login', { mfaToken => $mfa4, code => ['123456'] });
is($res->code, 400, 'a code that is not a string: 400');
SKIP: {
    skip 'no sqlite3/psql tool', 2 unless defined sql_value($driver, $params, 'SELECT 1');
    my $h = token_hash($mfa4);
    sql_value($driver, $params, "UPDATE deskauth_mfa_pending SET expires_at = 1 "
              . "WHERE token_hash = '$h'");
    is(sql_value($driver, $params, "SELECT expires_at FROM deskauth_mfa_pending "
                 . "WHERE token_hash = '$h'"), 1, 'the mfaToken is made 5 minutes old');
    ($res, $j) = second_step($mfa4, $recovery[3]);
    is($j->{error} // '', 'invalid_mfa_token', 'an expired mfaToken is refused (with a valid recovery code)');
}

# --- amr kept through refresh; Require deskauth-claim amr; CGI -------------------------
{
    my $ua = LWP::UserAgent->new;
    my $rr = $ua->post(url('/auth/token'), [grant_type => 'refresh_token', refresh_token => $otp_refresh]);
    my $rj2 = DeskAuthTest::decode_json_or_undef($rr->content) || {};
    is(amr_of($rj2->{access_token} // ''), 'pwd otp mfa', 'a refreshed token keeps amr');
}
my ($ra) = json_req(GET => '/amr/', undef, bearer($otp_token));
is($ra->code, 200, 'Require deskauth-claim amr otp hwk: an otp token passes');
($ra) = json_req(GET => '/amr/', undef, bearer($pw_token));
is($ra->code, 403, 'a password-only token (amr ["pwd"]) is refused');
{
    my $ua = LWP::UserAgent->new;
    my $er = $ua->get(url('/echo-env'), bearer($otp_token));
    like($er->content, qr/^ENV DESKAUTH_AMR=pwd otp mfa$/m, 'DESKAUTH_AMR: space-separated');
    like($er->content, qr/^HDR X-DeskAuth-Amr: pwd otp mfa$/mi, 'X-DeskAuth-Amr too');
}

# --- deskauthctl user reset-2fa ---------------------------------------------------------
my ($st, $out) = deskauthctl_output('user', 'reset-2fa', $email);
is($st, 0, 'deskauthctl user reset-2fa exits 0');
($res, $j) = password_step($email);
is($res->code, 200, 'after the reset the password alone signs in');
is(amr_of($j->{tokens}{accessToken} // ''), 'pwd', '... with amr ["pwd"]');
($st) = deskauthctl_output('user', 'reset-2fa', 'nobody-' . unique_email());
isnt($st, 0, 'reset-2fa of an unknown email fails');

# --- a code typed with a space, as apps show it ("123 456") ----------------------------
{
    my ($r5, $j5) = register_user();
    my $at = $j5->{tokens}{accessToken};
    my (undef, $s5) = json_req(POST => '/auth/2fa', { action => 'setup' }, bearer($at));
    my $k5 = $s5->{data}{secret} // '';
    my $spaced = sub { my $c = totp_code($k5, @_); substr($c, 3, 0, ' '); $c };
    my ($c5) = json_req(POST => '/auth/2fa', { action => 'confirm', code => $spaced->(0) }, bearer($at));
    is($c5->code, 200, 'a spaced code confirms the enrolment');
    my (undef, $l5) = password_step($j5->{user}{email});
    my ($f5) = second_step($l5->{mfaToken}, $spaced->(30));
    is($f5->code, 200, 'and signs in');
}

# --- nothing secret in the log ----------------------------------------------------------
# The module's own lines (httpd's core traces request headers itself at
# trace levels, and this file sends an mfaToken as a Bearer token).
my $log = join "\n", grep { /\[deskauth:/ } split /\n/, error_log_since($log_start);
my @leaks = grep { index($log, $_) >= 0 } ($key, $mfa, $mfa2, $mfa3, @recovery,
                                             token_hash($mfa), $recovery[0] =~ s/-//r);
ok(!@leaks, 'no key, mfaToken, its hash or recovery code in the error log')
    or diag("found: " . substr($leaks[0], 0, 6) . '...');
unlike($log, qr/(?:code|otp)[^\n]{0,20}\b\Q$next\E\b/, 'no TOTP code in the error log');

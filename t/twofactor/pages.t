# Two-step sign-in in the browser (docs/twofactor.md): the profile links to
# /auth/2fa, which enrols with a QR code and the key as text, confirmed by
# an oathtool code, then shows the ten recovery codes once; the sign-in page
# then asks for a code after the password, without a session cookie before
# it (second step skipped: nothing protected opens), and a pending desktop
# hand-off (PKCE) survives the second step: the app gets its code, and its
# tokens (and ID token: scope and nonce kept) say amr ["pwd","otp","mfa"].
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(jwt_decode);
use DeskAuthTotp qw(have_oathtool totp_code);

plan skip_all => 'needs oathtool (tools/deps --test)' unless have_oathtool();
plan tests => 27 + 1;

my ($reg, $regj, $fields) = register_user();
my ($email, $password) = @$fields{qw(email password)};

sub amr_of {
    my ($token) = @_;
    my $c = eval { (jwt_decode($token))[1] } || {};
    return ref $c->{amr} eq 'ARRAY' ? join(' ', @{ $c->{amr} }) : '';
}

sub code_form {
    my ($html) = @_;
    my ($f) = grep { exists $_->{value}{code} || exists $_->{type}{code} } forms($html // '');
    return $f;
}

# --- enrol on the page ---------------------------------------------------------------
my $ua = browser();
my $r = web_sign_in($ua, $email, $password);
is($r->code, 303, 'signed in with the password (no two-step yet)');
$r = get_page($ua, url('/api/auth/profile'));
like($r->content, qr{href="/auth/2fa"}, 'the profile page links to two-step sign-in');
$r = get_page($ua, url('/auth/2fa'));
is($r->code, 200, 'the two-step page');
like($r->content, qr/Two-step sign-in is off/, 'says it is off');
my ($setup) = grep { ($_->{value}{action} // '') eq 'setup' } forms($r->content);
ok($setup, 'with a set-up form');
$r = submit_form($ua, $r, $setup);
is($r->code, 200, 'set-up answers the enrolment page');
like($r->content, qr/<svg\b[^>]*>.*<\/svg>/s, 'with the QR code (inline SVG)');
my ($key) = $r->content =~ m{<code id="totp-key">([A-Z2-7]+)</code>};
like($key // '', qr/^[A-Z2-7]{32}$/, 'and the key as text');
my $confirm = code_form($r->content);
my $bad = submit_form($ua, $r, $confirm, code => '000000' eq totp_code($key) ? '111111' : '000000');
is($bad->code, 400, 'a wrong code: the page again, 400');
like($bad->content, qr/field-error.*not right/s, 'with the error next to the field');
like($bad->content, qr{<code id="totp-key">\Q$key\E</code>}, 'and the same key (not a new one)');
my $enrol_code = totp_code($key);
$r = submit_form($ua, $bad, code_form($bad->content), code => $enrol_code);
is($r->code, 200, 'the oathtool code turns it on');
my @codes = $r->content =~ m{<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>}g;
is(scalar @codes, 10, 'the ten recovery codes are shown');
$r = get_page($ua, url('/auth/2fa'));
like($r->content, qr/is <strong>on<\/strong>.*left: 10/s, 'the page now says on, 10 codes left');
unlike($r->content, qr/\Q$codes[0]\E/, 'and never shows the recovery codes again');

# --- a desktop hand-off through the second step -----------------------------------
my $URI = LOOPBACK_URI;
my ($verifier, $challenge) = pkce_pair();
my $app = browser();
my $page = get_page($app, authorize_url(client_id => 'example-app', redirect_uri => $URI,
                    response_type => 'code', state => 's2', code_challenge => $challenge,
                    code_challenge_method => 'S256', scope => 'openid email', nonce => 'n-2fa'));
$r = sign_in($app, $page, $email, $password);
is($r->code, 200, 'the right password: the code page (200), no redirect yet');
like($r->content, qr/Two-step sign-in/, 'asks for the code');
ok(!session_cookie($app), 'no session cookie after the password alone');
is(get_page($app, url('/protected/'))->code, 401, 'second step skipped: /protected/ is refused');
my $cf = code_form($r->content);
is($cf->{value}{code_challenge} // '', $challenge, 'the app request is carried in the form');
my $wrong = submit_form($app, $r, $cf, code => '000000' eq totp_code($key, 30) ? '111111' : '000000');
is($wrong->code, 401, 'a wrong code: the code page again, 401');
ok(code_form($wrong->content), 'still with the code form');
$r = submit_form($app, $wrong, code_form($wrong->content), code => $enrol_code);
is($r->code, 401, 'the code that confirmed the enrolment is refused (used once)');
$r = submit_form($app, $r, code_form($r->content), code => totp_code($key, 30));
my $h = handoff_location($r);
ok($h, 'the right code: 303 to the hand-off page') or diag($r->code . ' ' . substr($r->content, 0, 300));
my $hp = get_page($app, $h);
my $link = code_link($hp->content, $URI);
ok($link, 'the hand-off page links to the app with a code');
my ($tr, $tj) = token_post([grant_type => 'authorization_code', code => query_params($link)->{code},
                            code_verifier => $verifier, redirect_uri => $URI,
                            client_id => 'example-app']);
is($tr->code, 200, 'the app redeems the code');
is(amr_of($tj->{access_token} // ''), 'pwd otp mfa', "the app's token says amr pwd otp mfa");
my $idc = eval { (jwt_decode($tj->{id_token} // ''))[1] } || {};
ok(amr_of($tj->{id_token} // '') eq 'pwd otp mfa' && ($idc->{nonce} // '') eq 'n-2fa' && ($idc->{email} // '') eq $email
   && ($tj->{scope} // '') eq 'openid email',
   'the OpenID Connect request survives the second step: its ID token has amr pwd otp mfa, the nonce and the email scope')
    or diag(explain($idc), $tj->{scope} // 'no scope');

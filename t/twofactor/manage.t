# Managing two-step sign-in from /auth/2fa (docs/twofactor.md): new recovery
# codes and turning it off both need a current code, used up: a stolen
# session token alone, a replayed code, an old recovery code, a code of
# another account or nothing at all are refused; the page does the same.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth qw(forms get_page submit_form web_sign_in);
use DeskAuthTotp qw(have_oathtool totp_code);

plan skip_all => 'needs oathtool (tools/deps --test)' unless have_oathtool();
plan tests => 20;

# A new account with an authenticator: (email, key, access token, recovery codes).
sub enrolled_account {
    my ($reg, $j) = register_user();
    my $at = $j->{tokens}{accessToken};
    my (undef, $s) = json_req(POST => '/auth/2fa', { action => 'setup' }, bearer($at));
    my $key = $s->{data}{secret};
    my (undef, $c) = json_req(POST => '/auth/2fa', { action => 'confirm', code => totp_code($key) },
                              bearer($at));
    return ($j->{user}{email}, $key, $at, $c->{data}{recoveryCodes} || []);
}

sub manage {
    my ($at, $action, $code) = @_;
    return json_req(POST => '/auth/2fa', { action => $action, (defined $code ? (code => $code) : ()) },
                    bearer($at));
}

my ($email, $key, $at, $rc) = enrolled_account();
my ($other_email, $other_key) = enrolled_account();
is(scalar @$rc, 10, 'an enrolled account with ten recovery codes');

my ($res, $j) = manage($at, 'recovery');
is($res->code, 400, 'new recovery codes without a code: 400');
($res, $j) = manage($at, 'recovery', totp_code($key));
is($j->{error} // '', 'invalid_code', 'with the code already used by the enrolment: refused');
($res, $j) = manage($at, 'recovery', totp_code($other_key, 30));
is($j->{error} // '', 'invalid_code', "with another account's code: refused");
($res, $j) = manage($at, 'recovery', $rc->[0]);
is($res->code, 200, 'with a recovery code: 200');
my @fresh = @{ $j->{data}{recoveryCodes} || [] };
is(scalar @fresh, 10, 'ten new recovery codes');
($res, $j) = login_user($email, 'correct horse 1');
my ($r2, $j2) = json_req(POST => '/auth/login', { mfaToken => $j->{mfaToken}, code => $rc->[1] });
is($j2->{error} // '', 'invalid_code', 'an old recovery code no longer signs in');
($r2, $j2) = json_req(POST => '/auth/login', { mfaToken => $j->{mfaToken}, code => $fresh[0] });
is($r2->code, 200, 'a new one does');

($res, $j) = manage($at, 'disable', $rc->[2]);
is($j->{error} // '', 'invalid_code', 'turning off with an old recovery code: refused');
($res, $j) = manage($at, 'disable', $fresh[0]);
is($j->{error} // '', 'invalid_code', 'turning off with a recovery code already used: refused');
($res, $j) = manage($at, 'disable', totp_code($key, 30));
is($res->code, 200, 'turning off with a current code: 200');
ok(defined $j->{data}{enabled} && !$j->{data}{enabled}, 'enabled: false');
($res, $j) = login_user($email, 'correct horse 1');
is($res->code, 200, 'the password alone signs in again');
($res, $j) = manage($at, 'disable', totp_code($key, 30));
is($res->code, 409, 'turning off what is off: 409');

# --- the page ---------------------------------------------------------------------------
my ($pemail, $pkey, undef, $prc) = enrolled_account();
my $ua = browser();
my $r = web_sign_in($ua, $pemail, 'correct horse 1');
my ($mfa) = $r->content =~ m{name="mfaToken" value="([^"]+)"};
my ($cf) = grep { exists $_->{value}{mfaToken} } forms($r->content);
$r = submit_form($ua, $r, $cf, code => totp_code($pkey, 30));
is($r->code, 303, 'page: signed in with the second step');
$r = get_page($ua, url('/auth/2fa'));
my ($mf) = grep { exists $_->{type}{code} } forms($r->content);
ok($mf, 'page: the code form for recovery codes and turning off');
my $bad = $ua->post(url('/auth/2fa'), [csrf => $mf->{value}{csrf}, action => 'disable',
                    code => '000000' eq totp_code($pkey) ? '111111' : '000000'],
                    Origin => DeskAuthOAuth::origin());
is($bad->code, 400, 'page: a wrong code does not turn it off');
$r = $ua->post(url('/auth/2fa'), [csrf => $mf->{value}{csrf}, action => 'recovery',
               code => totp_code($pkey, -30)], Origin => DeskAuthOAuth::origin());
is($r->code, 400, 'page: a code older than the one used is refused (no replay)');
$r = get_page($ua, url('/auth/2fa'));
like($r->content, qr/is <strong>on<\/strong>/, 'page: still on');
$r = $ua->post(url('/auth/2fa'), [csrf => $mf->{value}{csrf}, action => 'disable',
               code => $prc->[0]], Origin => DeskAuthOAuth::origin());
ok($r->code == 200 && $r->content =~ /Two-step sign-in is off\./, 'page: a recovery code turns it off');

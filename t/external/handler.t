# deskauth-external with another authentication module than
# mod_auth_openidc (docs/external.md: "any module"): httpd's own
# mod_auth_basic signs the person in (r->user) and mod_env sets the
# variables named by DeskAuthExternalClaims. Checks what the two-server
# Chromium test (upstream.t) does not reach: the subject taken from
# r->user when its variable is unset, "true" read as verified, a provider
# without an email address, request headers that are never claims, a
# location nobody protects (500, logged) and a handler mounted outside
# every provider's PATH (404, logged).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthDB;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha256);
use URI;
use URI::Escape ();
use DeskAuthForge qw(claims_from);

my @missing = (DeskAuthServer::missing(), DeskAuthDB::missing());
push @missing, 'htpasswd' if system('sh', '-c', 'command -v htpasswd >/dev/null 2>&1');
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

my $s = DeskAuthServer->new(name => 'exthandler');
my $db = DeskAuthDB::fresh('exthandler', $s->{params}) or BAIL_OUT('no database');
@$s{qw(driver params)} = @$db{qw(driver params)};
my $users = $s->dir . '/htpasswd';
system('htpasswd', '-cbB', '-C', '4', $users, 'ada', 'basic horse 1') == 0 or BAIL_OUT('htpasswd');
system('htpasswd', '-bB', '-C', '4', $users, 'bob', 'basic horse 2') == 0 or BAIL_OUT('htpasswd');
my $mail = 'ada.basic@example.com';
$s->{conf} = join '', map({ DeskAuthServer::load($_) } qw(auth_basic authn_file env)), <<"CONF";
DeskAuthExternalProvider basic "Basic" /ext/basic
DeskAuthExternalClaims basic subject=BASIC_SUBJECT email=BASIC_MAIL verified=BASIC_OK given=BASIC_GIVEN
DeskAuthExternalProvider nomail "No Mail" /ext/nomail
DeskAuthExternalProvider open "Open" /ext/open
DeskAuthExternalProvider unsure "Unsure" /ext/unsure
DeskAuthExternalClaims unsure email=UNSURE_MAIL verified=UNSURE_OK
<Location /ext/basic>
    AuthType Basic
    AuthName "basic"
    AuthBasicProvider file
    AuthUserFile "$users"
    Require valid-user
    SetEnv BASIC_MAIL $mail
    SetEnv BASIC_OK true
    SetEnv BASIC_GIVEN Ada
    SetHandler deskauth-external
</Location>
<Location /ext/nomail>
    AuthType Basic
    AuthName "basic"
    AuthBasicProvider file
    AuthUserFile "$users"
    Require valid-user
    SetHandler deskauth-external
</Location>
<Location /ext/unsure>
    AuthType Basic
    AuthName "basic"
    AuthBasicProvider file
    AuthUserFile "$users"
    Require valid-user
    SetEnv UNSURE_MAIL unsure\@example.com
    SetEnv UNSURE_OK false
    SetHandler deskauth-external
</Location>
<Location /ext/open>
    SetHandler deskauth-external
</Location>
<Location /ext/nowhere>
    SetHandler deskauth-external
</Location>
CONF
DeskAuthServer::spew($s->conf_file, $s->config);
$s->start or BAIL_OUT($s->why);

sub basic { my ($user, $pw) = @_; return (Authorization => 'Basic ' . encode_base64("$user:$pw", '')) }
sub page { my ($path, %h) = @_; return ($s->req(GET => $path, headers => { Accept => 'text/html', %h }))[0] }
sub session_of {
    my ($res) = @_;
    my ($cookie) = join("\n", $res->header('Set-Cookie')) =~ /\b(deskauth_session=[^;\s]+)/;
    return $cookie;
}

# --- HEAD, as link checkers and previewers send it: nothing happens ---------------------------
{
    my ($head) = $s->req(HEAD => '/ext/basic', headers => { basic('ada', 'basic horse 1') });
    ok($head->code == 200 && !session_of($head), 'HEAD of the provider path: 200, no session');
    is(DeskAuthDB::value($db, "SELECT COUNT(*) FROM deskauth_users WHERE email = '$mail'"), 0,
       '... and no account was made');
}

# --- sign-up through mod_auth_basic -------------------------------------------------------
my $res = page('/ext/basic', basic('ada', 'basic horse 1'),
               OIDC_CLAIM_email => 'evil@example.com', BASIC_MAIL => 'evil@example.com',
               'Basic-Subject' => 'someone-else');
is($res->code, 303, 'a new identity signs up and is sent on (303)') or diag($res->as_string);
my $cookie = session_of($res);
ok($cookie, 'with a browser session cookie');
my ($r2, $json) = $s->req(GET => '/api/auth/profile', headers => { Cookie => $cookie // '' });
my $u = $json && $json->{data}{user} || {};
is($u->{email}, $mail, 'the email is the variable\'s, not a request header\'s (three spellings sent)');
ok($u->{authType} eq 'basic' && $u->{emailVerified} && $u->{firstName} eq 'Ada' && $u->{lastName} eq '',
   'authType basic, "true" read as verified, given name from its variable') or diag(explain($u));
my ($page) = $s->req(GET => '/api/auth/profile', headers => { Cookie => $cookie // '', Accept => 'text/html' });
like($page->decoded_content, qr{Your account has no password yet: confirm changes with a passkey .*<a href="/auth/reset">set a password</a>}s,
     'its profile page says it has no password, and how to confirm changes (a passkey, or set one)');

# --- the subject is r->user when its variable is unset ----------------------------------------
$res = page('/ext/basic', basic('ada', 'basic horse 1'));
my ($r3, $again) = $s->req(GET => '/api/auth/profile', headers => { Cookie => session_of($res) // '' });
is($again && $again->{data}{user}{id}, $u->{id}, 'the same person again (subject = r->user) gets the same account');
$res = page('/ext/basic', basic('bob', 'basic horse 2'));
is($res->code, 303, 'another r->user with the same email address is not signed in ...');
like($res->header('Location') // '', qr{^/auth/login\?return=%2Fext%2Fbasic&email=ada\.basic%40example\.com&external=basic$},
     '... but sent to prove the account that has it') or diag($res->header('Location'));
ok(!session_of($res), 'and gets no session');

# --- a waiting OpenID Connect request rides in the query (as on the buttons) ---------------
my $verifier = 'v' x 50;
(my $challenge = encode_base64(sha256($verifier), '')) =~ tr{+/=}{-_}d;
my $redirect = 'http://127.0.0.1:5555/callback';
my $q = URI->new('/ext/basic');
$q->query_form(client_id => 'example-app', redirect_uri => $redirect, response_type => 'code',
               state => 'st-1', code_challenge => $challenge, code_challenge_method => 'S256',
               scope => 'openid email', nonce => 'n-0S6');
$res = page("$q", basic('ada', 'basic horse 1'));
like($res->header('Location') // '', qr{^/auth/callback\?h=}, 'with an app request: on to the hand-off page')
    or diag($res->as_string);
my $handoff = page($res->header('Location') // '/', Cookie => session_of($res) // '');
(my $html = $handoff->content) =~ s/&#61;/=/g;     # the page escapes '=' in the link
my ($code) = $html =~ /[?;]code=([A-Za-z0-9_-]+)/;
ok($code && $html =~ /state=st-1/, 'which shows the app its code and state') or diag($handoff->code);
my ($tok, $tj) = $s->req(POST => '/auth/token', form => [grant_type => 'authorization_code', code => $code // '',
    code_verifier => $verifier, redirect_uri => $redirect, client_id => 'example-app']);
my $id = $tj && $tj->{id_token} ? claims_from($tj->{id_token}) : {};
ok($tok->code == 200 && $id->{nonce} && $id->{nonce} eq 'n-0S6' && ($id->{amr} // [])->[0] eq 'ext'
   && $id->{sub} eq $u->{id} && $id->{email} eq $mail,
   'the app gets an ID token with its nonce, amr ["ext"] and the account') or diag(explain([$tok->code, $tj, $id]));
$res = page('/ext/basic?return=' . URI::Escape::uri_escape('/auth/device?user_code=BCDF-GHJK'), basic('ada', 'basic horse 1'));
is($res->header('Location'), '/auth/device?user_code=BCDF-GHJK', 'a return path (device approval) is where the browser goes next');

# --- an identity whose account was deleted is unknown again ---------------------------------
ok(DeskAuthDB::sql($db, "DELETE FROM deskauth_users WHERE id = '$u->{id}';\n", $s->{user}),
   'setup: the account is deleted behind the module\'s back');
$res = page('/ext/basic', basic('ada', 'basic horse 1'));
my (undef, $fresh) = $s->req(GET => '/api/auth/profile', headers => { Cookie => session_of($res) // '' });
ok($fresh && $fresh->{data}{user}{id} && $fresh->{data}{user}{id} ne $u->{id} && $fresh->{data}{user}{email} eq $mail,
   'the identity of a deleted account signs up again (a new account, not a 503)') or diag(explain($fresh));
is(DeskAuthDB::value($db, "SELECT COUNT(*) FROM deskauth_external_identities WHERE user_id = '$u->{id}'"), 0,
   'and the stale identity row is gone');

# --- what cannot work ----------------------------------------------------------------------------
$res = page('/ext/nomail', basic('ada', 'basic horse 1'));
ok($res->code == 400 && $res->content =~ /No Mail did not share a usable email address/,
   'a provider without an email address: 400 page') or diag($res->code);
$res = page('/ext/open', OIDC_CLAIM_sub => 'x', OIDC_CLAIM_email => 'evil@example.com');
is($res->code, 500, 'a location no module protects: 500, whatever the headers say');
$res = page('/ext/nowhere');
is($res->code, 404, 'deskauth-external outside every provider PATH: 404');
my $log = $s->error_log;
like($log, qr/DA00800: .*no authenticated user/, 'the unprotected location is logged');
like($log, qr/DA00803: .*no DeskAuthExternalProvider/, 'and so is the handler outside every PATH');

# --- DeskAuthRequireVerifiedEmail on: an address the provider does not vouch for -------------
$s->stop;
$s->{conf} .= "DeskAuthRequireVerifiedEmail on\n";
DeskAuthServer::spew($s->conf_file, $s->config);
$s->start or BAIL_OUT($s->why);
$res = page('/ext/unsure', basic('bob', 'basic horse 2'));
ok($res->code == 403 && $res->content =~ /Unsure has not confirmed your email address/ && !session_of($res),
   'DeskAuthRequireVerifiedEmail on: "false" from the provider gets 403, no session') or diag($res->code);
is(DeskAuthDB::value($db, "SELECT COUNT(*) FROM deskauth_users WHERE email = 'unsure\@example.com'"), 0,
   'and no account');
is_deeply([$s->crash_lines], [], 'no crash');
$s->stop;
done_testing();

# DeskAuthRequireVerifiedEmail on (interface.md, Mail): nobody is signed in
# before the address is confirmed. On a server of its own (the main test
# server does not require it), mailing through t/bin/capture-mail:
#
#   - JSON sign-up: 201 with "tokens": null, "emailVerificationRequired":
#     true and the user (emailVerified false); no session cookie; no session
#     in the database; a confirmation mail;
#   - sign-in before confirming: 403 email_not_verified (the right password),
#     401 for a wrong one (no hint that the account exists unconfirmed);
#   - opening the mailed link confirms; then sign-in gives tokens;
#   - the sign-up page: 303 to the sign-in page with confirm_email=1, which
#     tells the person to confirm, and sets no cookie.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthMail;
use DeskAuthTest qw(csrf_from);
use HTTP::Request::Common ();
use URI ();

my @missing = DeskAuthServer::missing();
push @missing, DeskAuthServer::ctl_path() . ' (run make)' unless -x DeskAuthServer::ctl_path();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 22;

my $t_dir = DeskAuthServer::t_dir();
my $srv = DeskAuthServer->new(
    name => 'verified',
    conf => "DeskAuthRequireVerifiedEmail on\n"
          . qq{DeskAuthMailCommand "$t_dir/bin/capture-mail -t -i"\n}
          . "DeskAuthMailFrom noreply\@deskauth.test\n"
          . "<Location /auth/verify>\n    SetHandler deskauth-verify\n</Location>\n");
ok($srv->start, 'an httpd of its own starts with DeskAuthRequireVerifiedEmail on')
    or BAIL_OUT($srv->why);

my $email = "confirm-$$\@example.com";
my $PW = 'correct horse 1';

sub account_listed {
    my ($addr) = @_;
    my ($st, $out) = $srv->ctl(undef, 'user', 'list');
    return undef if $st;
    return $out =~ /^\Q$addr\E\t/m ? 1 : 0;
}

# --- JSON sign-up ------------------------------------------------------------------------------
my ($res, $json) = $srv->req(POST => '/auth/register',
                             json => { email => $email, password => $PW,
                                       firstName => 'Con', lastName => 'Firm' });
is($res->code, 201, 'JSON sign-up is 201') or diag($res->as_string);
ok(ref $json eq 'HASH' && exists $json->{tokens} && !defined $json->{tokens},
   '"tokens" is null');
ok(ref $json eq 'HASH' && JSON::PP::is_bool($json->{emailVerificationRequired})
   && $json->{emailVerificationRequired}, '"emailVerificationRequired": true');
ok(ref $json eq 'HASH' && ref $json->{user} eq 'HASH' && $json->{user}{email} eq $email
   && JSON::PP::is_bool($json->{user}{emailVerified}) && !$json->{user}{emailVerified},
   'the user is in the answer, emailVerified false');
is(join(',', $res->header('Set-Cookie')), '', 'no cookie is set');
is(account_listed($email), 1, 'the account exists (deskauthctl user list)');

my $mail = wait_mail($email, qr/^Confirm your email address\b/);
ok($mail, 'a confirmation mail was sent');
my $link = mail_link($mail, '/auth/verify');
ok($link, 'it has a /auth/verify link') or diag($mail // 'no mail');

# --- sign-in before confirming ------------------------------------------------------------------
($res, $json) = $srv->req(POST => '/auth/login', json => { email => $email, password => $PW });
is($res->code, 403, 'sign-in with the right password before confirming is 403');
is(ref $json eq 'HASH' ? $json->{error} : undef, 'email_not_verified', 'error email_not_verified');
ok(ref $json eq 'HASH' && !$json->{tokens}, 'no tokens');
($res, $json) = $srv->req(POST => '/auth/login', json => { email => $email, password => 'wrong horse 1' });
is($res->code, 401, 'a wrong password is 401 invalid_credentials, as for any account')
    or diag($res->as_string);

# --- confirm, then sign in -----------------------------------------------------------------------
($res, $json) = $srv->req(GET => URI->new($link)->path_query);
is($res->code, 200, 'opening the mailed link confirms the address') or diag($res->as_string);
($res, $json) = $srv->req(POST => '/auth/login', json => { email => $email, password => $PW });
is($res->code, 200, 'sign-in after confirming is 200') or diag($res->as_string);
ok(ref $json eq 'HASH' && ref $json->{tokens} eq 'HASH' && $json->{tokens}{accessToken}
   && $json->{user}{emailVerified}, 'with tokens, and emailVerified true');
my ($p) = $srv->req(GET => '/protected/', bearer => $json->{tokens}{accessToken});
is($p->code, 200, 'the access token opens /protected/');

# --- the sign-up page -----------------------------------------------------------------------------
my $ua = $srv->ua(cookies => 1);
my $page = $ua->get($srv->url('/auth/register'), Accept => 'text/html');
my $csrf = csrf_from($page->decoded_content);
ok($csrf, 'the sign-up page has a CSRF token') or diag($page->as_string);
my $email2 = "confirm2-$$\@example.com";
$res = $ua->request(HTTP::Request::Common::POST(
    $srv->url('/auth/register'), Origin => $srv->base, Accept => 'text/html',
    Content => [csrf => $csrf, email => $email2, password => $PW, firstName => 'Page',
                lastName => 'Form']));
is($res->code, 303, 'a sign-up through the page is 303') or diag($res->as_string);
like($res->header('Location') // '', qr{/auth/login\?confirm_email=1\z},
     'to the sign-in page with confirm_email=1');
ok(!grep({ /deskauth_session=[^;]/ } $res->header('Set-Cookie')), 'without a session cookie');
my $notice = $ua->get(URI->new_abs($res->header('Location') // '/', $srv->base), Accept => 'text/html');
like($notice->decoded_content, qr/confirm/i, 'the sign-in page asks the person to confirm the address')
    or diag($notice->decoded_content);

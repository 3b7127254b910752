# Where a browser lands after signing in (docs/interface.md DeskAuthRoleHome: after a
# browser sign-in with no app waiting, the person lands on DeskAuthRoleHome for
# their role, else the profile page; docs/behaviour.md "Form results").
# t/conf/extra.conf.in: DeskAuthRoleHome EMPLOYER /employer/; USER has none.
# A local `return` path (as /login-redirect/ sends with DeskAuthLoginRedirect on)
# wins over the home; anything that is not a local path is ignored.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;
use URI;
use URI::Escape ();

plan tests => 6 + 3 + 8 + 3 * 2;

my $EMPLOYER_HOME = '/employer/';
my $PROFILE       = '/api/auth/profile';

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# The Location of a 303 as a URI, resolved against the request, or undef.
sub location_of {
    my ($res) = @_;
    return undef unless $res && $res->code == 303 && defined $res->header('Location');
    return URI->new_abs($res->header('Location'), $res->request->uri);
}

# Is RES a 303 to PATH (a path and query) on this server?
sub lands_on {
    my ($res, $path) = @_;
    my $u = location_of($res) or return 0;
    return $u->host_port eq URI->new(url('/'))->host_port && $u->path_query eq $path;
}

sub where { my ($res) = @_; return ($res ? $res->status_line : 'no response') . ' -> ' . ($res ? $res->header('Location') // 'no Location' : '') }

# Sign a fresh browser in through the form of /auth/login?QUERY, with FILL
# added to the form (e.g. return => ...). Returns (browser, POST response).
sub form_sign_in {
    my ($email, $password, $query, %fill) = @_;
    my $ua   = browser();
    my $page = get_page($ua, url('/auth/login' . (defined $query ? "?$query" : '')));
    my $form = password_form($page->content) or return ($ua, undef);
    return ($ua, submit_form($ua, $page, $form, email => $email, password => $password, %fill));
}

my (undef, undef, $ef) = register_user(role => 'EMPLOYER');
my (undef, undef, $uf) = register_user();
my ($E, $EP) = @$ef{qw(email password)};
my ($U, $UP) = @$uf{qw(email password)};

# --- sign-in with no app waiting ------------------------------------------------------------------
{
    my ($b, $res) = form_sign_in($E, $EP);
    is($res && $res->code, 303, 'an EMPLOYER\'s form sign-in with no app waiting is 303') or diag(where($res));
    ok(lands_on($res, $EMPLOYER_HOME), 'it goes to DeskAuthRoleHome EMPLOYER (/employer/)') or diag(where($res));
    is($b->get($EMPLOYER_HOME)->code, 200, 'the session cookie opens /employer/');
    my $again = $b->get('/auth/login');
    ok(lands_on($again, $EMPLOYER_HOME), 'the signed-in EMPLOYER opening the sign-in page is sent (303) home')
        or diag(where($again));

    my ($ub, $ures) = form_sign_in($U, $UP);
    is($ures && $ures->code, 303, 'a USER\'s form sign-in with no app waiting is 303');
    ok(lands_on($ures, $PROFILE), 'a USER (no DeskAuthRoleHome) goes to the profile page') or diag(where($ures));
}

# --- sign-up with role EMPLOYER through the form --------------------------------------------------------
{
    my $b    = browser();
    my $page = get_page($b, url('/auth/register'));
    my ($form) = grep { exists $_->{type}{password} } forms($page->content);
    ok($form && (grep { $_ eq 'EMPLOYER' } @{ $form->{options}{role} || [] }),
       'the sign-up form offers the role EMPLOYER');
    my $res = $form ? submit_form($b, $page, $form, email => unique_email(), password => 'correct horse 1',
                                  firstName => 'Emma', lastName => 'Ployer', role => 'EMPLOYER') : undef;
    is($res && $res->code, 303, 'signing up as EMPLOYER with the form is 303') or diag(where($res));
    ok(lands_on($res, $EMPLOYER_HOME), 'the new EMPLOYER lands on /employer/') or diag(where($res));
}

# --- return from /login-redirect/ wins over the home ----------------------------------------------------------
{
    my $b   = browser();
    my $res = $b->get('/login-redirect/');
    my $to  = location_of($res);
    is($res->code, 303, 'a page request to /login-redirect/ without a session is 303 (DeskAuthLoginRedirect on)');
    ok($to && $to->path eq '/auth/login', 'it goes to the sign-in page') or diag(where($res));
    is($to ? +{ $to->query_form }->{return} : undef, '/login-redirect/', 'with return=/login-redirect/');
    my $page = $to ? get_page($b, $to) : undef;
    my $form = $page ? password_form($page->content) : undef;
    is($form ? $form->{value}{return} : undef, '/login-redirect/', 'the sign-in form keeps the return path');
    my $post = $form ? submit_form($b, $page, $form, email => $E, password => $EP) : undef;
    is($post && $post->code, 303, 'the EMPLOYER signs in with it: 303') or diag(where($post));
    ok(lands_on($post, '/login-redirect/'), 'the 303 goes back to /login-redirect/, not to the EMPLOYER home')
        or diag(where($post));
    is($b->get('/login-redirect/')->code, 200, 'and the session cookie opens /login-redirect/');
    my (undef, $upost) = form_sign_in($U, $UP, 'return=%2Flogin-redirect%2F');
    ok(lands_on($upost, '/login-redirect/'), 'a USER with the same return goes back there too, not to the profile')
        or diag(where($upost));
}

# --- a return that is not a local path is ignored ----------------------------------------------------------------
for my $bad ('//evil.example', 'https://evil.example/', '/\\evil.example') {
    my (undef, $res) = form_sign_in($E, $EP, 'return=' . URI::Escape::uri_escape($bad), return => $bad);
    is($res && $res->code, 303, "sign-in with return=$bad is still 303");
    ok(lands_on($res, $EMPLOYER_HOME), "return=$bad is ignored: the EMPLOYER goes home, not off-site")
        or diag(where($res));
}

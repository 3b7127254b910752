# A demoted or disabled ADMIN keeps no power (docs/behaviour.md "Roles and
# revocation"): a role change or a disable, by deskauthctl or by the admin
# API, takes effect like a revocation - at once on the server that made it,
# within DeskAuthSessionCacheTTL (10 s here) otherwise - for
# `Require deskauth-role`, `Require deskauth-claim role`, the admin API and
# the download of another person's resume; the admin API always reads the
# caller's current role. Each attack is tried with the Bearer token and the
# browser cookie the person held before the change.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthLoad;
use DeskAuthOAuth qw(web_sign_in origin);
use HTTP::Request ();
use JSON::PP ();
use Time::HiRes ();

my $PW  = 'correct horse 1';
my $TTL = 10;                             # DeskAuthSessionCacheTTL (default)
my $JSON = JSON::PP->new->utf8;
my $PDF = "%PDF-1.4\n% victim's resume\n%%EOF\n";

# What each attack tries, with one credential (a Bearer token or a browser).
my @ATTACKS = (
    [ 'deskauth-role ADMIN location',       sub { req($_[0], GET => '/adminonly/') } ],
    [ 'deskauth-claim role ADMIN location', sub { req($_[0], GET => '/adminclaim/') } ],
    [ 'admin API list',                     sub { req($_[0], GET => '/auth/admin/users') } ],
    [ 'admin API re-promotion of self',     sub { req($_[0], PATCH => "/auth/admin/users/$_[1]{id}", { role => 'ADMIN' }) } ],
    [ 'resume download of another person',  sub { req($_[0], GET => "/api/auth/profile/resume?user=$_[2]") } ],
);

plan tests => 3                               # the victim
            + 4 * (2 * @ATTACKS)               # each admin, before: everything works
            + 2 * (2 * @ATTACKS + 2)           # admin API role change and disable: at once
            + 6 + 2 * (2 * @ATTACKS)           # deskauthctl set-role and disable
            + 5                                # after a demotion: new tokens, refresh
            + 4;                               # under load: admin API disable

# A request as CRED: a Bearer token (a string) or a signed-in browser.
sub req {
    my ($cred, $method, $path, $data) = @_;
    my @h = (Accept => 'application/json');
    my $body;
    if ($data) {
        $body = $JSON->encode($data);
        push @h, 'Content-Type' => 'application/json';
    }
    if (ref $cred) {
        push @h, Origin => origin() if $method ne 'GET';
        return $cred->request(HTTP::Request->new($method, url($path), \@h, $body));
    }
    my ($res) = json_req($method, $path, $data ? $data : undef, bearer($cred));
    return $res;
}

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# A new ADMIN: { id, email, bearer (JSON sign-in token), browser (cookie) }.
sub new_admin {
    my ($label) = @_;
    my (undef, $j, $f) = register_user(firstName => $label);
    my $a = { id => h(h($j)->{user})->{id}, email => lc $f->{email} };
    deskauthctl('user', 'set-role', $a->{email}, 'ADMIN') == 0 or diag("set-role $label failed");
    my (undef, $lj) = login_user($a->{email}, $PW);
    $a->{bearer} = h(h($lj)->{tokens})->{accessToken} // 'none';
    $a->{refresh} = h(h($lj)->{tokens})->{refreshToken} // 'none';
    $a->{browser} = browser();
    web_sign_in($a->{browser}, $a->{email}, $PW);
    return $a;
}

sub creds { my ($a) = @_; return ([bearer => $a->{bearer}], [cookie => $a->{browser}]) }

# Every attack works before the change (so that a refusal after it means something).
sub all_work {
    my ($a, $label, $victim) = @_;
    for my $c (creds($a)) {
        for my $t (@ATTACKS) {
            # The re-promotion of an ADMIN to ADMIN is harmless here.
            my $res = $t->[1]->($c->[1], $a, $victim);
            is($res->code, 200, "$label, before: $t->[0] with the $c->[0] is 200")
                or diag($res->status_line . ' ' . $res->content);
        }
    }
}

# Every attack fails with the old credentials. Returns how many got 200.
sub attacks_ok {
    my ($a, $victim) = @_;
    my %got;
    for my $c (creds($a)) {
        for my $t (@ATTACKS) {
            $got{"$t->[0] ($c->[0])"} = $t->[1]->($c->[1], $a, $victim)->code;
        }
    }
    return \%got;
}

sub all_refused {
    my ($a, $label, $victim) = @_;
    my $got = attacks_ok($a, $victim);
    for my $k (sort keys %$got) {
        ok($got->{$k} == 401 || $got->{$k} == 403, "$label: $k is refused") or diag("got $got->{$k}");
    }
}

# The role the database has for EMAIL (the admin API as ROOT sees it).
sub role_in_db {
    my ($root, $id) = @_;
    my ($res, $j) = json_req(GET => "/auth/admin/users/$id", undef, bearer($root->{bearer}));
    return h(h(h($j)->{data})->{user})->{role} // 'unknown';
}

# --- the victim: a person with a resume ----------------------------------------------------------
my (undef, $vj) = register_user(firstName => 'Victim');
my $victim = h(h($vj)->{user})->{id};
{
    my $token = h(h($vj)->{tokens})->{accessToken} // 'none';
    my ($res) = json_req(PUT => '/api/auth/profile/resume', \$PDF, bearer($token),
                         'Content-Type' => 'application/pdf', 'X-Filename' => 'cv.pdf');
    is($res->code, 200, 'setup: the victim uploads a resume') or diag($res->content);
    ok(defined $victim, 'setup: the victim has an id');
}
my $root = new_admin('Root');
is(role_in_db($root, $root->{id}), 'ADMIN', 'setup: the root ADMIN reads the admin API');

my %admin;
for my $k (qw(api_role api_off ctl_role ctl_off)) {
    $admin{$k} = new_admin($k);
}
for my $k (qw(api_role api_off ctl_role ctl_off)) {
    all_work($admin{$k}, $k, $victim);
}

# --- the admin API: at once on this server ----------------------------------------------------
{
    my ($res) = json_req(PATCH => "/auth/admin/users/$admin{api_role}{id}", { role => 'USER' },
                         bearer($root->{bearer}));
    is($res->code, 200, 'the root ADMIN demotes an ADMIN to USER through the admin API');
    all_refused($admin{api_role}, 'demoted by the admin API, at once', $victim);
    is(role_in_db($root, $admin{api_role}{id}), 'USER', 'the demoted ADMIN could not promote itself again');
}
{
    my ($res) = json_req(PATCH => "/auth/admin/users/$admin{api_off}{id}",
                         { isActive => JSON::PP::false }, bearer($root->{bearer}));
    is($res->code, 200, 'the root ADMIN disables an ADMIN through the admin API');
    all_refused($admin{api_off}, 'disabled by the admin API, at once', $victim);
    my ($lr) = login_user($admin{api_off}{email}, $PW);
    is($lr->code, 403, 'the disabled ADMIN cannot sign in again');
}

# --- deskauthctl: within DeskAuthSessionCacheTTL ----------------------------------------------------
{
    is(deskauthctl('user', 'set-role', $admin{ctl_role}{email}, 'USER'), 0, 'deskauthctl user set-role EMAIL USER');
    is(deskauthctl('user', 'disable', $admin{ctl_off}{email}), 0, 'deskauthctl user disable EMAIL');
    my $changed = Time::HiRes::time();
    # The admin API reads the database: refused at once, whatever the cache says.
    for my $k (qw(ctl_role ctl_off)) {
        my $a = $admin{$k};
        my @codes = map { req($_->[1], PATCH => "/auth/admin/users/$a->{id}", { role => 'ADMIN' })->code } creds($a);
        ok(!grep({ $_ == 200 } @codes), "$k: the admin API refuses the re-promotion at once (bearer, cookie)")
            or diag("@codes");
    }
    # Everything else within the TTL: wait until it is over (plus slack for a slow machine).
    my %left = map { $_ => 1 } qw(ctl_role ctl_off);
    while (%left && Time::HiRes::time() < $changed + $TTL + 3) {
        for my $k (keys %left) {
            my $got = attacks_ok($admin{$k}, $victim);
            delete $left{$k} unless grep { $_ == 200 } values %$got;
        }
        Time::HiRes::sleep(0.5) if %left;
    }
    for my $k (qw(ctl_role ctl_off)) {
        all_refused($admin{$k}, "$k, within DeskAuthSessionCacheTTL", $victim);
    }
    is(role_in_db($root, $admin{ctl_role}{id}), 'USER', 'ctl_role stayed USER');
    my ($lr) = login_user($admin{ctl_off}{email}, $PW);
    is($lr->code, 403, 'ctl_off cannot sign in again');
}

# --- after a demotion: the person is a USER, not signed out ---------------------------------------
{
    my $a = $admin{api_role};
    my (undef, $lj) = login_user($a->{email}, $PW);
    my $fresh = h(h($lj)->{tokens})->{accessToken} // 'none';
    is(req($fresh, GET => '/protected/')->code, 200, 'a new sign-in after the demotion works (a USER token)');
    is(req($fresh, GET => '/adminonly/')->code, 403, 'and is forbidden (403) at the ADMIN location');
    my ($res, $j) = json_req(POST => '/auth/token', { refreshToken => $a->{refresh} });
    my $renewed = h($j)->{accessToken} // 'none';
    is($res->code, 200, 'the session from before the demotion refreshes (a role change revokes no session)')
        or diag($res->content);
    is(req($renewed, GET => '/protected/')->code, 200, 'its new access token works');
    is(req($renewed, GET => '/adminclaim/')->code, 403, 'and carries the new role: 403 at the role claim location');
}

# --- under load: nothing sent after the disable's answer succeeds -----------------------------------
{
    my $a = new_admin('load');
    my $run = under_load(
        requests => [ sub { HTTP::Request->new(GET => url('/adminonly/'), [bearer($a->{bearer})]) },
                      sub { HTTP::Request->new(GET => url('/adminclaim/'), [bearer($a->{bearer})]) } ],
        action   => sub { (json_req(PATCH => "/auth/admin/users/$a->{id}",
                                    { isActive => JSON::PP::false }, bearer($root->{bearer})))[0]->code },
    );
    is($run->{action_result}[0], 200, 'under load: the admin API disables an ADMIN');
    ok((grep { $_->[0] < $run->{done} && $_->[1] == 200 } @{ $run->{rows} }) > 0,
       'under load: requests before the disable succeeded');
    cmp_ok(sent_after($run), '>=', 20, 'under load: requests kept coming after the disable');
    my @late = late_successes($run);
    is(scalar @late, 0, 'under load: no request sent after the disable\'s answer got 200')
        or diag(scalar(@late) . ' late 200s, last sent ' . sprintf('%.3f s', $late[-1][0] - $run->{done}) . ' after');
}

# The admin pages (docs/interface.md, Administration pages): deskauth-admin
# at /auth/admin serves a browser (Accept: text/html) pages and takes their
# POST forms, while API callers keep the JSON API. Users (search, paging), a
# user's page (disable/enable with a confirmation, role, sessions) and the
# audit log (account, since, until). Every form carries the CSRF token and
# passes the Origin check; a non-admin is refused every page and action;
# names, emails and device names are escaped; a GET changes nothing.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthCtl;
use DeskAuthOAuth;
use DeskAuthForge qw(token_sid);
use URI;
use URI::Escape ();

plan tests => 119;

my $PW = 'correct horse 1';
# What a person could put in a name, a device name or a sign-in attempt.
my $X = q{<script>alert("x")</script><img src=x onerror=alert(1)>&'"};
my $RAW = qr{<script>alert|<img src=x};

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# An account of ROLE signed in with a browser: (ua, id, email).
sub person {
    my (%o) = @_;
    my $role = delete $o{role};
    my (undef, $j, $f) = register_user(%o);
    my $email = lc $f->{email};
    deskauthctl('user', 'set-role', $email, $role) if $role;
    my $ua = browser();
    web_sign_in($ua, $email, $PW);
    return ($ua, h(h($j)->{user})->{id}, $email);
}

my ($aua, $admin_id, $admin_email) = person(role => 'ADMIN', firstName => 'Root', lastName => 'Admin');
my ($uua, $user_id, $user_email) = person();
my (undef, $tj, $tf) = register_user(firstName => $X, lastName => 'Target');
my $tid = h(h($tj)->{user})->{id};
my $temail = lc $tf->{email};
my $admin_token = h(h((login_user($admin_email, $PW))[1])->{tokens})->{accessToken};

sub page { my ($ua, $path) = @_; return get_page($ua, url($path)) }
sub user_path { return "/auth/admin/users/$_[0]" }

# The account as the JSON API sees it.
sub api_user {
    my ($id) = @_;
    my ($res, $j) = json_req(GET => user_path($id), undef, bearer($admin_token));
    return h(h(h($j)->{data})->{user});
}

# The form of PAGE (a response) whose hidden "action" is ACTION (and id ID).
sub form_of {
    my ($res, $action, $id) = @_;
    my ($f) = grep { ($_->{value}{action} // '') eq $action
                     && (!defined $id || ($_->{value}{id} // '') eq $id) }
              forms($res->decoded_content // '');
    return $f;
}

# Does the refresh token still work?
sub refresh_ok {
    my ($rt) = @_;
    my ($res) = token_post([grant_type => 'refresh_token', refresh_token => $rt,
                            client_id => 'example-app']);
    return $res->code == 200;
}

# --- negotiation ---------------------------------------------------------------------
{
    my $res = page($aua, '/auth/admin/users');
    is($res->code, 200, 'a browser at /auth/admin/users gets 200');
    like($res->header('Content-Type') // '', qr{^text/html; charset=utf-8}i, 'an HTML page');
    like(text_of($res->decoded_content), qr/Users/, 'titled Users');
    is($res->header('Cache-Control'), 'no-store', 'no-store');
    my ($api) = json_req(GET => '/auth/admin/users', undef, bearer($admin_token));
    ok($api->code == 200 && ($api->header('Content-Type') // '') =~ m{^application/json}
       && h(DeskAuthOAuth::decode_json_or_undef($api->content))->{success},
       'an API caller (Accept: application/json) still gets the JSON list');
    my ($cj) = json_req(GET => '/auth/admin/users', undef,
                        Cookie => 'deskauth_session=' . session_cookie($aua));
    like($cj->header('Content-Type') // '', qr{^application/json}, 'the same cookie with Accept: application/json: JSON');
    my $root = page($aua, '/auth/admin/');
    ok($root->code == 303 && ($root->header('Location') // '') =~ m{/auth/admin/users\z},
       'a browser at /auth/admin/ is sent to the users page');
    my ($aj) = json_req(GET => '/auth/admin/audit', undef, bearer($admin_token));
    ok(ref h(h(DeskAuthOAuth::decode_json_or_undef($aj->content))->{data})->{events} eq 'ARRAY',
       'the audit API still answers JSON');
}

# --- users: search, paging, escaping -----------------------------------------------------
{
    my $res = page($aua, '/auth/admin/users?q=' . URI::Escape::uri_escape($temail));
    my $html = $res->decoded_content;
    is($res->code, 200, 'search by email: 200');
    my @links = grep { m{^/auth/admin/users/[^/?]+\z} } url_attrs($html);
    is_deeply(\@links, [user_path($tid)], 'the search finds exactly the target, linked to its page');
    like(text_of($html), qr/\Q$X\E Target/, 'the name is shown as text');
    unlike($html, $RAW, 'the name is escaped, never markup');
    like(text_of($html), qr/USER.*Active.*Not verified/s, 'role, active and verified shown');
    my $none = page($aua, '/auth/admin/users?q=nobody-matches-this-' . time);
    like(text_of($none->decoded_content), qr/No user matches/, 'no match: said so');
    my $byname = page($aua, '/auth/admin/users?q=Root');
    ok((grep { $_ eq user_path($admin_id) } url_attrs($byname->decoded_content)), 'search by name finds the admin');
    my $p1 = page($aua, '/auth/admin/users?limit=1');
    my ($next) = grep { /offset=1\b/ } url_attrs($p1->decoded_content);
    ok($next, 'one per page: a link to the next page (offset=1)');
    my $p2 = page($aua, $next // '/auth/admin/users?limit=1&offset=1');
    ok((grep { /offset=0\b/ } url_attrs($p2->decoded_content)), 'the second page links back (offset=0)');
    like(text_of($p2->decoded_content), qr/Users 2–2 of \d+/, 'it says which users it shows');
    my $blank = page($aua, '/auth/admin/users?q=');
    my ($all) = json_req(GET => '/auth/admin/users', undef, bearer($admin_token));
    my $n = h(h(DeskAuthOAuth::decode_json_or_undef($all->content))->{data})->{total} // -1;
    ok($blank->code == 200 && text_of($blank->decoded_content) =~ /Users 1–\d+ of \Q$n\E\b/,
       'an empty search (q=): every user (as many as the API counts)');
    my $bad = page($aua, '/auth/admin/users?limit=0');
    ok($bad->code == 400 && ($bad->header('Content-Type') // '') =~ m{^text/html}, 'limit=0: a 400 page');
    my $long = page($aua, '/auth/admin/users?q=' . ('a' x 300));
    is($long->code, 400, 'a search of 300 characters: 400');
}

# --- a user's page --------------------------------------------------------------------------
my $d = desktop_tokens(email => $temail, password => $PW, device_name => $X);
ok($d->{refresh}, 'the target signs in to the desktop app with a device name');
{
    my $res = page($aua, user_path($tid));
    my $html = $res->decoded_content;
    is($res->code, 200, 'the user page: 200');
    like(text_of($html), qr/\Q$temail\E/, 'it shows the email');
    unlike($html, $RAW, 'the name and the device name are escaped');
    my $sid = token_sid($d->{access});
    my $rf = form_of($res, 'revoke', $sid);
    ok($rf, 'the desktop session has its own "Sign out" form');
    like(text_of($html), qr/\Q$X\E/, 'the device name is shown as text');
    like($html, qr{<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC</time>},
         'times for people, with a machine-readable datetime');
    for my $a (qw(disable role revoke_all)) {
        my $f = form_of($res, $a);
        ok($f && $f->{method} eq 'post' && defined $f->{value}{csrf}, "the $a form: POST with the CSRF token");
    }
    ok(!form_of($res, 'enable'), 'an active account has no Enable form');
    my $own = page($aua, user_path($admin_id));
    ok(!form_of($own, 'disable'), 'the admin\'s own page has no Disable form');
    is(page($aua, user_path('no-such-user'))->code, 404, 'an unknown id: 404 page');
}

# --- a GET changes nothing ----------------------------------------------------------------
{
    my $csrf = csrf_from(page($aua, user_path($tid))->decoded_content);
    for my $q ("action=disable&confirm=1&csrf=$csrf", "action=role&role=ADMIN&csrf=$csrf&confirm=1",
               "action=revoke_all&csrf=$csrf") {
        my $res = page($aua, user_path($tid) . "?$q");
        is($res->code, 200, "GET ?$q: just the page");
    }
    my $u = api_user($tid);
    ok($u->{isActive} && $u->{role} eq 'USER', 'still active, still USER');
    ok(refresh_ok($d->{refresh}), 'the session still works');
}

# --- CSRF and Origin ------------------------------------------------------------------------
{
    my $page = page($aua, user_path($tid));
    my $csrf = csrf_from($page->decoded_content);
    my $other = csrf_from(page($uua, '/auth/sessions')->decoded_content);
    my $o = origin();
    my @forged = (
        ['no csrf field',            [action => 'disable', confirm => 1], Origin => $o],
        ['a wrong csrf',             [action => 'disable', confirm => 1, csrf => 'x' x 43], Origin => $o],
        ['another browser\'s csrf',  [action => 'disable', confirm => 1, csrf => $other], Origin => $o],
        ['an empty csrf',            [action => 'disable', confirm => 1, csrf => ''], Origin => $o],
        ['a cross-site Origin',      [action => 'disable', confirm => 1, csrf => $csrf], Origin => 'https://evil.example'],
        ['Origin null',              [action => 'disable', confirm => 1, csrf => $csrf], Origin => 'null'],
        ['Sec-Fetch-Site cross-site', [action => 'disable', confirm => 1, csrf => $csrf], Origin => $o,
                                      'Sec-Fetch-Site' => 'cross-site'],
        ['an Origin on another port', [action => 'role', role => 'ADMIN', csrf => $csrf],
                                      Origin => $o =~ s/:(\d+)\z/':' . ($1 + 1)/er],
    );
    for my $f (@forged) {
        my ($name, $fields, %hdr) = @$f;
        my $res = form_post($aua, user_path($tid), $fields, Accept => 'text/html', %hdr);
        is($res->code, 403, "forged ($name): 403");
    }
    my $u = api_user($tid);
    ok($u->{isActive} && $u->{role} eq 'USER', 'after every forgery: still active, still USER');
}

# --- disable (with a confirmation) and enable --------------------------------------------------
{
    my $page = page($aua, user_path($tid));
    my $res = submit_form($aua, $page, form_of($page, 'disable'));
    is($res->code, 200, 'Disable: first a confirmation page');
    like(text_of($res->decoded_content), qr/Disable this account\?.*\Q$temail\E/s, 'it names the account');
    ok(api_user($tid)->{isActive}, 'nothing changed yet');
    my $c = form_of($res, 'disable');
    is($c && $c->{value}{confirm}, '1', 'its form says confirm=1');
    my $done = submit_form($aua, $res, $c);
    is($done->code, 303, 'confirmed: 303');
    like($done->header('Location') // '', qr{/auth/admin/users/\Q$tid\E\?done=disable\z}, 'back to the user page');
    ok(!api_user($tid)->{isActive}, 'the account is disabled');
    ok(!refresh_ok($d->{refresh}), 'its sessions have ended');
    my $after = page($aua, $done->header('Location') // user_path($tid));
    like(text_of($after->decoded_content), qr/Account disabled/, 'the page says so');
    like(text_of($after->decoded_content), qr/Disabled/, 'the badge says Disabled');
    my $en = submit_form($aua, $after, form_of($after, 'enable'));
    is($en->code, 303, 'Enable: 303, no confirmation needed');
    ok(api_user($tid)->{isActive}, 'the account is active again');
}

# --- the role ---------------------------------------------------------------------------------
{
    my $page = page($aua, user_path($tid));
    my $res = submit_form($aua, $page, form_of($page, 'role'), role => 'EMPLOYER');
    is($res->code, 303, 'role EMPLOYER: 303');
    is(api_user($tid)->{role}, 'EMPLOYER', 'the role is EMPLOYER');
    for my $bad ('employer', 'A B', '', 'X' x 65, "ADMIN\n", '<b>') {
        my $r2 = submit_form($aua, $page, form_of($page, 'role'), role => $bad);
        is($r2->code, 400, "role '" . ($bad =~ s/\n/\\n/r) . "': a 400 page");
    }
    is(api_user($tid)->{role}, 'EMPLOYER', 'no malformed role was stored');

    my ($a2ua, $a2_id) = person(role => 'ADMIN');
    my $p2 = page($aua, user_path($a2_id));
    my $ask = submit_form($aua, $p2, form_of($p2, 'role'), role => 'USER');
    is($ask->code, 200, 'demoting an ADMIN: first a confirmation page');
    is(api_user($a2_id)->{role}, 'ADMIN', 'nothing changed yet');
    my $c = form_of($ask, 'role');
    ok($c && $c->{value}{role} eq 'USER' && $c->{value}{confirm} eq '1', 'the form carries the role and confirm=1');
    is(submit_form($aua, $ask, $c)->code, 303, 'confirmed: 303');
    is(api_user($a2_id)->{role}, 'USER', 'the former ADMIN is a USER');
    my $gone = page($a2ua, '/auth/admin/users');
    ok(($gone->code == 401 || $gone->code == 403) && ($gone->header('Content-Type') // '') =~ m{^text/html},
       'and can no longer open the admin pages (its ADMIN session is refused: a 401 or 403 page)');
}

# --- an admin cannot disable their own account ---------------------------------------------------
{
    my $page = page($aua, user_path($admin_id));
    my $res = form_post($aua, user_path($admin_id),
                        [action => 'disable', confirm => 1, csrf => csrf_from($page->decoded_content)],
                        Origin => origin(), Accept => 'text/html');
    is($res->code, 400, 'disabling oneself: 400 page');
    like(text_of($res->decoded_content), qr/can.t disable your own account/, 'saying why');
    ok(api_user($admin_id)->{isActive}, 'the admin is still active');
}

# --- sessions ------------------------------------------------------------------------------------
{
    my $s1 = desktop_tokens(email => $temail, password => $PW, device_name => 'Laptop one');
    my $s2 = desktop_tokens(email => $temail, password => $PW, device_name => 'Laptop two');
    my $page = page($aua, user_path($tid));
    my $f = form_of($page, 'revoke', token_sid($s1->{access}));
    ok($f, 'a Sign out form for the first session');
    my $res = submit_form($aua, $page, $f);
    ok($res->code == 303 && ($res->header('Location') // '') =~ /done=revoke\z/, 'Sign out: 303');
    ok(!refresh_ok($s1->{refresh}), 'that session has ended');
    ok(refresh_ok($s2->{refresh}), 'the other one has not');
    my $again = submit_form($aua, $page, $f);
    is($again->code, 404, 'signing it out again: 404');
    my $other = form_post($aua, user_path($tid), [action => 'revoke', id => token_sid($admin_token),
                          csrf => csrf_from($page->decoded_content)], Origin => origin(), Accept => 'text/html');
    is($other->code, 404, 'another account\'s session through this user\'s page: 404');
    ok(api_user($admin_id)->{isActive} && (json_req(GET => '/auth/admin/users', undef, bearer($admin_token)))[0]->code == 200,
       'the admin\'s own session was not touched');
    my $p2 = page($aua, user_path($tid));
    is(submit_form($aua, $p2, form_of($p2, 'revoke_all'))->code, 303, 'Sign out everywhere: 303');
    ok(!refresh_ok($s2->{refresh}), 'every session has ended');
    like(text_of(page($aua, user_path($tid))->decoded_content), qr/Not signed in anywhere/, 'the page says so');
    my $unk = form_post($aua, user_path($tid), [action => 'explode', csrf => csrf_from($p2->decoded_content)],
                        Origin => origin(), Accept => 'text/html');
    is($unk->code, 400, 'an unknown action: 400');
}

# --- the audit log ---------------------------------------------------------------------------------
login_user("$X\@example.com", 'wrong password');
{
    my $res = page($aua, '/auth/admin/audit');
    my $html = $res->decoded_content;
    is($res->code, 200, 'the audit page: 200');
    like(text_of($html), qr/role_changed/, 'it lists the role change');
    unlike($html, $RAW, 'the address tried at sign-in is escaped');
    like(text_of($html), qr/\Q$X\E\@example\.com/, 'and shown as text');
    my $mine = page($aua, '/auth/admin/audit?user=' . URI::Escape::uri_escape($temail));
    my $t = text_of($mine->decoded_content);
    like($t, qr/disabled.*\Q$temail\E · by \Q$admin_email\E/s,
         'filtered by the account\'s email: its disable, by the admin (named by email)');
    my @users = grep { m{^/auth/admin/users/} } url_attrs($mine->decoded_content);
    ok(@users && !(grep { $_ ne user_path($tid) && $_ ne user_path($admin_id) && $_ ne '/auth/admin/users' } @users),
       'every row is about that account (links to it, and to the admin who acted)');
    my $byid = page($aua, "/auth/admin/audit?user=$tid&since=1d");
    ok($byid->code == 200 && text_of($byid->decoded_content) =~ /role_changed/, 'by id and since=1d');
    my $blank = page($aua, "/auth/admin/audit?user=&since=&until=");
    ok($blank->code == 200 && text_of($blank->decoded_content) =~ /role_changed/,
       'the filter form sent with blank fields: no filter (200)');
    my $future = page($aua, '/auth/admin/audit?since=2099-01-01');
    like(text_of($future->decoded_content), qr/No event matches/, 'since a future date: none');
    for my $bad ('since=yesterday', 'until=2026-13-45', 'limit=0', 'offset=-1') {
        my $r2 = page($aua, "/auth/admin/audit?$bad");
        ok($r2->code == 400 && text_of($r2->decoded_content) =~ /Filter not understood/, "$bad: 400 with the reason");
    }
    my ($uf) = grep { ($_->{action} // '') =~ m{/auth/admin/audit\z} } forms($html);
    ok($uf && $uf->{method} eq 'get' && (grep { exists $uf->{value}{$_} } qw(user since until)) == 3,
       'a GET filter form: user, since, until');
}

# --- a non-admin, and no one ---------------------------------------------------------------------
{
    my $csrf = csrf_from(page($uua, '/auth/sessions')->decoded_content);
    for my $path ('/auth/admin/users', user_path($tid), '/auth/admin/audit') {
        my $res = page($uua, $path);
        ok($res->code == 403 && ($res->header('Content-Type') // '') =~ m{^text/html}
           && text_of($res->decoded_content) =~ /Signed in as \Q$user_email\E/,
           "a USER at $path: the HTML 403 page");
    }
    for my $f ([action => 'disable', confirm => 1], [action => 'enable'], [action => 'role', role => 'ADMIN'],
               [action => 'revoke_all'], [action => 'revoke', id => 'x']) {
        my $res = form_post($uua, user_path($tid), [@$f, csrf => $csrf], Origin => origin(), Accept => 'text/html');
        is($res->code, 403, "a USER posting action=$f->[1]: 403");
    }
    my $self = form_post($uua, user_path($user_id), [action => 'role', role => 'ADMIN', csrf => $csrf],
                         Origin => origin(), Accept => 'text/html');
    is($self->code, 403, 'a USER making themselves ADMIN: 403');
    my $u = api_user($tid);
    ok($u->{isActive} && $u->{role} eq 'EMPLOYER', 'nothing changed');
    is(api_user($user_id)->{role}, 'USER', 'the USER is still a USER');
    my $anon = browser()->get(url('/auth/admin/users'), Accept => 'text/html');
    ok($anon->code == 401 && (grep { m{^/auth/login\?return=} } url_attrs($anon->decoded_content)),
       'no one signed in: the 401 page with Sign in');
    my $anon_post = form_post(browser(), user_path($tid), [action => 'enable'], Origin => origin());
    ok($anon_post->code == 401, 'no one signed in, POST: 401');
}

# --- demoted behind the server's back ----------------------------------------------------------
# deskauthctl does not reach the servers' caches: the session check may still
# accept the ADMIN token (then the handler, reading the account, answers the
# 403 page) or already refuse it (the 401 page). Never the admin page.
{
    my ($bua, undef, $bemail) = person(role => 'ADMIN');
    is(page($bua, '/auth/admin/users')->code, 200, 'another ADMIN opens the users page');
    is(deskauthctl('user', 'set-role', $bemail, 'USER'), 0, 'deskauthctl makes them a USER');
    my $res = page($bua, '/auth/admin/users');
    my $t = text_of($res->decoded_content // '');
    ok(($res->code == 403 && $t =~ /Signed in as \Q$bemail\E/ && $t =~ /Switch account/)
       || ($res->code == 401 && $t =~ /Sign in/),
       'then a 403 page "Signed in as EMAIL" with Switch account, or the 401 page: ' . $res->code);
}

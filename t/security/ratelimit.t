# Brute-force limits (docs/interface.md DeskAuthLoginLimit, Errors 429 rate_limited;
# docs/behaviour.md "Rate limits": failures count per account (email case-insensitive) and per
# client IP as Apache sees it ... refused (429) attempts do not extend the
# window), on a server of its own: the main test server has huge limits.
#
#   DeskAuthLoginLimit 3 30      3 failed sign-ins per account, 12 per IP, in 30 s
#   DeskAuthRegisterLimit 4 30   4 sign-ups per IP in 30 s (every attempt counts)
#   DeskAuthPasswordCost 12      so that a real password check is measurable
#
# Each part comes from its own source address in 127.0.0.0/8, so that the
# per-IP counters of the parts do not mix; the X-Forwarded-For part uses
# 127.0.0.1 itself. The accounts are made with deskauthctl at bcrypt cost 4
# (fast failures), except the one of the timing part (cost 12). The first
# part's window runs while the others do, so the file takes about 35 s.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use DeskAuthTest qw(csrf_from);
use HTTP::Request::Common ();
use JSON::PP ();
use Time::HiRes qw(time sleep);

my $WINDOW = 30;
my $PW     = 'correct horse 1';
my $WRONG  = 'wrong horse 1';

my @missing = DeskAuthServer::missing();
push @missing, DeskAuthServer::ctl_path() . ' (run make)' unless -x DeskAuthServer::ctl_path();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 2 + 8 + 6 + 5 + 1 + 3 + 8 + 5 + 1 + 2 + 2 + 1;

$SIG{ALRM} = sub { die "ratelimit.t took longer than 90 s\n" };
alarm 90;

my $srv = DeskAuthServer->new(name => 'ratelimit', cost => 12,
                              conf => "DeskAuthLoginLimit 3 $WINDOW\nDeskAuthRegisterLimit 4 $WINDOW\n");
ok($srv->start, 'a server of its own starts with DeskAuthLoginLimit 3 30, DeskAuthRegisterLimit 4 30')
    or BAIL_OUT($srv->why);

sub h { my ($j) = @_; return ref $j eq 'HASH' ? $j : {} }

# The exact JSON error body with this code?
sub error_shape {
    my ($json, $code) = @_;
    my $j = h($json);
    return keys %$j == 3 && JSON::PP::is_bool($j->{success}) && !$j->{success}
        && ($j->{error} // '') eq $code && defined $j->{message} && !ref $j->{message}
        && length $j->{message};
}

# A Retry-After of whole seconds within the window?
sub retry_after_ok {
    my ($res) = @_;
    my $ra = $res->header('Retry-After') // '';
    return $ra =~ /^\d+$/ && $ra >= 1 && $ra <= $WINDOW;
}

sub login {
    my ($from, $email, $password, %o) = @_;
    return $srv->req(POST => '/auth/login', json => { email => $email, password => $password },
                     from => $from, %o);
}
sub show { my ($res) = @_; return $res->status_line . ' ' . ($res->header('Retry-After') // '-') . ' ' . substr($res->content, 0, 200) }

# --- accounts, straight into the database (no sign-up limit) ---------------------
my $n = 0;
sub email { my ($tag) = @_; return sprintf '%s-%d-%d@example.com', $tag, $$, ++$n }
my %acct = map { $_ => email($_) } qw(win form ip1 ip2 ip3 ip4 ip5 case clear xff1 xff2 xff3 xff4 xff5 taken);
$acct{slow} = email('slow');
{
    my @failed = grep { !$srv->ctl_add_user($acct{$_}, $PW, cost => 4) } sort grep { $_ ne 'slow' } keys %acct;
    push @failed, 'slow' unless $srv->ctl_add_user($acct{slow}, $PW, cost => 12);
    ok(!@failed, 'setup: deskauthctl user add made the accounts (cost 4; one of cost 12)')
        or diag("failed: @failed: " . $srv->why);
}

# --- 1. one account: three failures lock it, even for the right password -----------
my ($t_first_refusal, $ra_first);
{
    my $from = '127.0.0.11';
    my @codes = map { my ($r, $j) = login($from, $acct{win}, $WRONG);
                      $r->code == 401 && h($j)->{error} eq 'invalid_credentials' ? 401 : show($r) } 1 .. 3;
    is("@codes", '401 401 401', 'three wrong passwords for one account: each 401 invalid_credentials');

    my ($res, $json) = login($from, $acct{win}, $PW);
    $t_first_refusal = time;
    is($res->code, 429, 'the fourth attempt, with the RIGHT password, is 429') or diag(show($res));
    ok(error_shape($json, 'rate_limited'), 'the sign-in 429 has the JSON error shape with error "rate_limited"')
        or diag($res->content);
    like($res->header('Content-Type') // '', qr{^application/json\b}i, 'the 429 of the JSON API is JSON');
    ok(retry_after_ok($res), "the 429 has a numeric Retry-After between 1 and $WINDOW")
        or diag('Retry-After: ' . ($res->header('Retry-After') // 'none'));
    $ra_first = $res->header('Retry-After') // $WINDOW;
    $ra_first = $WINDOW unless $ra_first =~ /^\d+$/;
    ok(!exists h($json)->{tokens} && !$res->header('Set-Cookie'), 'the refused attempt issues no token and no cookie')
        or diag($res->as_string);

    ($res) = login('127.0.0.12', $acct{win}, $PW);
    is($res->code, 429, 'the locked account is refused from another IP too (the account counter)')
        or diag(show($res));
    ($res) = login('127.0.0.12', uc $acct{win}, $PW);
    is($res->code, 429, 'and under its upper-case spelling');
}

# --- 2. the form sign-in: 429 with the page ------------------------------------------------
{
    my $ua = $srv->ua(from => '127.0.0.13', cookies => 1);
    $ua->default_header(Accept => 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
    my $page = $ua->get($srv->url('/auth/login'));
    my $csrf = csrf_from($page->content);
    ok($page->code == 200 && defined $csrf, 'the sign-in page carries a CSRF token') or diag(show($page));
    my $post = sub {
        my ($password) = @_;
        my $r = $ua->request(HTTP::Request::Common::POST($srv->url('/auth/login'),
                             [csrf => $csrf // '', email => $acct{form}, password => $password]));
        $csrf = csrf_from($r->content) // $csrf;
        return $r;
    };
    my @codes = map { my $r = $post->($WRONG); $r->code == 401 ? 401 : show($r) } 1 .. 3;
    is("@codes", '401 401 401', 'form sign-in: three wrong passwords are 401 pages');
    my $res = $post->($PW);
    is($res->code, 429, 'form sign-in: the fourth attempt, with the right password, is 429')
        or diag(show($res));
    like($res->header('Content-Type') // '', qr{^text/html\b}i, 'the form gets the 429 as a page');
    like($res->content, qr/Too many failed sign-in attempts/i, 'the page says why');
    ok(retry_after_ok($res), "the 429 page has a numeric Retry-After between 1 and $WINDOW")
        or diag('Retry-After: ' . ($res->header('Retry-After') // 'none'));
}

# --- 3. per IP: other accounts still get 401 until the IP has 12 failures ----------------
{
    my $from = '127.0.0.14';
    my @seen;
    for my $tag (qw(ip1 ip2 ip3 ip4)) {
        for (1 .. 3) {
            my ($r, $j) = login($from, $acct{$tag}, $WRONG);
            push @seen, "$tag:" . ($r->code == 401 && h($j)->{error} eq 'invalid_credentials' ? 401 : show($r));
        }
    }
    is(scalar(grep { /:401$/ } @seen), 12,
       'from one IP, each new account still gets 401 for a wrong password: 12 failures over 4 accounts, all 401')
        or diag("@seen");
    my ($res, $json) = login($from, $acct{ip5}, $WRONG);
    ok($res->code == 429 && error_shape($json, 'rate_limited') && retry_after_ok($res),
       'the 13th attempt from that IP (a fifth account, never failed) is 429 rate_limited with Retry-After')
        or diag(show($res));
    ($res) = login($from, $acct{ip5}, $PW);
    is($res->code, 429, 'the IP limit refuses the right password of an unlocked account too') or diag(show($res));
    ($res) = login('127.0.0.15', $acct{ip5}, $PW);
    is($res->code, 200, 'the same account signs in from another IP (the limit is per IP)') or diag(show($res));
    ($res) = login($from, $acct{ip5}, $PW);
    is($res->code, 429, 'and the blocked IP stays blocked after that success') or diag(show($res));
}

# --- 4. the account key is the normalised email --------------------------------------------
{
    my $from = '127.0.0.16';
    (my $mixed = $acct{case}) =~ s/^(\w)(.*)\@(.*)$/\u$1$2\@\U$3/;
    my @spellings = ($mixed, ' ' . uc($acct{case}) . ' ', $acct{case});
    my @codes = map { my ($r) = login($from, $_, $WRONG); $r->code } @spellings;
    my ($res) = login($from, uc $acct{case}, $PW);
    ok("@codes" eq '401 401 401' && $res->code == 429,
       'failures under different spellings (Ada@X, " ADA@X ", ada@x) count together: the 4th is 429')
        or diag("@codes then " . show($res));
}

# --- 5. a successful sign-in clears the account's counter -------------------------------------
{
    my $from = '127.0.0.17';
    my @before = map { my ($r) = login($from, $acct{clear}, $WRONG); $r->code } 1 .. 2;
    my ($ok) = login($from, $acct{clear}, $PW);
    my @after = map { my ($r) = login($from, $acct{clear}, $WRONG); $r->code } 1 .. 2;
    ok("@before" eq '401 401' && $ok->code == 200,
       '2 failures, then the right password: 200 (under the limit)') or diag("@before then " . show($ok));
    is("@after", '401 401', 'a success clears the counter: 2 more failures are 401, not 429 (4 in all)');
    my ($third) = login($from, $acct{clear}, $WRONG);
    my ($locked) = login($from, $acct{clear}, $PW);
    ok($third->code == 401 && $locked->code == 429,
       'counting starts again after the success: its 3rd failure locks the account (429)')
        or diag(show($third) . ' / ' . show($locked));
}

# --- 6. sign-ups per IP ---------------------------------------------------------------------------
{
    my $from = '127.0.0.18';
    my $signup = sub {
        my ($ip, $email) = @_;
        return $srv->req(POST => '/auth/register', from => $ip,
                         json => { email => $email, password => $PW, firstName => 'Ada', lastName => 'Lovelace' });
    };
    my @codes = map { my ($r) = $signup->($from, email('signup')); $r->code } 1 .. 4;
    is("@codes", '201 201 201 201', 'four sign-ups from one IP within the window: 201 each');
    my $fifth = email('signup');
    my ($res, $json) = $signup->($from, $fifth);
    is($res->code, 429, 'the fifth sign-up from that IP is 429') or diag(show($res));
    ok(error_shape($json, 'rate_limited'), 'the sign-up 429 has the JSON error shape with error "rate_limited"') or diag($res->content);
    ok(retry_after_ok($res), "with a numeric Retry-After between 1 and $WINDOW")
        or diag('Retry-After: ' . ($res->header('Retry-After') // 'none'));
    ($res) = login('127.0.0.19', $fifth, $PW);
    is($res->code, 401, 'the refused sign-up created no account (signing in with it is 401)') or diag(show($res));
    ($res) = $signup->('127.0.0.19', email('signup'));
    is($res->code, 201, 'another IP may still sign up (the limit is per IP)') or diag(show($res));

    my @dups = map { my ($r) = $signup->('127.0.0.20', $acct{taken}); $r->code } 1 .. 4;
    ($res) = $signup->('127.0.0.20', email('signup'));
    ok("@dups" eq '409 409 409 409' && $res->code == 429,
       'every sign-up attempt counts: 4 refused duplicates (409), then a new email from that IP is 429')
        or diag("@dups then " . show($res));
    ($res) = $signup->('127.0.0.18', $acct{taken});
    is($res->code, 429, 'a limited IP gets 429 before the duplicate check (nothing is looked up or hashed)')
        or diag(show($res));
}

# --- 7. failed grants at /auth/token, per IP ------------------------------------------------------
{
    my $from = '127.0.0.21';
    my @seen;
    for my $i (1 .. 12) {
        my @form = $i % 2
            ? (grant_type => 'authorization_code', code => "bogus-code-$i", client_id => 'example-app',
               redirect_uri => 'http://127.0.0.1/callback', code_verifier => 'v' x 43)
            : (grant_type => 'refresh_token', refresh_token => "bogus-refresh-$i");
        my ($r, $j) = $srv->req(POST => '/auth/token', form => \@form, from => $from);
        push @seen, $r->code == 400 && (h($j)->{error} // '') eq 'invalid_grant' ? 400 : show($r);
    }
    is(scalar(grep { $_ eq '400' } @seen), 12, '12 bogus codes and refresh tokens from one IP: 400 invalid_grant each')
        or diag("@seen");
    my ($res, $json) = $srv->req(POST => '/auth/token', from => $from,
                                 form => [grant_type => 'refresh_token', refresh_token => 'bogus-refresh-13']);
    is($res->code, 429, 'the 13th grant from that IP is 429') or diag(show($res));
    ok((h($json)->{error} // '') eq 'rate_limited' && retry_after_ok($res),
       "with error rate_limited and a numeric Retry-After between 1 and $WINDOW") or diag(show($res));
    ($res, $json) = $srv->req(POST => '/auth/token', from => '127.0.0.22',
                              form => [grant_type => 'refresh_token', refresh_token => 'bogus-refresh-x']);
    is($res->code, 400, 'a bogus grant from another IP is still judged (400 invalid_grant): per IP')
        or diag(show($res));
    ($res, $json) = $srv->req(POST => '/auth/token', from => $from, form => [grant_type => 'refresh_token']);
    ok($res->code == 400 && (h($json)->{error} // '') eq 'invalid_request',
       'a malformed grant from the limited IP is still answered 400 invalid_request: only failed grants are limited '
       . '(t/security/ratelimit_race.t: valid grants from such an IP succeed)') or diag(show($res));
}

# --- 8. no bcrypt for a refused attempt -------------------------------------------------------
SKIP: {
    my $ua = $srv->ua(from => '127.0.0.23', keep_alive => 1);
    my $timed = sub { my $t0 = time; my ($r) = login(undef, $acct{slow}, $_[0], ua => $ua); return ($r, time - $t0) };
    my (@real, @refused, @codes);
    for (1 .. 3) { my ($r, $dt) = $timed->($WRONG); push @real, $dt; push @codes, $r->code }
    for (1 .. 5) { my ($r, $dt) = $timed->($PW); push @refused, $dt; push @codes, $r->code }
    my ($min_real) = sort { $a <=> $b } @real;
    my ($min_refused) = sort { $a <=> $b } @refused;
    note(sprintf 'cost-12 password checks: %s s; refused attempts: %s s',
         join(' ', map { sprintf '%.3f', $_ } @real), join(' ', map { sprintf '%.3f', $_ } @refused));
    skip sprintf('a real password check at cost 12 takes only %.0f ms here (< 100 ms)', 1000 * $min_real), 1
        if $min_real < 0.1;
    ok("@codes" eq '401 401 401 429 429 429 429 429' && $min_refused < 0.05,
       sprintf('a refused attempt does no bcrypt: under 50 ms (%.1f ms) while a real check takes over 100 ms (%.0f ms)',
               1000 * $min_refused, 1000 * $min_real))
        or diag("codes: @codes");
}

# --- 9. X-Forwarded-For does not change the client IP ------------------------------------------
{
    my $from = '127.0.0.1';
    my @seen;
    my $k = 0;
    for my $tag (qw(xff1 xff2 xff3 xff4)) {
        for (1 .. 3) {
            $k++;
            my ($r) = login($from, $acct{$tag}, $WRONG,
                            headers => { 'X-Forwarded-For' => "203.0.113.$k, 198.51.100.$k",
                                         'X-Real-IP' => "203.0.113.$k", 'Forwarded' => "for=203.0.113.$k" });
            push @seen, $r->code;
        }
    }
    my ($res) = login($from, $acct{xff5}, $PW, headers => { 'X-Forwarded-For' => '192.0.2.99', 'X-Real-IP' => '192.0.2.99' });
    ok("@seen" eq join(' ', (401) x 12) && $res->code == 429,
       '12 failures from 127.0.0.1, each with another spoofed X-Forwarded-For, count against 127.0.0.1: the 13th is 429')
        or diag("@seen then " . show($res));
    ($res) = login('127.0.0.24', $acct{xff5}, $PW, headers => { 'X-Forwarded-For' => '127.0.0.1' });
    is($res->code, 200, 'and a client claiming X-Forwarded-For: 127.0.0.1 from another address is not blocked by it')
        or diag(show($res));
}

# --- 1, continued: refused attempts did not extend the window ------------------------------------
{
    my ($res) = login('127.0.0.11', $acct{win}, $PW);
    my $elapsed = time - $t_first_refusal;
    my $ra = $res->header('Retry-After') // '';
    ok($res->code == 429 && $ra =~ /^\d+$/ && $ra <= $ra_first - int($elapsed) + 1,
       sprintf('%.0f s later the account is still locked and Retry-After counted down (%s -> %s)',
               $elapsed, $ra_first, $ra)) or diag(show($res));
    my $until = $t_first_refusal + $ra_first + 1;
    sleep($until - time) if $until > time;
    ($res) = login('127.0.0.11', $acct{win}, $PW);
    is($res->code, 200, "after the first Retry-After + 1 s ($ra_first s) the right password works: "
                        . 'the refused attempts did not extend the window') or diag(show($res));
}

$srv->stop;
my @crash = $srv->crash_lines;
ok(!@crash, 'no crashed child or fatal error in the error log') or diag(join "\n", @crash[0 .. ($#crash < 19 ? $#crash : 19)]);

# Revocation is immediate in every process of the server that revoked it
# (interface.md, Sessions and sign-out), although each process remembers the sessions it saw valid
# (the per-process memo in front of socache, src/httpd/da_session.c).
#
# An httpd of its own with the prefork MPM: each keep-alive connection holds
# one child, so four connections open at once are served by four processes
# (the access log's %P proves it). Each of them answers a protected request
# with the token twice (the second from its memo); then a fifth connection
# signs the session out, and at once every one of the four processes must
# refuse the token. The same for an account disabled by an admin, which
# revokes every session of the account.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use Time::HiRes qw(time sleep);

my $CONNS = 4;

my @missing = DeskAuthServer::missing();
push @missing, 'mod_mpm_prefork.so' unless -f DeskAuthServer::libexec() . '/mod_mpm_prefork.so'
                                         || `"${\ DeskAuthServer::httpd()}" -l 2>/dev/null` =~ /prefork\.c/;
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

plan tests => 12;

my $srv = DeskAuthServer->new(
    name => 'revocation', mpm => 'prefork',
    conf => DeskAuthServer::load('log_config')
          . "StartServers 6\nMinSpareServers 6\nMaxSpareServers 10\nServerLimit 10\n"
          . "MaxRequestWorkers 10\nKeepAliveTimeout 60\n"
          . qq{LogFormat "%P %m %U %>s %{remote}p" pids\nCustomLog "DIR/access_log" pids\n}
          . "DeskAuthSessionCacheTTL 300\n"
          . "<Location /auth/admin>\n    SetHandler deskauth-admin\n</Location>\n");
# the access log in the server's own directory
{
    my $conf = DeskAuthServer::slurp($srv->conf_file);
    $conf =~ s{DIR/access_log}{$srv->dir . '/access_log'}e;
    DeskAuthServer::spew($srv->conf_file, $conf);
}
ok($srv->start, 'an httpd of its own starts (prefork)') or BAIL_OUT($srv->why);

sub sign_up {
    my ($who) = @_;
    my ($res, $json) = $srv->req(POST => '/auth/register',
                                 json => { email => "$who-$$\@example.com", password => 'correct horse 1',
                                           firstName => 'Rev', lastName => 'Oked' });
    my $tokens = ref $json eq 'HASH' && ref $json->{tokens} eq 'HASH' ? $json->{tokens} : undef;
    BAIL_OUT('setup: sign-up failed: ' . $res->as_string) unless $res->code == 201 && $tokens;
    return ($tokens->{accessToken}, $json->{user}{id});
}

# The processes that answered /protected/ with STATUS (access log %P); a
# line is written after its response is sent, so wait (5 s at most) until
# the processes WANT (a count or a list) are there.
sub pids_of {
    my ($status, $want) = @_;
    my %pids;
    my $end = time + 5;
    while (1) {
        %pids = ();
        for (split /\n/, DeskAuthServer::slurp($srv->dir . '/access_log')) {
            my ($pid, $m, $path, $code) = split / /;
            $pids{$pid}++ if $path =~ m{^/protected/} && $code eq $status;
        }
        last if (ref $want ? !grep { !$pids{$_} } @$want : keys %pids >= $want) || time > $end;
        sleep 0.1;
    }
    return \%pids;
}

# Warm the memo of CONNS processes with TOKEN; the keep-alive user agents.
sub warm {
    my ($token) = @_;
    my @uas = map { $srv->ua(keep_alive => 1) } 1 .. $CONNS;
    my $ok = 0;
    for my $ua (@uas) {
        for (1 .. 2) {
            my ($res) = $srv->req(GET => '/protected/', bearer => $token, ua => $ua);
            $ok++ if $res->code == 200;
        }
    }
    return ($ok, @uas);
}

sub refused_by_all {
    my ($token, @uas) = @_;
    my @codes = map { ($srv->req(GET => '/protected/', bearer => $token, ua => $_))[0]->code } @uas;
    return (scalar(grep { $_ == 401 } @codes), "@codes");
}

# --- sign-out --------------------------------------------------------------------------------
my ($token) = sign_up('logout');
my ($ok, @uas) = warm($token);
is($ok, 2 * $CONNS, "the token opens /protected/ on $CONNS keep-alive connections, twice each");
my $warm = pids_of(200, $CONNS);
is(scalar(keys %$warm), $CONNS, "$CONNS different processes answered them (access log %P)")
    or diag(join ' ', sort keys %$warm);

my ($res) = $srv->req(POST => '/auth/logout', bearer => $token);
ok($res->code == 200 || $res->code == 204, 'signing out (another connection) succeeds')
    or diag($res->as_string);
my ($n, $codes) = refused_by_all($token, @uas);
is($n, $CONNS, 'at once, every one of those processes refuses the token (401)') or diag($codes);
my $refused = pids_of(401, [keys %$warm]);
is(scalar(grep { $refused->{$_} } keys %$warm), $CONNS,
   'the refusals came from the same processes that had accepted it');

# --- an admin disables the account ---------------------------------------------------------------
my ($admin_ok, $out) = (0, '');
my ($admin_token) = sign_up('admin');
{
    my ($st, $o) = $srv->ctl(undef, 'user', 'set-role', "admin-$$\@example.com", 'ADMIN');
    ($admin_ok, $out) = ($st == 0, $o);
}
ok($admin_ok, 'setup: deskauthctl makes the second account ADMIN') or diag($out);
# a token with the ADMIN role: sign in again
my (undef, $login) = $srv->req(POST => '/auth/login',
                               json => { email => "admin-$$\@example.com", password => 'correct horse 1' });
$admin_token = ref $login eq 'HASH' && ref $login->{tokens} eq 'HASH' ? $login->{tokens}{accessToken} : undef;
ok($admin_token, 'setup: the admin signs in again for a token with the ADMIN role');

my ($victim, $victim_id) = sign_up('disabled');
($ok, @uas) = warm($victim);
is($ok, 2 * $CONNS, "the second user's token opens /protected/ on $CONNS connections");
($res) = $srv->req(PATCH => "/auth/admin/users/$victim_id", json => { isActive => JSON::PP::false() },
                   bearer => $admin_token);
is($res->code, 200, 'the admin disables the account') or diag($res->as_string);
($n, $codes) = refused_by_all($victim, @uas);
is($n, $CONNS, 'at once, every process refuses the disabled account\'s token') or diag($codes);

is(join("\n", $srv->crash_lines), '', 'no crash or fatal error in the error log');

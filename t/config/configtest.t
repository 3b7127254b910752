# Bad configuration stops `httpd -t` (apachectl configtest) with a one-line
# message naming the directive (docs/interface.md, docs/behaviour.md).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use File::Spec;
use DeskAuthForge qw(openssl_out);

my $top   = Apache::Test::vars('top_dir') // File::Spec->rel2abs("$FindBin::Bin/../..");
my $httpd = $ENV{HTTPD} || Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $so    = "$top/.libs/mod_deskauth.so";
my $libexec = Apache::Test::vars('libexecdir');
if (!$libexec || !-d $libexec) {
    chomp($libexec = `${\($ENV{APXS} || 'apxs')} -q LIBEXECDIR 2>/dev/null` || '');
    $libexec ||= '/usr/lib/apache2/modules';
}

my $dir = tempdir('deskauth-configtest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
sub write_file { my ($name, $data) = @_; my $p = "$dir/$name";
                 open my $fh, '>:raw', $p or die "$p: $!"; print $fh $data; close $fh; return $p }
sub random_bytes { my ($n) = @_; return join '', map { chr(int rand 256) } 1 .. $n }
sub random_text  { my ($n) = @_; my @c = ('a' .. 'z', 0 .. 9); return join '', map { $c[rand @c] } 1 .. $n }

my $ec_key = "$dir/ec.pem";
openssl_out('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', $ec_key);
my $rsa1024 = "$dir/rsa1024.pem";
openssl_out('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', $rsa1024);
my $hmac16   = write_file('hmac16.key', random_bytes(16));
my $hmac31nl = write_file('hmac31nl.key', random_text(31) . "\n");
my $hmac32nl = write_file('hmac32nl.key', random_text(32) . "\n");
# Client secrets (secret=FILE): at least 32 bytes once one trailing newline is dropped.
my $secret32nl = write_file('secret32nl.txt', random_text(32) . "\n");
my $secret31nl = write_file('secret31nl.txt', random_text(31) . "\n");
my $secret16   = write_file('secret16.txt', random_text(16));
my $secret_empty = write_file('secret0.txt', '');
my $secret_nul = write_file('secret-nul.txt', random_text(20) . "\0" . random_text(20) . "\n");

# Modules compiled into this httpd need no LoadModule.
my %builtin = map { /^\s*(\S+)\.c\s*$/ ? ($1 => 1) : () } `"$httpd" -l 2>/dev/null`;
my $have_mpm = grep { /^(?:prefork|worker|event)$/ } keys %builtin;
sub load { my ($name, $file) = @_;
           return $builtin{$file} ? '' : "LoadModule ${name}_module $libexec/$file.so\n" }

# A complete, valid configuration; %o changes one thing.
sub config {
    my (%o) = @_;
    my $c = "ServerRoot $dir\nDefaultRuntimeDir $dir\nPidFile $dir/httpd.pid\n"
          . "ErrorLog $dir/error_log\nListen 127.0.0.1:1\nServerName localhost\n";
    $c .= load('mpm_prefork', 'mod_mpm_prefork') unless $have_mpm;
    $c .= load('authn_core', 'mod_authn_core') . load('authz_core', 'mod_authz_core')
        . load('socache_shmcb', 'mod_socache_shmcb');
    $c .= load('dbd', 'mod_dbd') unless $o{no_mod_dbd};
    $c .= "LoadModule deskauth_module $so\n";
    $c .= "DBDriver sqlite3\nDBDParams $dir/deskauth.db\n" unless $o{no_mod_dbd} || $o{no_dbdriver};
    $c .= $o{before} // '';
    $c .= "DeskAuthSigningKey " . ($o{key} // "$ec_key test-ec") . "\n";
    $c .= "DeskAuthIssuer https://deskauth.test\nDeskAuthRoles USER EMPLOYER\n";
    $c .= $o{client} // qq{DeskAuthClient equatorschatbot equatorschatbot://auth/callback token-redirect=on "name=Equators Chatbot"\n}
                     . qq{DeskAuthClient example-app com.example.app:/oauth2redirect http://127.0.0.1/callback http://[::1]/callback\n};
    $c .= $o{after} // '';
    $c .= "<Location /auth/login>\n    SetHandler deskauth-login\n</Location>\n";
    $c .= "<Location /protected>\n    AuthType DeskAuth\n    Require deskauth-role EMPLOYER\n"
        . "    DeskAuthTokenFrom both\n    DeskAuthPassClaims env\n</Location>\n";
    return $c;
}

my $n = 0;
sub configtest {
    my ($conf) = @_;
    my $file = write_file('httpd' . ++$n . '.conf', $conf);
    my $out = `"$httpd" -t -f "$file" 2>&1`;
    return ($? >> 8, $out // '', $file);
}

my @bad = (
    ['an unreadable DeskAuthSigningKey', qr/DeskAuthSigningKey/,
        key => "$dir/no-such-dir/key.pem test"],
    ['an HMAC key file of 16 bytes', qr/DeskAuthSigningKey/, key => "$hmac16 hs"],
    ['an HMAC key file of 31 bytes and a newline (31 after the newline is dropped)',
        qr/DeskAuthSigningKey/, key => "$hmac31nl hs"],
    ['an RSA key of 1024 bits (< 2048)', qr/DeskAuthSigningKey/, key => "$rsa1024 rsa"],
    ['DeskAuthAlgorithm FOO', qr/DeskAuthAlgorithm/, after => "DeskAuthAlgorithm FOO\n"],
    ['DeskAuthAlgorithm HS256 with an EC key', qr/DeskAuthAlgorithm/, after => "DeskAuthAlgorithm HS256\n"],
    ['DeskAuthAlgorithm HS256 before an EC DeskAuthSigningKey', qr/DeskAuthAlgorithm/,
        before => "DeskAuthAlgorithm HS256\n"],
    ['a DeskAuthClient redirect URI javascript:alert(1)', qr/DeskAuthClient/,
        client => "DeskAuthClient evil javascript:alert(1)\n"],
    ['a DeskAuthClient redirect URI JavaScript:alert(1) (scheme case-insensitive)', qr/DeskAuthClient/,
        client => "DeskAuthClient evil JavaScript:alert(1)\n"],
    ['a DeskAuthClient redirect URI data:text/html,x', qr/DeskAuthClient/,
        client => "DeskAuthClient evil data:text/html,x\n"],
    ['a DeskAuthClient redirect URI file:///etc/passwd', qr/DeskAuthClient/,
        client => "DeskAuthClient evil file:///etc/passwd\n"],
    ['mod_dbd not loaded (SetHandler deskauth-login)', qr/mod_dbd|dbd_module|DBDriver/i, no_mod_dbd => 1],
    ['no DBDriver (SetHandler deskauth-login)', qr/DBDriver/, no_dbdriver => 1],
    # The issuer is also the public origin of every absolute URL.
    ['DeskAuthIssuer https:// (no host)', qr/DeskAuthIssuer/, after => "DeskAuthIssuer https://\n"],
    ['DeskAuthIssuer with a query', qr/DeskAuthIssuer/, after => "DeskAuthIssuer https://a.example/?x=1\n"],
    ['DeskAuthIssuer with a fragment', qr/DeskAuthIssuer/, after => "DeskAuthIssuer https://a.example/#top\n"],
    ['DeskAuthIssuer with a user name', qr/DeskAuthIssuer/, after => "DeskAuthIssuer https://a.example\@evil.example\n"],
    # Passkeys (docs/passkeys.md)
    ['DeskAuthWebAuthnRPID with a scheme', qr/DeskAuthWebAuthnRPID/, after => "DeskAuthWebAuthnRPID https://example.com\n"],
    ['DeskAuthWebAuthnRPID with a port', qr/DeskAuthWebAuthnRPID/, after => "DeskAuthWebAuthnRPID example.com:443/x\n"],
    ['DeskAuthWebAuthnRPID in upper case', qr/DeskAuthWebAuthnRPID/, after => "DeskAuthWebAuthnRPID Example.com\n"],
    ['DeskAuthWebAuthnOrigin with a path', qr/DeskAuthWebAuthnOrigin/, after => "DeskAuthWebAuthnOrigin https://example.com/\n"],
    ['DeskAuthWebAuthnOrigin without a scheme', qr/DeskAuthWebAuthnOrigin/, after => "DeskAuthWebAuthnOrigin example.com\n"],
    ['DeskAuthWebAuthnTimeout 301 (over 5 minutes)', qr/DeskAuthWebAuthnTimeout/, after => "DeskAuthWebAuthnTimeout 301\n"],
    ['DeskAuthWebAuthnTimeout 5 (under 10 s)', qr/DeskAuthWebAuthnTimeout/, after => "DeskAuthWebAuthnTimeout 5\n"],
    ['DeskAuthWebAuthnUserVerification discouraged', qr/DeskAuthWebAuthnUserVerification/,
        after => "DeskAuthWebAuthnUserVerification discouraged\n"],
    # OpenID Connect clients (docs/oidc.md): the rules between options hold at
    # startup; each message says which rule (plain http to another host is
    # refused as a redirect URI before consent=never is looked at)
    ['consent=never on a public client', qr/DeskAuthClient.*?consent=never/,
        after => "DeskAuthClient pub https://pub.example/cb consent=never\n"],
    ['consent=never with a custom-scheme redirect URI', qr/DeskAuthClient.*?consent=never/,
        after => "DeskAuthClient c com.example.c:/cb secret=$secret32nl consent=never\n"],
    ['consent=never with an https and a custom-scheme redirect URI', qr/DeskAuthClient.*?consent=never/,
        after => "DeskAuthClient c https://rp.example/cb com.example.c:/cb secret=$secret32nl consent=never\n"],
    ['consent=sometimes', qr/DeskAuthClient.*?consent/,
        after => "DeskAuthClient c https://rp.example/cb secret=$secret32nl consent=sometimes\n"],
    ['a client secret of 31 bytes and a newline', qr/DeskAuthClient.*?secret/,
        after => "DeskAuthClient c https://rp.example/cb secret=$secret31nl\n"],
    ['a client secret of 16 bytes', qr/DeskAuthClient.*?secret/,
        after => "DeskAuthClient c https://rp.example/cb secret=$secret16\n"],
    ['an empty client secret file', qr/DeskAuthClient.*?secret/,
        after => "DeskAuthClient c https://rp.example/cb secret=$secret_empty\n"],
    ['a client secret with a NUL byte (no client could send it)', qr/DeskAuthClient.*?NUL/,
        after => "DeskAuthClient c https://rp.example/cb secret=$secret_nul\n"],
    ['an unreadable client secret file', qr/DeskAuthClient.*?secret/,
        after => "DeskAuthClient c https://rp.example/cb secret=$dir/no-such-secret.txt\n"],
    ['auth=client_secret_jwt (not supported)', qr/DeskAuthClient.*?auth/,
        after => "DeskAuthClient c https://rp.example/cb secret=$secret32nl auth=client_secret_jwt\n"],
    ['auth= on a public client', qr/DeskAuthClient.*?auth=/,
        after => "DeskAuthClient c https://rp.example/cb auth=client_secret_basic\n"],
    ['pkce=optional on a public client', qr/DeskAuthClient.*?pkce=optional/,
        after => "DeskAuthClient c http://127.0.0.1/cb pkce=optional\n"],
    ['a scope list with an unknown scope', qr/DeskAuthClient.*?scope/,
        after => qq{DeskAuthClient c https://rp.example/cb "scope=openid phone"\n}],
    ['post-logout=javascript:alert(1)', qr/DeskAuthClient.*?javascript/,
        after => "DeskAuthClient c https://rp.example/cb post-logout=javascript:alert(1)\n"],
    ['post-logout=http://evil.example/bye (plain http, not loopback)', qr/DeskAuthClient.*?evil\.example/,
        after => "DeskAuthClient c https://rp.example/cb post-logout=http://evil.example/bye\n"],
    ['the reserved client id deskauth-web', qr/DeskAuthClient.*?deskauth-web/,
        after => "DeskAuthClient deskauth-web https://rp.example/cb\n"],
    ['DeskAuthIDTokenTTL 0', qr/DeskAuthIDTokenTTL/, after => "DeskAuthIDTokenTTL 0\n"],
    ['DeskAuthIDTokenTTL 5m', qr/DeskAuthIDTokenTTL/, after => "DeskAuthIDTokenTTL 5m\n"],
    ['DeskAuthRefreshReuseInterval -1', qr/DeskAuthRefreshReuseInterval/, after => "DeskAuthRefreshReuseInterval -1\n"],
    ['DeskAuthRefreshReuseInterval 86401 (over a day)', qr/DeskAuthRefreshReuseInterval/,
        after => "DeskAuthRefreshReuseInterval 86401\n"],
);

plan tests => 3 + 2 * @bad + 3 + 1 + 1 + 1;

ok(-f $so, "the module is built ($so)") or diag('build the module first');

{
    my ($rc, $out, $file) = configtest(config());
    ok($rc == 0 && $out =~ /^Syntax OK$/m, 'a correct configuration: exit 0 and "Syntax OK"')
        or diag("exit $rc:\n$out\n--- $file ---\n" . config());
}
{
    my ($rc, $out) = configtest(config(key => "$hmac32nl hs"));
    ok($rc == 0 && $out =~ /^Syntax OK$/m,
       'an HMAC key file of 32 bytes and one trailing newline is accepted (newline dropped, 32 remain)')
        or diag("exit $rc:\n$out");
}

{
    my ($rc, $out) = configtest(config(after => "DeskAuthWebAuthnRPID example.com\n"
        . "DeskAuthWebAuthnOrigin https://example.com https://www.example.com:8443\n"
        . "DeskAuthWebAuthnTimeout 120\nDeskAuthWebAuthnUserVerification required\n"
        . "<Location /auth/passkey>\n    SetHandler deskauth-passkey\n</Location>\n"));
    ok($rc == 0 && $out =~ /^Syntax OK$/m, 'every passkey directive with a good value: "Syntax OK"')
        or diag("exit $rc:\n$out");
}

{
    my ($rc, $out) = configtest(config(after => "DeskAuthClient web https://rp.example/cb http://127.0.0.1/rp/cb "
        . qq{"name=Web" secret=$secret32nl auth=client_secret_post consent=never "scope=openid email" }
        . "post-logout=https://rp.example/bye pkce=optional\n"
        . "DeskAuthClient app com.example.app:/cb post-logout=com.example.app:/bye consent=always\n"
        . "DeskAuthIDTokenTTL 600\nDeskAuthRefreshReuseInterval 0\n"));
    ok($rc == 0 && $out =~ /^Syntax OK$/m, 'every OpenID Connect client option and directive with a good value '
       . '(a secret of 32 bytes and a newline): "Syntax OK"') or diag("exit $rc:\n$out");
}

# The OpenID Connect examples of conf/deskauth.conf, uncommented (their
# secret files made real), are a valid configuration.
{
    open my $fh, '<', "$top/conf/deskauth.conf" or die "conf/deskauth.conf: $!";
    my $shipped = do { local $/; <$fh> };
    my ($section) = $shipped =~ /^# --- OpenID Connect -+\n(.*?)^# ---/ms;
    my ($examples, $open) = ('', 0);
    for my $line (split /\n/, $section // '') {
        next unless $open || $line =~ /^# DeskAuth/;
        (my $directive = $line) =~ s/^#\s?//;
        $examples .= "$directive\n";
        $open = $line =~ /\\\s*\z/;
    }
    $examples =~ s{secret=/etc/apache2/\S+}{secret=$secret32nl}g;
    my ($rc, $out) = configtest(config(client => $examples));
    ok($rc == 0 && $out =~ /^Syntax OK$/m && ($examples =~ tr/\n//) >= 8 && $examples =~ /consent=never/,
       'the OpenID Connect examples of conf/deskauth.conf, uncommented: "Syntax OK"')
        or diag("exit $rc:\n$out\n$examples");
}

for my $case (@bad) {
    my ($name, $directive, %o) = @$case;
    my ($rc, $out) = configtest(config(%o));
    ok($rc != 0 && $out !~ /^Syntax OK$/m, "$name: configtest fails (non-zero exit)")
        or diag("exit $rc:\n$out");
    my @lines = grep { /\S/ } split /\n/, $out;
    my @naming = grep { $_ =~ $directive } @lines;
    my $why = @naming ? $naming[0] : '';
    (my $rest = $why) =~ s/$directive//;
    ok(@naming && $rest =~ /[A-Za-z]{3,}.*[A-Za-z]{3,}/ && @lines <= 4,
       "$name: a one-line message naming the directive")
        or diag("exit $rc:\n$out");
}

# The shipped configuration and the demo load mod_reqtimeout (slow clients
# cannot hold a worker) and the issuer accepts a path.
{
    my ($rc, $out) = configtest(config(after => "DeskAuthIssuer https://a.example:8443/idp\n"));
    ok($rc == 0 && $out =~ /^Syntax OK$/m, 'DeskAuthIssuer with a port and a path is accepted')
        or diag("exit $rc:\n$out");
    my $file = write_file('shipped.conf', config(after => qq{Include "$top/conf/deskauth.conf"\n}));
    my $mods = `"$httpd" -t -D DUMP_MODULES -f "$file" 2>&1`;
    like($mods, qr/^\s*reqtimeout_module\b/m, 'conf/deskauth.conf loads mod_reqtimeout')
        or diag($mods);
    open my $fh, '<', "$top/tools/demo" or die "tools/demo: $!";
    my $demo = do { local $/; <$fh> };
    like($demo, qr/^\s*load reqtimeout mod_reqtimeout\s*$/m, 'tools/demo loads mod_reqtimeout');
}

# The directives of sign-in through another provider (docs/external.md):
# each bad value stops `httpd -t` with a message naming the directive, and
# every mod_auth_openidc example of docs/external.md (Google, Microsoft
# Entra ID, GitHub, several providers) parses with mod_deskauth and
# mod_auth_openidc loaded. Skipped without mod_auth_openidc.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthServer;

my $OIDC_SO = '/usr/lib/apache2/modules/mod_auth_openidc.so';
my @missing = (DeskAuthServer::missing(), -f $OIDC_SO ? () : $OIDC_SO);
plan skip_all => 'needs ' . join(', ', @missing) if @missing;

my $s = DeskAuthServer->new(name => 'extconf');
my $metadata = $s->dir . '/oidc-metadata';
mkdir $metadata or die "$metadata: $!";

# httpd -t of the base configuration plus $conf: (exit status, output).
sub configtest {
    my ($conf) = @_;
    $s->{conf} = qq{LoadModule auth_openidc_module "$OIDC_SO"\n} . $conf;
    DeskAuthServer::spew($s->conf_file, $s->config);
    my $out = `"${\ DeskAuthServer::httpd()}" -t -f "${\ $s->conf_file}" -d "${\ $s->dir}" 2>&1`;
    return ($? >> 8, $out);
}

# The ```apache blocks of docs/external.md that start with "# example: NAME".
my $doc = DeskAuthServer::slurp(DeskAuthServer::top_dir() . '/docs/external.md');
my %examples = $doc =~ /```apache\n# example: (\S+)\n(.*?)```/gs;
is_deeply([sort keys %examples], [qw(github google microsoft several)],
          'docs/external.md has the Google, Microsoft, GitHub and several-providers examples');
for my $name (sort keys %examples) {
    (my $conf = $examples{$name}) =~ s{/etc/apache2/oidc-metadata}{$metadata}g;
    my ($status, $out) = configtest($conf);
    is($status, 0, "the $name example of docs/external.md passes httpd -t") or diag($out);
}

my $ok = qq{DeskAuthExternalProvider up "Upstream" /auth/external/up\n};
my @bad = (
    ['a NAME with a space', qr/DeskAuthExternalProvider/, qq{DeskAuthExternalProvider "up stream" "Up" /auth/x\n}],
    ['the NAME password', qr/DeskAuthExternalProvider.*password/, qq{DeskAuthExternalProvider password "Up" /auth/x\n}],
    ['a NAME of 65 characters', qr/DeskAuthExternalProvider/, 'DeskAuthExternalProvider ' . ('a' x 65) . qq{ "Up" /auth/x\n}],
    ['a provider declared twice', qr/DeskAuthExternalProvider.*twice/, $ok . $ok],
    ['an empty LABEL', qr/DeskAuthExternalProvider.*LABEL/, qq{DeskAuthExternalProvider up "" /auth/x\n}],
    ['a relative PATH', qr/DeskAuthExternalProvider.*PATH/, qq{DeskAuthExternalProvider up "Up" auth/x\n}],
    ['a PATH with a query', qr/DeskAuthExternalProvider.*PATH/, qq{DeskAuthExternalProvider up "Up" /auth/x?a=b\n}],
    ['a PATH of another host (//)', qr/DeskAuthExternalProvider.*PATH/, qq{DeskAuthExternalProvider up "Up" //evil.example/x\n}],
    ['DeskAuthExternalClaims before its provider', qr/DeskAuthExternalClaims.*no DeskAuthExternalProvider/,
        qq{DeskAuthExternalClaims up subject=X\n$ok}],
    ['DeskAuthExternalClaims with an unknown key', qr/DeskAuthExternalClaims.*unknown key/,
        qq{${ok}DeskAuthExternalClaims up subject=X phone=Y\n}],
    ['DeskAuthExternalClaims with a key and no variable', qr/DeskAuthExternalClaims.*key=VARIABLE/,
        qq{${ok}DeskAuthExternalClaims up email=\n}],
    ['DeskAuthExternalClaims with only a NAME', qr/DeskAuthExternalClaims/, qq{${ok}DeskAuthExternalClaims up\n}],
    ['DeskAuthExternalSignup maybe', qr/DeskAuthExternalSignup/, qq{DeskAuthExternalSignup maybe\n}],
);
for my $b (@bad) {
    my ($what, $re, $conf) = @$b;
    my ($status, $out) = configtest($conf);
    ok($status != 0 && $out =~ $re, "httpd -t refuses $what, naming the directive") or diag($out);
}
my ($status, $out) = configtest($ok . qq{DeskAuthExternalClaims up subject=OIDC_CLAIM_id email=MAIL verified=V given=G family=F\nDeskAuthExternalSignup off\n});
is($status, 0, 'a provider with every claim variable and DeskAuthExternalSignup off passes') or diag($out);
done_testing();

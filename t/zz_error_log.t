# Runs last: nothing the suite did may have crashed a child process, and the
# error log holds no secret handed out during the run (interface.md, Tokens: "Tokens,
# codes, passwords and hashes never appear in logs").
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use DeskAuthTest;

plan tests => 5;

my $path = error_log_path();
open my $fh, '<', $path or die "cannot read $path: $!";
my $log = do { local $/; <$fh> };
close $fh;

my @crashes = $log =~ /^(.*(?:exit signal|Segmentation fault|AH00052).*)$/mg;
ok(!@crashes, 'no child process crashed during the suite')
    or diag(join "\n", @crashes[0 .. ($#crashes > 4 ? 4 : $#crashes)]);

# Every JWT we issue starts with the base64url of {"alg": ... Only the
# module's own lines count: httpd's core traces request headers itself when
# an admin asks for http:trace4 or more.
my $ours = join "\n", grep { /\[deskauth:/ } split /\n/, $log;
my @jwts = $ours =~ /(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,})/g;
ok(!@jwts, 'no access token appears in the error log (LogLevel deskauth:trace8)')
    or diag("found: " . substr($jwts[0], 0, 40) . '...');

my @hashes = $ours =~ /(\$2[aby]\$\d\d\$[.\/A-Za-z0-9]{53})/g;
ok(!@hashes, 'no password hash appears in the error log');

# The suite's passwords all start so; none may be logged.
ok($ours !~ /correct horse/, 'no password of the suite appears in the error log');

# Refresh tokens, codes and their stored hashes are 43 base64url characters
# (32 bytes); session and user ids are 22. None of the former is logged.
my @secrets = $ours =~ /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g;
ok(!@secrets, 'no refresh token, code or hash (43 base64url characters) in the error log')
    or diag("found: " . substr($secrets[0], 0, 12) . '...');

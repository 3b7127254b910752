package DeskAuthTotp;
# Two-step sign-in helpers for the tests: authenticator codes computed by
# oathtool (Debian's, an independent implementation of RFC 6238), the hash
# the module stores an mfaToken under, and plain SQL on the test server's
# database (sqlite3 or psql command-line tools) to look at stored rows.
use strict;
use warnings;

use Exporter 'import';
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);

our @EXPORT_OK = qw(have_oathtool totp_code token_hash sql_value);

sub have_oathtool { return !system('sh', '-c', 'command -v oathtool >/dev/null 2>&1') }

# The 6-digit TOTP code of base32 KEY at time AT (default now) + SHIFT s.
sub totp_code {
    my ($key, $shift, $at) = @_;
    my $t = ($at // time) + ($shift // 0);
    open my $fh, '-|', 'oathtool', '--totp', '-b', '-N', "\@$t", $key or die "oathtool: $!";
    my $code = <$fh>;
    close $fh;
    chomp $code if defined $code;
    return $code;
}

# base64url(SHA-256(token)), as rows keep tokens.
sub token_hash {
    my ($token) = @_;
    (my $h = encode_base64(sha256($token), '')) =~ tr{+/}{-_};
    $h =~ s/=+$//;
    return $h;
}

# The first column of the first row of SQL on DRIVER/PARAMS (undef when the
# tool is missing or fails). SQL must not contain single quotes of its own
# beyond literal strings the caller made safe.
sub sql_value {
    my ($driver, $params, $sql) = @_;
    my @cmd = $driver eq 'sqlite3' ? ('sqlite3', $params, $sql)
                                   : ('psql', '-X', '-A', '-t', '-d', $params, '-c', $sql);
    open my $fh, '-|', @cmd or return undef;
    my $out = do { local $/; <$fh> };
    close $fh or return undef;
    return undef unless defined $out;
    $out =~ s/\s+\z//;
    return (split /\n/, $out)[0];
}

1;

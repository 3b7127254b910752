package DeskAuthForge;
# Forge JWTs for the black-box tests: base64url, ES256/RS256 through the
# openssl command line, HS256 through Digest::SHA. Nothing here talks to
# the server; the tests compare what the module accepts with what we sign.
use strict;
use warnings;
use Exporter 'import';
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(hmac_sha256);
use Math::BigInt;
use JSON::PP ();
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use File::Spec;

our @EXPORT = qw(b64url b64url_decode jwt_decode jwt_encode jwt_sign
                 es256_sign rs256_sign hs256_sign key_path openssl_out
                 new_ec_key public_pem_of claims_from token_sid slurp_file
                 es256_flip_s es256_s_is_low);

my $JSON = JSON::PP->new->canonical(1)->utf8(1);
my $TMP  = tempdir('deskauth-forge-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $seq  = 0;

# t/keys/NAME, found from this file's place (t/lib/..).
sub key_path {
    my ($name) = @_;
    my $t = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..'));
    return File::Spec->catfile($t, 'keys', $name);
}

sub slurp_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "open $path: $!";
    local $/;
    my $data = <$fh>;
    return $data;
}

sub b64url {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+\z//;
    return $s;
}

sub b64url_decode {
    my $s = shift;
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return decode_base64($s);
}

# (header hashref, payload hashref, signature bytes) of a compact JWT;
# undef members when a part does not decode.
sub jwt_decode {
    my ($token) = @_;
    my ($h, $p, $s) = split /\./, $token, -1;
    my $dec = sub {
        my $part = shift;
        return undef unless defined $part;
        my $v = eval { $JSON->decode(b64url_decode($part)) };
        return $v;
    };
    return ($dec->($h), $dec->($p), defined $s ? b64url_decode($s) : undef);
}

# Run openssl with a list of arguments; die with its stderr on failure.
sub openssl_out {
    my @args = @_;
    my $err = File::Spec->catfile($TMP, 'err' . ++$seq);
    my $pid = open(my $fh, '-|');
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDERR, '>', $err or die;
        exec 'openssl', @args or die "exec openssl: $!";
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    die "openssl @args failed: " . (-s $err ? slurp_file($err) : "exit $?") if $?;
    return $out;
}

sub _sign_with_openssl {
    my ($keyfile, $input) = @_;
    my $in  = File::Spec->catfile($TMP, 'in' . ++$seq);
    my $sig = File::Spec->catfile($TMP, 'sig' . $seq);
    open my $fh, '>:raw', $in or die "$in: $!";
    print $fh $input;
    close $fh;
    openssl_out('dgst', '-sha256', '-sign', $keyfile, '-out', $sig, $in);
    return slurp_file($sig);
}

# DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) -> R||S of n bytes each.
sub _der_to_raw {
    my ($der, $n) = @_;
    my $i = 0;
    my $byte = sub { die "short DER signature" if $i >= length $der; ord substr($der, $i++, 1) };
    die "not a DER SEQUENCE" unless $byte->() == 0x30;
    my $len = $byte->();
    if ($len & 0x80) { my $nb = $len & 0x7f; $len = 0; $len = ($len << 8) | $byte->() for 1 .. $nb }
    my $out = '';
    for (1 .. 2) {
        die "not a DER INTEGER" unless $byte->() == 0x02;
        my $l = $byte->();
        my $v = substr($der, $i, $l);
        $i += $l;
        $v =~ s/\A\x00+//;
        die "integer too long" if length $v > $n;
        $out .= ("\x00" x ($n - length $v)) . $v;
    }
    return $out;
}

# The order n of P-256. ECDSA's (r, s) and (r, n - s) both verify; the
# module signs and accepts only the low s (s <= n/2), so a token has one
# spelling. A forger that wants its token accepted signs low s too.
my $P256_N = Math::BigInt->from_hex('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

sub _s_of { my ($raw) = @_; return Math::BigInt->from_bytes(substr($raw, 32, 32)) }

# R||S with s replaced by n - s.
sub _flip_raw_s {
    my ($raw) = @_;
    my $b = $P256_N->copy->bsub(_s_of($raw))->to_bytes;
    return substr($raw, 0, 32) . ("\x00" x (32 - length $b)) . $b;
}

# Is the s of an ES256 token's signature the low one?
sub es256_s_is_low {
    my ($token) = @_;
    my (undef, undef, $raw) = jwt_decode($token);
    return defined $raw && length $raw == 64 && _s_of($raw) <= $P256_N->copy->brsft(1);
}

# The same ES256 token with the other valid signature, s replaced by n - s.
sub es256_flip_s {
    my ($token) = @_;
    my ($input, $sig) = $token =~ /\A(.*)\.([^.]*)\z/s or return $token;
    return $input . '.' . b64url(_flip_raw_s(b64url_decode($sig)));
}

sub es256_sign {
    my ($keyfile, $input) = @_;
    my $raw = _der_to_raw(_sign_with_openssl($keyfile, $input), 32);
    return _s_of($raw) > $P256_N->copy->brsft(1) ? _flip_raw_s($raw) : $raw;
}
sub rs256_sign { my ($keyfile, $input) = @_; _sign_with_openssl($keyfile, $input) }
sub hs256_sign { my ($secret, $input) = @_; hmac_sha256($input, $secret) }

# header.payload (both hashrefs, or raw strings taken as already-encoded JSON).
sub jwt_encode {
    my ($header, $payload) = @_;
    my $enc = sub { ref $_[0] ? b64url($JSON->encode($_[0])) : b64url($_[0]) };
    return $enc->($header) . '.' . $enc->($payload);
}

# A signed compact JWT. %o: header, claims, and one of
# es256 => keyfile, rs256 => keyfile, hs256 => secret bytes, none => 1.
sub jwt_sign {
    my (%o) = @_;
    my $input = jwt_encode($o{header}, $o{claims});
    my $sig = $o{es256} ? es256_sign($o{es256}, $input)
            : $o{rs256} ? rs256_sign($o{rs256}, $input)
            : defined $o{hs256} ? hs256_sign($o{hs256}, $input)
            : '';
    return $input . '.' . b64url($sig);
}

# A fresh EC P-256 private key (PEM file), for an attacker.
sub new_ec_key {
    my $path = File::Spec->catfile($TMP, 'attacker' . ++$seq . '.pem');
    openssl_out('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', $path);
    return $path;
}

# The PEM SubjectPublicKeyInfo of a private key file, as openssl prints it.
sub public_pem_of { my ($keyfile) = @_; openssl_out('pkey', '-in', $keyfile, '-pubout') }

# The payload of a real token, as a fresh hashref (for copying claims).
sub claims_from { my ($token) = @_; my (undef, $p) = jwt_decode($token); return { %{ $p || {} } } }

sub token_sid { my ($token) = @_; my (undef, $p) = jwt_decode($token // ''); return $p ? $p->{sid} : undef }

1;

package DeskAuthOIDC;
# Helpers for the OpenID Connect tests (t/oidc/*.t): an authorization
# request with any parameters, followed through the sign-in or consent page
# to the authorization response (the hand-off page of a desktop app, or the
# direct 303 of a web application), and the client's side of /auth/token
# with client authentication. Black-box only: everything goes over HTTP.
#
#   my $f = oidc_signin(client_id => 'web-app', redirect_uri => WEB_URI,
#                       scope => 'openid email', nonce => 'n1');
#   $f->{response}        # the authorization response (URI?code=...&iss=...)
#   $f->{params}{code}
#   my ($res, $json) = oidc_exchange($f);
use strict;
use warnings;

use Exporter 'import';
use MIME::Base64 qw(encode_base64);
use URI ();
use URI::Escape qw(uri_escape_utf8);
use DeskAuthTest;
use DeskAuthOAuth;
use DeskAuthForge qw(key_path slurp_file b64url_decode jwt_decode);
use File::Temp qw(tempdir);

our @EXPORT = qw(
    oidc_signin oidc_exchange oidc_refresh client_secret basic_auth
    authorization_response ISSUER WEB_URI SSO_URI id_token_valid
);

# The issuer of the test server (DeskAuthIssuer: its own URL), as the
# discovery document says it.
my $issuer;
sub ISSUER {
    return $issuer //= do {
        my (undef, $m) = token_request(GET => '/.well-known/openid-configuration');
        ref $m eq 'HASH' ? $m->{issuer} : 'unknown issuer';
    };
}
use constant WEB_URI => 'https://rp.example/cb';
use constant SSO_URI => 'https://sso.example/cb';

my %SECRET_FILE = ('web-app' => 'client-secret.txt', 'basic-app' => 'client-secret.txt',
                   'post-app' => 'client-secret.txt',
                   'lax-app' => 'client-secret.txt', 'sso-app' => 'sso-secret.txt');

# The secret of a confidential client of the test server (undef: public).
sub client_secret {
    my ($client) = @_;
    my $f = $SECRET_FILE{$client} // return undef;
    my $s = slurp_file(key_path($f));
    $s =~ s/\n\z//;
    return $s;
}

sub basic_auth {
    my ($id, $secret) = @_;
    return (Authorization => 'Basic ' . encode_base64(uri_escape_utf8($id) . ':'
                                                      . uri_escape_utf8($secret), ''));
}

# The authorization response a 303 sends to REDIRECT_URI (error or code):
# its query as a hash, or undef when the 303 goes anywhere else.
sub authorization_response {
    my ($res, $redirect_uri) = @_;
    return undef unless $res && $res->code == 303;
    my $loc = $res->header('Location') // return undef;
    return undef unless index($loc, "$redirect_uri?") == 0;
    return query_params($loc);
}

# An authorization request of client_id (default example-app, with PKCE)
# carrying the OpenID Connect parameters given (scope, nonce, prompt,
# max_age, login_hint, state; extra => [pairs]); signed in with
# email/password when a sign-in page comes, confirmed when a consent page
# comes (unless no_confirm). Returns a hash with ua, email, password,
# verifier, authorize (the first response), steps (every response), and
# response/params: the authorization response (its URL and query).
sub oidc_signin {
    my %o = @_;
    my %f = (client_id => 'example-app', redirect_uri => LOOPBACK_URI, state => 'xyz', %o);
    unless (defined $f{email}) {
        my (undef, undef, $fields) = register_user();
        @f{qw(email password)} = @$fields{qw(email password)};
    }
    $f{verifier} //= (pkce_pair())[0];
    $f{ua} //= browser();
    my @pairs = (client_id => $f{client_id}, redirect_uri => $f{redirect_uri},
                 response_type => $f{response_type} // 'code', state => $f{state},
                 $f{no_pkce} ? () : (code_challenge => challenge_of($f{verifier}),
                                     code_challenge_method => 'S256'),
                 map({ defined $f{$_} ? ($_ => $f{$_}) : () } qw(scope nonce prompt max_age login_hint)),
                 @{ $f{extra} // [] });
    my $res = $f{authorize} = get_page($f{ua}, authorize_url(@pairs));
    my @steps = ($res);
    for (1 .. 4) {
        last if authorization_response($res, $f{redirect_uri});
        if (my $h = handoff_location($res)) {
            my $page = get_page($f{ua}, $h);
            push @steps, $page;
            my $link = code_link($page->content, $f{redirect_uri});
            $f{response} = $link;
            $f{params} = query_params($link);
            last;
        }
        last unless $res->code == 200;
        if (password_form($res->content)) {
            $res = sign_in($f{ua}, $res, $f{email}, $f{password});
        }
        elsif (!$f{no_confirm} and my $c = continue_form($res->content)) {
            $res = submit_form($f{ua}, $res, $c);
        }
        else {
            last;
        }
        push @steps, $res;
    }
    if (!$f{response} and my $q = authorization_response($res, $f{redirect_uri})) {
        $f{response} = $res->header('Location');
        $f{params} = $q;
    }
    $f{params} //= {};
    $f{steps} = \@steps;
    $f{last} = $res;
    return \%f;
}

# The client's request headers and fields for its authentication: public
# clients send client_id; confidential ones their secret (basic by default,
# or auth => 'post').
sub _client_auth {
    my ($client, %o) = @_;
    my $secret = exists $o{secret} ? $o{secret} : client_secret($client);
    return ([client_id => $client], []) unless defined $secret;
    return ([client_id => $client, client_secret => $secret], []) if ($o{auth} // '') eq 'post';
    return ([], [basic_auth($client, $secret)]);
}

# The code exchange of an oidc_signin result. Options: auth => 'post',
# secret => (another secret, or undef for none), verifier.
sub oidc_exchange {
    my ($f, %o) = @_;
    my ($fields, $headers) = _client_auth($f->{client_id}, %o);
    my $verifier = exists $o{verifier} ? $o{verifier} : $f->{no_pkce} ? undef : $f->{verifier};
    return token_post([grant_type => 'authorization_code', code => $f->{params}{code} // 'none',
                       defined $verifier ? (code_verifier => $verifier) : (),
                       redirect_uri => $f->{redirect_uri}, @$fields], @$headers);
}

sub oidc_refresh {
    my ($client, $refresh, %o) = @_;
    my ($fields, $headers) = _client_auth($client, %o);
    return token_post([grant_type => 'refresh_token', refresh_token => $refresh, @$fields],
                      @$headers);
}

# Is TOKEN an ES256 JWS signed by the test server's key (t/keys/es256.pem),
# header typ JWT and kid test-es256? Checked with the openssl command.
sub id_token_valid {
    my ($token) = @_;
    my ($h) = jwt_decode($token // '');
    return 0 unless ref $h eq 'HASH' && ($h->{alg} // '') eq 'ES256' && ($h->{typ} // '') eq 'JWT'
                    && ($h->{kid} // '') eq 'test-es256';
    my ($input, $sig) = $token =~ /\A([^.]+\.[^.]+)\.([^.]+)\z/ or return 0;
    my $raw = b64url_decode($sig);
    return 0 unless length $raw == 64;
    my $int = sub {
        my $v = shift;
        $v =~ s/\A\x00+//;
        $v = "\x00$v" if !length $v || ord($v) & 0x80;
        return "\x02" . chr(length $v) . $v;
    };
    my $seq = $int->(substr($raw, 0, 32)) . $int->(substr($raw, 32));
    my $der = "\x30" . chr(length $seq) . $seq;
    my $dir = tempdir(CLEANUP => 1);
    for (["$dir/in", $input], ["$dir/sig", $der]) {
        open my $fh, '>:raw', $_->[0] or die "$_->[0]: $!";
        print $fh $_->[1];
        close $fh;
    }
    my $out = `openssl dgst -sha256 -verify "${\ key_path('es256.pub.pem')}" -signature "$dir/sig" "$dir/in" 2>&1`;
    return $out =~ /Verified OK/ ? 1 : 0;
}

1;

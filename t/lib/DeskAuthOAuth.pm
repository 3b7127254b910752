package DeskAuthOAuth;
# Helpers for the desktop hand-off tests (t/handoff/*.t, t/security/pkce_*.t,
# t/security/open_redirect.t): PKCE pairs, the browser side of
# /auth/login?client_id=...&code_challenge=..., the hand-off page, and the
# desktop app's side of /auth/token. Black-box only: everything goes over HTTP.
#
#   my ($verifier, $challenge) = pkce_pair();
#   my $f = desktop_signin(redirect_uri => 'http://127.0.0.1:54321/callback');
#   my ($res, $json) = token_post([grant_type => 'authorization_code', code => $f->{code}, ...]);
#   my $t = desktop_tokens();            # desktop_signin + the code exchange
#   is(protected_status($t->{access}), 200, ...);
use strict;
use warnings;

use Exporter 'import';
use Digest::SHA qw(sha256);
use HTML::Entities qw(decode_entities);
use HTTP::Request ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use MIME::Base64 qw(encode_base64);
use URI ();
use URI::Escape qw(uri_escape_utf8 uri_unescape);
use DeskAuthTest;

our @EXPORT = qw(
    b64u random_b64u pkce_pair challenge_of authorize_url get_page
    attrs_of forms url_attrs is_local_url nonlocal_links text_of origin
    submit_form password_form sign_in continue_form web_sign_in
    handoff_location app_links code_link query_params session_cookie
    app_ua token_post token_request protected_status
    desktop_signin desktop_tokens decode_json_or_undef
    LOOPBACK_URI
);

use constant LOOPBACK_URI => 'http://127.0.0.1:54321/callback';

my $JSON = JSON::PP->new->utf8->canonical;

sub decode_json_or_undef {
    my ($text) = @_;
    return undef unless defined $text && length $text;
    my $v = eval { $JSON->decode($text) };
    return $v;
}

# --- PKCE (RFC 7636) --------------------------------------------------------

sub b64u {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+\z//;
    return $s;
}

sub random_bytes {
    my ($n) = @_;
    open my $fh, '<:raw', '/dev/urandom' or die "/dev/urandom: $!";
    my $buf;
    my $got = read $fh, $buf, $n;
    die "short read from /dev/urandom" unless defined $got && $got == $n;
    close $fh;
    return $buf;
}

sub random_b64u { return b64u(random_bytes($_[0] // 32)) }

sub challenge_of { return b64u(sha256($_[0])) }

# (verifier, S256 challenge): a 64-character verifier from 48 random bytes.
sub pkce_pair {
    my $v = random_b64u(48);
    return ($v, challenge_of($v));
}

# --- URLs -------------------------------------------------------------------

sub base { return URI->new(url('/')) }
sub origin { my $b = base(); return $b->scheme . '://' . $b->host_port }

# /auth/login with the given parameters in this order (a list of pairs, so
# that a parameter may be repeated or left out; undef values are left out).
sub authorize_url {
    my @pairs = @_;
    my @q;
    while (my ($k, $v) = splice @pairs, 0, 2) {
        next unless defined $v;
        push @q, uri_escape_utf8($k) . '=' . uri_escape_utf8($v);
    }
    return url('/auth/login') . (@q ? '?' . join('&', @q) : '');
}

sub get_page {
    my ($ua, $u) = @_;
    return $ua->get($u, 'Accept' => 'text/html');
}

# --- small HTML readers (as in t/handoff/compat.t) ----------------------------

sub attrs_of {
    my ($s) = @_;
    my %a;
    while ($s =~ /([A-Za-z_:][-\w:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g) {
        $a{lc $1} = decode_entities($2 // $3 // $4 // '') unless exists $a{lc $1};
    }
    return %a;
}

# Every <form>: action, method, named fields (first value wins), their
# types, the values of every option of each <select>, and its inner HTML.
sub forms {
    my ($html) = @_;
    my @forms;
    while ($html =~ m{<form\b([^>]*)>(.*?)</form\s*>}gis) {
        my ($fa, $inner) = ($1, $2);
        my %f = attrs_of($fa);
        my (%value, %type, %options);
        while ($inner =~ m{<(input|button|textarea|select)\b([^>]*)>}gi) {
            my ($tag, $rest) = (lc $1, $2);
            my %a = attrs_of($rest);
            next unless defined $a{name};
            if ($tag eq 'select') {
                my $end = index(lc $inner, '</select', pos($inner));
                my $body = substr($inner, pos($inner), $end < 0 ? length($inner) : $end - pos($inner));
                my @opts;
                while ($body =~ m{<option\b([^>]*)>([^<]*)}gi) {
                    my %o = attrs_of($1);
                    push @opts, $o{value} // decode_entities($2);
                }
                push @{ $options{$a{name}} }, @opts;
                next if exists $value{$a{name}};
                $type{$a{name}}  = 'select';
                my ($sel) = $body =~ m{<option\b([^>]*\bselected\b[^>]*)>}i;
                my %s = $sel ? attrs_of($sel) : ();
                $value{$a{name}} = $s{value} // $opts[0] // '';
                next;
            }
            push @{ $options{$a{name}} }, $a{value} if defined $a{value};
            next if exists $value{$a{name}};
            $type{$a{name}}  = lc($a{type} // ($tag eq 'button' ? 'submit' : 'text'));
            $value{$a{name}} = $a{value} // '';
        }
        push @forms, { action => $f{action}, method => lc($f{method} // 'get'),
                       value => \%value, type => \%type, options => \%options,
                       html => $inner };
    }
    return @forms;
}

# Values of every attribute that can send a browser somewhere (entity-decoded);
# for <meta http-equiv=refresh>, the URL of its content.
sub url_attrs {
    my ($html) = @_;
    my @v;
    while ($html =~ m{<[A-Za-z][^>]*>}g) {
        my $tag = $&;
        my %a = attrs_of(substr($tag, 1));
        push @v, grep { defined } @a{qw(href src action formaction data poster xlink:href)};
        if ($tag =~ /^<meta\b/i && defined $a{content}
            && $a{content} =~ /^\s*\d*\s*[;,]?\s*url\s*=\s*['"]?([^'"]*)/i) {
            push @v, $1;
        }
    }
    return @v;
}

# A link that stays on this server: empty, "#frag", a relative path with
# no scheme ("/x", "x?y"), or this server's own origin.
sub is_local_url {
    my ($v) = @_;
    $v =~ s/^\s+//;
    return 1 if $v eq '' || $v =~ /^#/;
    return 1 if index($v, origin() . '/') == 0;
    return 0 if $v =~ m{^[/\\][/\\]};
    return 0 if $v =~ m{^[^/?#]*:};
    return 1;
}

# The URL attributes of a page that lead anywhere but this server.
sub nonlocal_links {
    my ($html) = @_;
    return grep { !is_local_url($_) } url_attrs($html // '');
}

sub text_of {
    my ($html) = @_;
    $html =~ s{<(script|style)\b.*?</\1\s*>}{ }gis;
    $html =~ s/<[^>]*>/ /g;
    $html = decode_entities($html);
    $html =~ s/\s+/ /g;
    return $html;
}

# --- the browser side -----------------------------------------------------------

# Submit a form as a browser would: hidden and filled fields kept, the one
# submit button (if any) clicked, %fill added. Origin is this server.
sub submit_form {
    my ($ua, $page_res, $form, %fill) = @_;
    my @names = sort keys %{ $form->{value} };
    my ($button) = grep { $form->{type}{$_} eq 'submit' } @names;
    my %data = map { $_ => $form->{value}{$_} }
               grep { $form->{type}{$_} ne 'submit' || (defined $button && $_ eq $button) } @names;
    @data{keys %fill} = values %fill;
    my $action = URI->new_abs($form->{action} // '', $page_res->request->uri);
    return $ua->post($action, [%data], 'Origin' => origin(), 'Accept' => 'text/html');
}

sub password_form {
    my ($html) = @_;
    return (grep { grep { $_ eq 'password' } values %{ $_->{type} } } forms($html // ''))[0];
}

sub field_of_type {
    my ($form, $type, $name_re) = @_;
    my ($f) = grep { $form->{type}{$_} eq $type } sort keys %{ $form->{type} };
    ($f) = grep { $_ =~ $name_re } sort keys %{ $form->{type} } if !$f && $name_re;
    return $f;
}

# Fill in and post the sign-in form of PAGE_RES; undef without such a form.
sub sign_in {
    my ($ua, $page_res, $email, $password) = @_;
    my $form = password_form($page_res->content) or return undef;
    return submit_form($ua, $page_res, $form,
                       (field_of_type($form, 'email', qr/^(?:email|username|login)$/i) // 'email') => $email,
                       field_of_type($form, 'password') => $password);
}

# The POST form of a "Continue to APP as EMAIL" page that is not a sign-out form.
sub continue_form {
    my ($html) = @_;
    my @post = grep { $_->{method} eq 'post' && ($_->{action} // '') !~ /logout/ } forms($html // '');
    my ($cont) = grep { exists $_->{value}{continue} } @post;
    return $cont // $post[0];
}

# Sign a browser in at /auth/login with no app waiting; returns the POST response.
sub web_sign_in {
    my ($ua, $email, $password) = @_;
    my $page = get_page($ua, url('/auth/login'));
    return sign_in($ua, $page, $email, $password) // $page;
}

# The hand-off page a 303 points to (this server, ?h=ID), as a URI, or undef.
sub handoff_location {
    my ($res) = @_;
    return undef unless $res && $res->code == 303;
    my $loc = $res->header('Location') // return undef;
    my $u = URI->new_abs($loc, $res->request->uri);
    return ($u->scheme // '') =~ /^https?\z/ && $u->host_port eq base()->host_port
        && ($u->query // '') =~ /(?:^|&)h=[^&]+/ ? $u : undef;
}

# Every URL attribute of HTML that starts with "URI?" (the app links).
sub app_links {
    my ($html, $uri) = @_;
    return grep { index($_, "$uri?") == 0 } url_attrs($html // '');
}

# The first <a href> of HTML that goes to "URI?code=" (HTML-decoded), or undef.
sub code_link {
    my ($html, $uri) = @_;
    while (($html // '') =~ m{<a\b([^>]*)>}gi) {
        my %a = attrs_of($1);
        return $a{href} if defined $a{href} && index($a{href}, "$uri?") == 0
                           && $a{href} =~ /[?&]code=/;
    }
    return undef;
}

# The query of a link as a hash (values percent-decoded, '+' as a space).
sub query_params {
    my ($link) = @_;
    my %q;
    return \%q unless defined $link && $link =~ /\?([^#]*)/;
    for my $pair (split /&/, $1) {
        my ($k, $v) = split /=/, $pair, 2;
        $v //= '';
        tr/+/ / for $k, $v;
        $q{uri_unescape($k)} //= uri_unescape($v);
    }
    return \%q;
}

sub session_cookie {
    my ($ua) = @_;
    my $v;
    $ua->cookie_jar->scan(sub { $v = $_[2] if $_[1] =~ /^(?:__Host-)?deskauth_session\z/ });
    return $v;
}

# --- the desktop app's side -------------------------------------------------------

# A desktop app's HTTP client: no cookies, no redirects.
sub app_ua {
    return LWP::UserAgent->new(agent => 'DeskAuthTest-app', requests_redirectable => [],
                               cookie_jar => undef, keep_alive => 0);
}

# POST /auth/token (or PATH) form-encoded; FIELDS a list of pairs (order
# kept) or a hash. Returns (response, decoded JSON or undef).
sub token_post {
    my ($fields, %headers) = @_;
    my $path = delete $headers{path} // '/auth/token';
    my @pairs = ref $fields eq 'HASH' ? %$fields : @$fields;
    my $req = HTTP::Request::Common::POST(url($path), \@pairs,
                                          Accept => 'application/json', %headers);
    my $res = app_ua()->request($req);
    return ($res, decode_json_or_undef($res->content));
}

# Any request to PATH with a raw BODY (may be undef) and HEADERS.
sub token_request {
    my ($method, $path, $body, %headers) = @_;
    my $req = HTTP::Request->new($method, url($path), [Accept => 'application/json', %headers],
                                 $body);
    my $res = app_ua()->request($req);
    return ($res, decode_json_or_undef($res->content));
}

# Status of GET /protected/ with TOKEN as a Bearer token.
sub protected_status {
    my ($token) = @_;
    my $res = app_ua()->get(url('/protected/'), bearer($token // 'none'));
    return $res->code;
}

# The whole browser side of the PKCE hand-off. Options: client_id,
# redirect_uri, state, device_name, ua (a browser, signed in or not),
# email/password (default: a newly registered person), verifier.
# Returns a hash: ua, email, password, verifier, challenge, authorize
# (the GET /auth/login response), post (the sign-in or continue POST),
# handoff (its URI), page (the hand-off page response), link, code, state.
sub desktop_signin {
    my %o = @_;
    my %f = (client_id => 'example-app', redirect_uri => LOOPBACK_URI, state => 'xyz', %o);
    unless (defined $f{email}) {
        my (undef, undef, $fields) = register_user();
        @f{qw(email password)} = @$fields{qw(email password)};
    }
    unless (defined $f{verifier}) {
        $f{verifier} = (pkce_pair())[0];
    }
    $f{challenge} //= challenge_of($f{verifier});
    $f{ua} //= browser();
    $f{authorize} = get_page($f{ua}, authorize_url(
        client_id => $f{client_id}, redirect_uri => $f{redirect_uri}, response_type => 'code',
        state => $f{state}, code_challenge => $f{challenge}, code_challenge_method => 'S256',
        device_name => $f{device_name}));
    my $html = $f{authorize}->content;
    if (password_form($html)) {
        $f{post} = sign_in($f{ua}, $f{authorize}, $f{email}, $f{password});
    }
    elsif (my $c = continue_form($html)) {
        $f{post} = submit_form($f{ua}, $f{authorize}, $c);
    }
    $f{handoff} = handoff_location($f{post});
    $f{page} = $f{handoff} ? get_page($f{ua}, $f{handoff}) : undef;
    $f{link} = $f{page} ? code_link($f{page}->content, $f{redirect_uri}) : undef;
    my $q = query_params($f{link});
    $f{code} = $q->{code};
    $f{returned_state} = $q->{state};
    return \%f;
}

# desktop_signin, then the code exchange at /auth/token. Adds res, json,
# access and refresh to the hash.
sub desktop_tokens {
    my $f = desktop_signin(@_);
    my ($res, $json) = token_post([
        grant_type => 'authorization_code', code => $f->{code} // 'none',
        code_verifier => $f->{verifier}, redirect_uri => $f->{redirect_uri},
        client_id => $f->{client_id} ]);
    $f->{res} = $res;
    $f->{json} = $json;
    $f->{access} = ref $json eq 'HASH' ? $json->{access_token} : undef;
    $f->{refresh} = ref $json eq 'HASH' ? $json->{refresh_token} : undef;
    return $f;
}

1;

package DeskAuthTest;
# Helpers shared by the t/*.t files. Everything here is exported by default.
#
#   my ($res, $json) = json_req(POST => '/auth/login', {email => $e, password => $p});
#   my ($res, $json, $fields) = register_user(role => 'EMPLOYER');
#   my ($res, $json) = login_user($email, $password);
#   json_req(GET => '/api/auth/profile', undef, bearer($json->{accessToken}));
#
#   my $ua = browser();                       # own cookie jar, no redirects
#   my $page = $ua->get('/auth/login');       # relative URLs go to the test server
#   form_post($ua, '/auth/login', {csrf => csrf_from($page->content), ...});
#
#   my $res = raw_req(POST => '/auth/login', '{"email":', 'Content-Type' => 'application/json');
#   is jtype(jbody($res)->{success}), 'bool';       # @USER_FIELDS: the user object
#
#   my $mark = -s error_log_path();
#   ... requests ...
#   unlike(error_log_since($mark), qr/correct horse/, 'no password in the log');
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use Apache::TestRequest ();
use HTTP::Request ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use URI ();

our @EXPORT = qw(
    unique_email json_req register_user login_user bearer
    browser url csrf_from form_post error_log_since error_log_path
    jbody jtype raw_req @USER_FIELDS
);

# Every field of the user object (docs/interface.md, Sign-up and sign-in).
our @USER_FIELDS = qw(id email firstName lastName fullName role company jobRole
                      authType emailVerified isActive resume createdAt updatedAt
                      lastLoginAt);

my $JSON = JSON::PP->new->utf8->canonical;

# An address no earlier call or run has used.
my $email_count = 0;
sub unique_email {
    $email_count++;
    return sprintf 'u%dp%dn%d@example.com', time, $$, $email_count;
}

# Absolute URL of PATH on the test server.
sub url {
    my ($path) = @_;
    return Apache::TestRequest::resolve_url($path);
}

# Send a JSON API request; returns (HTTP::Response, decoded body or undef).
# DATA: a hash/array ref (sent as JSON), a scalar ref (sent as is, for
# malformed bodies), or undef (no body). Accept: application/json unless
# HEADERS say otherwise. Redirects are not followed.
sub json_req {
    my ($method, $path, $data, %headers) = @_;
    my %h = (Accept => 'application/json');
    my $body;
    if (ref $data eq 'SCALAR') {
        $body = $$data;
    }
    elsif (defined $data) {
        $body = $JSON->encode($data);
    }
    $h{'Content-Type'} = 'application/json' if defined $body;
    %h = (%h, %headers);

    my $req = HTTP::Request->new(uc $method, url($path), [%h], $body);
    local $Apache::TestRequest::RedirectOK = 0;
    my $res = Apache::TestRequest::user_agent()->request($req);
    return ($res, decode_json_or_undef($res->content));
}

# The decoded JSON body of a response, or undef.
sub jbody { my ($res) = @_; return decode_json_or_undef($res->content) }

# The JSON type of a decoded value: null, bool, object, array, string, number.
sub jtype {
    my ($v) = @_;
    return 'null'   unless defined $v;
    return 'bool'   if JSON::PP::is_bool($v);
    return 'object' if ref $v eq 'HASH';
    return 'array'  if ref $v eq 'ARRAY';
    return JSON::PP->new->allow_nonref->encode($v) =~ /^"/ ? 'string' : 'number';
}

# A request exactly as given: METHOD PATH, BODY (undef: none) and HEADERS
# (name => value pairs, in order; a later one replaces an earlier one),
# nothing added, redirects not followed.
sub raw_req {
    my ($method, $path, $body, @headers) = @_;
    my $ua  = LWP::UserAgent->new(max_redirect => 0, timeout => 60);
    my $req = HTTP::Request->new($method => url($path));
    while (my ($name, $value) = splice @headers, 0, 2) {
        $req->header($name => $value);
    }
    $req->content($body) if defined $body;
    return $ua->request($req);
}

sub decode_json_or_undef {
    my ($text) = @_;
    return undef unless defined $text && length $text;
    my $json = eval { $JSON->decode($text) };
    return $json;
}

# POST /auth/register with the defaults below, overridden by FIELDS (a field
# set to undef is left out). Returns ($res, $json, \%fields_sent).
sub register_user {
    my %fields = (
        email     => unique_email(),
        password  => 'correct horse 1',
        firstName => 'Ada',
        lastName  => 'Lovelace',
        @_,
    );
    delete $fields{$_} for grep { !defined $fields{$_} } keys %fields;
    my ($res, $json) = json_req(POST => '/auth/register', \%fields);
    return ($res, $json, \%fields);
}

sub login_user {
    my ($email, $password) = @_;
    return json_req(POST => '/auth/login', {email => $email, password => $password});
}

sub bearer {
    my ($token) = @_;
    return (Authorization => "Bearer $token");
}

# A fresh browser: its own cookie jar, never follows redirects, prefers HTML,
# and resolves relative URLs ('/auth/login') against the test server.
sub browser {
    my $ua = DeskAuthTest::Browser->new(
        cookie_jar            => {},
        requests_redirectable => [],
        agent                 => 'DeskAuthTest-browser',
    );
    $ua->default_header(Accept => 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
    return $ua;
}

# The value of the hidden input named "csrf" in a page, or undef.
sub csrf_from {
    my ($html) = @_;
    return undef unless defined $html;
    while ($html =~ /<input\b([^>]*)>/gi) {
        my $attrs = $1;
        next unless $attrs =~ /\bname\s*=\s*(["']?)csrf\1(?=[\s\/>]|$)/i;
        next unless $attrs =~ /\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;
        my $value = defined $1 ? $1 : defined $2 ? $2 : $3;
        $value =~ s/&quot;/"/g;
        $value =~ s/&#0*39;|&#x0*27;|&apos;/'/gi;
        $value =~ s/&lt;/</g;
        $value =~ s/&gt;/>/g;
        $value =~ s/&amp;/&/g;
        return $value;
    }
    return undef;
}

# POST FIELDS (hash or array ref) as application/x-www-form-urlencoded.
sub form_post {
    my ($ua, $path, $fields, %headers) = @_;
    my @pairs = ref $fields eq 'HASH' ? %$fields : @$fields;
    return $ua->request(HTTP::Request::Common::POST(url($path), \@pairs, %headers));
}

sub error_log_path {
    return Apache::Test::vars('t_logs') . '/error_log';
}

# The error_log after MARKER: a byte offset (as from -s error_log_path()),
# or a string (the text after its last occurrence); undef: the whole log.
sub error_log_since {
    my ($marker) = @_;
    open my $fh, '<:raw', error_log_path() or return '';
    my $text = do { local $/; <$fh> };
    close $fh;
    $text = '' unless defined $text;
    return $text unless defined $marker;
    if ($marker =~ /^\d+$/) {
        return $marker >= length $text ? '' : substr $text, $marker;
    }
    my $at = rindex $text, $marker;
    return $at < 0 ? '' : substr $text, $at + length $marker;
}

package DeskAuthTest::Browser;
our @ISA = ('LWP::UserAgent');

sub prepare_request {
    my ($self, $req) = @_;
    my $uri = $req->uri;
    $req->uri(DeskAuthTest::url("$uri")) unless defined $uri->scheme;
    return $self->SUPER::prepare_request($req);
}

1;

package DeskAuthDevice;
# Helpers of the device authorization grant tests (t/device/): ask for a
# code pair as a device, poll the token endpoint as a device, and approve
# or deny as a signed-in person in a browser (LWP with its own cookies).
#
# Each takes a "server": undef for the main test server, or a
# DeskAuthServer object for a server of its own.
use strict;
use warnings;

use Exporter 'import';
use DeskAuthTest qw(browser csrf_from unique_email url);
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();

our @EXPORT = qw(device_start device_poll person approve_form page_of
                 DEVICE_GRANT);

use constant DEVICE_GRANT => 'urn:ietf:params:oauth:grant-type:device_code';

my $JSON = JSON::PP->new->utf8->canonical;

sub base { my ($srv) = @_; return $srv ? "http://127.0.0.1:$srv->{port}" : url('/') =~ s{/+\z}{}r }

my $ua = LWP::UserAgent->new(requests_redirectable => []);

# POST FIELDS (array ref) as a form to PATH; (response, decoded JSON or undef).
sub form {
    my ($srv, $path, $fields, %h) = @_;
    my $res = $ua->request(HTTP::Request::Common::POST(base($srv) . $path, $fields,
                                                       Accept => 'application/json', %h));
    return ($res, eval { $JSON->decode($res->content) });
}

# The device asks: (response, JSON) of POST /auth/device.
sub device_start {
    my ($srv, %fields) = @_;
    %fields = (client_id => 'tv-app', device_name => 'Living room TV', %fields);
    delete $fields{$_} for grep { !defined $fields{$_} } keys %fields;
    return form($srv, '/auth/device', [%fields]);
}

# One poll of the token endpoint: (response, JSON).
sub device_poll {
    my ($srv, $device_code, $client_id) = @_;
    return form($srv, '/auth/token', [grant_type => DEVICE_GRANT, device_code => $device_code,
                                      client_id => $client_id // 'tv-app']);
}

# A person with an account, signed in in a browser of their own:
# { ua, email, password }.
sub person {
    my ($srv) = @_;
    my $p = { ua => browser(), email => unique_email(), password => 'correct horse 1' };
    my $res = $p->{ua}->request(HTTP::Request->new(POST => base($srv) . '/auth/register',
        ['Content-Type' => 'application/json', Accept => 'application/json'],
        $JSON->encode({ email => $p->{email}, password => $p->{password},
                        firstName => 'Dev', lastName => 'Ice' })));
    die 'registration failed: ' . $res->status_line . "\n" unless $res->code == 201;
    return $p;
}

# GET PATH in the person's browser.
sub page_of {
    my ($srv, $p, $path) = @_;
    return $p->{ua}->get(base($srv) . $path);
}

# POST the approval form (Allow / Deny) for USER_CODE as the person, with
# the CSRF token of PAGE (a confirmation page's HTML; defaults to a fresh
# one). EXTRA: more fields or headers, e.g. csrf => 'x', Origin => '...'.
sub approve_form {
    my ($srv, $p, $user_code, $decision, %extra) = @_;
    my %headers = map { $_ => delete $extra{$_} } grep { /^[A-Z]/ } keys %extra;
    my $csrf = exists $extra{csrf} ? delete $extra{csrf}
             : csrf_from(page_of($srv, $p, '/auth/device')->decoded_content);
    my @fields = (user_code => $user_code, decision => $decision,
                  defined $csrf ? (csrf => $csrf) : (), %extra);
    return $p->{ua}->request(HTTP::Request::Common::POST(base($srv) . '/auth/device/approve',
                                                         \@fields, %headers));
}

1;

# The test server is up, and the module answers its simplest endpoint.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use DeskAuthTest;

plan tests => 4, need_lwp;

# the echo CGI needs no module: if this fails, the harness is broken
my $page = browser()->get('/echo-open');
is $page->code, 200, 'server_is_up_and_echo_cgi_answers';

my ($res, $json) = json_req(GET => '/.well-known/jwks.json');
is $res->code, 200, 'jwks_answers_200';
is scalar $res->content_type, 'application/json', 'jwks_is_json';
ok ref $json eq 'HASH' && ref $json->{keys} eq 'ARRAY' && @{ $json->{keys} } > 0,
    'jwks_has_a_non_empty_keys_array';

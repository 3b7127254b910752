# The test server is up, and the module answers its simplest endpoint.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use DeskAuthTest;

plan tests => 4, need_lwp;

# the echo CGI needs no module: if this fails, the harness is broken
my $page = browser()->get('/echo-open');
ok t_cmp($page->code, 200, 'server_is_up_and_echo_cgi_answers');

my ($res, $json) = json_req(GET => '/.well-known/jwks.json');
ok t_cmp($res->code, 200, 'jwks_answers_200');
ok t_cmp(scalar $res->content_type, 'application/json', 'jwks_is_json');
my $keys = ref $json eq 'HASH' && ref $json->{keys} eq 'ARRAY' ? scalar @{ $json->{keys} } : 0;
ok t_cmp($keys > 0 ? 'non-empty' : 'missing or empty', 'non-empty', 'jwks_has_a_keys_array');

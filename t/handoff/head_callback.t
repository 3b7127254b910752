# HEAD on the hand-off page (/auth/callback?h=ID) tells whether a GET would
# work and does not use the hand-off up: link checkers and previewers send
# HEAD before (or instead of) the browser's GET. Opened again by the same
# browser session, the page is 200 ("Did the app open?"), never a second
# link; anyone else gets 410.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthOAuth;

plan tests => 13;

my (undef, undef, $f) = register_user();
my $ua = browser();
web_sign_in($ua, $f->{email}, $f->{password});
my ($verifier) = pkce_pair();
my $page = get_page($ua, authorize_url(client_id => 'pkce-only', redirect_uri => 'myapp://auth/callback',
                                       response_type => 'code', state => 'head-state',
                                       code_challenge => challenge_of($verifier),
                                       code_challenge_method => 'S256'));
my $form = continue_form($page->decoded_content);
my $handoff = $form ? handoff_location(submit_form($ua, $page, $form)) : undef;
ok($handoff, 'Continue sends the browser to the hand-off page') or BAIL_OUT('no hand-off');

my $head = $ua->head($handoff, Accept => 'text/html');
is($head->code, 200, 'HEAD of a fresh hand-off is 200');
is($head->content, '', 'HEAD has no body');
is($ua->head($handoff, Accept => 'text/html')->code, 200, 'a second HEAD is still 200 (nothing used up)');
is(browser()->head($handoff, Accept => 'text/html')->code, 401,
   'HEAD from another browser (no session) is 401');
my $get = $ua->get($handoff, Accept => 'text/html');
is($get->code, 200, 'the GET after the HEADs still gets the hand-off page');
ok(scalar(app_links($get->decoded_content, 'myapp://auth/callback')), 'and its link to the app');
is($ua->head($handoff, Accept => 'text/html')->code, 200,
   'HEAD after the GET is 200: a reload shows "Did the app open?"');
my $reload = $ua->get($handoff, Accept => 'text/html');
is($reload->code, 200, 'a second GET (a reload) is 200, not 410');
is_deeply([app_links($reload->decoded_content, 'myapp://auth/callback')], [],
          'and it shows no link to the app (nothing issued twice)');
my $other = browser();
web_sign_in($other, $f->{email}, $f->{password});
is($other->head($handoff, Accept => 'text/html')->code, 410,
   'HEAD from another browser session of the same person is 410');
is($other->get($handoff, Accept => 'text/html')->code, 410,
   'GET from another browser session of the same person is 410');
is($ua->head(url('/auth/callback?h=' . ('A' x 43)), Accept => 'text/html')->code, 410,
   'HEAD of an unknown hand-off is 410');

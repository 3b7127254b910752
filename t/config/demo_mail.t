# tools/demo sends no mail: its DeskAuthMailCommand writes each message to a
# file in the demo's mail/ folder, and the script says where. A demo of its
# own (DESKAUTH_DEMO_DIR, a free port, the module as built) is started, an account signs up and
# asks for a password reset; both links are in files there.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthServer;
use File::Temp qw(tempdir);
use HTTP::Request ();
use LWP::UserAgent ();

my @missing = DeskAuthServer::missing();
plan skip_all => 'needs ' . join(', ', @missing) if @missing;
plan tests => 8;

my $top  = DeskAuthServer::top_dir();
my $dir  = tempdir('deskauth-demo-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $port = DeskAuthServer::free_port();
local $ENV{DESKAUTH_DEMO_DIR}  = $dir;
local $ENV{DESKAUTH_DEMO_PORT} = $port;
local $ENV{DESKAUTH_DEMO_NO_BUILD} = 1;        # the module as the run built it

my $out = `cd "$top" && tools/demo start 2>&1`;
is($? >> 8, 0, 'tools/demo starts a demo of its own') or diag($out);
like($out, qr{^\s*mail\s+none is sent: each message .*\n\s*is a file in \Q$dir\E/mail/}m,
     'it says where the mail goes');

my $ua = LWP::UserAgent->new(timeout => 30);
sub post {
    my ($path, $json) = @_;
    return $ua->request(HTTP::Request->new(POST => "http://127.0.0.1:$port$path",
                                           ['Content-Type' => 'application/json'], $json));
}
# The messages in the demo's mail folder, once there are n (10 s at most).
sub mails {
    my ($n) = @_;
    my @m;
    for (1 .. 100) {
        @m = map { open my $f, '<', $_ or next; local $/; <$f> } sort glob "$dir/mail/*.eml";
        last if @m >= $n;
        select undef, undef, undef, 0.1;
    }
    return @m;
}

my $email = "demo-$$\@example.com";
is(post('/auth/register', qq({"email":"$email","password":"correct horse 1","firstName":"Ada","lastName":"Lovelace"}))->code,
   201, 'a sign-up on the demo');
my @m = mails(1);
ok(@m >= 1 && $m[0] =~ /^To: \Q$email\E$/m && $m[0] =~ /^Subject: Confirm your email address\b/m,
   'the confirmation mail is a file in mail/');
like($m[0] // '', qr{http://localhost:$port/auth/verify\?token=[A-Za-z0-9_-]{43}}, 'with its link');
is(post('/auth/reset', qq({"email":"$email"}))->code, 200, 'forgot password on the demo');
@m = mails(2);
ok(grep({ /^Subject: Reset your password\b/m && m{/auth/reset\?token=} } @m),
   'the reset mail is a file in mail/ too');

$out = `cd "$top" && tools/demo stop 2>&1`;
is($? >> 8, 0, 'tools/demo stop stops it') or diag($out);

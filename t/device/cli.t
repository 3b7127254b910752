# The command-line example examples/device-cli/device-login (curl only) signs
# in through the device grant against the test server, while a person in a
# browser (LWP) approves its code; a second run is denied. The example is
# run exactly as its README shows.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use DeskAuthTest;
use DeskAuthDevice;
use File::Temp ();
use IPC::Open3 qw(open3);
use JSON::PP ();
use Symbol qw(gensym);

my $SCRIPT = "$FindBin::Bin/../../examples/device-cli/device-login";
plan skip_all => 'needs curl (tools/deps --test installs it)'
    if system('command -v curl >/dev/null 2>&1');
plan tests => 9;

$SIG{ALRM} = sub { die "cli.t took longer than 90 s\n" };
alarm 90;

my $base = url('/') =~ s{/+\z}{}r;
my $alice = person();

# Start the script; returns (pid, stdout file, the user code it printed).
sub start_cli {
    my ($device_name) = @_;
    my $out = File::Temp->new;
    open my $stdout, '>', $out->filename or die $!;
    my $err = gensym;
    my $pid = open3(my $in, ">&" . fileno($stdout), $err, $SCRIPT, $base, 'cli-app', $device_name);
    my ($code, @said);
    while (my $line = <$err>) {
        push @said, $line;
        last if ($code) = $line =~ /enter the code ([A-Z]{4}-[A-Z]{4})/;
    }
    return ($pid, $out, $code, $err, join '', @said);
}

sub finish {
    my ($pid, $out, $err) = @_;
    my $rest = do { local $/; <$err> } // '';
    waitpid $pid, 0;
    return ($? >> 8, do { local (@ARGV, $/) = ($out->filename); <> } // '', $rest);
}

{
    my ($pid, $out, $code, $err, $said) = start_cli('CI runner');
    like($said, qr{^Open \Q$base\E/auth/device and enter the code [A-Z]{4}-[A-Z]{4}$}m,
         'the CLI tells the person where to go and which code to type');
    my $page = page_of(undef, $alice, "/auth/device/confirm?user_code=$code");
    like($page->decoded_content, qr/Connect Device CLI\?.*CI runner/s, 'the approval page names the CLI and its device');
    my $r = approve_form(undef, $alice, $code, 'allow');
    is($r->code, 303, 'the person presses Allow');
    my ($status, $stdout, $rest) = finish($pid, $out, $err);
    is($status, 0, 'the CLI exits 0') or diag($rest);
    my $tokens = eval { JSON::PP->new->decode($stdout) } || {};
    ok($tokens->{access_token} && $tokens->{refresh_token}, 'it prints the token response');
    my ($res) = json_req(GET => '/protected/', undef, bearer($tokens->{access_token} // ''));
    is($res->code, 200, 'its access token opens a protected location');
}
{
    my ($pid, $out, $code, $err) = start_cli('Untrusted box');
    my $r = approve_form(undef, $alice, $code, 'deny');
    is($r->code, 303, 'the person presses Deny');
    my ($status, $stdout, $rest) = finish($pid, $out, $err);
    is($status, 1, 'the CLI exits 1');
    like($rest, qr/denied/, 'and says it was denied');
}

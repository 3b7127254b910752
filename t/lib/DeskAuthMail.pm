package DeskAuthMail;
# The mails the test server sent, as t/bin/capture-mail stored them (one
# file per message under t/state/mail/). Everything here is exported.
#
#   my $mail = wait_mail($email, qr/Reset your password/);  # newest, or undef after 10 s
#   my @all  = mails_to($email);                             # every message, oldest first
#   my $link = mail_link($mail, '/auth/reset');              # "http://...?token=..."
#   my $from = mail_header($mail, 'From');
#   my $token = link_token($link);
#   unlike(module_log_since($mark), qr/\Q$token\E/);     # what the server logged
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();

our @EXPORT = qw(mail_dir mails_to wait_mail mail_header mail_body mail_link
                 link_token module_log_since);

sub mail_dir {
    return Apache::Test::vars('t_dir') . '/state/mail';
}

sub mail_header {
    my ($mail, $name) = @_;
    return undef unless defined $mail;
    my ($head) = split /\n\n/, $mail, 2;
    return $head =~ /^\Q$name\E:[ \t]*(.*)$/mi ? $1 : undef;
}

sub mail_body {
    my ($mail) = @_;
    return undef unless defined $mail;
    my (undef, $body) = split /\n\n/, $mail, 2;
    return $body;
}

# Every stored message whose To is $to (and whose Subject matches $subject,
# when given), oldest first.
sub mails_to {
    my ($to, $subject) = @_;
    my $dir = mail_dir();
    opendir my $dh, $dir or return ();
    my @names = sort grep { /\.eml$/ } readdir $dh;
    closedir $dh;
    my @found;
    for my $name (@names) {
        open my $fh, '<:raw', "$dir/$name" or next;
        my $mail = do { local $/; <$fh> };
        close $fh;
        next unless lc(mail_header($mail, 'To') // '') eq lc $to;
        next if $subject && (mail_header($mail, 'Subject') // '') !~ $subject;
        push @found, $mail;
    }
    return @found;
}

# The newest message to $to once there are at least $count of them (the
# server mails after answering), or undef after 10 seconds.
sub wait_mail {
    my ($to, $subject, $count) = @_;
    $count ||= 1;
    for (1 .. 100) {
        my @mails = mails_to($to, $subject);
        return $mails[-1] if @mails >= $count;
        select undef, undef, undef, 0.1;
    }
    return undef;
}

# The first absolute link to $path with a token in the message body.
sub mail_link {
    my ($mail, $path) = @_;
    my $body = mail_body($mail) // '';
    return $body =~ m{(https?://[^\s/]+\Q$path\E\?token=[A-Za-z0-9_-]+)} ? $1 : undef;
}

sub link_token {
    my ($link) = @_;
    return defined $link && $link =~ /[?&]token=([A-Za-z0-9_-]+)/ ? $1 : undef;
}

# The error log after byte offset $mark without httpd's own trace of each
# request line ("Request received from client: GET /auth/verify?token=..."):
# Apache::Test runs the server at LogLevel trace8, and a link's URL is
# logged there as in the access log. Every other line must be free of the
# tokens the mails carried.
sub module_log_since {
    my ($mark) = @_;
    require DeskAuthTest;
    my $log = DeskAuthTest::error_log_since($mark);
    return join '', grep { !/\] protocol\.c\(\d+\): .*Request received from client: / }
        split /^/m, $log;
}

1;

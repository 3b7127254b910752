# The documentation stands alone and says what the code does:
# - README, docs/, examples/, conf/, templates/, tools/, the comments of
#   src/ and the tests of t/ (their comments and names) never point outside
#   the repository: no SPEC file, no bare "§N" section (a section sign follows
#   the name of a published standard: "RFC 6749 §5.2", "WebAuthn §7.1",
#   "OIDC Core §5.3");
# - every Markdown link to a file of the repository leads to one;
# - every code block of docs/quickstart-*.md introduced by
#   "<!-- from FILE -->" is a verbatim part of FILE (the code shown is the
#   code the quickstart tests run);
# - the demo's address is http://localhost:8080 everywhere (passkeys do not
#   work on http://127.0.0.1:8080).
use strict;
use warnings;
use FindBin;
use File::Find ();
use Test::More;

my $top = "$FindBin::Bin/../..";
sub slurp { my ($f) = @_; open my $fh, '<:raw', "$top/$f" or return undef; local $/; return scalar <$fh> }

# The tracked text files under the given roots (relative to the top).
sub text_files {
    my @found;
    File::Find::find({ no_chdir => 1, wanted => sub {
        if (m{/(?:node_modules|\.git|\.libs|\.deps|results|logs|state|keys|demo|screens)\z}) { $File::Find::prune = 1; return }
        return unless -f $_ && m{\.(?:md|html|c|h|js|mjs|py|pm|t|conf|in|sql|css|ac|am)\z|/(?:README|demo|test|deps|run|device-login)\z};
        # what Apache::Test generates in t/ (t/conf/*.conf from *.in, t/htdocs/index.html)
        return if m{/t/conf/[^/]+\z} && !/\.in\z/ || m{/t/htdocs/index\.html\z};
        push @found, substr($_, length($top) + 1);
    } }, map { "$top/$_" } grep { -e "$top/$_" } @_);
    return sort @found;
}
my @files = text_files(qw(README docs examples conf templates tools src mod_deskauth.c));
# The tests: their comments and names point inside the repository too.
my @tests = text_files('t');
ok(@tests > 50 && grep({ $_ eq 't/quickstart/docs.t' } @tests), 't/ is scanned') or diag(scalar @tests);

my $STANDARD = qr/(?:RFC\s*\d+|WebAuthn|OIDC\s+Core|OpenID\s+Connect\s+Core|Discovery|Core|RFC\s*\d+\s*\(\w+\)|CTAP2?|ASVS|BCP\s*\d+|draft-[\w-]+)/;
my @outside;
for my $f (@files, @tests) {
    my $text = slurp($f) // next;
    push @outside, "$f: names the SPEC file" if $text =~ /SPEC\.md|\bSPEC\s*§/;
    # "RFC 6749 §5.1/§5.2", "WebAuthn §7.1 and §7.2": sections after one standard's name
    (my $flat = $text) =~ s/\s*\n\s*(?:\*|#|\/\/)?\s*/ /g;
    while ($flat =~ /§\s*(\d[\d.]*)/g) {
        my ($at, $sec) = ($-[0], $1);
        my $before = substr($flat, $at > 60 ? $at - 60 : 0, $at > 60 ? 60 : $at);
        next if $before =~ /$STANDARD(?:\s*§\s*[\d.]+(?:\s+step\s+\d+)?\s*(?:,|\/|and|or)?)*\s*\z/;
        push @outside, "$f: \"...$before§$sec\"";
    }
}
ok(!@outside, 'no pointer to a specification outside the repository') or diag(join "\n", @outside);

# The anchors of a Markdown file's headings, as GitHub makes them.
sub anchors {
    my ($text) = @_;
    my %a;
    for my $h ($text =~ /^#+\s+(.+?)\s*$/mg) {
        (my $slug = lc $h) =~ s/[^\w\- ]//g;
        $slug =~ tr/ /-/;
        $a{$slug} = 1;
    }
    return \%a;
}

# Markdown links to files of the repository, and to their headings.
my @broken;
for my $f (grep { /\.md\z/ || m{(?:^|/)README\z} } @files) {
    my $text = slurp($f);
    (my $dir = $f) =~ s{[^/]*\z}{};
    while ($text =~ /\]\(([^)\s#]*)(?:#([^)\s]*))?\)/g) {
        my ($target, $anchor) = ($1, $2);
        next if $target =~ m{^[a-z][a-z0-9+.-]*:}i;
        my $path = length $target ? "$dir$target" : $f;
        if (!-e "$top/$path") { push @broken, "$f: ($target)"; next }
        next unless defined $anchor && $path =~ /\.md\z/;
        push @broken, "$f: ($target#$anchor)" unless anchors(slurp($path))->{$anchor};
    }
}
ok(!@broken, 'every Markdown link to a file of the repository (and its heading) leads to one')
    or diag(join "\n", @broken);

# Code blocks that say where they come from.
my @quickstarts = sort grep { m{^docs/quickstart-[\w-]+\.md\z} } @files;
ok(@quickstarts >= 3, 'docs/ has the quickstarts (Electron, Python, curl)') or diag("@quickstarts");
for my $doc (@quickstarts) {
    my $text = slurp($doc);
    my $n = 0;
    while ($text =~ /<!--\s*from\s+(\S+)\s*-->\s*\n```[\w-]*\n(.*?)```/gs) {
        my ($src, $block) = ($1, $2);
        $n++;
        my $code = slurp($src);
        ok(defined $code && index($code, $block) >= 0, "$doc: block $n is a verbatim part of $src")
            or diag(defined $code ? "not found in $src:\n$block" : "$src does not exist");
    }
    ok($n > 0, "$doc shows code taken from the example it runs");
}

my @old = grep { (slurp($_) // '') =~ m{127\.0\.0\.1:8080} } @files;
ok(!@old, 'the demo is http://localhost:8080 everywhere, never http://127.0.0.1:8080') or diag("@old");

done_testing();

# interface.md, Profile and resume "Profile": the resume. Upload as application/pdf (PUT
# <profile>/resume) and as multipart/form-data (the page's form, Bearer
# callers), the user object's `resume`, download (owner, ADMIN with
# ?user=ID) with attachment + nosniff, delete; and every refusal: a PNG
# named .pdf, a PDF named .png, 2 bytes, empty, over DeskAuthResumeMaxSize
# (1 MiB in t/conf/extra.conf.in), truncated multipart, no boundary, a part
# without a name, too many parts, a header too long, a hostile filename,
# CSRF missing or late on the page form. docs/behaviour.md "Resume".
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";

use Apache::Test qw(-withtestmore);
use HTTP::Request ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use MIME::Base64 ();
use DeskAuthTest;
use DeskAuthCtl;

plan tests => 116;

my $PROFILE = '/api/auth/profile';
my $RESUME  = "$PROFILE/resume";
my $MAX     = 1048576;                  # DeskAuthResumeMaxSize in extra.conf.in
my $B       = 'resumeTestBoundary7';


# The user object of a GET-shape answer (or of a sign-in answer), or {}.
sub puser {
    my $j = jbody(shift) || {};
    return $j->{data}{user} if ref $j->{data} eq 'HASH' && ref $j->{data}{user} eq 'HASH';
    return $j->{user} if ref $j->{user} eq 'HASH';
    return {};
}

# raw_req that asks for JSON unless HEADERS say otherwise.
sub json_raw_req {
    my ($method, $path, $body, @h) = @_;
    return raw_req($method, $path, $body, Accept => 'application/json', @h);
}

# Is RES the JSON error STATUS/CODE? One assertion; the body on failure.
sub error_is {
    my ($res, $status, $code, $name) = @_;
    my $j = jbody($res);
    ok($res->code == $status && ref $j eq 'HASH' && JSON::PP::is_bool($j->{success})
           && !$j->{success} && ($j->{error} // '') eq $code && length($j->{message} // ''),
       $name) or diag $res->code . ' ' . $res->content;
    return ref $j eq 'HASH' ? $j : {};
}

# multipart/form-data built by hand, byte for byte (so that it can be broken).
sub field { my ($n, $v) = @_; return [qq{Content-Disposition: form-data; name="$n"\r\n}, $v] }
sub file {
    my ($n, $fname, $data, $type) = @_;
    return [qq{Content-Disposition: form-data; name="$n"; filename="$fname"\r\n}
            . 'Content-Type: ' . ($type // 'application/pdf') . "\r\n", $data];
}
sub mp_body {
    my (@parts) = @_;
    return join('', map { "--$B\r\n$_->[0]\r\n$_->[1]\r\n" } @parts) . "--$B--\r\n";
}
sub mp_req {
    my ($method, $path, $body, @h) = @_;
    return json_raw_req($method, $path, $body, 'Content-Type' => "multipart/form-data; boundary=$B", @h);
}

# A small PDF with every byte value and near misses of the delimiter inside
# (never the delimiter itself: RFC 2046 leaves that to the sender).
sub pdf {
    my ($tag) = @_;
    return "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Title ($tag) >> endobj\n"
         . join('', map { chr } 0 .. 255) . "\r\n--" . substr($B, 0, -1) . "\r\n--\r\n\r\n-$B"
         . "\ntrailer << /Root 1 0 R >>\n%%EOF\n";
}
my $PNG = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR" . ("\0" x 40);

sub profile { my ($tok) = @_; return json_raw_req(GET => $PROFILE, undef, bearer($tok)) }
sub resume_of { my ($tok) = @_; return puser(profile($tok))->{resume} }

# --- setup: two people ----------------------------------------------------------

my ($ra, undef, $fa) = register_user(firstName => 'Ada');
my ($rb, undef, $fb) = register_user(firstName => 'Bob');
my $ja = jbody($ra) || {};
my $A  = $ja->{tokens}{accessToken} // '';
my $A_ID = $ja->{user}{id} // '';
my $Bt = (jbody($rb) || {})->{tokens}{accessToken} // '';
ok $ra->code == 201 && $rb->code == 201, 'resume_setup_two_accounts_registered';
ok exists $ja->{user}{resume} && !defined $ja->{user}{resume},
    'registration_answers_resume_null';

# --- PUT application/pdf ------------------------------------------------------------

my $pdf1 = pdf('first');
{
    my $r = json_raw_req(PUT => $RESUME, $pdf1, 'Content-Type' => 'application/pdf',
                    'X-Filename' => 'My CV.pdf', bearer($A));
    my $j = jbody($r) || {};
    my $res = puser($r)->{resume};
    is $r->code, 200, 'put_pdf_is_200' or diag $r->content;
    ok JSON::PP::is_bool($j->{success}) && $j->{success}
           && ($j->{message} // '') eq 'Profile retrieved successfully',
        'put_pdf_answers_in_the_get_profile_shape';
    is_deeply [sort keys %{ ref $res eq 'HASH' ? $res : {} }],
        [qw(contentType filename size uploadedAt url)],
        'user_resume_has_exactly_filename_size_contentType_uploadedAt_url';
    is $res->{filename}, 'My CV.pdf', 'put_pdf_takes_the_name_from_x_filename';
    is $res->{size}, length $pdf1, 'user_resume_size_is_the_pdf_size_in_bytes';
    is $res->{contentType}, 'application/pdf', 'user_resume_content_type_is_application_pdf';
    like $res->{uploadedAt} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
        'user_resume_uploadedAt_is_rfc3339_utc';
    is $res->{url}, $RESUME, 'user_resume_url_is_the_profile_url_slash_resume';
}
is((resume_of($A) || {})->{filename}, 'My CV.pdf', 'get_profile_shows_the_resume');
{
    my ($r) = login_user($fa->{email}, $fa->{password});
    is((puser($r)->{resume} || {})->{filename}, 'My CV.pdf', 'login_answer_shows_the_resume');
}

# --- download ---------------------------------------------------------------------

{
    my $r = json_raw_req(GET => $RESUME, undef, bearer($A));
    is $r->code, 200, 'download_by_the_owner_is_200';
    ok $r->content eq $pdf1, 'download_gives_the_uploaded_bytes_exactly';
    like $r->header('Content-Type') // '', qr{^application/pdf$}, 'download_content_type_is_application_pdf';
    is $r->header('Content-Disposition'),
        q{attachment; filename="My CV.pdf"; filename*=UTF-8''My%20CV.pdf},
        'download_is_an_attachment_with_filename_and_filename_star';
    is $r->header('X-Content-Type-Options'), 'nosniff', 'download_has_nosniff';
    like $r->header('Cache-Control') // '', qr/\bno-store\b/, 'download_is_not_stored_by_caches';
    is $r->header('Content-Length'), length $pdf1, 'download_content_length_is_the_pdf_size';
}
{
    my $r = json_raw_req(HEAD => $RESUME, undef, bearer($A));
    ok $r->code == 200 && !length $r->content && ($r->header('Content-Length') // '') == length $pdf1,
        'head_download_has_the_headers_and_no_body';
}

# --- multipart (Bearer) -------------------------------------------------------------

my $pdf2 = pdf('second');
{
    my $r = mp_req(POST => $PROFILE, mp_body(field(note => 'hello'),
                                             file(resume => 'second.pdf', $pdf2)), bearer($A));
    my $res = puser($r)->{resume} || {};
    is $r->code, 200, 'multipart_post_to_the_profile_url_is_200' or diag $r->content;
    is $res->{filename}, 'second.pdf', 'multipart_post_stores_the_part_filename';
    is $res->{size}, length $pdf2, 'multipart_post_stores_the_exact_size';
    ok json_raw_req(GET => $RESUME, undef, bearer($A))->content eq $pdf2,
        'multipart_upload_replaces_the_resume_byte_for_byte';
}
my $pdf3 = pdf('third');
{
    my $r = mp_req(PUT => $RESUME, mp_body(file(resume => 'third.PDF', $pdf3, 'application/octet-stream')),
                   bearer($A));
    is $r->code, 200, 'multipart_put_to_resume_is_200_whatever_the_part_type';
    is((puser($r)->{resume} || {})->{filename}, 'third.PDF', 'pdf_extension_is_case_insensitive');
}
{
    # the same through LWP's own multipart encoder, a real client's bytes
    my $ua = LWP::UserAgent->new(max_redirect => 0);
    my $r = $ua->request(HTTP::Request::Common::POST(url($RESUME), bearer($A),
        Accept => 'application/json', Content_Type => 'form-data',
        Content => [ resume => [ undef, 'lwp.pdf', 'Content-Type' => 'application/pdf',
                                 Content => $pdf3 ] ]));
    ok $r->code == 200 && ((puser($r)->{resume} || {})->{filename} // '') eq 'lwp.pdf',
        'multipart_from_http_request_common_is_accepted' or diag $r->content;
}

# --- someone else's resume ----------------------------------------------------------

error_is(json_raw_req(GET => $RESUME, undef, bearer($Bt)), 404, 'not_found',
         'another_user_without_a_resume_gets_404_not_someone_elses');
error_is(json_raw_req(GET => "$RESUME?user=$A_ID", undef, bearer($Bt)), 403, 'forbidden',
         'a_non_admin_asking_for_another_users_resume_gets_403');
ok !defined resume_of($Bt), 'the_other_users_profile_has_resume_null';
error_is(json_raw_req(DELETE => $RESUME, undef, bearer($Bt)), 404, 'not_found',
         'another_user_cannot_delete_it_404');
ok json_raw_req(GET => $RESUME, undef, bearer($A))->code == 200,
    'the_owners_resume_is_still_there_after_the_other_users_attempts';
error_is(json_raw_req(GET => $RESUME), 401, 'unauthorized', 'download_without_a_token_is_401');
error_is(json_raw_req(PUT => $RESUME, $pdf1, 'Content-Type' => 'application/pdf'), 401,
         'unauthorized', 'upload_without_a_token_is_401');

# --- an ADMIN (deskauthctl user set-role) ---------------------------------------------

{
    my ($rc, undef, $fc) = register_user(firstName => 'Root');
    my $stale = (jbody($rc) || {})->{tokens}{accessToken} // '';
    is deskauthctl('user', 'set-role', $fc->{email}, 'ADMIN'), 0, 'deskauthctl_makes_an_admin';
    my ($lr) = login_user($fc->{email}, $fc->{password});
    my $C = (jbody($lr) || {})->{tokens}{accessToken} // '';
    is puser($lr)->{role}, 'ADMIN', 'the_admin_signs_in_with_role_admin';
    my $r = json_raw_req(GET => "$RESUME?user=$A_ID", undef, bearer($C));
    is $r->code, 200, 'admin_download_of_another_users_resume_is_200';
    ok $r->content eq $pdf3, 'admin_download_gives_that_users_bytes';
    like $r->header('Content-Disposition') // '', qr/^attachment; filename="lwp\.pdf"/,
        'admin_download_is_an_attachment_too';
    error_is(json_raw_req(GET => "$RESUME?user=nosuchuser", undef, bearer($C)), 404, 'not_found',
             'admin_download_of_an_unknown_user_is_404');
    # A role change ends the tokens of the old role (docs/behaviour.md "Roles").
    error_is(json_raw_req(GET => "$RESUME?user=$A_ID", undef, bearer($stale)), 401, 'unauthorized',
             'a_token_issued_before_the_promotion_is_refused_401');
}

# --- refusals: raw bodies ---------------------------------------------------------------

sub put_pdf { my ($body, @h) = @_; return json_raw_req(PUT => $RESUME, $body, 'Content-Type' => 'application/pdf', @h, bearer($A)) }

{
    my $e = error_is(put_pdf($PNG, 'X-Filename' => 'photo.pdf'), 415, 'unsupported_media_type',
                     'a_png_named_pdf_is_415');
    like $e->{message} // '', qr/%PDF-/, 'the_png_refusal_says_the_content_is_not_a_pdf';
    $e = error_is(put_pdf($pdf1, 'X-Filename' => 'cv.png'), 415, 'unsupported_media_type',
                  'a_pdf_named_png_is_415');
    like $e->{message} // '', qr/\.pdf/, 'the_name_refusal_says_the_name_must_end_in_pdf';
    error_is(put_pdf('%P'), 415, 'unsupported_media_type', 'a_2_byte_file_is_415_it_cannot_hold_the_magic');
    error_is(put_pdf('%PDF'), 415, 'unsupported_media_type', 'a_4_byte_file_is_415');
    my $e0 = error_is(put_pdf(''), 400, 'invalid_request', 'an_empty_file_is_400');
    like $e0->{message} // '', qr/^resume\b/, 'the_empty_refusal_names_resume';
    error_is(json_raw_req(PUT => $RESUME, $pdf1, 'Content-Type' => 'text/plain', bearer($A)), 415,
             'unsupported_media_type', 'a_text_plain_body_is_415');
    error_is(json_raw_req(POST => $PROFILE, $pdf1, 'Content-Type' => 'application/pdf', bearer($A)), 415,
             'unsupported_media_type', 'a_raw_pdf_posted_to_the_profile_url_itself_is_415');
    error_is(put_pdf('%PDF-' . ('x' x $MAX)), 413, 'payload_too_large',
             'a_pdf_one_byte_over_the_limit_is_413');
    my $ch = 0;
    my $chunks = sub { return $ch++ < 20 ? '%PDF-' . ('y' x 65531) : '' };   # 1.25 MiB chunked
    my $r = put_pdf($chunks);
    ok !defined $r->request->header('Content-Length'), 'the_chunked_upload_had_no_content_length';
    error_is($r, 413, 'payload_too_large', 'a_chunked_upload_over_the_limit_is_413_while_streaming');
    is((resume_of($A) || {})->{filename}, 'lwp.pdf', 'refused_uploads_leave_the_resume_unchanged');
    my $exact = '%PDF-' . ('z' x ($MAX - 5));
    $r = put_pdf($exact, 'X-Filename' => 'exact.pdf');
    ok $r->code == 200 && (puser($r)->{resume} || {})->{size} == $MAX,
        'a_pdf_of_exactly_the_limit_is_accepted' or diag $r->code;
    ok json_raw_req(GET => $RESUME, undef, bearer($A))->content eq $exact,
        'the_largest_pdf_downloads_intact';
}

# --- refusals: multipart --------------------------------------------------------------

{
    my $good = mp_body(file(resume => 'cv.pdf', $pdf2));
    (my $truncated = $good) =~ s/\r\n--\Q$B\E--\r\n\z//;
    my $e = error_is(mp_req(POST => $RESUME, $truncated, bearer($A)), 400, 'invalid_request',
                     'a_truncated_multipart_body_is_400');
    like $e->{message} // '', qr/closing boundary/, 'the_truncated_body_message_says_so';

    $e = error_is(json_raw_req(POST => $RESUME, $good, 'Content-Type' => 'multipart/form-data',
                          bearer($A)), 400, 'invalid_request', 'multipart_without_a_boundary_is_400');
    like $e->{message} // '', qr/boundary/, 'the_missing_boundary_message_says_so';

    $e = error_is(mp_req(POST => $RESUME,
                         mp_body([qq{Content-Disposition: form-data; filename="cv.pdf"\r\n}, $pdf2]),
                         bearer($A)), 400, 'invalid_request', 'a_part_without_a_name_is_400');
    like $e->{message} // '', qr/no form-data name/, 'the_nameless_part_message_says_so';

    error_is(mp_req(POST => $RESUME, mp_body((map { field("f$_" => 'v') } 1 .. 9),
                                             file(resume => 'cv.pdf', $pdf2)), bearer($A)),
             400, 'invalid_request', 'ten_parts_are_too_many_400');
    error_is(mp_req(POST => $RESUME,
                    mp_body([qq{Content-Disposition: form-data; name="resume"; filename="cv.pdf"\r\n}
                             . 'X-Padding: ' . ('p' x 5000) . "\r\n", $pdf2]), bearer($A)),
             400, 'invalid_request', 'a_part_header_over_4_kib_is_400');
    error_is(mp_req(POST => $RESUME, "--$B\r\nContent-Disposition form-data\r\n\r\nx\r\n--$B--\r\n",
                    bearer($A)), 400, 'invalid_request', 'a_malformed_part_header_is_400');
    $e = error_is(mp_req(POST => $RESUME, mp_body(field(note => 'no file')), bearer($A)),
                  400, 'invalid_request', 'multipart_without_the_resume_field_is_400');
    like $e->{message} // '', qr/^resume\b/, 'the_missing_field_message_names_resume';
    error_is(mp_req(POST => $RESUME, mp_body(file(resume => 'a.pdf', $pdf2),
                                             file(resume => 'b.pdf', $pdf2)), bearer($A)),
             400, 'invalid_request', 'two_resume_parts_are_400');
    error_is(mp_req(POST => $RESUME, mp_body(file(resume => 'photo.pdf', $PNG, 'image/png')),
                    bearer($A)), 415, 'unsupported_media_type', 'a_multipart_png_named_pdf_is_415');
    error_is(mp_req(POST => $RESUME, mp_body(file(resume => 'cv.png', $pdf2)), bearer($A)),
             415, 'unsupported_media_type', 'a_multipart_pdf_named_png_is_415');
    error_is(mp_req(POST => $RESUME, mp_body(file(resume => 'two.pdf', '%P')), bearer($A)),
             415, 'unsupported_media_type', 'a_multipart_2_byte_file_is_415');
    error_is(mp_req(POST => $RESUME, mp_body(file(resume => 'big.pdf', '%PDF-' . ('x' x $MAX))),
                    bearer($A)), 413, 'payload_too_large',
             'a_multipart_file_over_the_limit_is_413_while_streaming');
    error_is(mp_req(POST => $RESUME, mp_body(file(resume => 'huge.pdf', '%PDF-' . ('x' x ($MAX + 70000)))),
                    bearer($A)), 413, 'payload_too_large',
             'a_multipart_body_declared_over_the_limit_is_413');
    is((resume_of($A) || {})->{filename}, 'exact.pdf', 'refused_multipart_uploads_change_nothing');
}

# --- hostile and international file names ---------------------------------------------

{
    my $r = mp_req(POST => $RESUME,
                   mp_body(file(resume => q{../../etc/\\"ev'il\\";.pdf}, $pdf2)), bearer($A));
    is $r->code, 200, 'a_filename_with_dot_dot_slash_and_quotes_is_accepted';
    is((puser($r)->{resume} || {})->{filename}, q{ev'il;.pdf},
        'the_stored_name_has_no_path_and_no_quotes');
    my $d = json_raw_req(GET => $RESUME, undef, bearer($A))->header('Content-Disposition') // '';
    is $d, q{attachment; filename="ev'il;.pdf"; filename*=UTF-8''ev%27il%3B.pdf},
        'the_served_name_is_the_sanitized_one_quoted_safely';

    $r = put_pdf($pdf1, 'X-Filename' => '..%2F..%2Fsecret%22x%22.pdf');
    is((puser($r)->{resume} || {})->{filename}, 'secretx.pdf',
        'a_percent_encoded_path_in_x_filename_is_sanitized_after_decoding');
    $r = json_raw_req(PUT => "$RESUME?filename=..%2F..%2Fq%22uery.pdf", $pdf1,
                 'Content-Type' => 'application/pdf', bearer($A));
    is((puser($r)->{resume} || {})->{filename}, 'query.pdf', 'the_filename_query_parameter_is_sanitized');
    $r = put_pdf($pdf1);
    is((puser($r)->{resume} || {})->{filename}, 'resume.pdf', 'a_raw_pdf_without_a_name_is_resume_pdf');

    $r = put_pdf($pdf1, 'X-Filename' => 'r%C3%A9sum%C3%A9.pdf');
    is((puser($r)->{resume} || {})->{filename}, "r\x{e9}sum\x{e9}.pdf", 'a_utf8_name_round_trips_in_json');
    is json_raw_req(GET => $RESUME, undef, bearer($A))->header('Content-Disposition'),
        q{attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf},
        'a_utf8_name_is_served_with_an_ascii_fallback_and_filename_star';
}

# --- delete --------------------------------------------------------------------------

{
    my $before = puser(profile($A))->{updatedAt} // '';
    sleep 1;
    my $r = json_raw_req(DELETE => $RESUME, undef, bearer($A));
    is $r->code, 200, 'delete_is_200';
    my $u = puser($r);
    ok exists $u->{resume} && !defined $u->{resume}, 'delete_answers_resume_null';
    ok length $before && ($u->{updatedAt} // '') gt $before, 'delete_moves_updatedAt_on';
    error_is(json_raw_req(GET => $RESUME, undef, bearer($A)), 404, 'not_found', 'download_after_delete_is_404');
    error_is(json_raw_req(DELETE => $RESUME, undef, bearer($A)), 404, 'not_found', 'a_second_delete_is_404');
}

# --- routing ----------------------------------------------------------------------------

{
    my $r = json_raw_req(PATCH => $RESUME, '{}', 'Content-Type' => 'application/json', bearer($A));
    error_is($r, 405, 'method_not_allowed', 'patch_on_resume_is_405');
    like $r->header('Allow') // '', qr/GET.*PUT.*POST.*DELETE/, 'the_405_lists_get_put_post_delete';
    error_is(json_raw_req(GET => "$PROFILE/cv", undef, bearer($A)), 404, 'not_found',
             'another_sub_path_is_404');
}

# --- the page (browser session cookie, CSRF) -------------------------------------------

sub page_upload {
    my ($ua, @parts) = @_;
    my $req = HTTP::Request->new(POST => url($PROFILE),
        ['Content-Type' => "multipart/form-data; boundary=$B"], mp_body(@parts));
    return $ua->request($req);
}

{
    my $ua = browser();
    my $reg = $ua->post(url('/auth/register'), 'Content-Type' => 'application/json',
        Accept => 'application/json',
        Content => JSON::PP->new->utf8->encode({ email => unique_email(),
            password => 'correct horse 1', firstName => 'Page', lastName => 'Person' }));
    is $reg->code, 201, 'page_setup_registration_is_201';
    my $page = $ua->get($PROFILE);
    my $html = $page->content;
    my $csrf = csrf_from($html) // '';
    is $page->code, 200, 'profile_page_is_200';
    like $html, qr{<form[^>]*enctype="multipart/form-data"}, 'profile_page_has_a_multipart_form';
    like $html, qr{<input[^>]*type="file"[^>]*accept="application/pdf,\.pdf"}, 'the_file_input_accepts_pdf';
    like $html, qr{name="csrf"[^>]*>\s*<div class="field[^"]*">\s*<label[^>]*>[^<]*</label>\s*<input[^>]*type="file"},
        'the_csrf_field_comes_before_the_file_input';
    like $html, qr/No resume uploaded yet/, 'profile_page_says_no_resume_yet';

    my $r = page_upload($ua, field(csrf => $csrf), file(resume => 'page-cv.pdf', $pdf1));
    is $r->code, 303, 'page_upload_is_303' or diag $r->code . ' ' . substr($r->content, 0, 300);
    like $r->header('Location') // '', qr{^\Q$PROFILE\E\?resume=saved$}, 'page_upload_goes_back_to_the_profile';
    $html = $ua->get($PROFILE . '?resume=saved')->content;
    like $html, qr/page-cv\.pdf/, 'the_profile_page_lists_the_file_name';
    like $html, qr/Your resume was uploaded/, 'the_profile_page_confirms_the_upload';
    like $html, qr{<a[^>]*href="\Q$RESUME\E"[^>]*>Download</a>}, 'the_profile_page_has_a_download_link';
    like $html, qr{name="action" value="delete-resume"}, 'the_profile_page_has_a_delete_button';
    $r = $ua->get($RESUME);
    ok $r->code == 200 && $r->content eq $pdf1 && ($r->header('Content-Disposition') // '') =~ /^attachment/,
        'the_download_link_works_with_the_session_cookie';

    $r = page_upload($ua, file(resume => 'nocsrf.pdf', $pdf2));
    is $r->code, 403, 'page_upload_without_csrf_is_403';
    $r = page_upload($ua, file(resume => 'late.pdf', $pdf2), field(csrf => $csrf));
    is $r->code, 403, 'page_upload_with_csrf_after_the_file_is_403';
    $r = page_upload($ua, field(csrf => 'x' x 43), file(resume => 'wrong.pdf', $pdf2));
    is $r->code, 403, 'page_upload_with_a_wrong_csrf_is_403';
    my $req = HTTP::Request->new(POST => url($PROFILE),
        ['Content-Type' => "multipart/form-data; boundary=$B", Origin => 'https://evil.example'],
        mp_body(field(csrf => $csrf), file(resume => 'evil.pdf', $pdf2)));
    is $ua->request($req)->code, 403, 'page_upload_from_a_foreign_origin_is_403';
    $r = $ua->get($RESUME);
    ok $r->content eq $pdf1, 'refused_page_uploads_change_nothing';

    $r = page_upload($ua, field(csrf => $csrf), file(resume => 'photo.pdf', $PNG, 'image/png'));
    is $r->code, 415, 'page_upload_of_a_png_is_415_with_the_page';
    like $r->content, qr{class="field-error"[^>]*>.*must be a PDF}s, 'the_page_shows_the_error_at_the_file_input';

    $r = page_upload($ua, field(csrf => $csrf), file(resume => '', ''));
    is $r->code, 400, 'page_upload_with_no_file_chosen_is_400_with_the_page';

    $r = form_post($ua, $PROFILE, { csrf => $csrf, action => 'delete-resume' });
    is $r->code, 303, 'page_delete_is_303';
    like $r->header('Location') // '', qr{\?resume=deleted$}, 'page_delete_goes_back_to_the_profile';
    $html = $ua->get($PROFILE)->content;
    ok $html =~ /No resume uploaded yet/ && $html !~ /page-cv\.pdf/, 'after_delete_the_page_lists_no_resume';
    $r = form_post($ua, $PROFILE, { action => 'delete-resume' });
    is $r->code, 403, 'page_delete_without_csrf_is_403';
}

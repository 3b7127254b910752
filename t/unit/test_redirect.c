/* Copyright 2026 the mod_deskauth authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* test_redirect.c: da_redirect: registrable redirect URIs, exact matching (loopback
 * matches any port), building redirects, local paths (interface.md,
 * Desktop hand-off). TAP output. */
#include "unit.h"
#include "da_redirect.h"
#include "da_util.h"

/* A URI made safe for a TAP test name: no control bytes, no '#'. */
static const char *label(const char *s)
{
    const char *out = "";

    if (!*s)
        return "(empty)";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        out = c > ' ' && c < 0x7f && c != '#' && c != '\\'
              ? apr_psprintf(pool, "%s%c", out, c)
              : apr_psprintf(pool, "%s\\x%02x", out, c);
    }
    return out;
}

/* ------------------------------------------------------------------ */
/* da_redirect */

static void test_registrable(void)
{
    static const char *const good[] = {
        "equatorschatbot://auth/callback", "com.example.app:/oauth2redirect",
        "http://127.0.0.1/callback", "http://127.0.0.1:8123/cb", "http://[::1]/cb",
        "http://[::1]:9000/cb", "https://example.com/cb", NULL
    };
    static const struct { const char *uri, *why; } bad[] = {
        { "javascript:alert(1)", "javascript" },
        { "JAVASCRIPT:x", "javascript_upper" },
        { "JavaScript:alert(1)", "javascript_mixed_case" },
        { "data:text/html,x", "data" },
        { "file:///etc/passwd", "file" },
        { "vbscript:x", "vbscript" },
        { "http://example.com/cb", "plain_http_not_loopback" },
        { "http://localhost/cb", "http_localhost" },
        { "http://127.0.0.1.evil.com/cb", "http_loopback_prefix_of_other_host" },
        { "http://127.0.0.1@evil.com/cb", "http_loopback_as_userinfo" },
        /* BUG: "http://127.0.0.1:80@evil.com/cb" is registrable:
         * skip_port() stops after the digits and nothing checks that '/'
         * or the end follows, so userinfo "127.0.0.1:80" hides host
         * evil.com and plain http to a non-loopback host is accepted. */
        { "http://127.0.0.1:80@evil.com/cb", "http_loopback_port_then_userinfo" },
        { "http://127.0.0.1:/cb", "http_empty_port" },
        { "http://127.0.0.1:0/cb", "http_port_0" },
        { "http://127.0.0.1:65536/cb", "http_port_65536" },
        { "http:/127.0.0.1/cb", "http_one_slash" },
        { "HTTP://127.0.0.1/cb", "http_upper_scheme" },
        { "https:example.com/cb", "https_without_slashes" },
        { "myapp://auth/callback#frag", "fragment" },
        { "myapp://auth/call back", "space" },
        { "myapp://auth/callback\r\nX: y", "crlf" },
        { "myapp://auth/callback\n", "lf" },
        { "myapp://auth/\tcallback", "tab" },
        { "myapp://auth\\callback", "backslash" },
        { "/auth/callback", "no_scheme_path" },
        { "auth/callback", "no_scheme_relative" },
        { "://auth/callback", "empty_scheme" },
        { "1app://auth/callback", "scheme_starts_with_digit" },
        { "", "empty" },
        { NULL, NULL }
    };
    int i;

    for (i = 0; good[i]; i++) {
        const char *why = NULL;
        int r = da_redirect_registrable(good[i], &why);

        ok(r == 1, "registrable_accepts_%s", good[i]);
        if (!r)
            diag("refused: %s", why ? why : "(no reason)");
    }
    for (i = 0; bad[i].uri; i++) {
        const char *why = NULL;
        int r = da_redirect_registrable(bad[i].uri, &why);

        ok(r == 0 && why && *why, "registrable_refuses_%s_with_reason", bad[i].why);
    }
}

static void test_matches(void)
{
    static const char *const reg_app = "equatorschatbot://auth/callback";
    static const char *const reg_lo = "http://127.0.0.1/callback";
    static const char *const reg_v6 = "http://[::1]/callback";
    static const char *const app_miss[] = {
        "EQUATORSCHATBOT://auth/callback", "Equatorschatbot://auth/callback",
        "equatorschatbot://AUTH/callback", "equatorschatbot://auth/Callback",
        "equatorschatbot://auth/callback/x", "equatorschatbot://auth/callback/",
        "equatorschatbot://auth/../callback", "equatorschatbot://auth/./callback",
        "equatorschatbot://auth//callback", "equatorschatbot://auth/callback?x=1",
        "equatorschatbot://auth/callback?", "equatorschatbot://auth/callback#x",
        "equatorschatbot://auth/callback#", "equatorschatbot://auth/callback%0d%0a",
        "equatorschatbot://auth/callback\r\nLocation: http://evil",
        "equatorschatbot://evil@auth/callback", "equatorschatbot://auth:1/callback",
        "equatorschatbot://auth/%63allback", "equatorschatbot:/auth/callback",
        "equatorschatbot:auth/callback", "equatorschatbot://auth\\callback",
        " equatorschatbot://auth/callback", "equatorschatbot://auth/callback ",
        "javascript:alert(1)//equatorschatbot://auth/callback",
        "equatorschatbot://auth/callbac", "", NULL
    };
    static const char *const lo_miss[] = {
        "HTTP://127.0.0.1/callback", "https://127.0.0.1/callback",
        "http://127.0.0.1/callback/x", "http://127.0.0.1/callback/",
        "http://127.0.0.1/Callback", "http://127.0.0.1/auth/../callback",
        "http://127.0.0.1/./callback", "http://127.0.0.1/callback?x=1",
        "http://127.0.0.1:8080/callback?x=1", "http://127.0.0.1/callback#x",
        "http://127.0.0.1:8080/callback#x", "http://127.0.0.1/callback%0d%0a",
        "http://127.0.0.1/callback\r\nSet-Cookie: a=b", "http://127.0.0.1:8080/callback\r\n",
        "http://evil@127.0.0.1/callback", "http://127.0.0.1@evil.com/callback",
        "http://127.0.0.1:80@evil.com/callback", "http://127.0.0.1.evil.com/callback",
        "http://localhost/callback", "http://localhost:8080/callback",
        "http://127.0.0.2/callback", "http://127.1/callback", "http://0x7f000001/callback",
        "http://[::1]/callback", "http://[::2]/callback", "http://127.0.0.1\\callback",
        "http://127.0.0.1:8080\\callback", "http://127.0.0.1/%63allback",
        "http://127.0.0.1:/callback", "http://127.0.0.1:0/callback",
        "http://127.0.0.1:65536/callback", "http://127.0.0.1:99999/callback",
        "http://127.0.0.1:123456/callback", "http://127.0.0.1:+80/callback",
        "http://127.0.0.1:-80/callback", "http://127.0.0.1:080/callback",
        "http://127.0.0.1:00080/callback", "http://127.0.0.1:8080x/callback",
        "http://127.0.0.1: 80/callback", "http://127.0.0.1::80/callback",
        "http://127.0.0.1:80:80/callback", "javascript:alert(1)",
        "javascript://127.0.0.1/callback", "http://127.0.0.1", "", NULL
    };
    static const char *const lo_ports[] = {
        "http://127.0.0.1:1/callback", "http://127.0.0.1:80/callback",
        "http://127.0.0.1:8080/callback", "http://127.0.0.1:49152/callback",
        "http://127.0.0.1:65535/callback", NULL
    };
    int i;

    ok(da_redirect_matches(reg_app, reg_app), "matches_exact_custom_scheme");
    ok(da_redirect_matches(reg_lo, reg_lo), "matches_exact_loopback");
    ok(da_redirect_matches(reg_v6, reg_v6), "matches_exact_loopback_v6");
    ok(da_redirect_matches("https://example.com/cb", "https://example.com/cb"),
       "matches_exact_https");
    ok(!da_redirect_matches(NULL, reg_app) && !da_redirect_matches(reg_app, NULL),
       "matches_null_is_false");

    for (i = 0; app_miss[i]; i++)
        ok(!da_redirect_matches(reg_app, app_miss[i]), "matches_custom_scheme_refuses_%s",
           label(app_miss[i]));
    for (i = 0; lo_miss[i]; i++)
        ok(!da_redirect_matches(reg_lo, lo_miss[i]), "matches_loopback_refuses_%s",
           label(lo_miss[i]));
    ok(!da_redirect_matches("https://example.com/cb", "https://example.com:443/cb")
       && !da_redirect_matches("https://example.com/cb", "https://EXAMPLE.com/cb"),
       "matches_https_has_no_port_or_case_leeway");

    for (i = 0; lo_ports[i]; i++)
        ok(da_redirect_matches(reg_lo, lo_ports[i]), "matches_loopback_any_port_%s",
           lo_ports[i]);
    ok(da_redirect_matches("http://127.0.0.1:8123/callback", "http://127.0.0.1:9/callback")
       && da_redirect_matches("http://127.0.0.1:8123/callback", reg_lo),
       "matches_registered_port_is_not_binding");
    ok(da_redirect_matches("http://127.0.0.1/cb?a=1", "http://127.0.0.1:5000/cb?a=1"),
       "matches_loopback_same_query_any_port");
    ok(da_redirect_matches(reg_v6, "http://[::1]:8080/callback")
       && da_redirect_matches(reg_v6, "http://[::1]:65535/callback"),
       "matches_v6_loopback_any_port");
    ok(!da_redirect_matches(reg_v6, "http://127.0.0.1:8080/callback")
       && !da_redirect_matches(reg_v6, "http://127.0.0.1/callback"),
       "matches_v6_registered_refuses_v4_host");
    ok(!da_redirect_matches(reg_lo, "http://[::1]:8080/callback"),
       "matches_v4_registered_refuses_v6_host");
    ok(!da_redirect_matches(reg_v6, "http://[::1]:0/callback")
       && !da_redirect_matches(reg_v6, "http://[::1]:/callback")
       && !da_redirect_matches(reg_v6, "http://[0:0:0:0:0:0:0:1]/callback")
       && !da_redirect_matches(reg_v6, "http://[::1]:8080/callback/"),
       "matches_v6_malformed_or_other_path_refused");
}

static void test_redirect_with(void)
{
    is_str(da_redirect_with(pool, "myapp://auth/callback", "code", "abc", "state", "xyz",
                            NULL), "myapp://auth/callback?code=abc&state=xyz",
           "redirect_with_adds_question_mark_then_ampersand");
    is_str(da_redirect_with(pool, "http://127.0.0.1:5000/cb?app=1", "code", "abc", NULL),
           "http://127.0.0.1:5000/cb?app=1&code=abc", "redirect_with_existing_query_uses_ampersand");
    is_str(da_redirect_with(pool, "myapp://cb", "state", "a b&c=d/e?f#g+h", NULL),
           "myapp://cb?state=a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh",
           "redirect_with_encodes_reserved_characters");
    is_str(da_redirect_with(pool, "myapp://cb", "name", "Ren\xc3\xa9 \xe6\x97\xa5", NULL),
           "myapp://cb?name=Ren%C3%A9%20%E6%97%A5", "redirect_with_encodes_utf8");
    is_str(da_redirect_with(pool, "myapp://cb", "a", "-._~", NULL), "myapp://cb?a=-._~",
           "redirect_with_keeps_unreserved");
    is_str(da_redirect_with(pool, "myapp://cb", "a", NULL, "b", "2", NULL), "myapp://cb?b=2",
           "redirect_with_null_value_skips_pair");
    is_str(da_redirect_with(pool, "myapp://cb", "a", NULL, NULL), "myapp://cb",
           "redirect_with_nothing_to_add_is_unchanged");
    is_str(da_redirect_with(pool, "myapp://cb", "a", "", NULL), "myapp://cb?a=",
           "redirect_with_empty_value");
    is_str(da_redirect_with(pool, "myapp://cb", "x", "\r\n", NULL), "myapp://cb?x=%0D%0A",
           "redirect_with_encodes_crlf");
    is_str(da_url_encode(pool, "a b+c"), "a%20b%2Bc", "url_encode_space_and_plus");
}

static void test_local_path(void)
{
    ok(da_local_path_safe("/x"), "local_path_accepts_simple");
    ok(da_local_path_safe("/"), "local_path_accepts_root");
    ok(da_local_path_safe("/auth/profile?tab=1"), "local_path_accepts_query");
    ok(!da_local_path_safe("//evil"), "local_path_refuses_protocol_relative");
    ok(!da_local_path_safe("/\\evil"), "local_path_refuses_slash_backslash");
    ok(!da_local_path_safe("/a\\b"), "local_path_refuses_backslash");
    ok(!da_local_path_safe("http://x"), "local_path_refuses_absolute_uri");
    ok(!da_local_path_safe("x"), "local_path_refuses_relative");
    ok(!da_local_path_safe(""), "local_path_refuses_empty");
    ok(!da_local_path_safe(NULL), "local_path_refuses_null");
    ok(!da_local_path_safe("/a\r\nb"), "local_path_refuses_crlf");
    ok(!da_local_path_safe("/\t/evil.com"), "local_path_refuses_tab_slash");
    ok(!da_local_path_safe("/a\x7f"), "local_path_refuses_del");
}

int main(void)
{
    unit_init();
    test_registrable();
    test_matches();
    test_redirect_with();
    test_local_path();
    return done_testing();
}

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

/* test_html.c: escaping, the page template language and the QR code SVG
 * (src/core/da_html.c). TAP output. */
#include <stdarg.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "tap.h"
#include "da_html.h"

static apr_pool_t *pool;

/* Render tpl with vars given as name, value pairs ending in NULL. */
static const char *render(const char *tpl, ...)
{
    apr_table_t *vars = apr_table_make(pool, 8);
    const char *name;
    va_list ap;
    va_start(ap, tpl);
    while ((name = va_arg(ap, const char *)) != NULL)
        apr_table_set(vars, name, va_arg(ap, const char *));
    va_end(ap);
    return da_html_render(pool, tpl, vars);
}

static int count_substr(const char *s, const char *sub)
{
    int n = 0;
    while ((s = strstr(s, sub)) != NULL) {
        n++;
        s += strlen(sub);
    }
    return n;
}

static void test_escape(void)
{
    is_str(da_html_escape(pool, "&<>\"'`="),
           "&amp;&lt;&gt;&quot;&#39;&#96;&#61;",
           "escape_turns_every_special_char_into_an_entity");
    is_str(da_html_escape(pool, "a&b<c>d\"e'f`g=h"),
           "a&amp;b&lt;c&gt;d&quot;e&#39;f&#96;g&#61;h",
           "escape_keeps_the_text_between_special_chars");
    is_str(da_html_escape(pool, "plain text, caf\xc3\xa9"),
           "plain text, caf\xc3\xa9",
           "escape_leaves_plain_text_and_utf8_alone");
    is_str(da_html_escape(pool, NULL), "", "escape_of_null_is_empty");
    is_str(da_html_escape(pool, ""), "", "escape_of_empty_is_empty");
    is_str(da_html_hidden(pool, "csrf", "abc"),
           "<input type=\"hidden\" name=\"csrf\" value=\"abc\">",
           "hidden_input_plain");
    is_str(da_html_hidden(pool, "csrf", "\"><meta http-equiv=refresh content=0>"),
           "<input type=\"hidden\" name=\"csrf\" value=\"&quot;&gt;&lt;meta "
           "http-equiv&#61;refresh content&#61;0&gt;\">",
           "hidden_input_escapes_the_value");
    is_str(da_html_hidden(pool, "a\"b", NULL),
           "<input type=\"hidden\" name=\"a&quot;b\" value=\"\">",
           "hidden_input_escapes_the_name_null_value_is_empty");
}

static void test_variables(void)
{
    is_str(render("Hi {{name}}!", "name", "Ada", NULL), "Hi Ada!",
           "variable_is_replaced");
    is_str(render("<p title=\"{{t}}\">{{t}}</p>",
                  "t", "\"><script>alert(1)</script>", NULL),
           "<p title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">"
           "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>",
           "variable_is_html_escaped_in_text_and_attribute");
    is_str(render("{{{raw}}}", "raw", "<b>x</b>", NULL), "<b>x</b>",
           "triple_stache_is_copied_raw");
    is_str(render("[{{missing}}][{{{missing}}}]", NULL), "[][]",
           "unknown_name_renders_empty");
    is_str(render("{{ name }}", "name", "x", NULL), "x",
           "spaces_around_a_name_are_allowed");
    is_str(render("{{a}}{{b}}{{a}}", "a", "1", "b", "2", NULL), "121",
           "adjacent_tags_all_render");
    is_str(da_html_render(pool, "x{{a}}y", NULL), "xy",
           "null_vars_table_renders_every_name_empty");
    is_str(da_html_render(pool, NULL, NULL), "", "null_template_is_empty");
}

static void test_sections(void)
{
    is_str(render("a{{#s}}[{{v}}]{{/s}}b", "s", "1", "v", "x", NULL),
           "a[x]b", "section_shown_when_set");
    is_str(render("a{{#s}}[x]{{/s}}b", NULL), "ab",
           "section_hidden_when_unset");
    is_str(render("a{{#s}}[x]{{/s}}b", "s", "", NULL), "ab",
           "section_hidden_when_empty");
    is_str(render("a{{^s}}[x]{{/s}}b", NULL), "a[x]b",
           "inverted_section_shown_when_unset");
    is_str(render("a{{^s}}[x]{{/s}}b", "s", "", NULL), "a[x]b",
           "inverted_section_shown_when_empty");
    is_str(render("a{{^s}}[x]{{/s}}b", "s", "yes", NULL), "ab",
           "inverted_section_hidden_when_set");
    is_str(render("{{#a}}A{{#b}}B{{/b}}{{^b}}-{{/b}}{{/a}}",
                  "a", "1", "b", "1", NULL), "AB",
           "nested_sections_both_set");
    is_str(render("{{#a}}A{{#b}}B{{/b}}{{^b}}-{{/b}}{{/a}}",
                  "a", "1", NULL), "A-",
           "nested_inverted_section_inside_a_true_one");
    is_str(render("{{#a}}A{{#b}}B{{/b}}{{/a}}.", "b", "1", NULL), ".",
           "false_outer_section_hides_true_inner_one");
    is_str(render("{{#a}}1{{#a}}2{{/a}}3{{/a}}", "a", "x", NULL), "123",
           "same_name_nested_section_matches_its_own_close");
    is_str(render("{{#e}}<p role=\"alert\">{{e}}</p>{{/e}}",
                  "e", "Bad & wrong", NULL),
           "<p role=\"alert\">Bad &amp; wrong</p>",
           "section_value_is_usable_inside_it");
}

static void test_malformed(void)
{
    is_str(render("a {{name", "name", "x", NULL), "a {{name",
           "unclosed_tag_is_copied_literally");
    is_str(render("a {{", NULL), "a {{", "trailing_open_braces_are_copied");
    is_str(render("{", NULL), "{", "lone_brace_is_copied");
    is_str(render("{{{raw}}", "raw", "<x>", NULL), "{{{raw}}",
           "triple_stache_missing_a_brace_is_copied");
    is_str(render("{{#a}}x", "a", "1", NULL), "{{#a}}x",
           "section_without_close_is_copied_and_its_body_rendered");
    is_str(render("{{#a}}{{v}}", "v", "<", NULL), "{{#a}}&lt;",
           "body_after_an_unterminated_section_still_renders_tags");
    is_str(render("x{{/a}}y", NULL), "x{{/a}}y",
           "stray_close_tag_is_copied");
    is_str(render("{{Bad Name}} {{}} {{a-b}}", "a", "1", NULL),
           "{{Bad Name}} {{}} {{a-b}}", "invalid_names_are_copied");
    is_str(render("{{#a}}1{{/b}}2", "a", "1", NULL), "{{#a}}1{{/b}}2",
           "mismatched_close_is_copied");
    is_str(render("{{{{a}}}", "a", "v", NULL), "{{v}",
           "run_of_braces_ends_in_the_real_tag");
    is_str(render("}}{{a}}}}", "a", "v", NULL), "}}v}}",
           "stray_closing_braces_are_text");

    {
        /* a template that ends mid-tag, with nothing after it in memory */
        char *tpl = apr_pstrndup(pool, "ok {{#a}}{{x", 12);
        is_str(da_html_render(pool, tpl, NULL), "ok {{#a}}{{x",
               "template_ending_inside_a_tag_is_copied");
    }
    {
        /* sections nested far deeper than any page: no crash, some output */
        int i, n = 200;
        char *tpl = apr_palloc(pool, (apr_size_t)n * 14 + 2);
        char *q = tpl;
        for (i = 0; i < n; i++)
            q += strlen(strcpy(q, "{{#a}}"));
        *q++ = 'X';
        for (i = 0; i < n; i++)
            q += strlen(strcpy(q, "{{/a}}"));
        *q = '\0';
        ok(strchr(render(tpl, "a", "1", NULL), 'X') != NULL,
           "very_deep_nesting_renders_without_crashing");
    }
}

static void test_qr(void)
{
    const char *link = "equatorschatbot://auth/callback?code=abc123&state=xyz";
    const char *svg = da_html_qr_svg(pool, link, "QR code \"of\" <link>");

    ok(svg != NULL, "qr_svg_is_made_for_a_link");
    if (svg == NULL)
        svg = "";
    ok(strncmp(svg, "<svg", 4) == 0, "qr_svg_starts_with_svg");
    ok(strstr(svg, "viewBox=\"0 0 ") != NULL, "qr_svg_has_a_viewbox");
    ok(strstr(svg, "role=\"img\"") != NULL, "qr_svg_has_role_img");
    ok(strstr(svg, "aria-label=\"QR code &quot;of&quot; &lt;link&gt;\"")
       != NULL, "qr_svg_label_is_escaped");
    ok(strstr(svg, "shape-rendering=\"crispEdges\"") != NULL,
       "qr_svg_is_crisp");
    ok(count_substr(svg, "<path") == 1, "qr_svg_has_exactly_one_path");
    ok(strstr(svg, "</svg>") != NULL
       && strcmp(svg + strlen(svg) - 6, "</svg>") == 0,
       "qr_svg_ends_with_svg_close");
    ok(strstr(svg, "M4 4h7v1h-7z") != NULL,
       "qr_finder_pattern_starts_after_the_four_module_quiet_zone");
    ok(strlen(svg) < 12000, "qr_svg_stays_small");
    ok(da_html_qr_svg(pool, NULL, "x") == NULL, "qr_of_null_is_null");
    ok(da_html_qr_svg(pool, "", "x") == NULL, "qr_of_empty_is_null");
    {
        /* beyond the capacity of the largest symbol at level M */
        apr_size_t n = 4000;
        char *big = apr_palloc(pool, n + 1);
        memset(big, 'x', n);
        big[n] = '\0';
        ok(da_html_qr_svg(pool, big, "x") == NULL,
           "qr_of_text_too_long_is_null");
    }
}

static void test_duration(void)
{
    is_str(da_html_duration(pool, 0), "1 second", "duration_zero_is_one_second");
    is_str(da_html_duration(pool, 45), "45 seconds", "duration_45_seconds");
    is_str(da_html_duration(pool, 59), "59 seconds", "duration_59_seconds");
    is_str(da_html_duration(pool, 90), "2 minutes", "duration_90_seconds_rounds_up");
    is_str(da_html_duration(pool, 300), "5 minutes", "duration_300_seconds");
    is_str(da_html_duration(pool, 60), "1 minute", "duration_60_seconds_is_a_minute");
    is_str(da_html_duration(pool, 5400), "2 hours", "duration_90_minutes_rounds_up");
}

static void test_times(void)
{
    apr_int64_t now = 1796539707;                   /* 2026-12-06T06:48:27Z */
    const char *t = da_html_time(pool, now - 180, now);

    ok(strstr(t, "<time datetime=\"2026-12-06T06:45:27Z\">6 Dec 2026, 06:45 UTC</time>")
       != NULL, "time_shows_a_date_for_people_and_keeps_rfc3339_in_datetime");
    ok(strstr(t, "(3 minutes ago)") != NULL, "time_says_how_long_ago");
    ok(count_substr(t, "2026-12-06T") == 1, "rfc3339_only_in_the_attribute");
    is_str(da_html_relative(pool, now - 5, now), "just now", "relative_just_now");
    is_str(da_html_relative(pool, now - 3600, now), "1 hour ago", "relative_one_hour");
    is_str(da_html_relative(pool, now - 86400 - 60, now), "yesterday", "relative_yesterday");
    is_str(da_html_relative(pool, now + 30 * 86400, now), "in 30 days", "relative_future_days");
    is_str(da_html_relative(pool, now - 400 * 86400, now), "13 months ago",
           "relative_months");
}

static void test_user_agents(void)
{
    is_str(da_html_user_agent_name(pool, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                                   "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
           "Chrome on Linux", "ua_chrome_on_linux");
    is_str(da_html_user_agent_name(pool, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
                                   "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 "
                                   "Safari/537.36 Edg/131.0"),
           "Edge on Windows", "ua_edge_is_not_chrome");
    is_str(da_html_user_agent_name(pool, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac "
                                   "OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                                   "Version/17.0 Mobile/15E148 Safari/604.1"),
           "Safari on iOS", "ua_safari_on_ios");
    is_str(da_html_user_agent_name(pool, "Mozilla/5.0 (Linux; Android 14; Pixel 8) "
                                   "Gecko/20100101 Firefox/133.0"),
           "Firefox on Android", "ua_android_is_not_linux");
    is_str(da_html_user_agent_name(pool, "curl/8.5.0"), "curl", "ua_tool_by_product");
    is_str(da_html_user_agent_name(pool, "DemoApp/1.0 (X11; Linux)"), "DemoApp on Linux",
           "ua_app_with_system");
    is_str(da_html_user_agent_name(pool, "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Odd/1"),
           "Web browser on macOS", "ua_unknown_browser_is_web_browser_not_mozilla");
    {
        /* 60 three-byte characters: cut to 50 characters, between them */
        char ua[200] = "", *q = ua;
        int i;
        for (i = 0; i < 60; i++, q += 3)
            memcpy(q, "\xe6\x97\xa5", 3);
        *q = '\0';
        ok(strlen(da_html_user_agent_name(pool, ua)) == 150, "ua_product_name_is_cut_to_50_characters");
    }
    ok(da_html_user_agent_name(pool, "") == NULL, "ua_empty_is_null");
    ok(da_html_user_agent_name(pool, NULL) == NULL, "ua_null_is_null");
}


int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    plan(71 + 7);
    test_escape();
    test_duration();
    test_variables();
    test_sections();
    test_malformed();
    test_qr();
    test_times();
    test_user_agents();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}

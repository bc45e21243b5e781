/* The config file: known keys, booleans, comments, and errors with file and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "kdeck/config.h"

static void test_parse_good(void **state)
{
    (void)state;
    kdeck_config_t c = {0};
    char err[256] = "";
    assert_true(config_parse(&c, "# kdeck\ntheme: light\n\nread_only: yes   # on-call box\nview: \"deploy\"\n",
                             "cfg", err, sizeof err));
    assert_string_equal(c.theme, "light");
    assert_true(c.read_only);
    assert_string_equal(c.start_view, "deploy");
}

static void test_parse_errors(void **state)
{
    (void)state;
    kdeck_config_t c = {0};
    char err[512];
    assert_false(config_parse(&c, "theme: x\nthem: y\n", "/home/u/.config/kdeck/config", err, sizeof err));
    assert_non_null(strstr(err, "/home/u/.config/kdeck/config:2: unknown setting 'them' (known: theme, read_only"));
    assert_false(config_parse(&c, "read_only: maybe\n", "cfg", err, sizeof err));
    assert_string_equal(err, "cfg:1: read_only must be true or false, not 'maybe'");
    assert_false(config_parse(&c, "\n\njust words\n", "cfg", err, sizeof err));
    assert_string_equal(err, "cfg:3: expected 'key: value'");
}

static void test_read_only_contexts(void **state)
{
    (void)state;
    kdeck_config_t c = {0};
    char err[256];
    assert_true(config_parse(&c, "read_only_contexts: prod, prod-eu,staging\n", "cfg", err, sizeof err));
    assert_true(config_context_read_only(&c, "prod"));
    assert_true(config_context_read_only(&c, "prod-eu"));
    assert_true(config_context_read_only(&c, "staging"));
    assert_false(config_context_read_only(&c, "pro"));
    assert_false(config_context_read_only(&c, "dev"));
    assert_false(config_context_read_only(&c, ""));
}

static void test_prometheus_per_context(void **state)
{
    (void)state;
    kdeck_config_t c = {0};
    char err[512];
    assert_true(config_parse(&c, "prometheus_url: http://prom.example:9090\n"
                                 "prometheus_url@prod: https://prom.prod:9090/\n"
                                 "prometheus_token_file: /run/prom-token\n", "cfg", err, sizeof err));
    assert_string_equal(config_prometheus_url(&c, "prod"), "https://prom.prod:9090/");
    assert_string_equal(config_prometheus_url(&c, "dev"), "http://prom.example:9090");
    assert_string_equal(c.prometheus_token_file, "/run/prom-token");
    kdeck_config_t none = {0};
    assert_null(config_prometheus_url(&none, "dev"));
    assert_false(config_parse(&c, "prometheus_url@x: ftp://nope\n", "cfg", err, sizeof err));
    assert_string_equal(err, "cfg:1: prometheus_url@x must start with http:// or https://");
}

static void test_parse_garbage_does_not_crash(void **state)
{
    (void)state;
    char text[5000];
    for (size_t i = 0; i < sizeof text - 1; i++)
        text[i] = (char)(1 + (i * 7919) % 255);
    text[sizeof text - 1] = '\0';
    kdeck_config_t c = {0};
    char err[64];
    config_parse(&c, text, "junk", err, sizeof err);
    assert_true(strlen(err) < sizeof err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_read_only_contexts),
        cmocka_unit_test(test_prometheus_per_context),
        cmocka_unit_test(test_parse_garbage_does_not_crash),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

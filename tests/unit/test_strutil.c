/* strutil: the duration and RFC 3339 parsers shared by the CLI, the rollout record and the
 * kubeconfig exec credentials. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/strutil.h"

static void test_duration(void **state)
{
    (void)state;
    assert_int_equal(str_parse_duration_ms("300"), 300000);
    assert_int_equal(str_parse_duration_ms("90s"), 90000);
    assert_int_equal(str_parse_duration_ms("5m"), 300000);
    assert_int_equal(str_parse_duration_ms("1m30s"), 90000);
    assert_int_equal(str_parse_duration_ms("2h"), 7200000);
    assert_int_equal(str_parse_duration_ms("500ms"), 500);
    assert_int_equal(str_parse_duration_ms("1h2m3s4ms"), 3723004);
    const char *bad[] = {"", "s", "-5s", "5x", "5 s", "1.5s", "m5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (str_parse_duration_ms(bad[i]) != -1)
            fail_msg("\"%s\" parsed", bad[i]);
}

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(str_parse_rfc3339_ms("1970-01-01T00:00:00Z", &ms));
    assert_int_equal(ms, 0);
    assert_true(str_parse_rfc3339_ms("2000-02-29T00:00:00.25z", &ms));
    assert_int_equal(ms, 951782400250LL);
    assert_true(str_parse_rfc3339_ms("2000-02-29T01:30:00+01:30", &ms));
    assert_int_equal(ms, 951782400000LL);
    /* before 1970 is negative; the fraction still counts forward */
    assert_true(str_parse_rfc3339_ms("1969-12-31T23:59:59.500Z", &ms));
    assert_int_equal(ms, -500);
    assert_true(str_parse_rfc3339_ms("0000-01-01T00:00:00Z", &ms));
    assert_int_equal(ms, -62167219200000LL);
    const char *bad[] = {"", "2026-05-21", "2026-05-21T21:46:40", "2026-05-21T21:46:40.Z",
                         "2026-00-21T21:46:40Z", "2026-05-21T21:60:40Z", "2026-05-21T21:46:40+24:00",
                         "2026-05-21T21:46:40+0200", "2026-05-21T21:46:40Z ", "+026-05-21T21:46:40Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (str_parse_rfc3339_ms(bad[i], &ms))
            fail_msg("\"%s\" parsed", bad[i]);
    assert_false(str_parse_rfc3339_ms(NULL, &ms));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Channel framing of exec streams, exit statuses from the error channel, log frames; the log ring. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kdeck/channel.h"
#include "kdeck/ringbuf.h"

static void test_encode_decode(void **state)
{
    (void)state;
    unsigned char buf[64];
    size_t n = channel_encode(CH_STDIN, "ls\n", 3, buf, sizeof buf);
    assert_int_equal(n, 4);
    assert_int_equal(buf[0], 0);
    int ch;
    const unsigned char *p;
    size_t pl;
    assert_true(channel_decode(buf, n, &ch, &p, &pl));
    assert_int_equal(ch, CH_STDIN);
    assert_int_equal(pl, 3);
    assert_memory_equal(p, "ls\n", 3);
    assert_false(channel_decode(buf, 0, &ch, &p, &pl));
    assert_int_equal(channel_encode(CH_STDOUT, "x", 1, buf, 1), 0); /* does not fit */
    n = channel_resize(80, 24, buf, sizeof buf);
    assert_int_equal(buf[0], CH_RESIZE);
    assert_memory_equal(buf + 1, "{\"Width\":80,\"Height\":24}", n - 1);
    n = channel_close_stdin(buf, sizeof buf);
    assert_int_equal(n, 2);
    assert_int_equal(buf[0], 255);
    assert_int_equal(buf[1], 0);
}

static int status_of(const char *json, char *msg, size_t len)
{
    return channel_exit_status((const unsigned char *)json, strlen(json), msg, len);
}

static void test_exit_status(void **state)
{
    (void)state;
    char msg[128];
    assert_int_equal(status_of("{\"metadata\":{},\"status\":\"Success\"}", msg, sizeof msg), 0);
    assert_int_equal(status_of("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3\","
                               "\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}",
                               msg, sizeof msg), 3);
    assert_int_equal(status_of("{\"status\":\"Failure\",\"message\":\"container not found (\\\"x\\\")\"}", msg, sizeof msg), -1);
    assert_string_equal(msg, "container not found (\"x\")");
    assert_int_equal(status_of("{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"abc\"}]}}", msg, sizeof msg), -1);
    assert_int_equal(status_of("not json", msg, sizeof msg), -1);
    assert_int_equal(status_of("[1,2]", msg, sizeof msg), -1);
}

static void test_log_frames(void **state)
{
    (void)state;
    unsigned char out[64];
    const char *raw = "line one\n";
    assert_int_equal(log_frame_bytes("binary.k8s.io", (const unsigned char *)raw, 9, out, sizeof out), 9);
    assert_memory_equal(out, raw, 9);
    const char *b64 = "bGluZSBvbmUK"; /* "line one\n" */
    assert_int_equal(log_frame_bytes("base64.binary.k8s.io", (const unsigned char *)b64, 12, out, sizeof out), 9);
    assert_memory_equal(out, raw, 9);
    assert_int_equal(log_frame_bytes("base64.binary.k8s.io", (const unsigned char *)"!!!", 3, out, sizeof out), -1);
}

static void test_ring_keeps_newest(void **state)
{
    (void)state;
    ringbuf_t *r = ringbuf_new(3, 10);
    char line[16];
    for (int i = 0; i < 5; i++) {
        int n = snprintf(line, sizeof line, "l%d", i);
        ringbuf_push(r, line, (size_t)n, (uint16_t)i, i == 4);
    }
    assert_int_equal(ringbuf_count(r), 3);
    assert_int_equal(ringbuf_total(r), 5);
    assert_string_equal(ringbuf_at(r, 0)->text, "l2");
    assert_string_equal(ringbuf_at(r, 2)->text, "l4");
    assert_int_equal(ringbuf_at(r, 2)->source, 4);
    assert_true(ringbuf_at(r, 2)->marker);
    assert_null(ringbuf_at(r, 3));
    assert_int_equal(ringbuf_bytes(r), 6);
    ringbuf_push(r, "0123456789abcdef", 16, 0, false); /* cut at 10 */
    assert_string_equal(ringbuf_at(r, 2)->text, "0123456789 [...]");
    ringbuf_clear(r);
    assert_int_equal(ringbuf_count(r), 0);
    assert_int_equal(ringbuf_bytes(r), 0);
    ringbuf_free(r);
}

static void test_ring_flood_stays_bounded(void **state)
{
    (void)state;
    ringbuf_t *r = ringbuf_new(1000, 200);
    char line[300];
    memset(line, 'x', sizeof line);
    for (int i = 0; i < 100000; i++)
        ringbuf_push(r, line, (size_t)(i % 300), 0, false);
    assert_int_equal(ringbuf_count(r), 1000);
    assert_true(ringbuf_bytes(r) <= 1000 * (200 + 6));
    ringbuf_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_log_frames),
        cmocka_unit_test(test_ring_keeps_newest),
        cmocka_unit_test(test_ring_flood_stays_bounded),
    };
    return cmocka_run_group_tests_name("channel", tests, NULL, NULL);
}

/* Prometheus: decoding real Prometheus 2.42 answers (tests/unit/data/prom/, see its README) and
 * hostile ones, messages, units, steps and durations, and the client on a real libuv loop against
 * a tiny HTTP server in this file (direct URL, service proxy path, auth headers, timeout, refused
 * connection, HTTP and PromQL errors). Runs from the tree root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/prom.h"

/* ---- helpers ---- */

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "tests/unit/data/prom/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the tree root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static prom_result_t *decode_file(const char *name, long status)
{
    size_t len;
    char *body = slurp(name, &len);
    prom_result_t *r = prom_decode(body, len, status);
    free(body);
    assert_non_null(r);
    return r;
}

static prom_result_t *decode_str(const char *s, long status)
{
    prom_result_t *r = prom_decode(s, strlen(s), status);
    assert_non_null(r);
    return r;
}

static void assert_message(const prom_result_t *r, const char *expected)
{
    char msg[1024];
    prom_result_message(r, msg, sizeof msg);
    assert_string_equal(msg, expected);
}

/* ---- decoding real answers ---- */

static void test_decode_vector(void **state)
{
    (void)state;
    prom_result_t *r = decode_file("vector_up.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->type, PROM_RT_VECTOR);
    assert_int_equal(r->n_series, 4);
    for (size_t i = 0; i < r->n_series; i++) {
        const prom_series_t *s = &r->series[i];
        assert_int_equal(s->n_points, 1);
        assert_true(s->points[0].v == 1.0);
        assert_true(fabs(s->points[0].t - 1795300271.768) < 1e-6);
        assert_string_equal(prom_series_label(s, "__name__"), "up");
        for (size_t l = 1; l < s->n_labels; l++) /* sorted by name */
            assert_true(strcmp(s->labels[l - 1].name, s->labels[l].name) < 0);
    }
    assert_string_equal(prom_series_label(&r->series[1], "job"), "mysqld");
    assert_string_equal(prom_series_label(&r->series[1], "namespace"), "db");
    assert_null(prom_series_label(&r->series[0], "namespace"));
    assert_message(r, "4 series");
    assert_false(prom_result_empty(r));
    prom_result_free(r);

    r = decode_file("vector_labels.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->n_series, 4);
    assert_string_equal(prom_series_label(&r->series[0], "exported_service"), "default-web-80@kubernetes");
    assert_string_equal(prom_series_label(&r->series[0], "service"), "traefik");
    assert_string_equal(prom_series_label(&r->series[1], "service"), "default-web-80@kubernetes");
    assert_string_equal(prom_series_label(&r->series[3], "code"), "404");
    assert_true(fabs(r->series[1].points[0].v - 14.444444444444445) < 1e-12);
    assert_true(r->series[3].points[0].v == 0);
    prom_result_free(r);
}

static void test_decode_matrix(void **state)
{
    (void)state;
    prom_result_t *r = decode_file("matrix_rate.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->type, PROM_RT_MATRIX);
    assert_int_equal(r->n_series, 1);
    const prom_series_t *s = &r->series[0];
    assert_int_equal(s->n_points, 11);
    assert_true(s->points[0].v == 5684.25);
    assert_true(s->points[10].v == 14);
    for (size_t i = 1; i < s->n_points; i++)
        assert_true(s->points[i].t - s->points[i - 1].t == 2);
    assert_string_equal(prom_series_label(s, "proxy"), "default_web");
    assert_true(prom_series_last(s) == &s->points[10]);
    prom_result_free(r);

    r = decode_file("matrix_multi.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->n_series, 4);
    assert_string_equal(prom_series_label(&r->series[0], "state"), "data");
    prom_result_free(r);

    r = decode_file("matrix_gap.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->series[0].n_points, 5); /* 11 steps asked, the first 6 had no data */
    prom_result_free(r);

    r = decode_file("matrix_nan.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->series[0].n_points, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(isnan(r->series[0].points[i].v));
    assert_null(prom_series_last(&r->series[0])); /* no non-NaN point */
    assert_int_equal(r->series[0].n_labels, 0);
    prom_result_free(r);
}

static void test_decode_special_values(void **state)
{
    (void)state;
    prom_result_t *r = decode_file("vector_nan_inf.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->n_series, 3);
    assert_true(isnan(r->series[0].points[0].v));
    assert_true(isinf(r->series[1].points[0].v) && r->series[1].points[0].v > 0);
    assert_string_equal(prom_series_label(&r->series[1], "x"), "pinf");
    assert_true(isinf(r->series[2].points[0].v) && r->series[2].points[0].v < 0);
    prom_result_free(r);

    r = decode_file("vector_huge.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_true(r->series[0].points[0].v == DBL_MAX);
    assert_true(r->series[1].points[0].v > 0 && r->series[1].points[0].v < DBL_MIN);
    prom_result_free(r);

    r = decode_file("scalar.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->type, PROM_RT_SCALAR);
    assert_int_equal(r->n_series, 1);
    assert_true(r->series[0].points[0].v == 10);
    assert_true(fabs(r->series[0].points[0].t - 1795300271.88) < 1e-6);
    prom_result_free(r);

    r = decode_file("scalar_inf.json", 200);
    assert_true(isinf(r->series[0].points[0].v));
    prom_result_free(r);

    r = decode_file("string.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->type, PROM_RT_STRING);
    assert_string_equal(r->string_value, "kdeck");
    assert_message(r, "kdeck");
    prom_result_free(r);

    r = decode_str("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                   "[{\"metric\":{},\"value\":[1,\"1e400\"]},{\"metric\":{},\"value\":[1,\"-1e400\"]},"
                   "{\"metric\":{},\"value\":[1e300,\"4.9e-325\"]}]}}", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_true(isinf(r->series[0].points[0].v) && r->series[0].points[0].v > 0);
    assert_true(isinf(r->series[1].points[0].v) && r->series[1].points[0].v < 0);
    assert_true(r->series[2].points[0].v == 0 && r->series[2].points[0].t == 1e300);
    prom_result_free(r);
}

static void test_decode_empty(void **state)
{
    (void)state;
    const char *files[] = { "empty_vector.json", "empty_matrix.json" };
    for (size_t i = 0; i < 2; i++) {
        prom_result_t *r = decode_file(files[i], 200);
        assert_int_equal(r->status, PROM_OK);
        assert_int_equal(r->n_series, 0);
        assert_true(prom_result_empty(r));
        assert_message(r, "no data");
        prom_result_free(r);
    }
}

static void test_decode_errors(void **state)
{
    (void)state;
    prom_result_t *r = decode_file("error_bad_data.json", 400);
    assert_int_equal(r->status, PROM_API);
    assert_int_equal(r->http_status, 400);
    assert_string_equal(r->error_type, "bad_data");
    assert_string_equal(r->error, "invalid parameter \"query\": 1:17: parse error: unclosed left parenthesis");
    assert_message(r, "query error (bad_data): invalid parameter \"query\": 1:17: parse error: unclosed left "
                      "parenthesis");
    assert_int_equal(r->n_series, 0);
    prom_result_free(r);

    r = decode_file("error_execution.json", 422);
    assert_int_equal(r->status, PROM_API);
    assert_string_equal(r->error_type, "execution");
    assert_non_null(strstr(r->error, "many-to-many matching not allowed"));
    prom_result_free(r);

    r = decode_file("error_timeout.json", 503);
    assert_int_equal(r->status, PROM_TIMEOUT);
    assert_string_equal(r->error_type, "timeout");
    assert_message(r, "Prometheus timed out: query timed out in expression evaluation");
    prom_result_free(r);

    r = decode_file("error_range_points.json", 400);
    assert_int_equal(r->status, PROM_API);
    assert_non_null(strstr(r->error, "exceeded maximum resolution of 11,000 points"));
    prom_result_free(r);

    r = decode_file("error_404.txt", 404);
    assert_int_equal(r->status, PROM_HTTP);
    assert_message(r, "HTTP 404: 404 page not found");
    prom_result_free(r);

    r = decode_str("<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>", 502);
    assert_int_equal(r->status, PROM_HTTP);
    assert_message(r, "HTTP 502: <html><head><title>502 Bad Gateway</title></head>");
    prom_result_free(r);

    r = decode_str("", 503);
    assert_int_equal(r->status, PROM_HTTP);
    assert_message(r, "HTTP 503");
    prom_result_free(r);

    /* the API server's own answer through the service proxy */
    r = decode_str("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                   "\"no endpoints available for service \\\"prometheus:9090\\\"\",\"reason\":"
                   "\"ServiceUnavailable\",\"code\":503}", 503);
    assert_int_equal(r->status, PROM_HTTP);
    assert_message(r, "HTTP 503: no endpoints available for service \"prometheus:9090\"");
    prom_result_free(r);

    /* an error text with newlines stays on one line in the message, verbatim otherwise */
    r = decode_str("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"line1\\nline2\"}", 400);
    assert_string_equal(r->error, "line1\nline2");
    assert_message(r, "query error (bad_data): line1 line2");
    prom_result_free(r);

    r = decode_str("{\"status\":\"error\"}", 422);
    assert_int_equal(r->status, PROM_API);
    assert_message(r, "query error (error): (Prometheus gave no error text)");
    prom_result_free(r);

    r = prom_result_error(PROM_TRANSPORT, 0, "Couldn't connect to server (%s)", "http://127.0.0.1:1");
    assert_message(r, "Prometheus unreachable: Couldn't connect to server (http://127.0.0.1:1)");
    prom_result_free(r);
}

static void test_decode_warnings(void **state)
{
    (void)state;
    prom_result_t *r = decode_file("warnings.json", 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->n_warnings, 2);
    assert_string_equal(r->warnings[0], "remote read: partial data: one of 2 endpoints failed");
    assert_string_equal(r->warnings[1], "query returned partial results");
    assert_int_equal(r->n_series, 1);
    prom_result_free(r);
}

/* Every malformed document: an error with a reason, never a crash, no partial data. */
static void test_decode_malformed(void **state)
{
    (void)state;
    static const struct { const char *body, *msg; } cases[] = {
        { "not json at all", "malformed response: not JSON: not json at all" },
        { "[1,2,3]", "malformed response: not JSON: [1,2,3]" },
        { "{}", "malformed response: no \"status\" string" },
        { "{\"status\":1}", "malformed response: no \"status\" string" },
        { "{\"status\":\"maybe\"}", "malformed response: unknown status \"maybe\"" },
        { "{\"status\":\"success\"}", "malformed response: no \"data\" object" },
        { "{\"status\":\"success\",\"data\":[]}", "malformed response: no \"data\" object" },
        { "{\"status\":\"success\",\"data\":{}}", "malformed response: no \"data.resultType\"" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":5,\"result\":[]}}",
          "malformed response: no \"data.resultType\"" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}", "malformed response: no \"data.result\"" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"histogram\",\"result\":[]}}",
          "malformed response: unknown resultType \"histogram\"" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
          "malformed response: \"result\" of a vector is not an array" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":\"x\"}}",
          "malformed response: \"result\" of a matrix is not an array" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[1]}}",
          "malformed response: a result element is not an object" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":\"up\","
          "\"value\":[1,\"1\"]}]}}", "malformed response: \"metric\" is not an object" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"a\":1},"
          "\"value\":[1,\"1\"]}]}}", "malformed response: a label value is not a string" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{}}]}}",
          "malformed response: a vector sample has no \"value\"" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"abc\"]}]}}",
          "malformed response: a sample \"value\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1]}]}}",
          "malformed response: a sample \"value\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[\"1\",\"1\"]}]}}",
          "malformed response: a sample \"value\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1e999,\"1\"]}]}}",
          "malformed response: a sample \"value\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\" 1\"]}]}}",
          "malformed response: a sample \"value\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"1x\"]}]}}",
          "malformed response: a sample \"value\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"\"]}]}}",
          "malformed response: a sample \"value\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":{}}]}}",
          "malformed response: a series' \"values\" is not an array" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"1\"],"
          "[2,null]]}]}}", "malformed response: a point in \"values\" is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1]}}",
          "malformed response: a scalar result is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"x\"]}}",
          "malformed response: a scalar result is not [time, \"number\"]" },
        { "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,2]}}",
          "malformed response: a string result is not [time, \"text\"]" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        prom_result_t *r = decode_str(cases[i].body, 200);
        char msg[512];
        prom_result_message(r, msg, sizeof msg);
        if (strcmp(msg, cases[i].msg))
            fail_msg("case %zu: %s\n  got      %s\n  expected %s", i, cases[i].body, msg, cases[i].msg);
        assert_int_equal(r->status, PROM_MALFORMED);
        assert_int_equal(r->n_series, 0);
        assert_null(r->series);
        prom_result_free(r);
    }
}

/* Every prefix of real answers is malformed (200) or an HTTP error (non-2xx), never a crash. */
static void test_decode_truncated(void **state)
{
    (void)state;
    const char *files[] = { "matrix_rate.json", "vector_up.json", "error_bad_data.json", "vector_nan_inf.json" };
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        size_t len;
        char *body = slurp(files[f], &len);
        for (size_t n = 0; n < len; n++) {
            char *copy = malloc(n ? n : 1); /* exactly n bytes: no terminator to lean on */
            memcpy(copy, body, n);
            prom_result_t *r = prom_decode(copy, n, 200);
            assert_non_null(r);
            assert_int_equal(r->status, PROM_MALFORMED);
            prom_result_free(r);
            r = prom_decode(copy, n, 400);
            assert_int_equal(r->status, PROM_HTTP);
            prom_result_free(r);
            free(copy);
        }
        free(body);
    }
}

static void test_decode_deep_and_huge(void **state)
{
    (void)state;
    /* 200,000 levels of nesting: cJSON's nesting limit refuses it */
    size_t depth = 200000;
    char *deep = malloc(depth * 2 + 64);
    size_t o = 0;
    o += (size_t)sprintf(deep, "{\"status\":\"success\",\"data\":");
    for (size_t i = 0; i < depth; i++)
        deep[o++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[o++] = ']';
    deep[o++] = '}';
    prom_result_t *r = prom_decode(deep, o, 200);
    assert_int_equal(r->status, PROM_MALFORMED);
    prom_result_free(r);
    free(deep);

    /* a huge label value and many series */
    size_t n = 5000;
    char *big = malloc(n * 64 + 200000);
    o = (size_t)sprintf(big, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    o += (size_t)sprintf(big + o, "{\"metric\":{\"long\":\"");
    for (int i = 0; i < 100000; i++)
        big[o++] = 'x';
    o += (size_t)sprintf(big + o, "\"},\"value\":[1,\"1\"]}");
    for (size_t i = 0; i < n; i++)
        o += (size_t)sprintf(big + o, ",{\"metric\":{\"i\":\"%zu\"},\"value\":[%zu,\"%zu\"]}", i, i, i);
    o += (size_t)sprintf(big + o, "]}}");
    r = prom_decode(big, o, 200);
    assert_int_equal(r->status, PROM_OK);
    assert_int_equal(r->n_series, n + 1);
    assert_int_equal(strlen(prom_series_label(&r->series[0], "long")), 100000);
    assert_true(r->series[n].points[0].v == (double)(n - 1));
    prom_result_free(r);
    free(big);

    /* a number with 400 digits */
    char num[600];
    o = (size_t)sprintf(num, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"");
    for (int i = 0; i < 400; i++)
        num[o++] = '9';
    o += (size_t)sprintf(num + o, "\"]}}");
    r = prom_decode(num, o, 200);
    assert_int_equal(r->status, PROM_OK);
    assert_true(isinf(r->series[0].points[0].v));
    prom_result_free(r);
}

/* Random byte flips of real answers: anything may come out, but no crash, leak or overread. */
static void test_decode_mutations(void **state)
{
    (void)state;
    const char *files[] = { "matrix_multi.json", "vector_labels.json", "warnings.json", "string.json" };
    uint32_t seed = 12345;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        size_t len;
        char *body = slurp(files[f], &len);
        for (int round = 0; round < 400; round++) {
            char *m = malloc(len);
            memcpy(m, body, len);
            for (int k = 0; k < 3; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % len;
                seed = seed * 1103515245u + 12345u;
                m[at] = (char)(seed >> 16);
            }
            prom_result_t *r = prom_decode(m, len, 200);
            assert_non_null(r);
            char msg[256];
            prom_result_message(r, msg, sizeof msg);
            prom_result_free(r);
            free(m);
        }
        free(body);
    }
}

/* ---- units ---- */

static void test_units_names(void **state)
{
    (void)state;
    assert_int_equal(prom_unit_by_name("req/s"), PROM_UNIT_REQPS);
    assert_int_equal(prom_unit_by_name("ratio"), PROM_UNIT_RATIO);
    assert_int_equal(prom_unit_by_name("%"), PROM_UNIT_PERCENT);
    assert_int_equal(prom_unit_by_name("S"), PROM_N_UNITS);
    assert_int_equal(prom_unit_by_name(NULL), PROM_N_UNITS);
    for (int u = 0; u < PROM_N_UNITS; u++)
        assert_int_equal(prom_unit_by_name(prom_unit_name((prom_unit_t)u)), u);
    assert_string_equal(prom_unit_name(PROM_N_UNITS), "?");
}

static void test_units_format(void **state)
{
    (void)state;
    static const struct { prom_unit_t u; double v; const char *s; } t[] = {
        { PROM_UNIT_REQPS, 0, "0 req/s" },
        { PROM_UNIT_REQPS, 12.345, "12.3 req/s" },
        { PROM_UNIT_REQPS, 1234, "1.23k req/s" },
        { PROM_UNIT_REQPS, 999.6, "1k req/s" },
        { PROM_UNIT_REQPS, 0.25, "0.25 req/s" },
        { PROM_UNIT_REQPS, 0.0123, "0.0123 req/s" },
        { PROM_UNIT_REQPS, 0.00002, "2e-05 req/s" },
        { PROM_UNIT_REQPS, 5684.25, "5.68k req/s" },
        { PROM_UNIT_REQPS, 2.5e6, "2.5M req/s" },
        { PROM_UNIT_OPSPS, 99.96, "100 ops/s" },
        { PROM_UNIT_OPSPS, 9.996, "10 ops/s" },
        { PROM_UNIT_OPSPS, -3.5, "-3.5 ops/s" },
        { PROM_UNIT_COUNT, 200, "200" },
        { PROM_UNIT_COUNT, 4056, "4.06k" },
        { PROM_UNIT_NONE, 1.7976931348623157e308, "1.8e+308" },
        { PROM_UNIT_SECONDS, 86400 * 2e5, "1.73e+10 s" },
        { PROM_UNIT_PERCENT, 2e6, "2e+06 %" },
        { PROM_UNIT_SECONDS, 0, "0 s" },
        { PROM_UNIT_SECONDS, 0.000000250, "250 ns" },
        { PROM_UNIT_SECONDS, 0.0000125, "12.5 µs" },
        { PROM_UNIT_SECONDS, 0.00123, "1.23 ms" },
        { PROM_UNIT_SECONDS, 0.25, "250 ms" },
        { PROM_UNIT_SECONDS, 0.9996, "1 s" },
        { PROM_UNIT_SECONDS, 1.5, "1.5 s" },
        { PROM_UNIT_SECONDS, 59.99, "1 min" },
        { PROM_UNIT_SECONDS, 90, "1.5 min" },
        { PROM_UNIT_SECONDS, 3600 * 3.2, "3.2 h" },
        { PROM_UNIT_SECONDS, 86400 * 12, "12 d" },
        { PROM_UNIT_SECONDS, 1e-12, "0.001 ns" },
        { PROM_UNIT_MILLIS, 250, "250 ms" },
        { PROM_UNIT_MILLIS, 1500, "1.5 s" },
        { PROM_UNIT_PERCENT, 99.2, "99.2 %" },
        { PROM_UNIT_PERCENT, 0, "0 %" },
        { PROM_UNIT_RATIO, 0.9921, "99.2 %" },
        { PROM_UNIT_RATIO, 1, "100 %" },
        { PROM_UNIT_RATIO, 0.00005, "0.005 %" },
        { PROM_UNIT_BYTES, 0, "0 B" },
        { PROM_UNIT_BYTES, 512, "512 B" },
        { PROM_UNIT_BYTES, 1536, "1.5 KiB" },
        { PROM_UNIT_BYTES, 67108864, "64 MiB" },
        { PROM_UNIT_BYTES, 1023.9 * 1048576, "1 GiB" },
        { PROM_UNIT_BYTES, 1000 * 1048576.0, "0.977 GiB" },
        { PROM_UNIT_BYTES, 5.5 * 1073741824.0, "5.5 GiB" },
        { PROM_UNIT_BPS, 2048, "2 KiB/s" },
        { PROM_UNIT_REQPS, NAN, "NaN" },
        { PROM_UNIT_SECONDS, INFINITY, "+Inf" },
        { PROM_UNIT_RATIO, -INFINITY, "-Inf" },
        { PROM_UNIT_BYTES, NAN, "NaN" },
    };
    char buf[64];
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        prom_format(t[i].v, t[i].u, buf, sizeof buf);
        if (strcmp(buf, t[i].s))
            fail_msg("case %zu: %g %s -> \"%s\", expected \"%s\"", i, t[i].v, prom_unit_name(t[i].u), buf, t[i].s);
    }
    /* a short buffer is cut, not overrun */
    char tiny[4];
    prom_format(12345, PROM_UNIT_REQPS, tiny, sizeof tiny);
    assert_string_equal(tiny, "12.");
}

/* ---- steps and durations ---- */

static void test_steps(void **state)
{
    (void)state;
    static const struct { double range; int width; double step; } t[] = {
        { 300, 60, 5 },        /* 5m on 60 cells: 2.5 s -> 5 s */
        { 300, 150, 1 },       /* finer than the scrape interval: 1 s */
        { 900, 60, 10 },       /* 15m: 7.5 -> 10 */
        { 3600, 60, 30 },      /* 1h: 30 */
        { 3600, 70, 30 },      /* 25.7 -> 30 */
        { 6 * 3600, 60, 300 }, /* 6h: 180 -> 300 */
        { 86400, 60, 900 },    /* 24h: 720 -> 900 */
        { 86400, 80, 600 },    /* 540 -> 600 */
        { 7 * 86400, 40, 10800 },
        { 365 * 86400.0, 10, 19 * 86400 }, /* 18.25 days -> whole days */
        { 0, 10, 1 },
        { -5, 10, 1 },
        { 60, 0, 30 },         /* width 0 counts as 1 cell */
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        double s = prom_step_for(t[i].range, t[i].width);
        if (s != t[i].step)
            fail_msg("case %zu: range %g width %d -> %g, expected %g", i, t[i].range, t[i].width, s, t[i].step);
        assert_true(t[i].range / s <= 2.0 * (t[i].width < 1 ? 1 : t[i].width) + 1e-9 || s == 1);
    }
    assert_true(prom_step_for_points(300, 120, 15) == 15); /* never below the scrape interval */
    assert_true(prom_step_for_points(300, 120, 0) == 5);  /* 0: the default 1 s */
    assert_true(prom_step_for_points(NAN, 10, 1) == 1);
    assert_true(prom_rate_interval(5, 1) == 6);
    assert_true(prom_rate_interval(1, 1) == 4);
    assert_true(prom_rate_interval(30, 15) == 60);
    assert_true(prom_rate_interval(300, 15) == 315);
    assert_true(prom_rate_interval(0, 0) == 4);
}

static void test_durations(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(prom_duration(90, b, sizeof b), "1m30s");
    assert_string_equal(prom_duration(3600, b, sizeof b), "1h");
    assert_string_equal(prom_duration(0.5, b, sizeof b), "500ms");
    assert_string_equal(prom_duration(86401, b, sizeof b), "1d1s");
    assert_string_equal(prom_duration(6, b, sizeof b), "6s");
    assert_string_equal(prom_duration(0, b, sizeof b), "0s");
    assert_string_equal(prom_duration(NAN, b, sizeof b), "0s");
    double s;
    assert_true(prom_parse_duration("5m", &s) && s == 300);
    assert_true(prom_parse_duration("1h30m", &s) && s == 5400);
    assert_true(prom_parse_duration("250ms", &s) && s == 0.25);
    assert_true(prom_parse_duration("2d", &s) && s == 172800);
    assert_true(prom_parse_duration("90", &s) && s == 90);
    assert_true(prom_parse_duration("1.5", &s) && s == 1.5);
    assert_false(prom_parse_duration("", &s));
    assert_false(prom_parse_duration("5x", &s));
    assert_false(prom_parse_duration("m5", &s));
    assert_false(prom_parse_duration("-5m", &s));
    assert_false(prom_parse_duration("99999999999999d", &s));
    for (double d = 0.001; d < 1e7; d *= 3.7) { /* round trip */
        prom_duration(d, b, sizeof b);
        assert_true(prom_parse_duration(b, &s));
        assert_true(fabs(s - round(d * 1000) / 1000) < 1e-6);
    }
}

/* ---- the client, on a real loop against a tiny HTTP server ---- */

typedef struct srv_conn {
    uv_tcp_t tcp;
    char req[8192];
    size_t len;
    bool answered;
    struct server *srv;
} srv_conn_t;

typedef struct server {
    uv_tcp_t listener;
    int port;
    char last_head[8192]; /* the last request head */
    int requests;
    srv_conn_t *hanging;  /* a connection we never answer */
} server_t;

static void conn_closed(uv_handle_t *h)
{
    free(h->data);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    srv_conn_t *c = h->data;
    buf->base = c->req + c->len;
    buf->len = sizeof c->req - 1 - c->len;
}

static void written(uv_write_t *w, int status)
{
    (void)status;
    uv_close((uv_handle_t *)w->handle, conn_closed);
    free(w->data);
    free(w);
}

static void respond(srv_conn_t *c, int code, const char *ctype, const char *body, size_t blen)
{
    char *msg = malloc(blen + 256);
    int n = sprintf(msg, "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                    code, ctype, blen);
    memcpy(msg + n, body, blen);
    uv_write_t *w = malloc(sizeof *w);
    w->data = msg;
    uv_buf_t b = uv_buf_init(msg, (unsigned)(n + (int)blen));
    uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, written);
    c->answered = true;
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    srv_conn_t *c = s->data;
    if (nread < 0) {
        if (!c->answered && c->srv->hanging != c)
            uv_close((uv_handle_t *)s, conn_closed);
        return;
    }
    c->len += (size_t)nread;
    c->req[c->len] = '\0';
    if (c->answered || !strstr(c->req, "\r\n\r\n"))
        return;
    server_t *srv = c->srv;
    snprintf(srv->last_head, sizeof srv->last_head, "%s", c->req);
    srv->requests++;
    const char *path = strchr(c->req, ' ') + 1;
    size_t len;
    if (strstr(path, "query=slow")) {
        srv->hanging = c; /* never answered: the client's timeout must fire */
        return;
    }
    if (strstr(path, "query=up")) {
        char *body = slurp("vector_up.json", &len);
        respond(c, 200, "application/json", body, len);
        free(body);
    } else if (strstr(path, "query_range")) {
        char *body = slurp("matrix_rate.json", &len);
        respond(c, 200, "application/json", body, len);
        free(body);
    } else if (strstr(path, "query=sum%28rate%28up%5B5m%5D%29")) {
        char *body = slurp("error_bad_data.json", &len);
        respond(c, 400, "application/json", body, len);
        free(body);
    } else if (strstr(path, "query=garbage")) {
        respond(c, 200, "application/json", "{\"status\":\"succ", 15);
    } else
        respond(c, 502, "text/html", "<html>Bad Gateway</html>", 24);
}

static void on_conn(uv_stream_t *l, int status)
{
    assert_int_equal(status, 0);
    srv_conn_t *c = calloc(1, sizeof *c);
    c->srv = l->data;
    uv_tcp_init(l->loop, &c->tcp);
    c->tcp.data = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
}

static void server_start(uv_loop_t *loop, server_t *srv)
{
    memset(srv, 0, sizeof *srv);
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    assert_int_equal(uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&srv->listener, 16, on_conn), 0);
    struct sockaddr_in got;
    int n = sizeof got;
    uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&got, &n);
    srv->port = ntohs(got.sin_port);
}

static void server_stop(server_t *srv)
{
    if (srv->hanging)
        uv_close((uv_handle_t *)&srv->hanging->tcp, conn_closed);
    uv_close((uv_handle_t *)&srv->listener, NULL);
}

typedef struct outcome {
    int calls;
    prom_status_t status;
    size_t n_series, n_points;
    long http;
    char msg[512];
} outcome_t;

static void on_result(prom_query_t *q, const prom_result_t *r, void *ud)
{
    (void)q;
    outcome_t *o = ud;
    o->calls++;
    o->status = r->status;
    o->n_series = r->n_series;
    o->n_points = r->n_series ? r->series[0].n_points : 0;
    o->http = r->http_status;
    prom_result_message(r, o->msg, sizeof o->msg);
}

static void run_until(uv_loop_t *loop, const outcome_t *o, int calls)
{
    for (int i = 0; i < 100000 && o->calls < calls; i++)
        uv_run(loop, UV_RUN_ONCE);
    assert_int_equal(o->calls, calls);
}

static void test_client_paths(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[256];
    prom_client_opts_t o = { .url = "http://127.0.0.1:9090/prom/" };
    prom_client_t *c = prom_client_new(&loop, &o, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(prom_client_describe(c), "http://127.0.0.1:9090/prom");
    char *p = prom_client_path(c, "query", "query=up");
    assert_string_equal(p, "http://127.0.0.1:9090/prom/api/v1/query?query=up");
    free(p);
    prom_client_free(c);

    http_endpoint_t ep = { .server = "https://127.0.0.1:6443" };
    http_client_t *kube = http_client_new(&loop, &ep, true);
    prom_client_opts_t po = { .kube = kube, .proxy_namespace = "monitoring", .proxy_service = "prometheus",
                              .proxy_port = "9090" };
    c = prom_client_new(&loop, &po, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(prom_client_describe(c), "service proxy monitoring/prometheus:9090");
    p = prom_client_path(c, "query_range", "query=x&step=5");
    assert_string_equal(p, "/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query_range"
                           "?query=x&step=5");
    free(p);
    prom_client_free(c);

    po.proxy_service = "https:prometheus";
    po.proxy_port = NULL;
    c = prom_client_new(&loop, &po, err, sizeof err);
    p = prom_client_path(c, "query", NULL);
    assert_string_equal(p, "/api/v1/namespaces/monitoring/services/https:prometheus/proxy/api/v1/query");
    free(p);
    prom_client_free(c);

    po.proxy_namespace = "mon/../kube-system"; /* never into a path */
    assert_null(prom_client_new(&loop, &po, err, sizeof err));
    assert_non_null(strstr(err, "service proxy needs"));
    prom_client_opts_t bad = { .url = "ftp://x" };
    assert_null(prom_client_new(&loop, &bad, err, sizeof err));
    assert_non_null(strstr(err, "http:// or https://"));
    prom_client_opts_t none = { 0 };
    assert_null(prom_client_new(&loop, &none, err, sizeof err));
    assert_non_null(strstr(err, "no Prometheus URL"));

    char *e = prom_urlencode("sum(rate(x{a=~\"b.*\"}[5m])) / 2 & é");
    assert_string_equal(e, "sum%28rate%28x%7Ba%3D~%22b.%2A%22%7D%5B5m%5D%29%29%20%2F%202%20%26%20%C3%A9");
    free(e);

    http_client_free(kube);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_client_direct(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    server_t srv;
    server_start(&loop, &srv);
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
    prom_client_opts_t o = { .url = url, .bearer_token = "s3cret", .timeout_ms = 300, .read_only = true };
    prom_client_t *c = prom_client_new(&loop, &o, err, sizeof err);
    assert_non_null(c);

    outcome_t a = { 0 };
    assert_non_null(prom_query(c, "up", 0, on_result, &a));
    assert_int_equal(prom_client_in_flight(c), 1);
    run_until(&loop, &a, 1);
    assert_int_equal(a.status, PROM_OK);
    assert_int_equal(a.n_series, 4);
    assert_non_null(strstr(srv.last_head, "GET /api/v1/query?query=up HTTP/1.1\r\n"));
    assert_non_null(strstr(srv.last_head, "Authorization: Bearer s3cret\r\n"));
    assert_non_null(strstr(srv.last_head, "Accept: application/json\r\n"));
    assert_int_equal(prom_client_in_flight(c), 0);

    outcome_t b = { 0 };
    assert_non_null(prom_query_range(c, "rate(x[5s])", 1795300251, 1795300271, 2, on_result, &b));
    run_until(&loop, &b, 1);
    assert_int_equal(b.status, PROM_OK);
    assert_int_equal(b.n_points, 11);
    assert_non_null(strstr(srv.last_head, "GET /api/v1/query_range?query=rate%28x%5B5s%5D%29&start=1795300251.000"
                                          "&end=1795300271.000&step=2 HTTP/1.1"));

    outcome_t e = { 0 };
    prom_query(c, "sum(rate(up[5m])", 1700000000.5, on_result, &e);
    run_until(&loop, &e, 1);
    assert_int_equal(e.status, PROM_API);
    assert_int_equal(e.http, 400);
    assert_string_equal(e.msg, "query error (bad_data): invalid parameter \"query\": 1:17: parse error: unclosed "
                               "left parenthesis");
    assert_non_null(strstr(srv.last_head, "&time=1700000000.500 "));

    outcome_t g = { 0 };
    prom_query(c, "garbage", 0, on_result, &g);
    run_until(&loop, &g, 1);
    assert_int_equal(g.status, PROM_MALFORMED);

    outcome_t h = { 0 };
    prom_query(c, "other", 0, on_result, &h);
    run_until(&loop, &h, 1);
    assert_int_equal(h.status, PROM_HTTP);
    assert_string_equal(h.msg, "HTTP 502: <html>Bad Gateway</html>");

    outcome_t t = { 0 };
    prom_query(c, "slow", 0, on_result, &t);
    run_until(&loop, &t, 1);
    assert_int_equal(t.status, PROM_TIMEOUT);
    char expect[128];
    snprintf(expect, sizeof expect, "Prometheus timed out: no answer within 0.3 s from %s", url);
    assert_string_equal(t.msg, expect);

    /* a cancelled query never calls back */
    outcome_t x = { 0 };
    prom_query_t *q = prom_query(c, "up", 0, on_result, &x);
    prom_query_cancel(q);
    assert_int_equal(prom_client_in_flight(c), 0);
    /* and freeing the client with queries in flight cancels them */
    prom_query(c, "up", 0, on_result, &x);
    prom_query(c, "slow", 0, on_result, &x);
    prom_client_free(c);
    for (int i = 0; i < 50; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(x.calls, 0);

    /* basic auth */
    prom_client_opts_t ba = { .url = url, .username = "admin", .password = "pw" };
    c = prom_client_new(&loop, &ba, err, sizeof err);
    outcome_t y = { 0 };
    prom_query(c, "up", 0, on_result, &y);
    run_until(&loop, &y, 1);
    assert_non_null(strstr(srv.last_head, "Authorization: Basic YWRtaW46cHc=\r\n"));
    prom_client_free(c);

    server_stop(&srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_client_proxy_and_refused(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    server_t srv;
    server_start(&loop, &srv);
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
    /* the "API server" is our server: the query goes to the service proxy path */
    http_endpoint_t ep = { .server = url };
    http_client_t *kube = http_client_new(&loop, &ep, true);
    prom_client_opts_t po = { .kube = kube, .proxy_namespace = "monitoring", .proxy_service = "prometheus",
                              .proxy_port = "9090" };
    prom_client_t *c = prom_client_new(&loop, &po, err, sizeof err);
    outcome_t a = { 0 };
    prom_query(c, "up", 0, on_result, &a);
    run_until(&loop, &a, 1);
    assert_int_equal(a.status, PROM_OK);
    assert_non_null(strstr(srv.last_head, "GET /api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/"
                                          "query?query=up HTTP/1.1"));
    prom_client_free(c);
    http_client_free(kube);
    server_stop(&srv);
    uv_run(&loop, UV_RUN_DEFAULT);

    /* nothing listens there any more */
    prom_client_opts_t o = { .url = url, .timeout_ms = 2000 };
    c = prom_client_new(&loop, &o, err, sizeof err);
    outcome_t r = { 0 };
    prom_query(c, "up", 0, on_result, &r);
    run_until(&loop, &r, 1);
    assert_int_equal(r.status, PROM_TRANSPORT);
    assert_int_equal(strncmp(r.msg, "Prometheus unreachable: ", 24), 0);
    assert_non_null(strstr(r.msg, url));
    prom_client_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_vector),
        cmocka_unit_test(test_decode_matrix),
        cmocka_unit_test(test_decode_special_values),
        cmocka_unit_test(test_decode_empty),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_warnings),
        cmocka_unit_test(test_decode_malformed),
        cmocka_unit_test(test_decode_truncated),
        cmocka_unit_test(test_decode_deep_and_huge),
        cmocka_unit_test(test_decode_mutations),
        cmocka_unit_test(test_units_names),
        cmocka_unit_test(test_units_format),
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_client_paths),
        cmocka_unit_test(test_client_direct),
        cmocka_unit_test(test_client_proxy_and_refused),
    };
    return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}

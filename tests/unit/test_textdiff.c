/* textdiff: diff correctness (edge cases, and applying every diff gives the new text back),
 * hunks and context, speed and boundedness on large inputs, YAML rendering, and the
 * live-vs-desired preparation that hides what the API server adds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kdeck/descriptor.h"
#include "kdeck/textdiff.h"

#define DATA "tests/unit/data/descriptor/"

static textdiff_t *diff(const char *a, const char *b, int ctx)
{
    textdiff_t *d = textdiff_new(a, a ? strlen(a) : 0, b, b ? strlen(b) : 0, ctx);
    assert_non_null(d);
    return d;
}

static char *unified(const char *a, const char *b, int ctx)
{
    textdiff_t *d = diff(a, b, ctx);
    char *s = textdiff_unified(d, "a", "b");
    textdiff_free(d);
    return s;
}

/* Rebuilds the new text from the old one and a whole-file diff: proves the edit script. */
static void check_applies(const char *a, const char *b)
{
    textdiff_t *d = diff(a, b, -1);
    size_t cap = strlen(b) + 2, n = 0;
    char *out = malloc(cap);
    for (size_t i = 0; i < d->n_lines; i++) {
        const textdiff_line_t *l = &d->lines[i];
        if (l->tag == '-')
            continue;
        memcpy(out + n, l->text, l->len);
        n += l->len;
        out[n++] = '\n';
    }
    out[n] = '\0';
    /* a whole-file diff of equal texts has no hunks: nothing to rebuild */
    const char *want = d->n_hunks ? b : "";
    size_t wl = strlen(want);
    if (wl && want[wl - 1] != '\n')
        assert_true(n == wl + 1 && !strncmp(out, want, wl));
    else
        assert_string_equal(out, want);
    /* old side: every ' ' and '-' line in order is the old text */
    size_t old_lines = 0;
    for (size_t i = 0; i < d->n_lines; i++)
        if (d->lines[i].tag != '+')
            assert_int_equal(d->lines[i].old_no, ++old_lines);
    free(out);
    textdiff_free(d);
}

static void test_edge_cases(void **state)
{
    (void)state;
    char *s = unified("", "", 3);
    assert_string_equal(s, "");
    free(s);
    s = unified(NULL, NULL, 3);
    assert_string_equal(s, "");
    free(s);
    s = unified("a\nb\n", "a\nb\n", 3);
    assert_string_equal(s, "");
    free(s);
    s = unified("", "x\ny\n", 3);
    assert_string_equal(s, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    free(s);
    s = unified("x\ny\n", "", 3);
    assert_string_equal(s, "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n");
    free(s);
    s = unified("a\nb\nc\n", "x\ny\nz\n", 3);      /* all changed */
    assert_string_equal(s, "--- a\n+++ b\n@@ -1,3 +1,3 @@\n-a\n-b\n-c\n+x\n+y\n+z\n");
    free(s);
    s = unified("a\nb\nc\n", "a\nB\nc\n", 3);
    assert_string_equal(s, "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    free(s);
    s = unified("a\nb", "a\nb\n", 3);                /* the last line without '\n' is a line */
    assert_string_equal(s, "");
    free(s);
    s = unified("a\n\nb\n", "a\nb\n", 0);
    assert_string_equal(s, "--- a\n+++ b\n@@ -2,1 +1,0 @@\n-\n");
    free(s);
    textdiff_t *d = diff("1\n2\n3\n", "1\n2\n3\n4\n", 3);
    assert_int_equal(d->added, 1);
    assert_int_equal(d->removed, 0);
    assert_int_equal(d->n_hunks, 1);
    assert_int_equal(d->lines[3].new_no, 4);
    assert_int_equal(d->lines[3].old_no, 0);
    textdiff_free(d);
}

static void test_hunks_and_context(void **state)
{
    (void)state;
    char a[4096] = "", b[4096] = "";
    for (int i = 1; i <= 30; i++) {
        snprintf(a + strlen(a), sizeof a - strlen(a), "line %d\n", i);
        snprintf(b + strlen(b), sizeof b - strlen(b), "line %d%s\n", i, i == 5 || i == 25 ? "!" : "");
    }
    textdiff_t *d = diff(a, b, 3);
    assert_int_equal(d->n_hunks, 2);
    assert_int_equal(d->hunks[0].old_start, 2);
    assert_int_equal(d->hunks[0].old_count, 7);
    assert_int_equal(d->hunks[1].new_start, 22);
    textdiff_free(d);
    d = diff(a, b, 10);                           /* gap of 19 ≤ 2×10: one hunk */
    assert_int_equal(d->n_hunks, 1);
    textdiff_free(d);
    d = diff(a, b, -1);                           /* whole file */
    assert_int_equal(d->n_hunks, 1);
    assert_int_equal(d->n_lines, 32);
    textdiff_free(d);
    char *s = unified(a, b, 1);
    assert_string_equal(s, "--- a\n+++ b\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+line 5!\n line 6\n"
                           "@@ -24,3 +24,3 @@\n line 24\n-line 25\n+line 25!\n line 26\n");
    free(s);
}

static void test_minimal_and_applies(void **state)
{
    (void)state;
    /* the classic Myers example: ABCABBA → CBABAC has 5 edits */
    textdiff_t *d = diff("A\nB\nC\nA\nB\nB\nA\n", "C\nB\nA\nB\nA\nC\n", -1);
    assert_int_equal(d->added + d->removed, 5);
    assert_false(d->approximate);
    textdiff_free(d);
    check_applies("A\nB\nC\nA\nB\nB\nA\n", "C\nB\nA\nB\nA\nC\n");
    /* pseudo-random texts over a small alphabet: the diff always rebuilds the new text */
    unsigned seed = 12345;
    for (int round = 0; round < 300; round++) {
        char a[600] = "", b[600] = "";
        int na = (int)((seed = seed * 1103515245 + 12345) >> 16) % 40;
        int nb = (int)((seed = seed * 1103515245 + 12345) >> 16) % 40;
        for (int i = 0; i < na; i++)
            snprintf(a + strlen(a), sizeof a - strlen(a), "%c\n", 'a' + (int)((seed = seed * 1103515245 + 12345) >> 16) % 5);
        for (int i = 0; i < nb; i++)
            snprintf(b + strlen(b), sizeof b - strlen(b), "%c\n", 'a' + (int)((seed = seed * 1103515245 + 12345) >> 16) % 5);
        check_applies(a, b);
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *big_text(int n, int variant)
{
    char *s = malloc((size_t)n * 40 + 1), *o = s;
    unsigned seed = 7;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245 + 12345;
        switch (variant) {
        case 0: o += sprintf(o, "  key%d: value %d\n", i, i); break;
        case 1: o += sprintf(o, "  key%d: value %d%s\n", i, i, i % 10 == 3 ? " changed" : ""); break;
        case 2: o += sprintf(o, "other %d\n", i); break;
        default: o += sprintf(o, "line %u\n", (seed >> 16) % 50); break;   /* few distinct lines */
        }
    }
    *o = '\0';
    return s;
}

static void timed(const char *what, const char *a, const char *b, double limit_ms)
{
    double t0 = now_ms();
    textdiff_t *d = diff(a, b, 3);
    double ms = now_ms() - t0;
    print_message("%s: %.1f ms, +%zu -%zu%s\n", what, ms, d->added, d->removed,
                  d->approximate ? " (approximate)" : "");
    textdiff_free(d);
    if (ms > limit_ms)
        fail_msg("%s took %.1f ms (limit %.0f)", what, ms, limit_ms);
    check_applies(a, b);
}

static void test_large_inputs(void **state)
{
    (void)state;
    /* generous limits: valgrind and sanitizers run this too; plain -O2 is well under 100 ms */
    double limit = getenv("KDECK_SLOW") ? 20000 : 2000;
    char *a = big_text(10000, 0), *b = big_text(10000, 1), *c = big_text(10000, 2);
    char *r1 = big_text(10000, 3), *r2 = big_text(10000, 3);
    r2[0] = 'X';                                      /* same few lines, slightly different */
    char *shuffled = big_text(10000, 3);
    for (char *p = shuffled; *p; p++)                 /* a different mix of the same lines */
        if (*p >= '0' && *p <= '9')
            *p = (char)('0' + (*p - '0' + 3) % 10);
    timed("identical", a, a, limit);
    timed("every 10th line changed", a, b, limit);
    timed("all changed", a, c, limit);
    timed("few distinct lines, one change", r1, r2, limit);
    timed("few distinct lines, shuffled", r1, shuffled, limit);
    free(a);
    free(b);
    free(c);
    free(r1);
    free(r2);
    free(shuffled);
}

/* ---- YAML ---- */

static void test_yaml_rendering(void **state)
{
    (void)state;
    cJSON *o = cJSON_Parse("{\"spec\":{\"a\":1},\"zeta\":true,\"kind\":\"Service\",\"metadata\":{\"name\":\"x\","
                           "\"labels\":{}},\"apiVersion\":\"v1\",\"list\":[{\"name\":\"p\",\"port\":80,"
                           "\"tags\":[\"a\",\"b\"]},\"s\",[1,2],[]],\"strs\":[\"8080\",\"true\",\"\",\"a: b\","
                           "\"-\",\"- x\",\"ok-value\",\"#c\",\"line\\nbreak\",\"x #y\",\"null\",\"1.5e3\",\"@x\"],"
                           "\"n\":null,\"f\":1.25}");
    char *y = textdiff_yaml(o);
    assert_string_equal(y,
                        "apiVersion: v1\n"
                        "kind: Service\n"
                        "metadata:\n"
                        "  name: x\n"
                        "  labels: {}\n"
                        "spec:\n"
                        "  a: 1\n"
                        "zeta: true\n"
                        "list:\n"
                        "- name: p\n"
                        "  port: 80\n"
                        "  tags:\n"
                        "  - a\n"
                        "  - b\n"
                        "- s\n"
                        "-\n"
                        "  - 1\n"
                        "  - 2\n"
                        "- []\n"
                        "strs:\n"
                        "- \"8080\"\n"
                        "- \"true\"\n"
                        "- \"\"\n"
                        "- \"a: b\"\n"
                        "- \"-\"\n"
                        "- \"- x\"\n"
                        "- ok-value\n"
                        "- \"#c\"\n"
                        "- \"line\\nbreak\"\n"
                        "- \"x #y\"\n"
                        "- \"null\"\n"
                        "- \"1.5e3\"\n"
                        "- \"@x\"\n"
                        "\"n\": null\n"   /* YAML 1.1 reads a bare n as false */
                        "f: 1.25\n");
    free(y);
    cJSON_Delete(o);
}

static cJSON *load_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    cJSON *j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    return j;
}

static cJSON *example_object(const char *kind)
{
    descriptor_t *d = descriptor_load(DATA "back.json", NULL);
    assert_non_null(d);
    cJSON *o = !strcmp(kind, "Deployment") ? descriptor_deployment(d, NULL) : descriptor_service(d, NULL);
    descriptor_free(d);
    return o;
}

static void test_live_vs_desired(void **state)
{
    (void)state;
    /* the live object is what kdeck applied, as the API server returns it (keys even sorted) */
    cJSON *desired = example_object("Deployment"), *live = load_json(DATA "back-live-deployment.json");
    textdiff_t *d = textdiff_objects(desired, live, 3);
    char *u = textdiff_unified(d, "live", "desired");
    if (d->n_hunks)
        fail_msg("expected no difference, got:\n%s", u);
    free(u);
    textdiff_free(d);

    /* the prepared copy has none of the server's fields */
    cJSON *p = textdiff_live_prepare(live, desired);
    char *y = textdiff_yaml(p);
    static const char *const gone[] = {"status", "uid", "resourceVersion", "generation",
                                       "creationTimestamp", "managedFields", "deployment.kubernetes.io/revision",
                                       "terminationMessagePath", "imagePullPolicy", "dnsPolicy",
                                       "schedulerName", "securityContext", "revisionHistoryLimit",
                                       "progressDeadlineSeconds", "strategy", "scheme", "protocol"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        char key[80];
        snprintf(key, sizeof key, " %s:", gone[i]);
        if (strstr(y, key) || !strncmp(y, key + 1, strlen(key + 1)))
            fail_msg("%s left in:\n%s", gone[i], y);
    }
    free(y);
    cJSON_Delete(p);

    /* a real change shows, and a default the desired side sets explicitly is compared */
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(live, "spec");
    cJSON_ReplaceItemInObject(spec, "replicas", cJSON_CreateNumber(5));
    cJSON_ReplaceItemInObject(spec, "revisionHistoryLimit", cJSON_CreateNumber(3));   /* not a default */
    cJSON *dspec = cJSON_GetObjectItemCaseSensitive(desired, "spec");
    cJSON_AddNumberToObject(dspec, "progressDeadlineSeconds", 900);
    d = textdiff_objects(desired, live, 0);
    u = textdiff_unified(d, "live", "desired");
    assert_string_equal(u, "--- live\n+++ desired\n"
                           "@@ -14,1 +14,1 @@\n-  replicas: 5\n+  replicas: 2\n"
                           "@@ -63,2 +63,1 @@\n-  progressDeadlineSeconds: 600\n-  revisionHistoryLimit: 3\n"
                           "+  progressDeadlineSeconds: 900\n");
    free(u);
    textdiff_free(d);
    cJSON_Delete(desired);
    cJSON_Delete(live);

    /* Service: clusterIP, ipFamilies, type and friends are the server's */
    desired = example_object("Service");
    live = load_json(DATA "back-live-service.json");
    d = textdiff_objects(desired, live, 3);
    u = textdiff_unified(d, "live", "desired");
    if (d->n_hunks)
        fail_msg("expected no difference, got:\n%s", u);
    free(u);
    textdiff_free(d);

    /* not created yet: everything is added */
    d = textdiff_objects(desired, NULL, 3);
    assert_int_equal(d->removed, 0);
    assert_true(d->added > 10);
    textdiff_free(d);
    cJSON_Delete(desired);
    cJSON_Delete(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_hunks_and_context),
        cmocka_unit_test(test_minimal_and_applies),
        cmocka_unit_test(test_large_inputs),
        cmocka_unit_test(test_yaml_rendering),
        cmocka_unit_test(test_live_vs_desired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

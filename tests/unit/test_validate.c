/* validate: every validator against the edge cases of Kubernetes' own rules, quantity values and
 * comparisons, and the rules between descriptor fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/validate.h"

typedef struct vcase { const char *in; bool ok; } vcase_t;

static void run_cases(const char *what, const char *(*fn)(const char *), const vcase_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *msg = fn(c[i].in);
        if ((msg == NULL) != c[i].ok)
            fail_msg("%s(\"%s\"): expected %s, got %s", what, c[i].in ? c[i].in : "(null)",
                     c[i].ok ? "valid" : "invalid", msg ? msg : "valid");
    }
}

#define RUN(fn, cases) run_cases(#fn, fn, cases, sizeof cases / sizeof cases[0])

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_dns_label(void **state)
{
    (void)state;
    char *l63 = repeat('a', 63), *l64 = repeat('a', 64);
    vcase_t c[] = {
        {"a", true}, {"back", true}, {"my-app-2", true}, {"0abc", true}, {"123", true},
        {"a-b-c", true}, {l63, true}, {l64, false}, {"", false}, {NULL, false},
        {"-a", false}, {"a-", false}, {"A", false}, {"my_app", false}, {"my.app", false},
        {"a b", false}, {"é", false}, {"a--b", true},
    };
    RUN(validate_dns_label, c);
    vcase_t c1035[] = {
        {"back", true}, {"a1", true}, {"1a", false}, {"-a", false}, {"a-", false}, {l63, true},
        {l64, false}, {"Back", false}, {"", false}, {"b.c", false},
    };
    RUN(validate_dns1035_label, c1035);
    free(l63);
    free(l64);
}

static void test_dns_subdomain(void **state)
{
    (void)state;
    char *long_ok = malloc(254), *long_bad = malloc(255);
    /* 253 characters of "a.a.a..." (labels of one char) */
    for (int i = 0; i < 253; i++)
        long_ok[i] = i % 2 ? '.' : 'a';
    long_ok[253] = '\0';
    memcpy(long_bad, long_ok, 253);
    long_bad[253] = 'a';   /* 254, still well-formed ("…a.aa"): too long only */
    long_bad[252] = 'a';
    long_bad[254] = '\0';
    vcase_t c[] = {
        {"example.com", true}, {"app-db-mysql", true}, {"a.b.c", true}, {"0.0", true},
        {long_ok, true}, {long_bad, false}, {"", false}, {".a", false}, {"a.", false},
        {"a..b", false}, {"a.-b", false}, {"a-.b", false}, {"A.com", false}, {"a_b.com", false},
        {"a b", false},
    };
    RUN(validate_dns_subdomain, c);
    free(long_ok);
    free(long_bad);
}

static void test_label_key_value(void **state)
{
    (void)state;
    char *n63 = repeat('x', 63), *n64 = repeat('x', 64);
    char k63[80], k64[80];
    snprintf(k63, sizeof k63, "example.com/%s", n63);
    snprintf(k64, sizeof k64, "example.com/%s", n64);
    vcase_t keys[] = {
        {"app", true}, {"App_Name.v2", true}, {"app.kubernetes.io/name", true}, {k63, true},
        {"a", true}, {"1", true}, {k64, false}, {n64, false}, {"", false}, {"/name", false},
        {"example.com/", false}, {"a/b/c", false}, {"Example.com/name", false},
        {"-app", false}, {"app-", false}, {"_app", false}, {"app name", false},
        {"exa_mple.com/x", false},
    };
    RUN(validate_label_key, keys);
    vcase_t values[] = {
        {"", true}, {"1.0.0", true}, {"v1_beta-2", true}, {"A", true}, {n63, true},
        {n64, false}, {"-1", false}, {"1.0.", false}, {"a b", false}, {"a/b", false},
        {"_x", false}, {"x:y", false},
    };
    RUN(validate_label_value, values);
    free(n63);
    free(n64);
}

static void test_env_and_config_keys(void **state)
{
    (void)state;
    vcase_t env[] = {
        {"RDS_HOST", true}, {"_x", true}, {"a.b", true}, {"my-var", true}, {"-x", true},
        {".x", true}, {"X1", true}, {"1X", false}, {"", false}, {"A B", false}, {"A=B", false},
        {"é", false}, {"A$", false},
    };
    RUN(validate_env_name, env);
    vcase_t keys[] = {
        {"password", true}, {"root-password", true}, {"tls.crt", true}, {"A_b", true},
        {".", false}, {"..", false}, {"", false}, {"a/b", false}, {"a b", false}, {"..a", true},
    };
    RUN(validate_config_key, keys);
}

static void test_image(void **state)
{
    (void)state;
    char digest[128], bad_digest[128];
    snprintf(digest, sizeof digest, "registry.local/app/back:1.0.0@sha256:%s",
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    snprintf(bad_digest, sizeof bad_digest, "back@sha256:%s", "0123456789abcdef");
    vcase_t c[] = {
        {"nginx", true}, {"nginx:1.25", true}, {"library/nginx:latest", true},
        {"registry.local/app/back:1.0.0", true}, {"localhost:5000/app:dev", true},
        {"localhost/app", true}, {"gcr.io/project/app_name__x:v1.2-rc.1", true},
        {"my-registry:5000/a/b/c", true}, {digest, true}, {"a.b-c_d:TAG_1", true},
        {"Registry.Example.com/app:1", true},
        {"", false}, {NULL, false}, {"App/back:1", false}, {"app/Back:1", false},
        {"nginx:", false}, {"nginx :1", false}, {" nginx", false}, {"nginx:1 ", false},
        {"nginx:-1", false}, {"nginx:1:2", false}, {"nginx:1/2", true /* registry nginx:1, repository 2 */}, {"reg:abc/app", false},
        {"registry.local//app", false}, {"registry.local/app/", false}, {"/app", false},
        {"app--x", true}, {"app..x", false}, {"app_-x", false}, {"app@sha256:", false},
        {bad_digest, false}, {"app@sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", false},
        {"-app", false}, {"app:1@", false},
    };
    RUN(validate_image, c);
}

static void test_ports(void **state)
{
    (void)state;
    assert_null(validate_port(1));
    assert_null(validate_port(8080));
    assert_null(validate_port(65535));
    assert_non_null(validate_port(0));
    assert_non_null(validate_port(-1));
    assert_non_null(validate_port(65536));
    vcase_t names[] = {
        {"http", true}, {"http-metrics", true}, {"a", true}, {"h2c", true}, {"123a", true},
        {"abcdefghijklmno", true}, {"abcdefghijklmnop", false}, {"123", false}, {"", false},
        {"-http", false}, {"http-", false}, {"ht--tp", false}, {"HTTP", false}, {"ht_tp", false},
        {"ht.tp", false},
    };
    RUN(validate_port_name, names);
}

static void test_quantity_syntax(void **state)
{
    (void)state;
    vcase_t c[] = {
        {"250m", true}, {"1.5", true}, {"0.5", true}, {"512Mi", true}, {"1G", true}, {"1e3", true},
        {"100Ki", true}, {"0", true}, {".5", true}, {"5.", true}, {"+1", true}, {"1E3", true},
        {"1e-3", true}, {"2Gi", true}, {"128974848", true}, {"129e6", true}, {"1k", true},
        {"0.1m", true}, {"1Ti", true}, {"1P", true},
        {"1.5.5", false}, {"Mi", false}, {"-1", false}, {"1mi", false}, {"1 G", false},
        {"", false}, {NULL, false}, {"1K", false}, {"1KB", false}, {"1Gb", false}, {".", false},
        {"1e", false}, {"1e+", false},
        {"e3", false}, {"1..0", false}, {" 1", false}, {"1 ", false}, {"--1", false},
        {"1e3Mi", false}, {"0x10", false}, {"1Ei", false /* too large in milli-units */},
    };
    RUN(validate_quantity, c);
}

static int64_t milli(const char *s)
{
    int64_t m = 0;
    const char *msg = validate_quantity_milli(s, &m);
    if (msg)
        fail_msg("%s: %s", s, msg);
    return m;
}

static void test_quantity_values(void **state)
{
    (void)state;
    assert_int_equal(milli("250m"), 250);
    assert_int_equal(milli("1.5"), 1500);
    assert_int_equal(milli("0.5"), 500);
    assert_int_equal(milli(".5"), 500);
    assert_int_equal(milli("5."), 5000);
    assert_int_equal(milli("1"), 1000);
    assert_int_equal(milli("1k"), 1000000);
    assert_int_equal(milli("1Ki"), 1024000);
    assert_int_equal(milli("100Ki"), 102400000);
    assert_int_equal(milli("512Mi"), (int64_t)512 * 1048576 * 1000);
    assert_int_equal(milli("1G"), (int64_t)1000000000 * 1000);
    assert_int_equal(milli("1Gi"), (int64_t)1073741824 * 1000);
    assert_int_equal(milli("1e3"), 1000000);
    assert_int_equal(milli("1E3"), 1000000);
    assert_int_equal(milli("1e-3"), 1);
    assert_int_equal(milli("1.5e2"), 150000);
    assert_int_equal(milli("128974848"), (int64_t)128974848 * 1000);
    assert_int_equal(milli("129e6"), (int64_t)129000000 * 1000);
    assert_int_equal(milli("0.1m"), 1);        /* rounded up, as MilliValue() does */
    assert_int_equal(milli("1.0001m"), 2);
    assert_int_equal(milli("-1"), -1000);
    assert_int_equal(milli("0"), 0);
    assert_int_equal(milli("000.5000"), 500);
    assert_int_equal(milli("1P"), (int64_t)1000000000000000 * 1000);
    assert_int_equal(milli("1.5Gi"), (int64_t)1610612736 * 1000);
    assert_int_equal(milli("0.5Ki"), 512000);
    /* comparisons the form makes for requests ≤ limits */
    assert_true(milli("500m") < milli("1"));
    assert_true(milli("1Gi") > milli("1G"));
    assert_true(milli("128974848") != milli("129e6"));
    assert_true(milli("128974848") < milli("129e6"));
    assert_true(milli("123Mi") == milli("128974848"));
    assert_true(milli("1000m") == milli("1"));
    assert_true(milli("1e3") == milli("1k"));
    assert_true(milli("1024") == milli("1Ki"));
    assert_true(milli("0.001") == milli("1m"));
    assert_true(milli("1M") < milli("1Mi"));
    int64_t m;
    assert_non_null(validate_quantity_milli("1E", &m));     /* exa: beyond 63 bits in milli */
    assert_non_null(validate_quantity_milli("10P", &m));
    assert_null(validate_quantity_milli("9P", &m));
}

static void test_host_and_path(void **state)
{
    (void)state;
    vcase_t hosts[] = {
        {"app.local", true}, {"*.example.com", true}, {"example", true}, {"a-b.c", true},
        {"", false}, {"*", false}, {"*.", false}, {"a.*.com", false}, {"**.a.com", false},
        {"App.local", false}, {"10.0.0.1", false}, {"app.local:80", false}, {"-a.com", false},
        {"a_b.com", false},
    };
    RUN(validate_host, hosts);
    vcase_t paths[] = {
        {"/", true}, {"/api", true}, {"/api/v1/", true}, {"/health?x=1", true},
        {"", false}, {"api", false}, {"/a b", false}, {"./x", false}, {"/a\tb", false},
    };
    RUN(validate_path, paths);
}

/* ---- descriptor_validate ---- */

static descriptor_t *parse(const char *json)
{
    desc_problems_t pr = {0};
    descriptor_t *d = descriptor_parse(json, strlen(json), &pr);
    if (!d) {
        char *s = desc_problems_format(&pr);
        fail_msg("parse: %s", s);
    }
    desc_problems_free(&pr);
    return d;
}

#define BASE "\"apiVersion\":\"kdeck/v1\",\"kind\":\"AppDescriptor\",\"namespace\":\"app\"," \
             "\"name\":\"back\",\"version\":\"1.0.0\""
#define CONTAINER(extra) "\"containers\":[{\"name\":\"back\",\"image\":\"registry.local/app/back:1.0.0\"," \
                         "\"ports\":[{\"name\":\"http\",\"containerPort\":8080}]" extra "}]"

static void expect_problem(const char *json, const char *path, const char *msg_part)
{
    descriptor_t *d = parse(json);
    desc_problems_t pr = {0};
    assert_false(descriptor_validate(d, &pr));
    const char *msg = desc_problems_find(&pr, path);
    if (!msg || (msg_part && !strstr(msg, msg_part))) {
        char *all = desc_problems_format(&pr);
        fail_msg("want %s: ...%s..., got:\n%s", path, msg_part ? msg_part : "", all);
    }
    desc_problems_free(&pr);
    descriptor_free(d);
}

static void test_validate_minimal_ok(void **state)
{
    (void)state;
    descriptor_t *d = parse("{" BASE "," CONTAINER("") "}");
    desc_problems_t pr = {0};
    bool ok = descriptor_validate(d, &pr);
    if (!ok)
        fail_msg("%s", desc_problems_format(&pr));
    assert_int_equal(pr.n, 0);
    descriptor_free(d);
}

static void test_validate_required(void **state)
{
    (void)state;
    descriptor_t *d = parse("{\"containers\":[{}]}");
    desc_problems_t pr = {0};
    assert_false(descriptor_validate(d, &pr));
    const char *want[] = {"apiVersion", "kind", "namespace", "name", "version",
                          "containers[0].name", "containers[0].image"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!desc_problems_find(&pr, want[i]))
            fail_msg("missing problem for %s", want[i]);
    assert_string_equal(desc_problems_find(&pr, "name"), "is required");
    desc_problems_free(&pr);
    descriptor_free(d);
    expect_problem("{" BASE ",\"containers\":[]}", "containers", "at least one");
}

static void test_validate_rules(void **state)
{
    (void)state;
    expect_problem("{\"apiVersion\":\"kdeck/v1\",\"kind\":\"AppDescriptor\",\"namespace\":\"App\","
                   "\"name\":\"back\",\"version\":\"1\"," CONTAINER("") "}", "namespace", "lower case");
    expect_problem("{" BASE ",\"replicas\":-1," CONTAINER("") "}", "replicas", "must be an integer >= 0");
    expect_problem("{\"apiVersion\":\"kdeck/v2\",\"kind\":\"AppDescriptor\",\"namespace\":\"app\","
                   "\"name\":\"back\",\"version\":\"1\"," CONTAINER("") "}", "apiVersion", "kdeck/v1");
    expect_problem("{" BASE ",\"containers\":[{\"name\":\"back\",\"image\":\"x\",\"ports\":[{\"containerPort\":70000}]}]}",
                   "containers[0].ports[0].containerPort", "must be an integer 1-65535");
    expect_problem("{" BASE "," CONTAINER(",\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"1Gi\"},"
                   "\"limits\":{\"cpu\":\"1500m\",\"memory\":\"1G\"}}") "}",
                   "containers[0].resources.requests.cpu", "less than or equal");
    expect_problem("{" BASE "," CONTAINER(",\"resources\":{\"requests\":{\"memory\":\"1Gi\"},"
                   "\"limits\":{\"memory\":\"1G\"}}") "}",
                   "containers[0].resources.requests.memory", "1G");
    expect_problem("{" BASE "," CONTAINER(",\"resources\":{\"requests\":{\"cpu\":\"1.5.5\"}}") "}",
                   "containers[0].resources.requests.cpu", "regular expression");
    expect_problem("{" BASE "," CONTAINER(",\"livenessProbe\":{\"httpGet\":{\"path\":\"/h\",\"port\":8080},"
                   "\"successThreshold\":2}") "}",
                   "containers[0].livenessProbe.successThreshold", "must be 1");
    expect_problem("{" BASE "," CONTAINER(",\"readinessProbe\":{\"httpGet\":{\"path\":\"/h\",\"port\":8080},"
                   "\"periodSeconds\":0}") "}",
                   "containers[0].readinessProbe.periodSeconds", ">= 1");
    expect_problem("{" BASE "," CONTAINER(",\"readinessProbe\":{\"httpGet\":{\"path\":\"/h\",\"port\":8080},"
                   "\"timeoutSeconds\":0,\"failureThreshold\":0}") "}",
                   "containers[0].readinessProbe.failureThreshold", ">= 1");
    expect_problem("{" BASE "," CONTAINER(",\"readinessProbe\":{\"periodSeconds\":5}") "}",
                   "containers[0].readinessProbe", "exactly one of");
    expect_problem("{" BASE "," CONTAINER(",\"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":1},"
                   "\"tcpSocket\":{\"port\":1}}") "}",
                   "containers[0].readinessProbe", "exactly one of");
    expect_problem("{" BASE "," CONTAINER(",\"readinessProbe\":{\"httpGet\":{\"path\":\"h\",\"port\":\"web\"}}") "}",
                   "containers[0].readinessProbe.httpGet.path", "start with '/'");
    expect_problem("{" BASE "," CONTAINER(",\"readinessProbe\":{\"httpGet\":{\"path\":\"/h\",\"port\":\"web\"}}") "}",
                   "containers[0].readinessProbe.httpGet.port", "no container port is named web");
    expect_problem("{" BASE "," CONTAINER(",\"env\":[{\"name\":\"A\",\"value\":\"1\",\"secretKeyRef\":"
                   "{\"name\":\"s\",\"key\":\"k\"}}]") "}", "containers[0].env[0]", "at most one");
    expect_problem("{" BASE "," CONTAINER(",\"env\":[{\"name\":\"1A\"}]") "}",
                   "containers[0].env[0].name", "digit");
    expect_problem("{" BASE "," CONTAINER(",\"env\":[{\"name\":\"A\"},{\"name\":\"A\"}]") "}",
                   "containers[0].env[1].name", "duplicate");
    expect_problem("{" BASE "," CONTAINER(",\"env\":[{\"name\":\"A\",\"secretKeyRef\":{\"name\":\"S\"}}]") "}",
                   "containers[0].env[0].secretKeyRef.key", "is required");
    expect_problem("{" BASE ",\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"a\",\"image\":\"y\"}]}",
                   "containers[1].name", "duplicate");
    expect_problem("{" BASE "," CONTAINER("") ",\"autoscaler\":{\"minReplicas\":5,\"maxReplicas\":2}}",
                   "autoscaler.maxReplicas", "minReplicas");
    expect_problem("{" BASE "," CONTAINER("") ",\"autoscaler\":{\"maxReplicas\":2}}",
                   "containers[0].resources.requests.cpu", "autoscaler");
    expect_problem("{" BASE "," CONTAINER("") ",\"ingress\":{\"host\":\"app.local\"}}", "service", "ingress");
    expect_problem("{" BASE "," CONTAINER("") ",\"service\":{\"port\":80},\"ingress\":{\"host\":\"10.1.2.3\"}}",
                   "ingress.host", "IP");
    expect_problem("{" BASE "," CONTAINER("") ",\"service\":{\"port\":80,\"targetPort\":\"web\"}}",
                   "service.targetPort", "no container port");
    expect_problem("{" BASE "," CONTAINER("") ",\"service\":{\"port\":80,\"type\":\"External\"}}",
                   "service.type", "one of");
    expect_problem("{" BASE "," CONTAINER("") ",\"healthCheck\":{\"useHealthCheck\":true}}",
                   "healthCheck.path", "useHealthCheck");
    expect_problem("{" BASE "," CONTAINER("") ",\"healthCheck\":{\"useHealthCheck\":true,\"path\":\"/h\","
                   "\"port\":8080,\"expectedStatus\":700}}", "healthCheck.expectedStatus", "100-599");
    expect_problem("{" BASE "," CONTAINER("") ",\"migration\":{\"image\":\"Bad Image\"}}",
                   "migration.image", "spaces");
    expect_problem("{" BASE "," CONTAINER("") ",\"migration\":{\"image\":\"m:1\",\"timeoutSeconds\":0}}",
                   "migration.timeoutSeconds", ">= 1");
    expect_problem("{" BASE "," CONTAINER("") ",\"service\":{\"port\":80},\"rollout\":{\"strategy\":\"canary\"}}",
                   "rollout.strategy", "rolling, blueGreen");
    expect_problem("{" BASE "," CONTAINER("") ",\"service\":{\"port\":80},\"rollout\":{\"analysis\":"
                   "[{\"name\":\"errors\",\"query\":\"x\",\"threshold\":{}}]}}",
                   "rollout.analysis[0].threshold", "at least one of max, min");
    expect_problem("{" BASE "," CONTAINER("") ",\"rollout\":{\"strategy\":\"blueGreen\"}}",
                   "service", "blue/green");
    expect_problem("{" BASE ",\"labels\":{\"Bad Key\":\"x\"}," CONTAINER("") "}",
                   "labels[\"Bad Key\"]", "key name part");
    expect_problem("{" BASE ",\"labels\":{\"team\":\"-x\"}," CONTAINER("") "}", "labels.team",
                   "alphanumeric");
}

static void test_validate_blue_green_name_length(void **state)
{
    (void)state;
    char json[512];
    char *name = repeat('a', 58);
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"kdeck/v1\",\"kind\":\"AppDescriptor\",\"namespace\":\"n\",\"name\":\"%s\","
             "\"version\":\"1\"," CONTAINER("") ",\"service\":{\"port\":80},\"rollout\":{\"strategy\":\"blueGreen\"}}",
             name);
    expect_problem(json, "name", "57");
    free(name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_label),
        cmocka_unit_test(test_dns_subdomain),
        cmocka_unit_test(test_label_key_value),
        cmocka_unit_test(test_env_and_config_keys),
        cmocka_unit_test(test_image),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_quantity_syntax),
        cmocka_unit_test(test_quantity_values),
        cmocka_unit_test(test_host_and_path),
        cmocka_unit_test(test_validate_minimal_ok),
        cmocka_unit_test(test_validate_required),
        cmocka_unit_test(test_validate_rules),
        cmocka_unit_test(test_validate_blue_green_name_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

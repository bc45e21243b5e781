/* Panels: the built-in panel file (parses, every query expands, every panel is documented in
 * docs/metrics.md), the parser on good files (override, extend, drop, continuation lines), every
 * error with FILE:LINE, placeholder expansion with escaping (no PromQL injection through a label
 * value), legends, threshold levels and the user file lookup. Runs from the tree root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdeck/builtin.h"
#include "kdeck/panels.h"

static panel_set_t *builtins(void)
{
    char err[512];
    panel_set_t *s = panel_set_new();
    const char *text = builtin_file("src/prom/default.panels");
    assert_non_null(text);
    if (!panels_parse(s, text, "default.panels", err, sizeof err))
        fail_msg("built-in panels: %s", err);
    return s;
}

static char *expand_ok(const char *expr, const panel_vars_t *v)
{
    char err[512];
    char *x = panels_expand(expr, v, err, sizeof err);
    if (!x)
        fail_msg("expand %s: %s", expr, err);
    return x;
}

static void assert_expands(const char *expr, const panel_vars_t *v, const char *expected)
{
    char *x = expand_ok(expr, v);
    if (strcmp(x, expected))
        fail_msg("expand %s\n  got      %s\n  expected %s", expr, x, expected);
    free(x);
}

static void assert_expand_fails(const char *expr, const panel_vars_t *v, const char *msg_part)
{
    char err[512];
    char *x = panels_expand(expr, v, err, sizeof err);
    if (x)
        fail_msg("expand %s should fail, gave %s", expr, x);
    if (!strstr(err, msg_part))
        fail_msg("expand %s: error \"%s\" lacks \"%s\"", expr, err, msg_part);
}

/* ---- the built-ins ---- */

static void test_builtin(void **state)
{
    (void)state;
    panel_set_t *s = builtins();
    assert_int_equal(s->n_groups, 3);
    assert_string_equal(s->groups[0].id, "ingress-traefik");
    assert_string_equal(s->groups[1].id, "ingress-haproxy");
    assert_string_equal(s->groups[2].id, "mysql");
    const panel_t *out[32];
    assert_int_equal(panels_in_group(s, "ingress-traefik", out, 32), 6);
    assert_int_equal(panels_in_group(s, "ingress-haproxy", out, 32), 8);
    assert_int_equal(panels_in_group(s, "mysql", out, 32), 11);
    const panel_t *lat = panels_find(s, "traefik.latency");
    assert_non_null(lat);
    assert_int_equal(lat->n_queries, 3);
    assert_string_equal(lat->queries[1].legend, "p95 {{service}}");
    assert_int_equal(lat->unit, PROM_UNIT_SECONDS);
    assert_true(lat->has_warn && lat->warn == 0.5 && lat->has_crit && lat->crit == 1);
    const panel_t *hit = panels_find(s, "mysql.bp-hit");
    assert_int_equal(hit->direction, PANEL_BELOW);
    assert_int_equal(hit->unit, PROM_UNIT_RATIO);
    assert_int_equal(panels_find(s, "mysql.up")->chart, PANEL_CHART_STAT);
    /* every query of every panel expands, for one app and for "any" */
    panel_vars_t one = { .ns = "app", .app = "front", .service = "front", .interval = "30s" };
    panel_vars_t any = { .interval = "1m" };
    for (size_t i = 0; i < s->n_panels; i++) {
        const panel_t *p = &s->panels[i];
        assert_non_null(panels_group(s, p->group));
        for (int q = 0; q < p->n_queries; q++) {
            char *a = expand_ok(p->queries[q].expr, &one);
            char *b = expand_ok(p->queries[q].expr, &any);
            assert_null(strchr(b, '\n'));
            assert_null(strstr(a, "$namespace"));
            free(a);
            free(b);
        }
    }
    /* the v2/v3 and service/exported_service handling is in the queries */
    const char *rps = panels_find(s, "traefik.rps")->queries[0].expr;
    assert_non_null(strstr(rps, "exported_service"));
    assert_non_null(strstr(rps, "label_replace("));
    const char *conns = panels_find(s, "traefik.connections")->queries[0].expr;
    assert_non_null(strstr(conns, "traefik_open_connections"));
    assert_non_null(strstr(conns, "traefik_entrypoint_open_connections"));
    panel_set_free(s);
}

/* docs/metrics.md names every built-in panel and group (so the docs cannot drift from the file). */
static void test_builtin_documented(void **state)
{
    (void)state;
    FILE *f = fopen("docs/metrics.md", "r");
    assert_non_null(f);
    static char doc[200000];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    doc[n] = '\0';
    fclose(f);
    panel_set_t *s = builtins();
    char want[160];
    for (size_t i = 0; i < s->n_panels; i++) {
        snprintf(want, sizeof want, "`%s`", s->panels[i].id);
        if (!strstr(doc, want))
            fail_msg("docs/metrics.md does not mention panel %s", want);
    }
    for (size_t i = 0; i < s->n_groups; i++) {
        snprintf(want, sizeof want, "`%s`", s->groups[i].id);
        if (!strstr(doc, want))
            fail_msg("docs/metrics.md does not mention group %s", want);
    }
    for (int u = 0; u < PROM_N_UNITS; u++) {
        snprintf(want, sizeof want, "`%s`", prom_unit_name((prom_unit_t)u));
        if (!strstr(doc, want))
            fail_msg("docs/metrics.md does not mention unit %s", want);
    }
    panel_set_free(s);
}

/* ---- good files ---- */

static void test_parse_good(void **state)
{
    (void)state;
    panel_set_t *s = builtins();
    size_t before = s->n_panels;
    const char *user =
        "# my panels\r\n"
        "group mine\n"
        "    title My app\n"
        "    description things I watch\n"
        "\n"
        "panel mine.errors\n"
        "    title   Errors/s\n"
        "    query   sum(rate(app_errors_total{namespace=~\"$namespace\"}[$interval])) \\\n"
        "              by (code)\n"
        "    legend  {{code}}\n"
        "    query   vector(1)\n"
        "    unit    req/s\n"
        "    chart   sparkline\n"
        "    warn    1\n"
        "    crit    5.5e0\n"
        "    min     0\n"
        "    max     100\n"
        "\n"
        "panel mysql.qps\n"          /* replaces the built-in in place */
        "    group mysql\n"
        "    title Questions/s\n"
        "    query rate(mysql_global_status_questions[$interval])\n"
        "    unit ops/s\n"
        "drop traefik.entrypoints\n"
        "drop no.such.panel\n";
    char err[512];
    if (!panels_parse(s, user, "user", err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(s->n_panels, before + 1 - 1);
    const panel_t *p = panels_find(s, "mine.errors");
    assert_non_null(p);
    assert_string_equal(p->group, "mine");
    assert_string_equal(p->title, "Errors/s");
    assert_int_equal(p->n_queries, 2);
    assert_string_equal(p->queries[0].expr,
                        "sum(rate(app_errors_total{namespace=~\"$namespace\"}[$interval])) by (code)");
    assert_string_equal(p->queries[0].legend, "{{code}}");
    assert_null(p->queries[1].legend);
    assert_int_equal(p->unit, PROM_UNIT_REQPS);
    assert_int_equal(p->chart, PANEL_CHART_SPARKLINE);
    assert_true(p->warn == 1 && p->crit == 5.5 && p->min == 0 && p->max == 100);
    assert_string_equal(p->file, "user");
    assert_int_equal(p->line, 6);
    assert_string_equal(panels_group(s, "mine")->title, "My app");
    assert_string_equal(panels_group(s, "mine")->description, "things I watch");
    const panel_t *q = panels_find(s, "mysql.qps");
    assert_string_equal(q->title, "Questions/s");
    assert_null(panels_find(s, "traefik.entrypoints"));
    /* the replaced panel kept its place among the mysql panels */
    const panel_t *out[32];
    size_t n = panels_in_group(s, "mysql", out, 32);
    assert_int_equal(n, 11);
    assert_string_equal(out[4]->id, "mysql.qps");
    /* dropping a group drops its panels */
    assert_true(panels_parse(s, "drop ingress-haproxy\n", "user2", err, sizeof err));
    assert_null(panels_group(s, "ingress-haproxy"));
    assert_int_equal(panels_in_group(s, "ingress-haproxy", out, 32), 0);
    assert_null(panels_find(s, "haproxy.rps"));
    /* an empty file and a comment-only file are fine */
    assert_true(panels_parse(s, "", "empty", err, sizeof err));
    assert_true(panels_parse(s, "# nothing\n\n   \n", "c", err, sizeof err));
    panel_set_free(s);
}

/* ---- every error, with FILE:LINE ---- */

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct { const char *text, *err; } cases[] = {
        { "  title x\n", "f:1: \"title\" outside a panel or group block" },
        { "panel\n", "f:1: \"panel\" needs an id" },
        { "panel a b\n", "f:1: bad panel id \"a b\"" },
        { "group g\n  title G\ntitle x\n", "f:3: \"title\" in the first column" },
        { "group g\npanel p\n  colour red\n", "f:3: unknown keyword \"colour\"" },
        { "group g\npanel p\n  title\n", "f:3: \"title\" needs a value" },
        { "group g\npanel p\n  unit furlongs\n", "f:3: unknown unit \"furlongs\" (known: none, count, req/s" },
        { "group g\npanel p\n  chart pie\n", "f:3: unknown chart \"pie\"" },
        { "group g\npanel p\n  warn high\n", "f:3: \"warn\" needs a number, not \"high\"" },
        { "group g\npanel p\n  crit 1e999\n", "f:3: \"crit\" needs a number" },
        { "group g\npanel p\n  direction sideways\n", "f:3: direction must be \"above\"" },
        { "group g\npanel p\n  title a\n  title b\n", "f:4: \"title\" given twice" },
        { "group g\npanel p\n  legend {{x}}\n", "f:3: \"legend\" before any \"query\"" },
        { "group g\npanel p\n  query up\n  legend a\n  legend b\n", "f:5: a second \"legend\" for the same query" },
        { "group g\npanel p\n  query a\n  query b\n  query c\n  query d\n  query e\n  query f\n  query g\n"
          "  query h\n  query i\n", "f:11: more than 8 queries in panel p" },
        { "group g\npanel p\n  query up\n", "f:2: panel p has no title" },
        { "group g\n\npanel p\n  title t\n", "f:3: panel p has no query" },
        { "panel p\n  title t\n  query up\n", "f:1: panel p has no group" },
        { "panel p\n  group nope\n  title t\n  query up\n", "f:1: panel p: unknown group nope" },
        { "group g\npanel p\n  title t\n  query up\n  warn 10\n  crit 5\n",
          "f:2: panel p: warn 10 is worse than crit 5 for direction above" },
        { "group g\npanel p\n  title t\n  query up\n  direction below\n  warn 1\n  crit 5\n",
          "f:2: panel p: warn 1 is worse than crit 5 for direction below" },
        { "group g\npanel p\n  title t\n  query up\n  min 5\n  max 5\n", "f:2: panel p: min 5 is not below max 5" },
        { "group g\npanel p\n  title t\n  query up{namespace=\"$nmespace\"}\n", "f:4: unknown placeholder $nmespace" },
        { "group g\npanel p\n  title t\n  query up{a=\"${namespace\"}\n", "f:4: unterminated ${" },
        { "group g\npanel p\n  title t\n  query sum by ($namespace) (up)\n",
          "f:4: $namespace is used outside a string" },
        { "group g\npanel p\n  title t\n  query up{a=\"b}\n", "f:4: unterminated \" string" },
        { "group g\npanel p\n  title t\n  query up \\\n", "f:4: the file ends inside a continued line" },
        { "group g\npanel p\n  title t\n  query up\npanel p\n", "f:5: panel p is defined twice in this file" },
        { "group g\ngroup g\n", "f:2: group g is defined twice in this file" },
        { "group g\n  query up\n", "f:2: \"query\" is not allowed in a group block" },
        { "group g\n  title a\n  title b\n", "f:3: \"title\" given twice" },
        { "group g\npanel p\n  group bad/id\n", "f:3: bad group id \"bad/id\"" },
        { "drop\n", "f:1: \"drop\" needs an id" },
        { "frobnicate x\n", "f:1: \"frobnicate\" in the first column" },
        /* the line of a continued query is where it starts */
        { "group g\npanel p\n  title t\n  query up{a=\\\n     \"$bad\"}\n", "f:4: unknown placeholder $bad" },
    };
    panel_set_t *s = builtins();
    size_t n_before = s->n_panels, g_before = s->n_groups;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[512] = "";
        bool ok = panels_parse(s, cases[i].text, "f", err, sizeof err);
        if (ok)
            fail_msg("case %zu parsed: %s", i, cases[i].text);
        if (strncmp(err, cases[i].err, strlen(cases[i].err)))
            fail_msg("case %zu:\n  got      %s\n  expected %s...", i, err, cases[i].err);
    }
    /* a failed file changes nothing */
    assert_int_equal(s->n_panels, n_before);
    assert_int_equal(s->n_groups, g_before);
    panel_set_free(s);
    char small[16];
    assert_false(panels_parse(NULL, "x", "f", small, sizeof small));
}

/* ---- placeholders ---- */

static void test_expand(void **state)
{
    (void)state;
    panel_vars_t v = { .ns = "app", .app = "front", .service = "front-svc", .interval = "30s" };
    assert_expands("rate(x{namespace=\"$namespace\", app=\"${app}\"}[$interval])", &v,
                   "rate(x{namespace=\"app\", app=\"front\"}[30s])");
    assert_expands("x{service=~\"${namespace}-${service}-.*\"}", &v, "x{service=~\"app-front-svc-.*\"}");
    /* label_replace groups and literal dollars stay */
    assert_expands("label_replace(x, \"a\", \"$1\", \"b\", \"(.+)\")", &v, "label_replace(x, \"a\", \"$1\", \"b\", \"(.+)\")");
    assert_expands("label_replace(x, \"a\", \"${1}xx\", \"b\", \"(.)\")", &v,
                   "label_replace(x, \"a\", \"${1}xx\", \"b\", \"(.)\")");
    assert_expands("x{a=~\"foo$\"} $$", &v, "x{a=~\"foo$\"} $");
    /* "any" (NULL) is .* in a regex matcher */
    panel_vars_t any = { .interval = "1m" };
    assert_expands("x{namespace=~\"$namespace\", service!~ \"$service\"}[$interval]", &any,
                   "x{namespace=~\".*\", service!~ \".*\"}[1m]");
    assert_expand_fails("x{namespace=\"$namespace\"}", &any, "$namespace has no value");
    assert_expand_fails("x[$interval]", &(panel_vars_t){ 0 }, "$interval has no value here");
    assert_expand_fails("x[$interval]", &(panel_vars_t){ .interval = "" }, "$interval is empty");
    assert_expand_fails("x{a=\"$foo\"}", &v, "unknown placeholder $foo");
    assert_expand_fails("x{a=\"$namespaces\"}", &v, "unknown placeholder $namespaces");
    assert_expands("x{a=\"${namespace}s\"}", &v, "x{a=\"apps\"}");
    assert_expand_fails("x{a=\"$namespace}", &v, "unterminated \" string");
    assert_expand_fails(NULL, &v, "no query");
}

/* A hostile label value can never leave its string: quotes and backslashes are escaped. */
static void test_expand_escaping(void **state)
{
    (void)state;
    panel_vars_t v = { .ns = "x\"} or vector(1) or up{a=\"", .interval = "5m" };
    assert_expands("up{namespace=\"$namespace\"}", &v, "up{namespace=\"x\\\"} or vector(1) or up{a=\\\"\"}");
    v.ns = "a\\b";
    assert_expands("up{namespace=\"$namespace\"}", &v, "up{namespace=\"a\\\\b\"}");
    v.ns = "line\nbreak\ttab\x01";
    assert_expands("up{namespace=\"$namespace\"}", &v, "up{namespace=\"line\\nbreak\\x09tab\\x01\"}");
    v.ns = "it's";
    assert_expands("up{namespace='$namespace'}", &v, "up{namespace='it\\'s'}");
    assert_expands("up{namespace=\"$namespace\"}", &v, "up{namespace=\"it's\"}");
    /* in a regex matcher the value also matches literally */
    v.ns = "a.b(c|d)*";
    assert_expands("up{namespace=~\"$namespace\"}", &v, "up{namespace=~\"a\\\\.b\\\\(c\\\\|d\\\\)\\\\*\"}");
    v.ns = "q\"uote";
    assert_expands("up{namespace=~\"$namespace\"}", &v, "up{namespace=~\"q\\\"uote\"}");
    /* raw strings: regex escapes only, and a backtick cannot go in */
    v.ns = "a.b";
    assert_expands("up{namespace=~`$namespace`}", &v, "up{namespace=~`a\\.b`}");
    assert_expands("up{namespace=`$namespace`}", &v, "up{namespace=`a.b`}");
    v.ns = "a`b";
    assert_expand_fails("up{namespace=`$namespace`}", &v, "contains a backtick");
    /* an escaped quote in the query does not end its string */
    v.ns = "x\"y";
    assert_expands("up{a=\"q\\\"$namespace\"}", &v, "up{a=\"q\\\"x\\\"y\"}");
    /* outside strings only plain words: no injection through $interval */
    v.interval = "5m]) or vector(1) or rate(up[5m";
    assert_expand_fails("rate(up[$interval])", &v, "$interval is used outside a string");
    v.interval = "1h30m";
    assert_expands("rate(up[$interval])", &v, "rate(up[1h30m])");
}

/* ---- legends and levels ---- */

static void test_legend(void **state)
{
    (void)state;
    prom_label_t labels[] = {
        { "__name__", "http_requests_total" }, { "code", "200" }, { "instance", "10.0.0.1:80" }, { "pod", "" },
    };
    prom_series_t s = { labels, 4, NULL, 0 };
    char b[256];
    panels_legend("{{code}} on {{ instance }}", &s, b, sizeof b);
    assert_string_equal(b, "200 on 10.0.0.1:80");
    panels_legend("{{pod|instance}}", &s, b, sizeof b); /* pod is empty: the next one */
    assert_string_equal(b, "10.0.0.1:80");
    panels_legend("[{{missing}}]", &s, b, sizeof b);
    assert_string_equal(b, "[]");
    panels_legend("{{code", &s, b, sizeof b);
    assert_string_equal(b, "{{code");
    panels_legend(NULL, &s, b, sizeof b);
    assert_string_equal(b, "{code=\"200\", instance=\"10.0.0.1:80\", pod=\"\"}");
    prom_series_t only_name = { labels, 1, NULL, 0 };
    panels_legend("", &only_name, b, sizeof b);
    assert_string_equal(b, "http_requests_total");
    prom_series_t none = { NULL, 0, NULL, 0 };
    panels_legend(NULL, &none, b, sizeof b);
    assert_string_equal(b, "value");
    char tiny[5];
    panels_legend("{{instance}}", &s, tiny, sizeof tiny);
    assert_string_equal(tiny, "10.0");
}

static void test_levels(void **state)
{
    (void)state;
    panel_t p = { .has_warn = true, .warn = 0.01, .has_crit = true, .crit = 0.05 };
    assert_int_equal(panel_level(&p, 0), PANEL_LEVEL_OK);
    assert_int_equal(panel_level(&p, 0.01), PANEL_LEVEL_WARN);
    assert_int_equal(panel_level(&p, 0.2), PANEL_LEVEL_CRIT);
    assert_int_equal(panel_level(&p, INFINITY), PANEL_LEVEL_CRIT);
    assert_int_equal(panel_level(&p, NAN), PANEL_LEVEL_NONE);
    p = (panel_t){ .has_warn = true, .warn = 0.99, .has_crit = true, .crit = 0.95, .direction = PANEL_BELOW };
    assert_int_equal(panel_level(&p, 0.999), PANEL_LEVEL_OK);
    assert_int_equal(panel_level(&p, 0.97), PANEL_LEVEL_WARN);
    assert_int_equal(panel_level(&p, 0.5), PANEL_LEVEL_CRIT);
    p = (panel_t){ .has_crit = true, .crit = 0, .direction = PANEL_BELOW }; /* mysql_up */
    assert_int_equal(panel_level(&p, 1), PANEL_LEVEL_OK);
    assert_int_equal(panel_level(&p, 0), PANEL_LEVEL_CRIT);
    p = (panel_t){ 0 };
    assert_int_equal(panel_level(&p, 5), PANEL_LEVEL_NONE);
    assert_int_equal(panel_level(NULL, 5), PANEL_LEVEL_NONE);
    assert_string_equal(panel_chart_name(PANEL_CHART_SPARKLINE), "sparkline");
    assert_int_equal(panel_chart_by_name("stat"), PANEL_CHART_STAT);
    assert_int_equal(panel_chart_by_name("pie"), PANEL_CHART_COUNT);
}

/* ---- the user file ---- */

static void test_load_user_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/kdeck-panels-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], err[512];
    unsetenv("KDECK_PANELS");
    setenv("XDG_CONFIG_HOME", dir, 1);
    assert_true(panels_user_path(path, sizeof path));
    snprintf(err, sizeof err, "%s/kdeck/panels", dir);
    assert_string_equal(path, err);

    /* no user file: the built-ins */
    panel_set_t *s = panels_load(err, sizeof err);
    assert_non_null(s);
    size_t n = s->n_panels;
    panel_set_free(s);

    snprintf(path, sizeof path, "%s/kdeck", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/kdeck/panels", dir);
    FILE *f = fopen(path, "w");
    fputs("panel mysql.extra\n  group mysql\n  title Extra\n  query up\n", f);
    fclose(f);
    s = panels_load(err, sizeof err);
    assert_non_null(s);
    assert_int_equal(s->n_panels, n + 1);
    assert_non_null(panels_find(s, "mysql.extra"));
    panel_set_free(s);

    /* a broken user file: PATH:LINE */
    f = fopen(path, "w");
    fputs("group g\n  title G\npanel p\n  unit parsecs\n", f);
    fclose(f);
    assert_null(panels_load(err, sizeof err));
    char expect[512];
    snprintf(expect, sizeof expect, "%s:4: unknown unit \"parsecs\"", path);
    assert_int_equal(strncmp(err, expect, strlen(expect)), 0);

    /* KDECK_PANELS points elsewhere (a missing file is no error) */
    setenv("KDECK_PANELS", "/nonexistent/kdeck-panels", 1);
    s = panels_load(err, sizeof err);
    assert_non_null(s);
    assert_int_equal(s->n_panels, n);
    panel_set_free(s);
    unsetenv("KDECK_PANELS");

    unlink(path);
    snprintf(path, sizeof path, "%s/kdeck", dir);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin),
        cmocka_unit_test(test_builtin_documented),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_expand_escaping),
        cmocka_unit_test(test_legend),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_load_user_file),
    };
    return cmocka_run_group_tests_name("panels", tests, NULL, NULL);
}

/* form_model and drafts: rows walked from the field table, typing into fields changes the
 * descriptor, pickers and toggles, repeated fields added/removed/reordered, validation problems
 * on the rows they belong to (also the server's), and drafts round-tripping through a 0600 file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/app/drafts.h"
#include "../../src/app/form_model.h"
#include "kdeck/descriptor.h"

#define DATA "tests/unit/data/descriptor/"

static form_model_t *load_back(void)
{
    desc_problems_t pr = {0};
    descriptor_t *d = descriptor_load(DATA "back.json", &pr);
    if (!d)
        fail_msg("%s", desc_problems_format(&pr));
    form_model_t *m = form_model_new(d);
    assert_non_null(m);
    return m;
}

/* The row with exactly this path; fails the test when absent. */
static size_t row(const form_model_t *m, const char *path)
{
    for (size_t i = 0; i < m->n_rows; i++)
        if (!strcmp(m->rows[i].path, path))
            return i;
    fail_msg("no row %s", path);
    return SIZE_MAX;
}

static bool has_row(const form_model_t *m, const char *path)
{
    for (size_t i = 0; i < m->n_rows; i++)
        if (!strcmp(m->rows[i].path, path))
            return true;
    return false;
}

static const char *text(const form_model_t *m, const char *path)
{
    static char buf[512];
    form_row_text(m, row(m, path), buf, sizeof buf);
    return buf;
}

static void test_rows_from_the_field_table(void **state)
{
    (void)state;
    form_model_t *m = load_back();
    assert_int_equal(m->invalid, 0);
    /* sections in descriptor order, every field of the seed app on a row */
    const char *sections[] = {"App", "Containers", "Health check", "Service", "Ingress",
                              "Autoscaler", "Migration", "Rollout"};
    size_t s = 0;
    for (size_t i = 0; i < m->n_rows; i++)
        if (m->rows[i].kind == FORM_ROW_SECTION && s < 8)
            assert_string_equal(m->rows[i].label, sections[s++]);
    assert_int_equal(s, 8);
    assert_string_equal(text(m, "name"), "back");
    assert_string_equal(text(m, "replicas"), "2");
    assert_string_equal(text(m, "labels[\"app.kubernetes.io/part-of\"]"), "app.kubernetes.io/part-of=app");
    assert_string_equal(text(m, "containers[0]"), "back");
    assert_string_equal(text(m, "containers[0].image"), "registry.local/app/back:1.0.0");
    assert_string_equal(text(m, "containers[0].ports[0]"), "http 8080");
    assert_string_equal(text(m, "containers[0].env[4].(source)"), "secretKeyRef");
    assert_string_equal(text(m, "containers[0].env[4].secretKeyRef.name"), "app-db-mysql");
    assert_string_equal(text(m, "containers[0].env[4].secretKeyRef.key"), "password");
    assert_string_equal(text(m, "containers[0].readinessProbe.(source)"), "httpGet");
    assert_string_equal(text(m, "containers[0].readinessProbe.httpGet.path"), "/health");
    assert_string_equal(text(m, "rollout.analysis[0].threshold.max"), "0.01");
    /* plain env vars show their value, not the other sources */
    assert_false(has_row(m, "containers[0].env[0].secretKeyRef.name"));
    assert_string_equal(text(m, "containers[0].env[0].value"), "mysql");
    /* apiVersion and kind are fixed: not on the form */
    assert_false(has_row(m, "apiVersion"));
    /* labels come from the table's docs and keys */
    assert_string_equal(m->rows[row(m, "containers[0].env[4].secretKeyRef.name")].label, "secret name");
    assert_string_equal(m->rows[row(m, "containers[0].readinessProbe.httpGet.port")].label, "http port");
    bool cm, is_key;
    const char *ref;
    assert_true(form_row_keyref(m, row(m, "containers[0].env[4].secretKeyRef.key"), &cm, &is_key, &ref));
    assert_false(cm);
    assert_true(is_key);
    assert_string_equal(ref, "app-db-mysql");
    assert_false(form_row_keyref(m, row(m, "containers[0].image"), &cm, &is_key, &ref));
    form_model_free(m);
}

static void test_typing_changes_the_descriptor(void **state)
{
    (void)state;
    form_model_t *m = load_back();
    assert_true(form_row_set_text(m, row(m, "replicas"), "3"));
    assert_int_equal(m->d->replicas, 3);
    assert_true(form_row_set_text(m, row(m, "containers[0].env[0].value"), "db.internal"));
    assert_string_equal(m->d->containers[0].env[0].value, "db.internal");
    /* a port by name, then by number */
    size_t p = row(m, "containers[0].readinessProbe.httpGet.port");
    assert_true(form_row_set_text(m, p, "http"));
    assert_string_equal(m->d->containers[0].readiness_probe->http_get->port.str, "http");
    assert_true(form_row_set_text(m, row(m, "containers[0].readinessProbe.httpGet.port"), "8080"));
    assert_int_equal(m->d->containers[0].readiness_probe->http_get->port.num, 8080);
    assert_null(m->d->containers[0].readiness_probe->http_get->port.str);
    /* labels: key=value */
    assert_true(form_row_set_text(m, row(m, "labels[\"app.kubernetes.io/part-of\"]"), "team=payments"));
    assert_string_equal(m->d->labels.v[0].key, "team");
    assert_string_equal(m->d->labels.v[0].value, "payments");
    assert_true(has_row(m, "labels.team"));
    /* an empty text unsets */
    assert_true(form_row_set_text(m, row(m, "replicas"), ""));
    assert_int_equal(m->d->replicas, DESC_UNSET);
    assert_int_equal(m->invalid, 0);
    /* choices are not typed */
    assert_false(form_row_set_text(m, row(m, "rollout.strategy"), "rolling"));
    assert_true(m->changes >= 5);
    form_model_free(m);
}

static void test_inline_problems(void **state)
{
    (void)state;
    form_model_t *m = load_back();
    size_t cpu = row(m, "containers[0].resources.requests.cpu");
    assert_true(form_row_set_text(m, cpu, "12x"));
    cpu = row(m, "containers[0].resources.requests.cpu");
    assert_non_null(m->rows[cpu].error);
    assert_int_equal(m->invalid, 1);
    /* a number field keeps what was typed and says what it must be */
    assert_true(form_row_set_text(m, row(m, "replicas"), "two"));
    size_t r = row(m, "replicas");
    assert_string_equal(text(m, "replicas"), "two");
    assert_string_equal(m->rows[r].error, "must be an integer >= 0");
    assert_int_equal(m->invalid, 2);
    size_t first;
    const desc_problem_t *pb = form_model_first_problem(m, &first);
    assert_non_null(pb);
    assert_string_equal(pb->path, "replicas");
    assert_int_equal(first, r);
    /* required fields, image references, ports */
    assert_true(form_row_set_text(m, row(m, "containers[0].image"), "Registry/App:1"));
    assert_non_null(m->rows[row(m, "containers[0].image")].error);
    assert_true(form_row_set_text(m, row(m, "containers[0].ports[0].containerPort"), "70000"));
    assert_string_equal(m->rows[row(m, "containers[0].ports[0].containerPort")].error,
                        "must be an integer 1-65535");
    /* fixing them clears them */
    assert_true(form_row_set_text(m, row(m, "replicas"), "2"));
    assert_true(form_row_set_text(m, row(m, "containers[0].image"), "registry.local/app/back:1.0.1"));
    assert_true(form_row_set_text(m, row(m, "containers[0].ports[0].containerPort"), "8080"));
    assert_true(form_row_set_text(m, row(m, "containers[0].resources.requests.cpu"), "250m"));
    assert_int_equal(m->invalid, 0);
    assert_null(form_model_first_problem(m, NULL));
    form_model_free(m);
}

static void test_server_errors_on_fields(void **state)
{
    (void)state;
    form_model_t *m = load_back();
    desc_problems_t server = {0};
    desc_problems_add(&server, "containers[0].image", "Invalid value: spec.template.spec.containers[0].image");
    desc_problems_add(&server, "containers[0].env[2]", "duplicate");
    form_model_set_external(m, &server);
    desc_problems_free(&server);
    assert_int_equal(m->invalid, 2);
    assert_string_equal(m->rows[row(m, "containers[0].image")].error,
                        "Invalid value: spec.template.spec.containers[0].image");
    assert_string_equal(m->rows[row(m, "containers[0].env[2]")].error, "duplicate");
    /* a path without its own row lands on the nearest row above it */
    assert_int_equal(form_model_find(m, "containers[0].resources.requests.nvidia"),
                     row(m, "containers[0].resources.requests"));
    /* editing the field drops the server's message for it */
    assert_true(form_row_set_text(m, row(m, "containers[0].image"), "registry.local/app/back:1.0.2"));
    assert_null(m->rows[row(m, "containers[0].image")].error);
    assert_int_equal(m->invalid, 1);
    form_model_free(m);
}

static void test_pickers_and_toggles(void **state)
{
    (void)state;
    form_model_t *m = load_back();
    /* env source: value -> secretKeyRef shows name and key */
    size_t src = row(m, "containers[0].env[1].(source)");
    form_choices_t c;
    form_row_choices(m, src, &c);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.v[c.current], "value");
    assert_true(form_row_choose(m, src, 1));
    assert_null(m->d->containers[0].env[1].value);
    assert_non_null(m->d->containers[0].env[1].secret_key_ref);
    assert_true(has_row(m, "containers[0].env[1].secretKeyRef.name"));
    assert_false(has_row(m, "containers[0].env[1].value"));
    assert_non_null(m->rows[row(m, "containers[0].env[1].secretKeyRef.name")].error);
    assert_true(form_row_set_text(m, row(m, "containers[0].env[1].secretKeyRef.name"), "app-db-mysql"));
    assert_true(form_row_set_text(m, row(m, "containers[0].env[1].secretKeyRef.key"), "user"));
    assert_int_equal(m->invalid, 0);
    /* enums: (default) unsets */
    size_t strat = row(m, "rollout.strategy");
    form_row_choices(m, strat, &c);
    assert_string_equal(c.v[0], "(default)");
    assert_string_equal(c.v[c.current], "blueGreen");
    assert_true(form_row_choose(m, strat, 1));
    assert_string_equal(m->d->rollout->strategy, "rolling");
    assert_true(form_row_choose(m, row(m, "rollout.strategy"), 0));
    assert_null(m->d->rollout->strategy);
    /* optional sections switch off and on */
    size_t ing = row(m, "ingress");
    assert_true(m->rows[ing].toggle && m->rows[ing].on);
    assert_true(form_row_toggle(m, ing));
    assert_null(m->d->ingress);
    assert_false(has_row(m, "ingress.host"));
    assert_true(form_row_toggle(m, row(m, "ingress")));
    assert_non_null(m->d->ingress);
    assert_string_equal(m->rows[row(m, "ingress.host")].error, "is required");
    /* a new probe starts as an HTTP GET */
    assert_true(form_row_toggle(m, row(m, "containers[0].livenessProbe")));
    assert_true(form_row_toggle(m, row(m, "containers[0].livenessProbe")));
    assert_non_null(m->d->containers[0].liveness_probe->http_get);
    /* booleans */
    assert_true(form_row_toggle(m, row(m, "healthCheck.useHealthCheck")));
    assert_false(m->d->health_check->use_health_check);
    form_model_free(m);
}

static void test_repeated_fields(void **state)
{
    (void)state;
    form_model_t *m = load_back();
    char path[256];
    /* add an env var at the end, fill it in */
    assert_true(form_row_add(m, row(m, "containers[0].env[+]"), path, sizeof path));
    assert_string_equal(path, "containers[0].env[6]");
    assert_int_equal(m->d->containers[0].n_env, 7);
    assert_true(form_row_set_text(m, row(m, "containers[0].env[6].name"), "LOG_LEVEL"));
    assert_true(form_row_set_text(m, row(m, "containers[0].env[6].value"), "debug"));
    /* move it up twice */
    assert_true(form_row_move(m, row(m, "containers[0].env[6]"), -1, path, sizeof path));
    assert_string_equal(path, "containers[0].env[5]");
    assert_true(form_row_move(m, row(m, path), -1, path, sizeof path));
    assert_string_equal(m->d->containers[0].env[4].name, "LOG_LEVEL");
    assert_string_equal(m->d->containers[0].env[5].name, "RDS_PASSWORD");
    assert_false(form_row_move(m, row(m, "containers[0].env[0]"), -1, path, sizeof path));
    /* insert after an item, remove items */
    assert_true(form_row_add(m, row(m, "containers[0].env[0]"), path, sizeof path));
    assert_string_equal(path, "containers[0].env[1]");
    assert_null(m->d->containers[0].env[1].name);
    assert_true(form_row_remove(m, row(m, "containers[0].env[1]")));
    assert_true(form_row_remove(m, row(m, "containers[0].env[4]")));
    assert_int_equal(m->d->containers[0].n_env, 6);
    assert_string_equal(m->d->containers[0].env[4].name, "RDS_PASSWORD");
    /* args: a list of strings */
    assert_true(form_row_add(m, row(m, "containers[0].args[+]"), path, sizeof path));
    assert_true(form_row_set_text(m, row(m, path), "--port=8080"));
    assert_true(form_row_add(m, row(m, "containers[0].args[+]"), path, sizeof path));
    assert_true(form_row_set_text(m, row(m, path), "--verbose"));
    assert_true(form_row_move(m, row(m, "containers[0].args[1]"), -1, path, sizeof path));
    assert_string_equal(m->d->containers[0].args.v[0], "--verbose");
    /* a second container, then the first removed */
    assert_true(form_row_add(m, row(m, "containers[+]"), path, sizeof path));
    assert_string_equal(path, "containers[1]");
    assert_non_null(m->rows[row(m, "containers[1].name")].error);
    assert_true(form_row_remove(m, row(m, "containers[0]")));
    assert_int_equal(m->d->n_containers, 1);
    assert_true(form_row_remove(m, row(m, "containers[0]")));
    assert_int_equal(m->d->n_containers, 0);
    assert_string_equal(m->rows[row(m, "containers")].error, "at least one is required");
    /* the analysis list */
    assert_true(form_row_add(m, row(m, "rollout.analysis[+]"), path, sizeof path));
    assert_int_equal(m->d->rollout->n_analysis, 2);
    form_model_free(m);
}

static void test_pending_text_survives_other_edits(void **state)
{
    (void)state;
    form_model_t *m = load_back();
    assert_true(form_row_set_text(m, row(m, "replicas"), "3x"));
    assert_true(form_row_set_text(m, row(m, "containers[0].ports[0].containerPort"), "80a"));
    /* switching a section, adding an env var: elsewhere, so what was typed stays */
    assert_true(form_row_toggle(m, row(m, "migration")));
    assert_true(form_row_add(m, row(m, "containers[0].env[+]"), NULL, 0));
    assert_string_equal(text(m, "replicas"), "3x");
    assert_string_equal(text(m, "containers[0].ports[0].containerPort"), "80a");
    /* removing the port takes its text with it */
    assert_true(form_row_remove(m, row(m, "containers[0].ports[0]")));
    assert_int_equal(m->pending.n, 1);
    assert_string_equal(m->pending.v[0].key, "replicas");
    form_model_free(m);
}

static void test_blank_form(void **state)
{
    (void)state;
    form_model_t *m = form_model_new(form_model_blank("app"));
    assert_string_equal(m->d->namespace_, "app");
    assert_int_equal(m->d->n_containers, 1);
    assert_true(has_row(m, "containers[0].image"));
    assert_true(m->invalid >= 4); /* name, version, container name, image */
    assert_false(has_row(m, "service.port"));
    /* typing the seed's back app into it gives a valid descriptor */
    assert_true(form_row_set_text(m, row(m, "name"), "back"));
    assert_true(form_row_set_text(m, row(m, "version"), "1.0.0"));
    assert_true(form_row_set_text(m, row(m, "containers[0].name"), "back"));
    assert_true(form_row_set_text(m, row(m, "containers[0].image"), "registry.local/app/back:1.0.0"));
    assert_true(form_row_add(m, row(m, "containers[0].ports[+]"), NULL, 0));
    assert_true(form_row_set_text(m, row(m, "containers[0].ports[0].containerPort"), "8080"));
    assert_int_equal(m->invalid, 0);
    char *t = descriptor_to_text(m->d);
    assert_non_null(strstr(t, "\"containerPort\": 8080"));
    free(t);
    form_model_free(m);
}

static void test_draft_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/kdeck-test-drafts.XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("XDG_STATE_HOME", dir, 1);
    char file[1024];
    assert_true(draft_file("arn:aws:eks:eu/prod", "app", "back", true, file, sizeof file));
    char want[1200];
    snprintf(want, sizeof want, "%s/kdeck/drafts/arn:aws:eks:eu_prod/app/back.json", dir);
    assert_string_equal(file, want);
    struct stat st;
    snprintf(want, sizeof want, "%s/kdeck/drafts/arn:aws:eks:eu_prod/app", dir);
    assert_int_equal(stat(want, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char other[1024];
    assert_true(draft_file("ctx", "..", "../x", false, other, sizeof other));
    assert_null(strstr(other, "/../"));

    form_model_t *m = load_back();
    assert_true(form_row_set_text(m, row(m, "replicas"), "3x"));
    assert_int_equal(draft_save(file, m->d, &m->pending), 0);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char err[512];
    draft_t *dr = draft_load(file, err, sizeof err);
    assert_non_null(dr);
    assert_string_equal(err, "");
    assert_true(descriptor_equal(dr->d, m->d));
    assert_int_equal(dr->pending.n, 1);
    assert_string_equal(dr->pending.v[0].key, "replicas");
    assert_string_equal(dr->pending.v[0].value, "3x");
    assert_true(dr->saved > 0);
    /* restored into a form: the typed text is back, with its problem */
    form_model_t *m2 = form_model_new(dr->d);
    dr->d = NULL;
    form_model_set_pending(m2, &dr->pending);
    draft_free(dr);
    assert_string_equal(text(m2, "replicas"), "3x");
    assert_non_null(m2->rows[row(m2, "replicas")].error);
    form_model_free(m2);
    form_model_free(m);

    /* no draft: NULL and no error; a broken one: the file and what is wrong */
    draft_remove(file);
    assert_null(draft_load(file, err, sizeof err));
    assert_string_equal(err, "");
    FILE *f = fopen(file, "w");
    fputs("{\"descriptor\": {\"replicas\": \"x\"}}", f);
    fclose(f);
    assert_null(draft_load(file, err, sizeof err));
    assert_non_null(strstr(err, "descriptor.replicas"));
    draft_remove(file);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_from_the_field_table),
        cmocka_unit_test(test_typing_changes_the_descriptor),
        cmocka_unit_test(test_inline_problems),
        cmocka_unit_test(test_server_errors_on_fields),
        cmocka_unit_test(test_pickers_and_toggles),
        cmocka_unit_test(test_repeated_fields),
        cmocka_unit_test(test_pending_text_survives_other_edits),
        cmocka_unit_test(test_blank_form),
        cmocka_unit_test(test_draft_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

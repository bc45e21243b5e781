/* descriptor: parse errors with JSON paths, save/load round trip, golden Kubernetes objects, the
 * seed application's round trips (objects → descriptor → objects and back), the schema and docs
 * staying in step with the field table, and no crash on any JSON (mutation and truncation). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdeck/descriptor.h"
#include "kdeck/validate.h"

#define DATA "tests/unit/data/descriptor/"
#define SEED "tests/kubesim/seed/"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static cJSON *load_json(const char *path)
{
    char *s = slurp(path);
    cJSON *j = cJSON_Parse(s);
    free(s);
    if (!j)
        fail_msg("%s: invalid JSON", path);
    return j;
}

static descriptor_t *load_example(void)
{
    desc_problems_t pr = {0};
    descriptor_t *d = descriptor_load(DATA "back.json", &pr);
    if (!d)
        fail_msg("%s", desc_problems_format(&pr));
    return d;
}

/* An item of a v1 List by kind (and name when not NULL). */
static const cJSON *list_item(const cJSON *list, const char *kind, const char *name)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
    for (const cJSON *it = items ? items->child : NULL; it; it = it->next) {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "kind"));
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(it, "metadata"), "name"));
        if (k && !strcmp(k, kind) && (!name || (n && !strcmp(n, name))))
            return it;
    }
    return NULL;
}

/* ---- model and JSON ---- */

static void test_parse_example(void **state)
{
    (void)state;
    descriptor_t *d = load_example();
    assert_string_equal(d->namespace_, "app");
    assert_string_equal(d->name, "back");
    assert_string_equal(d->version, "1.0.0");
    assert_int_equal(d->replicas, 2);
    assert_int_equal(d->n_containers, 1);
    const desc_container_t *c = &d->containers[0];
    assert_int_equal(c->n_ports, 1);
    assert_int_equal(c->ports[0].container_port, 8080);
    assert_null(c->ports[0].protocol);
    assert_int_equal(c->n_env, 6);
    assert_string_equal(c->env[4].secret_key_ref->name, "app-db-mysql");
    assert_string_equal(c->resources->requests->cpu, "100m");
    assert_null(c->resources->limits->cpu);
    assert_int_equal(c->readiness_probe->period_seconds, 2);
    assert_int_equal(c->readiness_probe->timeout_seconds, DESC_UNSET);
    assert_int_equal(c->liveness_probe->http_get->port.num, 8080);
    assert_true(d->health_check->use_health_check);
    assert_string_equal(d->health_check->json_field, "healthy");
    assert_int_equal(d->service->port, 8080);
    assert_string_equal(d->ingress->ingress_class_name, "traefik");
    assert_int_equal(d->autoscaler->max_replicas, 6);
    assert_int_equal(d->migration->timeout_seconds, 300);
    assert_string_equal(d->rollout->strategy, "blueGreen");
    assert_int_equal(d->rollout->n_analysis, 1);
    assert_true(d->rollout->analysis[0].threshold->max > 0.0099 &&
                d->rollout->analysis[0].threshold->max < 0.0101);
    assert_true(isnan(d->rollout->analysis[0].threshold->min));
    desc_problems_t pr = {0};
    if (!descriptor_validate(d, &pr))
        fail_msg("example is invalid:\n%s", desc_problems_format(&pr));
    descriptor_free(d);
}

static void test_save_load_round_trip(void **state)
{
    (void)state;
    descriptor_t *d = load_example();
    char *text = descriptor_to_text(d), *file = slurp(DATA "back.json");
    assert_string_equal(text, file);          /* stable key order and layout */
    char path[] = "/tmp/kdeck-desc-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(descriptor_save(d, path), 0);
    descriptor_t *back = descriptor_load(path, NULL);
    assert_non_null(back);
    assert_true(descriptor_equal(d, back));
    descriptor_t *copy = descriptor_dup(d);
    assert_true(descriptor_equal(d, copy));
    copy->replicas = 3;
    assert_false(descriptor_equal(d, copy));
    unlink(path);
    free(text);
    free(file);
    descriptor_free(d);
    descriptor_free(back);
    descriptor_free(copy);

    descriptor_t *empty = descriptor_new();
    char *et = descriptor_to_text(empty);
    assert_string_equal(et, "{\n  \"apiVersion\": \"kdeck/v1\",\n  \"kind\": \"AppDescriptor\"\n}\n");
    free(et);
    descriptor_free(empty);
    desc_problems_t e = {0};
    assert_null(descriptor_load("/nonexistent/x.json", &e));
    assert_int_equal(e.n, 1);
    assert_string_equal(e.v[0].path, "");
    desc_problems_free(&e);
}

typedef struct perr { const char *json, *path, *msg; } perr_t;

static void test_parse_errors(void **state)
{
    (void)state;
    static const perr_t cases[] = {
        {"", "", "invalid JSON at line 1, column 1"},
        {"{\n  \"name\": \"back\",\n  oops\n}", "", "invalid JSON at line 3"},
        {"[1,2]", "", "must be a JSON object"},
        {"{} {}", "", "unexpected text"},
        {"{\"nmae\":\"x\"}", "nmae", "unknown field"},
        {"{\"Name\":\"x\"}", "Name", "did you mean \"name\""},
        {"{\"name\":\"a\",\"name\":\"b\"}", "name", "duplicate field"},
        {"{\"replicas\":\"2\"}", "replicas", "must be an integer >= 0"},
        {"{\"replicas\":1.5}", "replicas", "must be an integer >= 0"},
        {"{\"replicas\":1e30}", "replicas", "must be an integer"},
        {"{\"containers\":{}}", "containers", "must be an array of objects"},
        {"{\"containers\":[1]}", "containers[0]", "must be an object"},
        {"{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80},{\"containerPort\":\"80\"}]}]}",
         "containers[0].ports[1].containerPort", "must be an integer 1-65535"},
        {"{\"containers\":[{\"command\":[\"sh\",2]}]}", "containers[0].command[1]", "must be a string"},
        {"{\"containers\":[{\"env\":[{\"name\":\"A\",\"secretKeyRef\":\"s\"}]}]}",
         "containers[0].env[0].secretKeyRef", "must be an object"},
        {"{\"containers\":[{\"readinessProbe\":{\"httpGet\":{\"port\":true}}}]}",
         "containers[0].readinessProbe.httpGet.port", "must be an integer 1-65535 or a port name"},
        {"{\"labels\":{\"a\":1}}", "labels.a", "must be a string"},
        {"{\"labels\":{\"app.kubernetes.io/x\":1}}", "labels[\"app.kubernetes.io/x\"]", "must be a string"},
        {"{\"labels\":[]}", "labels", "must be an object of strings"},
        {"{\"healthCheck\":{\"useHealthCheck\":\"yes\"}}", "healthCheck.useHealthCheck", "true or false"},
        {"{\"rollout\":{\"analysis\":[{\"threshold\":{\"max\":\"1\"}}]}}",
         "rollout.analysis[0].threshold.max", "must be a number"},
        {"{\"service\":{\"targetPort\":[]}}", "service.targetPort", "or a port name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        desc_problems_t pr = {0};
        descriptor_t *d = descriptor_parse(cases[i].json, strlen(cases[i].json), &pr);
        if (d)
            fail_msg("case %zu parsed: %s", i, cases[i].json);
        const char *msg = desc_problems_find(&pr, cases[i].path);
        if (!msg || !strstr(msg, cases[i].msg))
            fail_msg("case %zu (%s): want %s: %s, got:\n%s", i, cases[i].json, cases[i].path,
                     cases[i].msg, desc_problems_format(&pr));
        desc_problems_free(&pr);
    }
    /* every error is reported, not only the first */
    const char *many = "{\"replicas\":\"x\",\"containers\":[{\"name\":1,\"image\":2}],\"zzz\":0}";
    desc_problems_t pr = {0};
    assert_null(descriptor_parse(many, strlen(many), &pr));
    assert_int_equal(pr.n, 4);
    char *s = desc_problems_format(&pr);
    assert_string_equal(s, "replicas: must be an integer >= 0\ncontainers[0].name: must be a string\n"
                           "containers[0].image: must be a string\nzzz: unknown field\n");
    free(s);
    desc_problems_free(&pr);
    /* null means unset */
    const char *nulls = "{\"replicas\":null,\"service\":null,\"labels\":null}";
    descriptor_t *d = descriptor_parse(nulls, strlen(nulls), NULL);
    assert_non_null(d);
    assert_int_equal(d->replicas, DESC_UNSET);
    assert_null(d->service);
    descriptor_free(d);
}

/* ---- never crash on any JSON ---- */

static void node_path(char *buf, size_t len, const cJSON *const *chain, const int *idx, size_t depth)
{
    buf[0] = '\0';
    for (size_t i = 1; i < depth; i++) {
        size_t o = strlen(buf);
        if (cJSON_IsArray(chain[i - 1]))
            snprintf(buf + o, len - o, "[%d]", idx[i]);
        else {
            const char *k = chain[i]->string;
            bool plain = true;
            for (const char *c = k; *c; c++)
                if (!(((*c | 32) >= 'a' && (*c | 32) <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
                    plain = false;
            if (plain)
                snprintf(buf + o, len - o, "%s%s", o ? "." : "", k);
            else
                snprintf(buf + o, len - o, "[\"%s\"]", k);
        }
    }
}

typedef struct mut_stats { size_t runs, rejected, accepted; } mut_stats_t;

static const char *const replacements[] = {
    "null", "true", "false", "0", "-1", "1.5", "70000", "\"\"", "\"x y\"", "\"Mi\"", "[]", "{}",
    "[1]", "[{}]", "{\"x\":1}", "[\"a\",null]", "{\"name\":{}}", "1e308",
};

/* ReplaceItemViaPointer keeps the replacement's (absent) key: give it the old one. */
static cJSON *replacement(const char *json, const cJSON *old)
{
    cJSON *rep = cJSON_Parse(json);
    if (old->string)
        rep->string = strdup(old->string);
    return rep;
}

static void exercise(const descriptor_t *d)
{
    desc_problems_t pr = {0};
    descriptor_validate(d, &pr);
    desc_problems_free(&pr);
    cJSON *objs = descriptor_objects(d, "blue");
    cJSON_Delete(objs);
    objs = descriptor_objects(d, NULL);
    char *name = descriptor_job_name(d);
    free(name);
    if (objs) {
        const cJSON *dep = list_item(objs, "Deployment", NULL);
        descriptor_t *back = descriptor_from_objects(dep, list_item(objs, "Service", NULL),
                                                     list_item(objs, "Ingress", NULL),
                                                     list_item(objs, "HorizontalPodAutoscaler", NULL), &pr);
        descriptor_free(back);
        desc_problems_free(&pr);
    }
    cJSON_Delete(objs);
}

/* Returns the node now in the tree (a restored copy replaces the original). */
static cJSON *mutate_walk(cJSON *root, cJSON *node, const cJSON **chain, int *idx, size_t depth,
                          mut_stats_t *st)
{
    chain[depth - 1] = node;
    char path[512];
    node_path(path, sizeof path, chain, idx, depth);
    if (depth > 1) {
        for (size_t r = 0; r < sizeof replacements / sizeof replacements[0]; r++) {
            cJSON *rep = replacement(replacements[r], node);
            cJSON *parent = (cJSON *)chain[depth - 2];
            cJSON *saved = cJSON_Duplicate(node, true);
            assert_true(cJSON_ReplaceItemViaPointer(parent, node, rep));
            char *text = cJSON_PrintUnformatted(root);
            desc_problems_t pr = {0};
            descriptor_t *d = descriptor_parse(text, strlen(text), &pr);
            st->runs++;
            if (d) {
                st->accepted++;
                exercise(d);
                descriptor_free(d);
            } else {
                st->rejected++;
                bool found = false;
                for (size_t i = 0; i < pr.n; i++)
                    found |= !strncmp(pr.v[i].path, path, strlen(path));
                if (!found)
                    fail_msg("replacing %s with %s: no problem under that path:\n%s", path,
                             replacements[r], desc_problems_format(&pr));
            }
            desc_problems_free(&pr);
            free(text);
            /* put the original back */
            assert_true(cJSON_ReplaceItemViaPointer(parent, rep, saved));
            node = saved;
            chain[depth - 1] = node;
        }
    }
    int i = 0;
    for (cJSON *c = node->child; c; i++) {
        idx[depth] = i;
        c = mutate_walk(root, c, chain, idx, depth + 1, st)->next;
        chain[depth - 1] = node;
    }
    return node;
}

static void test_mutation_never_crashes(void **state)
{
    (void)state;
    cJSON *root = load_json(DATA "back.json");
    const cJSON *chain[32];
    int idx[32] = {0};
    mut_stats_t st = {0};
    mutate_walk(root, root, chain, idx, 1, &st);
    assert_true(st.runs > 1000);
    assert_true(st.rejected > 0 && st.accepted > 0);
    cJSON_Delete(root);

    /* every prefix of the file: invalid JSON with a message, never a crash */
    char *text = slurp(DATA "back.json");
    size_t n = strlen(text);
    for (size_t len = 0; len + 2 < n; len++) {
        desc_problems_t pr = {0};
        descriptor_t *d = descriptor_parse(text, len, &pr);
        assert_null(d);
        assert_true(pr.n >= 1);
        desc_problems_free(&pr);
    }
    free(text);
}

/* Live objects (the seed Deployment) with every node replaced: descriptor get never crashes. */
static cJSON *walk_objects(cJSON *root, cJSON *node, cJSON *parent, size_t *runs)
{
    if (parent) {
        for (size_t r = 0; r < sizeof replacements / sizeof replacements[0]; r++) {
            cJSON *rep = replacement(replacements[r], node);
            cJSON *saved = cJSON_Duplicate(node, true);
            cJSON_ReplaceItemViaPointer(parent, node, rep);
            desc_problems_t pr = {0};
            descriptor_t *d = descriptor_from_objects(list_item(root, "Deployment", NULL),
                                                      list_item(root, "Service", NULL), NULL, NULL, &pr);
            if (d)
                exercise(d);
            descriptor_free(d);
            desc_problems_free(&pr);
            (*runs)++;
            cJSON_ReplaceItemViaPointer(parent, rep, saved);
            node = saved;
        }
    }
    for (cJSON *c = node->child; c;)
        c = walk_objects(root, c, node, runs)->next;
    return node;
}

static void test_from_objects_mutation_never_crashes(void **state)
{
    (void)state;
    cJSON *seed = load_json(SEED "21-app-back.json");
    size_t runs = 0;
    walk_objects(seed, seed, NULL, &runs);
    assert_true(runs > 500);
    cJSON_Delete(seed);
    assert_null(descriptor_from_objects(NULL, NULL, NULL, NULL, NULL));
    cJSON *arr = cJSON_CreateArray();
    assert_null(descriptor_from_objects(arr, arr, arr, arr, NULL));
    cJSON_Delete(arr);
}

/* ---- objects ---- */

static void assert_json_equal(const cJSON *got, const cJSON *want, const char *what)
{
    if (!cJSON_Compare(got, want, true)) {
        char *g = cJSON_Print(got), *w = cJSON_Print(want);
        fail_msg("%s differs.\ngot:\n%s\nwant:\n%s", what, g, w);
    }
}

static void test_objects_golden(void **state)
{
    (void)state;
    descriptor_t *d = load_example();
    cJSON *got = descriptor_objects(d, NULL), *want = load_json(DATA "back-objects.json");
    assert_json_equal(got, want, "rolling objects");
    cJSON_Delete(got);
    cJSON_Delete(want);
    got = descriptor_objects(d, "green");
    want = load_json(DATA "back-objects-green.json");
    assert_json_equal(got, want, "blue/green objects");
    /* key order is the API's own: kubectl and the diff depend on it */
    const cJSON *dep = list_item(got, "Deployment", "back-green");
    assert_non_null(dep);
    const char *order[] = {"apiVersion", "kind", "metadata", "spec"};
    size_t i = 0;
    for (const cJSON *it = dep->child; it; it = it->next, i++)
        assert_string_equal(it->string, order[i]);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(got, "items");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(items->child, "kind")), "Job");
    cJSON_Delete(got);
    cJSON_Delete(want);

    /* each builder alone; sections absent → NULL */
    cJSON *svc = descriptor_service(d, "blue");
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, "spec"), "selector");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sel, "slot")), "blue");
    cJSON_Delete(svc);
    descriptor_t *bare = descriptor_new();
    assert_null(descriptor_deployment(bare, NULL));     /* no name */
    bare->name = strdup("x");
    bare->namespace_ = strdup("n");
    assert_null(descriptor_service(bare, NULL));
    assert_null(descriptor_ingress(bare));
    assert_null(descriptor_hpa(bare, NULL));
    assert_null(descriptor_migration_job(bare));
    cJSON *dp = descriptor_deployment(bare, NULL);
    assert_non_null(dp);
    cJSON_Delete(dp);
    descriptor_free(bare);
    descriptor_free(d);
}

static void test_job_name(void **state)
{
    (void)state;
    descriptor_t *d = load_example();
    char *n = descriptor_job_name(d);
    assert_string_equal(n, "back-migrate-1-0-0");
    free(n);
    free(d->version);
    d->version = strdup("V2.0_RC+build.7");
    n = descriptor_job_name(d);
    assert_string_equal(n, "back-migrate-v2-0-rc-build-7");
    assert_null(validate_dns_label(n));
    free(n);
    free(d->name);
    d->name = strdup("a-very-long-application-name-that-goes-on-and-on-x");
    free(d->version);
    d->version = strdup("2024.01.01-1234");
    n = descriptor_job_name(d);
    assert_true(strlen(n) <= 63);
    assert_null(validate_dns_label(n));
    free(n);
    free(d->version);
    d->version = strdup("__");
    n = descriptor_job_name(d);
    assert_null(validate_dns_label(n));
    free(n);
    cJSON *job = descriptor_migration_job(d);
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(job, "spec");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(spec, "activeDeadlineSeconds")->valueint, 300);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(spec, "backoffLimit")->valueint, 0);
    cJSON_Delete(job);
    descriptor_free(d);
}

/* Every key of `a` is in `b` with the same value (arrays: same length, item by item); paths in
 * `ignore` ("metadata.labels.version") are skipped. */
static bool json_subset(const cJSON *a, const cJSON *b, const char *path, const char *const *ignore,
                        char *where, size_t wlen)
{
    for (size_t i = 0; ignore && ignore[i]; i++)
        if (!strcmp(ignore[i], path))
            return true;
    if (cJSON_IsObject(a)) {
        if (!cJSON_IsObject(b))
            goto differ;
        for (const cJSON *it = a->child; it; it = it->next) {
            char p[512];
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", it->string);
            if (!json_subset(it, cJSON_GetObjectItemCaseSensitive(b, it->string), p, ignore, where, wlen))
                return false;
        }
        return true;
    }
    if (cJSON_IsArray(a)) {
        if (!cJSON_IsArray(b) || cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            goto differ;
        const cJSON *y = b->child;
        int i = 0;
        for (const cJSON *x = a->child; x; x = x->next, y = y->next, i++) {
            char p[512];
            snprintf(p, sizeof p, "%s[%d]", path, i);
            if (!json_subset(x, y, p, ignore, where, wlen))
                return false;
        }
        return true;
    }
    if (b && cJSON_Compare(a, b, true))
        return true;
differ:
    snprintf(where, wlen, "%s", path);
    return false;
}

#define SUBSET(a, b, ignore, what) do { \
        char where_[512] = ""; \
        if (!json_subset(a, b, "", ignore, where_, sizeof where_)) \
            fail_msg("%s: differs at %s", what, where_); \
    } while (0)

static void seed_round_trip(const char *app, const char *file)
{
    cJSON *seed = load_json(file), *ing = load_json(SEED "40-app-ingress.json"),
          *hpas = load_json(SEED "42-app-hpa.json");
    const cJSON *dep = list_item(seed, "Deployment", app), *svc = list_item(seed, "Service", app);
    const cJSON *ingress = list_item(ing, "Ingress", "app"), *hpa = list_item(hpas, "HorizontalPodAutoscaler", app);
    assert_non_null(dep);
    assert_non_null(svc);
    desc_problems_t notes = {0};
    descriptor_t *d1 = descriptor_from_objects(dep, svc, ingress, hpa, &notes);
    assert_non_null(d1);
    if (notes.n)
        fail_msg("%s: unexpected notes:\n%s", app, desc_problems_format(&notes));
    desc_problems_t pr = {0};
    if (!descriptor_validate(d1, &pr))
        fail_msg("%s: derived descriptor is invalid:\n%s", app, desc_problems_format(&pr));
    assert_string_equal(d1->name, app);
    assert_string_equal(d1->version, "1.0.0");       /* from the image tag */
    assert_non_null(d1->ingress);
    assert_string_equal(d1->ingress->host, "app.local");

    if (!strcmp(app, "back")) {       /* docs/descriptor.md says so */
        descriptor_t *ex = load_example();
        free(ex->ingress->tls_secret);
        ex->ingress->tls_secret = NULL;
        descriptor_t *cut = descriptor_new();
        cut->health_check = ex->health_check;
        cut->autoscaler = ex->autoscaler;
        cut->migration = ex->migration;
        cut->rollout = ex->rollout;
        ex->health_check = NULL;
        ex->autoscaler = NULL;
        ex->migration = NULL;
        ex->rollout = NULL;
        assert_true(descriptor_equal(ex, d1));
        descriptor_free(ex);
        descriptor_free(cut);
    }

    /* descriptor → objects → descriptor: equal */
    cJSON *objs = descriptor_objects(d1, NULL);
    descriptor_t *d2 = descriptor_from_objects(list_item(objs, "Deployment", app),
                                               list_item(objs, "Service", app),
                                               list_item(objs, "Ingress", app),
                                               list_item(objs, "HorizontalPodAutoscaler", app), &notes);
    if (!descriptor_equal(d1, d2)) {
        char *a = descriptor_to_text(d1), *b = descriptor_to_text(d2);
        fail_msg("%s: descriptors differ:\n%s\n---\n%s", app, a, b);
    }
    assert_int_equal(notes.n, 0);

    /* objects → descriptor → objects: what the descriptor covers is equal both ways */
    static const char *const ours[] = {"metadata.labels.app.kubernetes.io/managed-by",
                                       "metadata.labels.version", "metadata.labels", NULL};
    const cJSON *dep2 = list_item(objs, "Deployment", app), *svc2 = list_item(objs, "Service", app);
    SUBSET(dep, dep2, NULL, "seed Deployment ⊆ built");
    SUBSET(dep2, dep, ours, "built Deployment ⊆ seed");
    SUBSET(svc, svc2, NULL, "seed Service ⊆ built");
    SUBSET(svc2, svc, ours, "built Service ⊆ seed");
    if (hpa) {
        const cJSON *hpa2 = list_item(objs, "HorizontalPodAutoscaler", app);
        SUBSET(cJSON_GetObjectItemCaseSensitive(hpa, "spec"), cJSON_GetObjectItemCaseSensitive(hpa2, "spec"),
               NULL, "seed HPA spec ⊆ built");
        SUBSET(cJSON_GetObjectItemCaseSensitive(hpa2, "spec"), cJSON_GetObjectItemCaseSensitive(hpa, "spec"),
               NULL, "built HPA spec ⊆ seed");
    }
    /* the shared ingress: our rule is the seed's rule for this service */
    const cJSON *ing2 = list_item(objs, "Ingress", app);
    const cJSON *spec2 = cJSON_GetObjectItemCaseSensitive(ing2, "spec");
    const cJSON *path2 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(spec2, "rules"), 0), "http"), "paths"), 0);
    const cJSON *seed_paths = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ingress, "spec"), "rules"), 0),
        "http"), "paths");
    bool found = false;
    for (const cJSON *p = seed_paths->child; p; p = p->next)
        found |= cJSON_Compare(p, path2, true);
    assert_true(found);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec2, "ingressClassName")), "traefik");

    desc_problems_free(&notes);
    desc_problems_free(&pr);
    cJSON_Delete(objs);
    descriptor_free(d1);
    descriptor_free(d2);
    cJSON_Delete(seed);
    cJSON_Delete(ing);
    cJSON_Delete(hpas);
}

static void test_seed_round_trip_back(void **state)
{
    (void)state;
    seed_round_trip("back", SEED "21-app-back.json");
}

static void test_seed_round_trip_front(void **state)
{
    (void)state;
    seed_round_trip("front", SEED "22-app-front.json");
}

static void test_blue_green_round_trip(void **state)
{
    (void)state;
    descriptor_t *d = load_example();
    for (int rolling = 0; rolling < 2; rolling++) {
        cJSON *objs = descriptor_objects(d, rolling ? NULL : "green");
        desc_problems_t notes = {0};
        descriptor_t *back = descriptor_from_objects(list_item(objs, "Deployment", NULL),
                                                     list_item(objs, "Service", NULL),
                                                     list_item(objs, "Ingress", NULL),
                                                     list_item(objs, "HorizontalPodAutoscaler", NULL), &notes);
        if (!descriptor_equal(d, back)) {
            char *a = descriptor_to_text(d), *b = descriptor_to_text(back);
            fail_msg("differs:\n%s\n---\n%s", a, b);
        }
        assert_int_equal(notes.n, 0);
        descriptor_free(back);
        cJSON_Delete(objs);
    }
    descriptor_free(d);
}

static void test_from_live_object(void **state)
{
    (void)state;
    /* a Deployment as the API server returns it: defaults are not copied into the descriptor */
    cJSON *live = load_json(DATA "back-live-deployment.json");
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(live, "spec"), "template"),
                          "x", cJSON_CreateNull());
    cJSON *pod = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(live, "spec"), "template"), "spec");
    cJSON_AddItemToObject(pod, "volumes", cJSON_CreateArray());
    desc_problems_t notes = {0};
    descriptor_t *d = descriptor_from_objects(live, NULL, NULL, NULL, &notes);
    assert_non_null(d);
    const desc_container_t *c = &d->containers[0];
    assert_null(c->ports[0].protocol);
    assert_int_equal(c->readiness_probe->timeout_seconds, DESC_UNSET);
    assert_int_equal(c->readiness_probe->failure_threshold, DESC_UNSET);
    assert_null(c->readiness_probe->http_get->scheme);
    assert_string_equal(d->version, "1.0.0");          /* from the version label */
    assert_non_null(desc_problems_find(&notes, "spec.template.spec.volumes"));
    assert_string_equal(d->rollout->strategy, "blueGreen");   /* from the settings annotation */
    desc_problems_free(&notes);
    descriptor_free(d);
    cJSON_Delete(live);
}

/* ---- schema and docs follow the table ---- */

static void test_schema_file_matches(void **state)
{
    (void)state;
    cJSON *gen = descriptor_schema(), *file = load_json("docs/descriptor.schema.json");
    if (!cJSON_Compare(gen, file, true)) {
        char *s = cJSON_Print(gen);
        fail_msg("docs/descriptor.schema.json is stale; regenerate it. Generated:\n%.2000s", s);
    }
    cJSON_Delete(gen);
    cJSON_Delete(file);
}

static void doc_walk(const desc_type_t *t, const char *prefix, const char *doc)
{
    for (size_t i = 0; i < t->n_fields; i++) {
        const desc_field_t *f = &t->fields[i];
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", f->key);
        char needle[300];
        snprintf(needle, sizeof needle, "`%s`", path);
        if (!strstr(doc, needle))
            fail_msg("docs/descriptor.md does not document %s", needle);
        if (f->sub && strlen(path) < 120)
            doc_walk(f->sub, path, doc);
    }
}

static void test_docs_cover_every_field(void **state)
{
    (void)state;
    char *doc = slurp("docs/descriptor.md");
    doc_walk(&desc_type_descriptor, "", doc);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_example),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_mutation_never_crashes),
        cmocka_unit_test(test_from_objects_mutation_never_crashes),
        cmocka_unit_test(test_objects_golden),
        cmocka_unit_test(test_job_name),
        cmocka_unit_test(test_seed_round_trip_back),
        cmocka_unit_test(test_seed_round_trip_front),
        cmocka_unit_test(test_blue_green_round_trip),
        cmocka_unit_test(test_from_live_object),
        cmocka_unit_test(test_schema_file_matches),
        cmocka_unit_test(test_docs_cover_every_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

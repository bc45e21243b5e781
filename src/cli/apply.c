/* `kdeck apply -f FILE [--dry-run]`: a descriptor applied as a plain rolling update.
 *
 *   1. load and validate the descriptor (every problem reported, as `descriptor validate` does);
 *   2. build its objects (Job, Deployment, Service, Ingress, HPA), GET the live ones and print the
 *      diff live → desired; an app deployed blue/green (its Service selects slot=blue|green) gets
 *      the objects of its active slot, and a running rollout of the app (its Lease held by a live
 *      driver) refuses the apply with exit 3;
 *   3. --dry-run: send the writes with ?dryRun=All so the server validates them, and stop;
 *   4. run the migration Job (if any, and not run yet for this version) and wait for it;
 *   5. create what is missing (POST), update what changed (PUT of the live object with the
 *      desired fields merged in, carrying the live metadata.resourceVersion: a 409 means someone
 *      changed it since step 2);
 *   6. follow the Deployment's rollout as `kubectl rollout status` does.
 * Every request goes through the one HTTP client, so a read-only session refuses the first write.
 * Each write is recorded in the local audit log (audit.h). Exit statuses: cli_int.h. */
#include "cli_int.h"

#include "kdeck/apierror.h"
#include "kdeck/apply_plan.h"
#include "kdeck/audit.h"
#include "kdeck/descriptor.h"
#include "kdeck/strutil.h"
#include "kdeck/textdiff.h"
#include "kdeck/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct obj {
    const cJSON *desired;      /* borrowed from the List */
    cJSON *live;               /* NULL: does not exist yet */
    const char *kind, *name;
    char coll[600], path[700]; /* collection path, object path */
    textdiff_t *diff;
    bool changed;              /* missing, or the diff has hunks */
} obj_t;

typedef struct apply {
    kube_conn_t *c;
    const char *ns;
    bool dry_run, color;
    long timeout_ms;
    uint64_t deadline;         /* uv_now() value */
    obj_t objs[8];
    size_t n;
} apply_t;

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void usage(FILE *f)
{
    fputs("Usage: kdeck apply -f FILE [--dry-run] [-n NS] [--timeout DURATION] [--validate=false]\n"
          "Applies a descriptor (docs/descriptor.md) as a plain rolling update: prints the diff\n"
          "against the live objects, runs the migration Job, creates or updates the objects and\n"
          "follows the rollout; a blue/green app is updated in its active slot. --dry-run stops\n"
          "after the diff and the server's dry run.\n"
          "Exit: 0 done, 1 failed or timed out, 2 usage or read-only, 3 conflict or a rollout running,\n"
          "4 API unreachable.\n",
          f);
}

/* ---- output ---- */

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_CYAN "\033[36m"

static void print_diff(const apply_t *a, const textdiff_t *d)
{
    for (size_t h = 0; h < d->n_hunks; h++) {
        const textdiff_hunk_t *hk = &d->hunks[h];
        printf("%s@@ -%zu,%zu +%zu,%zu @@%s\n", a->color ? C_CYAN : "", hk->old_start, hk->old_count,
               hk->new_start, hk->new_count, a->color ? C_RESET : "");
        for (size_t i = hk->first; i < hk->first + hk->count; i++) {
            const textdiff_line_t *l = &d->lines[i];
            const char *col = !a->color ? "" : l->tag == '+' ? C_GREEN : l->tag == '-' ? C_RED : "";
            printf("%s%c%.*s%s\n", col, l->tag, (int)l->len, l->text, col[0] ? C_RESET : "");
        }
    }
}

static void header(const apply_t *a, const obj_t *o, const char *what)
{
    printf("%s%s %s/%s: %s%s\n", a->color ? C_BOLD : "", o->kind, a->ns, o->name, what,
           a->color ? C_RESET : "");
}

/* The API's field causes of a 422 (details.causes), one per line. */
static void print_causes(const char *kind, const kube_resp_t *r)
{
    cJSON *st = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *cause;
    cJSON_ArrayForEach(cause, jget(jget(st, "details"), "causes")) {
        const char *field = jstr(cause, "field"), *msg = jstr(cause, "message");
        char dpath[300];
        bool mapped = apply_cause_path(kind, field, dpath, sizeof dpath);
        fprintf(stderr, "  %s: %s%s%s%s\n", field ? field : "(object)", msg ? msg : "invalid",
                mapped ? " (descriptor: " : "", mapped ? dpath : "", mapped ? ")" : "");
    }
    cJSON_Delete(st);
}

static void audit(const apply_t *a, const char *verb, const obj_t *o, const kube_resp_t *r)
{
    char object[400], result[700];
    snprintf(object, sizeof object, "%s/%s/%s", apply_resource_name(o->kind), a->ns, o->name);
    if (r->refused) {
        snprintf(result, sizeof result, "refused: %s", r->error);
    } else if (r->status >= 200 && r->status < 300) {
        snprintf(result, sizeof result, "%ld %s", r->status, r->status == 201 ? "Created" : "OK");
    } else {
        http_result_t res;
        kube_resp_result(r, &res);
        api_error_describe(NULL, &res, result, sizeof result);
    }
    const kube_target_t *t = a->c->target;
    audit_entry_t e = { .context = t->context, .user = t->user_name, .verb = verb,
                        .object = object, .result = result };
    int rc = audit_record(&e);
    if (rc)
        fprintf(stderr, "kdeck: warning: cannot write the audit log: %s\n", strerror(-rc));
}

/* ---- steps ---- */

static int fetch_live(apply_t *a, const cJSON *list)
{
    char err[1500];
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(list, "items")) {
        if (a->n == sizeof a->objs / sizeof a->objs[0])
            break;
        obj_t *o = &a->objs[a->n++];
        o->desired = it;
        o->kind = jstr(it, "kind");
        o->name = jstr(jget(it, "metadata"), "name");
        if (!o->kind || !o->name ||
            !apply_object_path(o->kind, a->ns, NULL, o->coll, sizeof o->coll)) {
            fprintf(stderr, "kdeck: cannot apply a %s\n", o->kind ? o->kind : "nameless object");
            return CLI_FAIL;
        }
        apply_object_path(o->kind, a->ns, o->name, o->path, sizeof o->path);
        int rc = cli_get_json(a->c, o->path, true, &o->live, err, sizeof err);
        if (rc != CLI_OK) {
            fprintf(stderr, "kdeck: %s\n", err);
            return rc;
        }
        if (!strcmp(o->kind, "Job") && o->live) {
            o->changed = apply_object_changed(o->kind, o->live, NULL);
            continue;
        }
        o->diff = textdiff_objects(o->desired, o->live, 3);
        if (!o->diff) {
            fprintf(stderr, "kdeck: out of memory\n");
            return CLI_FAIL;
        }
        o->changed = apply_object_changed(o->kind, o->live, o->diff);
    }
    return CLI_OK;
}

static void print_diffs(apply_t *a)
{
    for (size_t i = 0; i < a->n; i++) {
        obj_t *o = &a->objs[i];
        char what[80];
        header(a, o, apply_object_summary(o->kind, o->live, o->diff, what, sizeof what));
        if ((!strcmp(o->kind, "Job") && o->live) || !o->changed)
            continue;
        printf("%s--- live%s\n%s+++ desired%s\n", a->color ? C_RED : "", a->color ? C_RESET : "",
               a->color ? C_GREEN : "", a->color ? C_RESET : "");
        print_diff(a, o->diff);
    }
    fflush(stdout);
}

/* The 409 flow: what changed on the server since we read it. */
static void explain_conflict(apply_t *a, obj_t *o)
{
    char err[1500];
    cJSON *now = NULL;
    const char *old_rv = jstr(jget(o->live, "metadata"), "resourceVersion");
    char text[700];
    fprintf(stderr, "kdeck: %s\n", apply_conflict_text(o->kind, a->ns, o->name, o->live, text, sizeof text));
    if (cli_get_json(a->c, o->path, true, &now, err, sizeof err) != CLI_OK) {
        fprintf(stderr, "kdeck: %s\n", err);
        return;
    }
    if (!now) {
        fprintf(stderr, "It has been deleted meanwhile.\n");
        return;
    }
    textdiff_t *d = apply_conflict_diff(o->live, now, o->desired);
    const char *new_rv = jstr(jget(now, "metadata"), "resourceVersion");
    fprintf(stderr, "What changed on the server (resourceVersion %s -> %s):\n", old_rv ? old_rv : "?",
            new_rv ? new_rv : "?");
    if (d && d->n_hunks) {
        fflush(stderr);
        printf("--- read by kdeck\n+++ on the server now\n");
        print_diff(a, d);
        fflush(stdout);
    } else {
        fprintf(stderr, "  (only fields kdeck does not show: status or metadata)\n");
    }
    fprintf(stderr, "Run kdeck apply again to see the diff against the new version and apply over it.\n");
    textdiff_free(d);
    cJSON_Delete(now);
}

/* Reports a failed write; returns the exit status. */
static int write_failed(apply_t *a, obj_t *o, const char *method, const char *path, const kube_resp_t *r)
{
    if (r->refused) {
        fprintf(stderr, "kdeck: %s — this is a read-only session; nothing was changed.\n", r->error);
        return CLI_USAGE;
    }
    http_result_t res;
    kube_resp_result(r, &res);
    char what[800], msg[1500];
    snprintf(what, sizeof what, "%s %s", method, path);
    api_error_describe(what, &res, msg, sizeof msg);
    fprintf(stderr, "kdeck: %s %s/%s: %s\n", o->kind, a->ns, o->name, msg);
    if (r->status == 422) {
        fprintf(stderr, "The API server rejected these fields:\n");
        print_causes(o->kind, r);
        return CLI_FAIL;
    }
    if (r->status == 409 && o->live && !a->dry_run) {
        explain_conflict(a, o);
        return CLI_CONFLICT;
    }
    if (r->status == 409)
        return CLI_CONFLICT;
    return cli_status_of(r);
}

/* POST (missing) or PUT (changed) one object; dry: with ?dryRun=All. *resp_obj: the answer. */
static int write_object(apply_t *a, obj_t *o, bool dry, cJSON **resp_obj)
{
    const char *method = o->live ? "PUT" : "POST";
    char path[800];
    snprintf(path, sizeof path, "%s%s", o->live ? o->path : o->coll, dry ? "?dryRun=All" : "");
    char *body = apply_write_body(o->live, o->desired);
    kube_resp_t r;
    if (!body || kube_conn_call(a->c, method, path, body, "application/json", 0, &r) != 0) {
        free(body);
        fprintf(stderr, "kdeck: out of memory\n");
        return CLI_FAIL;
    }
    free(body);
    if (!dry)
        audit(a, o->live ? "update" : "create", o, &r);
    int rc = CLI_OK;
    if (r.status == 200 || r.status == 201) {
        if (resp_obj)
            *resp_obj = cJSON_ParseWithLength(r.body, r.body_len);
        if (!dry)
            printf("%s %s/%s %s\n", o->kind, a->ns, o->name, o->live ? "updated" : "created");
        else
            printf("%s %s/%s: server dry run ok\n", o->kind, a->ns, o->name);
        fflush(stdout);
    } else {
        rc = write_failed(a, o, method, path, &r);
    }
    kube_resp_free(&r);
    return rc;
}

static bool past_deadline(apply_t *a)
{
    uv_update_time(&a->c->loop);
    return uv_now(&a->c->loop) >= a->deadline;
}

/* Test hook (tests/e2e/descriptor_cli.sh): KDECK_TEST_PAUSE_BEFORE_WRITE=FILE makes apply wait,
 * after reading the live objects and before the first write, until FILE exists (at most 60 s),
 * so a test can change an object in between and see the 409 flow. */
static void test_pause(apply_t *a)
{
    const char *f = getenv("KDECK_TEST_PAUSE_BEFORE_WRITE");
    if (!f || !*f)
        return;
    fprintf(stderr, "kdeck: test hook: waiting for %s\n", f);
    struct stat st;
    for (int i = 0; i < 600 && stat(f, &st) != 0; i++)
        kube_conn_sleep(a->c, 100);
}

static int run_migration(apply_t *a, obj_t *o)
{
    if (o->live) {
        const char *msg, *state = apply_job_state(o->live, &msg);
        if (state && !strcmp(state, "Complete"))
            return CLI_OK;
        if (state) {
            fprintf(stderr, "kdeck: migration Job %s/%s failed earlier: %s; delete it to run it again\n",
                    a->ns, o->name, msg ? msg : "Failed");
            return CLI_FAIL;
        }
    } else {
        int rc = write_object(a, o, false, NULL);
        if (rc != CLI_OK)
            return rc;
    }
    printf("Waiting for migration Job %s/%s to complete...\n", a->ns, o->name);
    fflush(stdout);
    char err[1500];
    for (;;) {
        cJSON *job = NULL;
        int rc = cli_get_json(a->c, o->path, false, &job, err, sizeof err);
        if (rc != CLI_OK) {
            fprintf(stderr, "kdeck: %s\n", err);
            return rc;
        }
        const char *msg, *state = apply_job_state(job, &msg);
        if (state && !strcmp(state, "Complete")) {
            printf("migration Job %s/%s completed\n", a->ns, o->name);
            cJSON_Delete(job);
            return CLI_OK;
        }
        if (state) {
            fprintf(stderr, "kdeck: migration Job %s/%s failed: %s; the Deployment was not updated\n",
                    a->ns, o->name, msg ? msg : "Failed");
            cJSON_Delete(job);
            return CLI_FAIL;
        }
        cJSON_Delete(job);
        if (past_deadline(a)) {
            fprintf(stderr, "kdeck: timed out waiting for migration Job %s/%s; the Deployment was not updated\n",
                    a->ns, o->name);
            return CLI_FAIL;
        }
        kube_conn_sleep(a->c, 500);
    }
}

static int follow_rollout(apply_t *a, obj_t *o)
{
    char err[1500], msg[400], last[400] = "";
    int unreachable = 0;
    for (;;) {
        cJSON *dep = NULL;
        int rc = cli_get_json(a->c, o->path, false, &dep, err, sizeof err);
        if (rc == CLI_UNREACHABLE && ++unreachable < 5) {
            fprintf(stderr, "kdeck: %s (retrying)\n", err);
        } else if (rc != CLI_OK) {
            fprintf(stderr, "kdeck: %s\n", err);
            return rc;
        } else {
            unreachable = 0;
            apply_rollout_t st = apply_rollout_status(dep, msg, sizeof msg, NULL, 0);
            bool done = st == APPLY_ROLLOUT_DONE, failed = st == APPLY_ROLLOUT_FAILED;
            cJSON_Delete(dep);
            if (strcmp(msg, last)) {
                (failed ? fprintf(stderr, "kdeck: %s\n", msg) : printf("%s\n", msg));
                fflush(stdout);
                snprintf(last, sizeof last, "%s", msg);
            }
            if (done)
                return CLI_OK;
            if (failed)
                return CLI_FAIL;
        }
        if (past_deadline(a)) {
            fprintf(stderr, "kdeck: timed out after %lds waiting for deployment \"%s\" to roll out\n",
                    a->timeout_ms / 1000, o->name);
            return CLI_FAIL;
        }
        kube_conn_sleep(a->c, 500);
    }
}

static int apply_objects(apply_t *a)
{
    bool any = false;
    for (size_t i = 0; i < a->n; i++)
        any |= a->objs[i].changed || (!strcmp(a->objs[i].kind, "Job") && !a->objs[i].live);
    if (!any) {
        printf("Nothing to apply: the live objects match the descriptor.\n");
        return CLI_OK;
    }
    if (a->dry_run) {
        if (a->c->read_only) {
            printf("Read-only session: the server-side dry run is skipped.\n");
            return CLI_OK;
        }
        for (size_t i = 0; i < a->n; i++) {
            obj_t *o = &a->objs[i];
            if (!o->changed)
                continue;
            int rc = write_object(a, o, true, NULL);
            if (rc != CLI_OK)
                return rc;
        }
        printf("Dry run: nothing was changed.\n");
        return CLI_OK;
    }
    test_pause(a);
    obj_t *dep = NULL;
    for (size_t i = 0; i < a->n; i++) {
        obj_t *o = &a->objs[i];
        if (!strcmp(o->kind, "Job")) {
            int rc = run_migration(a, o);
            if (rc != CLI_OK)
                return rc;
            continue;
        }
        if (!o->changed)
            continue;
        int rc = write_object(a, o, false, NULL);
        if (rc != CLI_OK)
            return rc;
        if (!strcmp(o->kind, "Deployment"))
            dep = o;
    }
    return dep ? follow_rollout(a, dep) : CLI_OK;
}

/* An app a blue/green rollout made is applied to its active slot (apply_plan.h), and not while a
 * rollout of it runs (exit 3). slot gets "blue"/"green", or "" for a plain app. */
static int find_slot(kube_conn_t *c, const descriptor_t *d, char *slot, size_t len)
{
    char path[700], err[1500], msg[1200], host[256] = "";
    cJSON *lease = NULL, *svc = NULL;
    slot[0] = '\0';
    apply_rollout_lease_path(d->namespace_, d->name, path, sizeof path);
    int rc = cli_get_json(c, path, true, &lease, err, sizeof err);
    if (rc != CLI_OK) {
        fprintf(stderr, "kdeck: cannot tell whether a rollout of %s is running: %s\n", d->name, err);
        return rc;
    }
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    bool running = apply_rollout_running(lease, d->name, host,
                                         (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, msg, sizeof msg);
    cJSON_Delete(lease);
    if (running) {
        fprintf(stderr, "kdeck: %s\n", msg);
        return CLI_CONFLICT;
    }
    apply_object_path("Service", d->namespace_, d->name, path, sizeof path);
    if ((rc = cli_get_json(c, path, true, &svc, err, sizeof err)) != CLI_OK) {
        fprintf(stderr, "kdeck: %s\n", err);
        return rc;
    }
    const char *active = apply_active_slot(svc);
    snprintf(slot, len, "%s", active ? active : "");
    cJSON_Delete(svc);
    if (slot[0]) {
        printf("%s\n", apply_bluegreen_note(d->name, slot, msg, sizeof msg));
        fflush(stdout);
    }
    return CLI_OK;
}

int cli_apply_main(int argc, char **argv, const cli_conn_t *conn)
{
    const char *file = NULL, *ns = conn->ns;
    bool dry_run = false, validate = true;
    long timeout_ms = 5 * 60 * 1000;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if ((!strcmp(s, "-f") || !strcmp(s, "--filename")) && i + 1 < argc)
            file = argv[++i];
        else if (!strncmp(s, "--filename=", 11))
            file = s + 11;
        else if ((!strcmp(s, "-n") || !strcmp(s, "--namespace")) && i + 1 < argc)
            ns = argv[++i];
        else if (!strncmp(s, "--namespace=", 12))
            ns = s + 12;
        else if (!strcmp(s, "--dry-run") || !strcmp(s, "--dry-run=server") || !strcmp(s, "--dry-run=client"))
            dry_run = true;
        else if (!strcmp(s, "--validate=false"))
            validate = false;
        else if (!strcmp(s, "--validate") || !strcmp(s, "--validate=true"))
            validate = true;
        else if ((!strcmp(s, "--timeout") && i + 1 < argc) || !strncmp(s, "--timeout=", 10)) {
            const char *v = s[9] == '=' ? s + 10 : argv[++i];
            if ((timeout_ms = str_parse_duration_ms(v)) <= 0) {
                fprintf(stderr, "kdeck apply: invalid --timeout '%s' (e.g. 5m, 90s)\n", v);
                return CLI_USAGE;
            }
        } else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage(stdout);
            return CLI_OK;
        } else {
            fprintf(stderr, "kdeck apply: unexpected argument '%s'\n", s);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!file) {
        fprintf(stderr, "kdeck apply: -f FILE is required\n");
        usage(stderr);
        return CLI_USAGE;
    }

    desc_problems_t p = {0};
    descriptor_t *d = descriptor_load(file, &p);
    if (d && validate)
        descriptor_validate(d, &p);
    if (!d || p.n) {
        for (size_t i = 0; i < p.n; i++)
            fprintf(stderr, "%s: %s%s%s\n", file, p.v[i].path, p.v[i].path[0] ? ": " : "", p.v[i].msg);
        if (!d && !p.n)
            fprintf(stderr, "%s: cannot be read\n", file);
        desc_problems_free(&p);
        descriptor_free(d);
        return CLI_FAIL;
    }
    desc_problems_free(&p);
    if (!d->namespace_ || !d->name) {
        fprintf(stderr, "%s: namespace and name are required\n", file);
        descriptor_free(d);
        return CLI_FAIL;
    }
    if (ns && *ns && strcmp(ns, d->namespace_)) {
        fprintf(stderr, "kdeck apply: the descriptor's namespace \"%s\" does not match -n \"%s\"\n",
                d->namespace_, ns);
        descriptor_free(d);
        return CLI_USAGE;
    }
    char err[1500], slot[8];
    kube_conn_t *c = kube_conn_open(conn->kubeconfig, conn->context, d->namespace_, conn->read_only,
                                    err, sizeof err);
    if (!c) {
        fprintf(stderr, "kdeck: %s\n", err);
        descriptor_free(d);
        return CLI_FAIL;
    }
    int rc = find_slot(c, d, slot, sizeof slot);
    cJSON *list = rc == CLI_OK ? descriptor_objects(d, slot[0] ? slot : NULL) : NULL;
    if (!list) {
        if (rc == CLI_OK)
            fprintf(stderr, "kdeck apply: %s: cannot build the objects\n", file);
        kube_conn_close(c);
        descriptor_free(d);
        return rc == CLI_OK ? CLI_FAIL : rc;
    }
    const char *nc = getenv("NO_COLOR");
    apply_t a = {
        .c = c, .ns = d->namespace_, .dry_run = dry_run, .timeout_ms = timeout_ms,
        .color = isatty(STDOUT_FILENO) && !(nc && *nc),
    };
    uv_update_time(&c->loop);
    a.deadline = uv_now(&c->loop) + (uint64_t)timeout_ms;
    rc = fetch_live(&a, list);
    if (rc == CLI_OK) {
        print_diffs(&a);
        rc = apply_objects(&a);
    }
    for (size_t i = 0; i < a.n; i++) {
        cJSON_Delete(a.objs[i].live);
        textdiff_free(a.objs[i].diff);
    }
    kube_conn_close(c);
    cJSON_Delete(list);
    descriptor_free(d);
    return rc;
}

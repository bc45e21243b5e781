/* The TUI's preview and apply of a descriptor (form_apply.h), on the session's async client: one
 * request at a time, each step started from the previous one's callback, so the loop never
 * blocks. The pure decisions (paths, write bodies, preview words, rollout status, 422 causes,
 * 409 words) are apply_plan.h's, shared with `kdeck apply`.
 *
 *   load:    GET the rollout Lease (a running rollout refuses the apply) and Service <app> (its
 *            slot=blue|green selector: a blue/green app is applied to its active slot), build
 *            the objects, GET each (404 = will be created) → diffs → the preview view
 *   commit:  the Lease again, then Job first (POST, then poll until Complete), then PUT/POST
 *            each changed object
 *   after:   applied → poll the Deployment and put `kubectl rollout status` in the status line
 *            409 → GET the object again, show what changed on the server, offer `r`
 *            422 → causes as descriptor paths to the form (or in the preview without a form)
 *
 * Lifetime: a flow is on its session's list and frees itself once its caller released it, its
 * preview is closed and nothing is in flight; form_apply_close_all() ends the rest with the
 * session. `busy` defers that while one of our own functions is still on the stack (a callback or
 * a popped view can re-enter). */
#include "form_apply.h"
#include "app_int.h"

#include "kdeck/apierror.h"
#include "kdeck/apply_plan.h"
#include "kdeck/audit.h"
#include "kdeck/textdiff.h"
#include "kdeck/validate.h"
#include "kdeck/view_diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FA_MAX_OBJS 8
#define FA_REQUEST_TIMEOUT_MS 30000
#define FA_POLL_MS 1000
#define FA_JOB_DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define FA_FOLLOW_MAX_MS (15 * 60 * 1000)
#define FA_FOLLOW_UNREACHABLE_MAX 5

typedef struct fa_obj {
    const cJSON *desired;      /* borrowed from fa->list */
    const char *kind, *name;
    char coll[600], path[700]; /* collection (POST) and object (GET, PUT) paths */
    cJSON *live;               /* as the preview read it; NULL = does not exist yet */
    textdiff_t *diff;          /* live → desired; NULL for an existing Job */
    bool changed;
    const char *outcome;       /* after a commit: "created", "updated", "unchanged", ... */
} fa_obj_t;

/* What the one request or timer in flight is for. */
typedef enum { STEP_NONE, STEP_LOAD, STEP_WRITE, STEP_JOB_WAIT, STEP_CONFLICT_GET, STEP_FOLLOW,
               STEP_PAUSE } step_t;

struct form_apply {
    app_t *app;
    session_t *s;
    form_apply_t *next;        /* the session's list */
    descriptor_t *d;
    char ns[254], name[254];
    cJSON *list;               /* the desired objects (descriptor_objects) */
    char slot[8];              /* a blue/green app's active slot (apply_plan.h); "" for a plain app */
    fa_obj_t objs[FA_MAX_OBJS];
    size_t n;
    form_apply_state_t state;
    char message[1500];
    desc_problems_t problems;  /* the last 422's causes */
    textdiff_t *conflict;      /* the last 409: read by the preview → on the server now */
    form_apply_cbs_t cbs;
    void *ud;
    bool released;
    view_t *view;              /* the preview, NULL once closed */
    http_req_t *req;
    step_t step;
    size_t cur;                /* the object being read, written or waited for */
    bool reapply;              /* reload and reapply: commit once loaded */
    bool loaded;               /* the live objects were read: the diffs are real */
    bool dry;                  /* the server-side dry run of every write, before the first real one */
    uv_timer_t timer;          /* Job polling and the rollout follow */
    uint64_t deadline;
    int unreachable;
    size_t deployment;         /* index of the Deployment written, FA_MAX_OBJS when none */
    char last_status[400];
    int busy;
    bool freeing;
};

static void maybe_free(form_apply_t *fa);
static void render(form_apply_t *fa);
static void write_next(form_apply_t *fa);
static void load_next(form_apply_t *fa);

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void enter(form_apply_t *fa)
{
    fa->busy++;
}

static void leave(form_apply_t *fa)
{
    fa->busy--;
    maybe_free(fa);
}

/* The start of every response callback: the request is over; leave() at the end. */
static form_apply_t *answered(void *ud)
{
    form_apply_t *fa = ud;
    enter(fa);
    fa->req = NULL;
    fa->step = STEP_NONE;
    return fa;
}

/* The start of every timer callback: the wait is over; leave() at the end. */
static form_apply_t *timer_fired(uv_timer_t *t)
{
    form_apply_t *fa = t->data;
    enter(fa);
    fa->step = STEP_NONE;
    return fa;
}

/* Runs cb after ms, the wait counting as the flow's step. */
static void wait_then(form_apply_t *fa, step_t step, uv_timer_cb cb, uint64_t ms)
{
    fa->step = step;
    uv_timer_start(&fa->timer, cb, ms, 0);
}

/* The read-only choke point answers without a status and says so (http.c). */
static bool refused(const http_result_t *res)
{
    return res->status == 0 && res->curl_code == 0 && res->error && strstr(res->error, "read-only session");
}

static void set_message(form_apply_t *fa, form_apply_state_t state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_message(form_apply_t *fa, form_apply_state_t state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fa->message, sizeof fa->message, fmt, ap);
    va_end(ap);
    fa->state = state;
}

static bool request(form_apply_t *fa, step_t step, const char *method, const char *path, const char *body,
                    http_done_cb done)
{
    http_client_t *http = fa->s ? fa->s->http : NULL;
    http_req_opts_t o = {
        .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
        .content_type = body ? "application/json" : NULL, .accept = "application/json",
        .timeout_ms = FA_REQUEST_TIMEOUT_MS, .on_done = done, .ud = fa,
    };
    fa->req = http ? http_request(http, &o) : NULL;
    fa->step = fa->req ? step : STEP_NONE;
    return fa->req != NULL;
}

/* ---- telling the caller ---- */

static bool has_caller(const form_apply_t *fa)
{
    return !fa->released;
}

/* Closes the preview when it is on top (the form is under it). */
static void close_view(form_apply_t *fa)
{
    if (fa->view && app_top_view(fa->app) == fa->view)
        app_pop_view(fa->app);   /* its closed hook clears fa->view */
}

static void failed(form_apply_t *fa)
{
    app_error(fa->app, "%s", fa->message);
    render(fa);
    if (has_caller(fa) && fa->cbs.failed)
        fa->cbs.failed(fa->ud, fa->message);
}

/* "(already applied: Deployment app/back updated)" when part of a commit went through. */
static void append_partial(form_apply_t *fa)
{
    char done[600] = "";
    size_t o = 0;
    for (size_t i = 0; i < fa->cur && i < fa->n; i++) {
        const fa_obj_t *ob = &fa->objs[i];
        if (!ob->outcome || !strcmp(ob->outcome, "unchanged"))
            continue;
        int w = snprintf(done + o, sizeof done - o, "%s%s %s", o ? ", " : "", ob->kind, ob->outcome);
        if (w < 0 || (size_t)w >= sizeof done - o)
            break;
        o += (size_t)w;
    }
    if (o) {
        size_t l = strlen(fa->message);
        snprintf(fa->message + l, sizeof fa->message - l, " (already applied: %s)", done);
    }
}

/* A failure with the API's words: "<what>: <status and message>" plus what was already applied. */
static void failed_answer(form_apply_t *fa, const http_result_t *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void failed_answer(form_apply_t *fa, const http_result_t *res, const char *fmt, ...)
{
    char what[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    api_error_describe(what, res, fa->message, sizeof fa->message);
    fa->state = FORM_APPLY_FAILED;
    append_partial(fa);
    failed(fa);
}

static void cannot_start(form_apply_t *fa)
{
    set_message(fa, FORM_APPLY_FAILED, "cannot start a request (no connection or out of memory)");
    append_partial(fa);
    failed(fa);
}

/* ---- the local audit log ---- */

static void audit(form_apply_t *fa, const fa_obj_t *ob, const char *verb, const http_result_t *res)
{
    char object[600], result[700];
    snprintf(object, sizeof object, "%s/%s/%s", apply_resource_name(ob->kind), fa->ns, ob->name);
    /* An update says which version it replaced (its precondition) and which it made. */
    const char *was = ob->live ? jstr(jget(ob->live, "metadata"), "resourceVersion") : NULL;
    char rv[160] = "";
    if (was && res->status >= 200 && res->status < 300) {
        cJSON *now = cJSON_ParseWithLength(res->body, res->body_len);
        const char *is = jstr(jget(now, "metadata"), "resourceVersion");
        snprintf(rv, sizeof rv, " (resourceVersion %.60s -> %.60s)", was, is ? is : "?");
        cJSON_Delete(now);
    } else if (was) {
        snprintf(rv, sizeof rv, " (resourceVersion %.60s)", was);
    }
    char text[600];
    if (refused(res))
        snprintf(text, sizeof text, "refused: %s", res->error);
    else if (res->status >= 200 && res->status < 300)
        snprintf(text, sizeof text, "%ld %s", res->status, res->status == 201 ? "Created" : "OK");
    else
        api_error_describe(NULL, res, text, sizeof text);
    snprintf(result, sizeof result, "%s%s", text, rv);
    const kube_target_t *t = fa->s ? fa->s->target : NULL;
    audit_entry_t e = { .context = t ? t->context : "", .user = t ? t->user_name : "", .verb = verb,
                        .object = object, .result = result };
    int rc = audit_record(&e);
    if (rc)
        app_error(fa->app, "cannot write the audit log: %s", strerror(-rc));
}

/* ---- the preview ---- */

static const char *hint_for(const form_apply_t *fa)
{
    bool any = false;
    for (size_t i = 0; i < fa->n; i++)
        any |= fa->objs[i].changed;
    switch (fa->state) {
    case FORM_APPLY_LOADING: return "reading the live objects...  Esc back";
    case FORM_APPLY_WRITING: return "applying...  Tab objects/diff  Esc back";
    case FORM_APPLY_CONFLICT: return "r reload and reapply  Tab objects/diff  / search  Esc back";
    case FORM_APPLY_FAILED:
        if (!fa->loaded)
            return "r read the live objects again  Esc back";
        return "a apply again  r reload and reapply  Tab objects/diff  Esc back";
    case FORM_APPLY_INVALID: return "a apply again  r reload and reapply  Tab objects/diff  Esc back";
    case FORM_APPLY_APPLIED: return "applied  Esc back";
    case FORM_APPLY_PREVIEW:
    default:
        return any ? "a apply  Tab objects/diff  / search  Esc back"
                   : "nothing to apply: the live objects match  Tab objects/diff  Esc back";
    }
}

static void render(form_apply_t *fa)
{
    view_t *v = fa->view;
    if (!v)
        return;
    view_diff_page_t shown = view_diff_page(v);
    view_diff_clear(v);
    char line[1200], what[120];

    /* The state message first, on the diff page: a conflict, an error, the API's field errors. */
    if (fa->state == FORM_APPLY_CONFLICT || fa->state == FORM_APPLY_FAILED || fa->state == FORM_APPLY_INVALID) {
        view_diff_add_wrapped(v, VIEW_DIFF_CHANGES, TEXT_ERROR, fa->message);
        if (fa->state == FORM_APPLY_INVALID) {
            view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_SECTION, "The API server rejected these fields:");
            for (size_t i = 0; i < fa->problems.n; i++) {
                const desc_problem_t *p = &fa->problems.v[i];
                snprintf(line, sizeof line, "  %s%s%s", p->path, p->path[0] ? ": " : "", p->msg);
                view_diff_add_wrapped(v, VIEW_DIFF_CHANGES, TEXT_ERROR, line);
            }
        }
        if (fa->state == FORM_APPLY_CONFLICT) {
            if (fa->conflict && fa->conflict->n_hunks) {
                view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_REMOVED, "--- read by the preview");
                view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_ADDED, "+++ on the server now");
                view_diff_add_diff(v, VIEW_DIFF_CHANGES, fa->conflict);
            } else {
                view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_PLAIN,
                              "  (only fields the preview does not show changed: status or metadata)");
            }
            view_diff_add_wrapped(v, VIEW_DIFF_CHANGES, TEXT_PLAIN,
                                  "Press r to reload the live objects and apply the same descriptor again.");
        }
        if (fa->loaded) {
            view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_PLAIN, "");
            view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_SECTION, "The preview:");
        }
    }
    if (fa->state == FORM_APPLY_LOADING) {
        view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_PLAIN, "Reading the live objects...");
        view_diff_add(v, VIEW_DIFF_OBJECTS, TEXT_PLAIN, "Reading the live objects...");
    }

    if (fa->loaded && fa->slot[0]) {   /* which Deployment a blue/green app's apply updates */
        apply_bluegreen_note(fa->name, fa->slot, line, sizeof line);
        view_diff_add_wrapped(v, VIEW_DIFF_CHANGES, TEXT_PLAIN, line);
    }
    for (size_t i = 0; i < fa->n && fa->loaded; i++) {
        const fa_obj_t *ob = &fa->objs[i];
        apply_object_summary(ob->kind, ob->live, ob->diff, what, sizeof what);
        snprintf(line, sizeof line, "%s %s/%s: %s", ob->kind, fa->ns, ob->name, what);
        view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_SECTION, line);
        if (ob->changed && ob->diff && ob->diff->n_hunks) {
            view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_REMOVED, "--- live");
            view_diff_add(v, VIEW_DIFF_CHANGES, TEXT_ADDED, "+++ desired");
            view_diff_add_diff(v, VIEW_DIFF_CHANGES, ob->diff);
        }
        /* The objects page: exactly what will be sent for a creation, the desired fields for an
         * update (the PUT carries them merged into the live object). */
        if (i)
            view_diff_add(v, VIEW_DIFF_OBJECTS, TEXT_PLAIN, "---");
        snprintf(line, sizeof line, "# %s %s/%s: %s", ob->kind, fa->ns, ob->name, what);
        view_diff_add(v, VIEW_DIFF_OBJECTS, TEXT_SECTION, line);
        char *yaml = textdiff_yaml(ob->desired);
        view_diff_add_text(v, VIEW_DIFF_OBJECTS, TEXT_KEYVALUE, yaml ? yaml : "(out of memory)");
        free(yaml);
    }
    view_diff_offer_reload(v, fa->state == FORM_APPLY_CONFLICT || fa->state == FORM_APPLY_FAILED ||
                                  fa->state == FORM_APPLY_INVALID);
    view_diff_set_hint(v, hint_for(fa));
    view_diff_show(v, fa->state == FORM_APPLY_CONFLICT ? VIEW_DIFF_CHANGES : shown);
}

/* ---- load ---- */

static void clear_live(form_apply_t *fa)
{
    for (size_t i = 0; i < fa->n; i++) {
        cJSON_Delete(fa->objs[i].live);
        textdiff_free(fa->objs[i].diff);
        fa->objs[i].live = NULL;
        fa->objs[i].diff = NULL;
        fa->objs[i].changed = false;
        fa->objs[i].outcome = NULL;
    }
}

static void load_done(form_apply_t *fa)
{
    for (size_t i = 0; i < fa->n; i++) {
        fa_obj_t *ob = &fa->objs[i];
        if (!(ob->live && !strcmp(ob->kind, "Job"))) {
            ob->diff = textdiff_objects(ob->desired, ob->live, 3);
            if (!ob->diff) {
                set_message(fa, FORM_APPLY_FAILED, "out of memory building the diff");
                failed(fa);
                return;
            }
        }
        ob->changed = apply_object_changed(ob->kind, ob->live, ob->diff);
    }
    fa->state = FORM_APPLY_PREVIEW;
    fa->loaded = true;
    fa->message[0] = '\0';
    render(fa);
    if (fa->reapply) {
        fa->reapply = false;
        form_apply_commit(fa);
    }
}

static void on_get(http_req_t *req, const http_result_t *res, void *ud)
{
    form_apply_t *fa = answered(ud);
    (void)req;
    fa_obj_t *ob = &fa->objs[fa->cur];
    if (res->status == 200) {
        ob->live = cJSON_ParseWithLength(res->body, res->body_len);
        if (!ob->live) {
            set_message(fa, FORM_APPLY_FAILED, "GET %s: the answer is not JSON", ob->path);
            failed(fa);
            leave(fa);
            return;
        }
    } else if (res->status != 404) {
        failed_answer(fa, res, "cannot read %s %s/%s: GET %s", ob->kind, fa->ns, ob->name, ob->path);
        leave(fa);
        return;
    }
    fa->cur++;
    load_next(fa);
    leave(fa);
}

static void load_next(form_apply_t *fa)
{
    if (fa->cur >= fa->n) {
        load_done(fa);
        return;
    }
    if (!request(fa, STEP_LOAD, "GET", fa->objs[fa->cur].path, NULL, on_get))
        cannot_start(fa);
}

/* The desired objects for fa->slot, and where each lives. false on ENOMEM. The old ones must
 * hold nothing (clear_live). */
static bool build_objects(form_apply_t *fa)
{
    cJSON_Delete(fa->list);
    fa->n = 0;
    fa->list = descriptor_objects(fa->d, fa->slot[0] ? fa->slot : NULL);
    if (!fa->list)
        return false;
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(fa->list, "items")) {
        if (fa->n == FA_MAX_OBJS)
            break;
        fa_obj_t *ob = &fa->objs[fa->n];
        ob->desired = it;
        ob->kind = jstr(it, "kind");
        ob->name = jstr(jget(it, "metadata"), "name");
        if (!ob->kind || !ob->name || !apply_object_path(ob->kind, fa->ns, NULL, ob->coll, sizeof ob->coll))
            continue;   /* descriptor_objects only makes kinds we know */
        apply_object_path(ob->kind, fa->ns, ob->name, ob->path, sizeof ob->path);
        fa->n++;
    }
    return true;
}

static void on_service(http_req_t *req, const http_result_t *res, void *ud)
{
    form_apply_t *fa = answered(ud);
    (void)req;
    char path[700];
    apply_object_path("Service", fa->ns, fa->name, path, sizeof path);
    cJSON *svc = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    if (res->status != 200 && res->status != 404) {
        failed_answer(fa, res, "cannot read Service %s/%s: GET %s", fa->ns, fa->name, path);
        leave(fa);
        return;
    }
    const char *active = apply_active_slot(svc);
    snprintf(fa->slot, sizeof fa->slot, "%s", active ? active : "");
    cJSON_Delete(svc);
    if (!build_objects(fa)) {
        set_message(fa, FORM_APPLY_FAILED, "out of memory building the objects");
        failed(fa);
    } else {
        fa->cur = 0;
        load_next(fa);
    }
    leave(fa);
}

/* Whether a rollout of the app runs, by its Lease: before the preview and again before the
 * writes (the state says which). */
static void on_lease(http_req_t *req, const http_result_t *res, void *ud)
{
    form_apply_t *fa = answered(ud);
    (void)req;
    char path[700], msg[1200], host[256] = "";
    apply_rollout_lease_path(fa->ns, fa->name, path, sizeof path);
    if (res->status != 200 && res->status != 404) {
        failed_answer(fa, res, "cannot tell whether a rollout of %s is running: GET %s", fa->name, path);
        leave(fa);
        return;
    }
    cJSON *lease = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    bool running = apply_rollout_running(lease, fa->name, host,
                                         (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, msg, sizeof msg);
    cJSON_Delete(lease);
    if (running) {
        set_message(fa, FORM_APPLY_FAILED, "%s", msg);
        failed(fa);
    } else if (fa->state == FORM_APPLY_WRITING) {
        write_next(fa);
    } else {
        apply_object_path("Service", fa->ns, fa->name, path, sizeof path);
        if (!request(fa, STEP_LOAD, "GET", path, NULL, on_service))
            cannot_start(fa);
    }
    leave(fa);
}

/* GET the Lease; on_lease goes on. step: STEP_LOAD before the preview, STEP_WRITE in a commit. */
static void check_rollout(form_apply_t *fa, step_t step)
{
    char path[700];
    apply_rollout_lease_path(fa->ns, fa->name, path, sizeof path);
    if (!request(fa, step, "GET", path, NULL, on_lease))
        cannot_start(fa);
}

static void start_load(form_apply_t *fa)
{
    clear_live(fa);
    textdiff_free(fa->conflict);
    fa->conflict = NULL;
    desc_problems_free(&fa->problems);
    fa->loaded = false;
    fa->state = FORM_APPLY_LOADING;
    fa->message[0] = '\0';
    fa->cur = 0;
    render(fa);
    check_rollout(fa, STEP_LOAD);
}

/* ---- the rollout follow (status line) ---- */

static void follow_poll(uv_timer_t *t);

static void follow_status(form_apply_t *fa, bool error, const char *text)
{
    if (!strcmp(text, fa->last_status))
        return;
    snprintf(fa->last_status, sizeof fa->last_status, "%s", text);
    if (error)
        app_error(fa->app, "%s: %s", fa->name, text);
    else
        app_info(fa->app, "%s: %s", fa->name, text);
}

static void on_follow(http_req_t *req, const http_result_t *res, void *ud)
{
    form_apply_t *fa = answered(ud);
    (void)req;
    char msg[500], brief[300];
    cJSON *dep = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    if (dep) {
        fa->unreachable = 0;
        apply_rollout_t st = apply_rollout_status(dep, msg, sizeof msg, brief, sizeof brief);
        cJSON_Delete(dep);
        follow_status(fa, st == APPLY_ROLLOUT_FAILED, brief);
        if (st != APPLY_ROLLOUT_PROGRESSING) {
            leave(fa);
            return;
        }
    } else {
        char what[800];
        snprintf(what, sizeof what, "following the rollout: GET %s", fa->objs[fa->deployment].path);
        api_error_describe(what, res, msg, sizeof msg);
        if (res->status != 0 || ++fa->unreachable >= FA_FOLLOW_UNREACHABLE_MAX) {
            follow_status(fa, true, msg);
            leave(fa);
            return;
        }
    }
    if (uv_now(app_loop(fa->app)) >= fa->deadline) {
        follow_status(fa, true, "still rolling out after 15 minutes; no longer followed");
    } else {
        wait_then(fa, STEP_FOLLOW, follow_poll, FA_POLL_MS);
    }
    leave(fa);
}

static void follow_poll(uv_timer_t *t)
{
    form_apply_t *fa = timer_fired(t);
    if (!request(fa, STEP_FOLLOW, "GET", fa->objs[fa->deployment].path, NULL, on_follow))
        follow_status(fa, true, "cannot follow the rollout: cannot start a request");
    leave(fa);
}

/* ---- commit ---- */

static void all_written(form_apply_t *fa)
{
    char summary[800] = "";
    size_t o = 0;
    for (size_t i = 0; i < fa->n; i++) {
        const fa_obj_t *ob = &fa->objs[i];
        int w = snprintf(summary + o, sizeof summary - o, "%s%s %s/%s %s", o ? ", " : "", ob->kind,
                         fa->ns, ob->name, ob->outcome ? ob->outcome : "unchanged");
        if (w < 0 || (size_t)w >= sizeof summary - o)
            break;
        o += (size_t)w;
    }
    set_message(fa, FORM_APPLY_APPLIED, "applied: %s", summary);
    fa->last_status[0] = '\0';
    close_view(fa);
    if (fa->deployment < fa->n) {
        app_info(fa->app, "%s: applied; following the rollout...", fa->name);
        uv_update_time(app_loop(fa->app));
        fa->deadline = uv_now(app_loop(fa->app)) + FA_FOLLOW_MAX_MS;
        fa->unreachable = 0;
        wait_then(fa, STEP_FOLLOW, follow_poll, 0);
    } else {
        app_info(fa->app, "%s: %s", fa->name, fa->message);
    }
    if (has_caller(fa) && fa->cbs.applied)
        fa->cbs.applied(fa->ud, fa->message);
}

static void on_conflict_get(http_req_t *req, const http_result_t *res, void *ud)
{
    form_apply_t *fa = answered(ud);
    (void)req;
    fa_obj_t *ob = &fa->objs[fa->cur];
    char head[700];
    apply_conflict_text(ob->kind, fa->ns, ob->name, ob->live, head, sizeof head);
    cJSON *now = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    if (now) {
        const char *a = jstr(jget(ob->live, "metadata"), "resourceVersion"),
                   *b = jstr(jget(now, "metadata"), "resourceVersion");
        textdiff_free(fa->conflict);
        fa->conflict = apply_conflict_diff(ob->live, now, ob->desired);
        set_message(fa, FORM_APPLY_CONFLICT, "%s What changed on the server (resourceVersion %s -> %s):",
                    head, a ? a : "?", b ? b : "?");
        cJSON_Delete(now);
    } else if (res->status == 404) {
        set_message(fa, FORM_APPLY_CONFLICT, "%s It has been deleted meanwhile.", head);
    } else {
        char err[600];
        set_message(fa, FORM_APPLY_CONFLICT, "%s (cannot read it again: %s)", head,
                    api_error_describe(NULL, res, err, sizeof err));
    }
    append_partial(fa);
    app_error(fa->app, "%s was changed on the server since the preview: r reloads and applies again",
              ob->name);
    render(fa);
    if (has_caller(fa) && fa->cbs.conflict)
        fa->cbs.conflict(fa->ud, fa->message);
    leave(fa);
}

static void job_poll(uv_timer_t *t);

static void on_job(http_req_t *req, const http_result_t *res, void *ud)
{
    form_apply_t *fa = answered(ud);
    (void)req;
    fa_obj_t *ob = &fa->objs[fa->cur];
    cJSON *job = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    if (!job) {
        failed_answer(fa, res, "waiting for migration Job %s/%s: GET %s", fa->ns, ob->name, ob->path);
        leave(fa);
        return;
    }
    const char *msg, *state = apply_job_state(job, &msg);
    if (state && !strcmp(state, "Complete")) {
        app_info(fa->app, "%s: migration Job %s completed", fa->name, ob->name);
        ob->outcome = ob->outcome ? ob->outcome : "completed";
        cJSON_Delete(job);
        fa->cur++;
        write_next(fa);
    } else if (state) {
        set_message(fa, FORM_APPLY_FAILED, "migration Job %s/%s failed: %s; the Deployment was not updated",
                    fa->ns, ob->name, msg ? msg : "Failed");
        cJSON_Delete(job);
        failed(fa);
    } else if (uv_now(app_loop(fa->app)) >= fa->deadline) {
        set_message(fa, FORM_APPLY_FAILED, "timed out waiting for migration Job %s/%s; the Deployment was "
                    "not updated", fa->ns, ob->name);
        cJSON_Delete(job);
        failed(fa);
    } else {
        cJSON_Delete(job);
        wait_then(fa, STEP_JOB_WAIT, job_poll, FA_POLL_MS);
    }
    leave(fa);
}

static void job_poll(uv_timer_t *t)
{
    form_apply_t *fa = timer_fired(t);
    if (!request(fa, STEP_JOB_WAIT, "GET", fa->objs[fa->cur].path, NULL, on_job))
        cannot_start(fa);
    leave(fa);
}

static void wait_for_job(form_apply_t *fa)
{
    const fa_obj_t *ob = &fa->objs[fa->cur];
    long timeout_ms = fa->d->migration && fa->d->migration->timeout_seconds > 0
                          ? (long)fa->d->migration->timeout_seconds * 1000 + 30000 : FA_JOB_DEFAULT_TIMEOUT_MS;
    uv_update_time(app_loop(fa->app));
    fa->deadline = uv_now(app_loop(fa->app)) + (uint64_t)timeout_ms;
    app_info(fa->app, "%s: waiting for migration Job %s to complete...", fa->name, ob->name);
    wait_then(fa, STEP_JOB_WAIT, job_poll, 0);
}

static void on_write(http_req_t *req, const http_result_t *res, void *ud)
{
    form_apply_t *fa = answered(ud);
    (void)req;
    fa_obj_t *ob = &fa->objs[fa->cur];
    const char *method = ob->live ? "PUT" : "POST";
    if (!fa->dry)
        audit(fa, ob, ob->live ? "update" : "create", res);
    if ((res->status == 200 || res->status == 201) && fa->dry) {
        fa->cur++;
        write_next(fa);
        leave(fa);
        return;
    }
    if (res->status == 200 || res->status == 201) {
        ob->outcome = ob->live ? "updated" : "created";
        if (!strcmp(ob->kind, "Job")) {
            wait_for_job(fa);
        } else {
            if (!strcmp(ob->kind, "Deployment"))
                fa->deployment = fa->cur;
            fa->cur++;
            write_next(fa);
        }
        leave(fa);
        return;
    }
    if (refused(res)) {
        set_message(fa, FORM_APPLY_FAILED, "%s; nothing was changed", res->error);
        failed(fa);
        leave(fa);
        return;
    }
    char what[900];
    snprintf(what, sizeof what, "%s %s/%s: %s%s %s", ob->kind, fa->ns, ob->name, fa->dry ? "dry run of " : "",
             method, ob->live ? ob->path : ob->coll);
    api_error_describe(what, res, fa->message, sizeof fa->message);
    if (fa->dry) {
        size_t l = strlen(fa->message);
        snprintf(fa->message + l, sizeof fa->message - l, " (found by the server's dry run: nothing was changed)");
    }
    if (res->status == 409 && ob->live) {
        /* Someone changed it since the preview: read it again to show what. */
        if (!request(fa, STEP_CONFLICT_GET, "GET", ob->path, NULL, on_conflict_get)) {
            fa->state = FORM_APPLY_CONFLICT;
            render(fa);
        }
        leave(fa);
        return;
    }
    if (res->status == 422) {
        desc_problems_free(&fa->problems);
        apply_status_causes(ob->kind, res->body, res->body_len, &fa->problems);
        fa->state = FORM_APPLY_INVALID;
        append_partial(fa);
        const desc_problem_t *p = fa->problems.n ? &fa->problems.v[0] : NULL;
        app_error(fa->app, "the API server rejected %zu field%s%s%s%s%s", fa->problems.n,
                  fa->problems.n == 1 ? "" : "s", p ? ": " : "", p ? p->path : "",
                  p && p->path[0] ? ": " : "", p ? p->msg : "");
        if (has_caller(fa) && fa->cbs.invalid) {
            close_view(fa);   /* back to the form, which puts them on its fields */
            fa->cbs.invalid(fa->ud, &fa->problems, fa->message);
        } else {
            render(fa);
        }
        leave(fa);
        return;
    }
    fa->state = FORM_APPLY_FAILED;
    append_partial(fa);
    failed(fa);
    leave(fa);
}

static void write_next(form_apply_t *fa)
{
    while (fa->cur < fa->n) {
        fa_obj_t *ob = &fa->objs[fa->cur];
        if (fa->dry && !ob->changed) {   /* nothing to check: an unchanged object or a Job that exists */
            fa->cur++;
            continue;
        }
        if (!strcmp(ob->kind, "Job") && ob->live) {
            const char *msg, *state = apply_job_state(ob->live, &msg);
            if (state && !strcmp(state, "Complete")) {
                ob->outcome = "completed earlier";
                fa->cur++;
                continue;
            }
            if (state) {
                set_message(fa, FORM_APPLY_FAILED, "migration Job %s/%s failed earlier: %s; delete it to run "
                            "it again", fa->ns, ob->name, msg ? msg : "Failed");
                failed(fa);
                return;
            }
            ob->outcome = "already running";
            wait_for_job(fa);
            return;
        }
        if (!ob->changed) {
            ob->outcome = "unchanged";
            fa->cur++;
            continue;
        }
        char *body = apply_write_body(ob->live, ob->desired), path[800];
        snprintf(path, sizeof path, "%s%s", ob->live ? ob->path : ob->coll, fa->dry ? "?dryRun=All" : "");
        bool ok = body && request(fa, STEP_WRITE, ob->live ? "PUT" : "POST", path, body, on_write);
        free(body);
        if (!ok)
            cannot_start(fa);
        return;
    }
    if (fa->dry) {   /* the server accepts every write: now for real */
        fa->dry = false;
        fa->cur = 0;
        app_info(fa->app, "%s: applying...", fa->name);
        write_next(fa);
        return;
    }
    all_written(fa);
}

/* Test hook (tests/e2e/form_apply.sh), as `kdeck apply` has one: KDECK_TEST_PAUSE_BEFORE_WRITE=FILE
 * makes a commit wait, after the preview and before the first write, until FILE exists (at most
 * 60 s), so a test can change an object in between and see the 409 flow. Polled on the timer:
 * the loop never blocks. */
static void pause_poll(uv_timer_t *t)
{
    form_apply_t *fa = timer_fired(t);
    const char *f = getenv("KDECK_TEST_PAUSE_BEFORE_WRITE");
    if (f && access(f, F_OK) != 0 && uv_now(app_loop(fa->app)) < fa->deadline) {
        wait_then(fa, STEP_PAUSE, pause_poll, 100);
    } else {
        check_rollout(fa, STEP_WRITE);
    }
    leave(fa);
}

bool form_apply_commit(form_apply_t *fa)
{
    if (!fa)
        return false;
    if (fa->state == FORM_APPLY_APPLIED) {
        app_error(fa->app, "%s: already applied", fa->name);
        return false;
    }
    if (fa->state == FORM_APPLY_LOADING || fa->state == FORM_APPLY_WRITING || fa->step != STEP_NONE) {
        app_error(fa->app, "%s: busy (%s)", fa->name,
                  fa->state == FORM_APPLY_LOADING ? "reading the live objects" : "applying");
        return false;
    }
    if (fa->state == FORM_APPLY_CONFLICT) {
        app_error(fa->app, "%s changed on the server since the preview: press r to reload and reapply", fa->name);
        return false;
    }
    if (!fa->loaded) {
        app_error(fa->app, "%s: the live objects could not be read; r tries again", fa->name);
        return false;
    }
    bool any = false;
    for (size_t i = 0; i < fa->n; i++)
        any |= fa->objs[i].changed;
    if (!any) {
        app_info(fa->app, "nothing to apply: the live objects match the descriptor");
        return false;
    }
    enter(fa);
    fa->state = FORM_APPLY_WRITING;
    fa->message[0] = '\0';
    fa->cur = 0;
    fa->deployment = FA_MAX_OBJS;
    for (size_t i = 0; i < fa->n; i++)
        fa->objs[i].outcome = NULL;
    /* A dry run of every write first: a 422 or 409 on the last object leaves nothing half
     * applied. */
    fa->dry = true;
    app_info(fa->app, "%s: checking the writes with the server (dry run)...", fa->name);
    render(fa);
    const char *pause = getenv("KDECK_TEST_PAUSE_BEFORE_WRITE");
    if (pause && *pause) {
        app_info(fa->app, "test hook: waiting for %s", pause);
        uv_update_time(app_loop(fa->app));
        fa->deadline = uv_now(app_loop(fa->app)) + 60000;
        wait_then(fa, STEP_PAUSE, pause_poll, 0);
    } else {
        check_rollout(fa, STEP_WRITE);   /* a rollout may have started since the preview */
    }
    leave(fa);
    return true;
}

bool form_apply_reload(form_apply_t *fa)
{
    if (!fa)
        return false;
    if (fa->req || fa->step == STEP_JOB_WAIT || fa->step == STEP_PAUSE) {
        app_error(fa->app, "%s: busy, try again when the current step is done", fa->name);
        return false;
    }
    enter(fa);
    if (fa->step == STEP_FOLLOW) {   /* a new apply: stop following the old rollout */
        uv_timer_stop(&fa->timer);
        fa->step = STEP_NONE;
    }
    /* After a preview that could not be read, only read: nothing was seen to apply yet. */
    fa->reapply = fa->loaded;
    app_info(fa->app, fa->reapply ? "%s: reloading the live objects to apply again..."
                                  : "%s: reading the live objects...", fa->name);
    start_load(fa);
    leave(fa);
    return true;
}

/* ---- the preview's hooks ---- */

static void hook_apply(void *ud)
{
    form_apply_commit(ud);
}

static void hook_reload(void *ud)
{
    form_apply_reload(ud);
}

static void hook_closed(void *ud)
{
    form_apply_t *fa = ud;
    fa->view = NULL;
    if (fa->step == STEP_LOAD && fa->req) {   /* nobody will look at the preview: stop reading */
        http_cancel(fa->req);
        fa->req = NULL;
        fa->step = STEP_NONE;
        fa->reapply = false;
    }
    maybe_free(fa);
}

static const view_diff_hooks_t preview_hooks = {
    .apply = hook_apply, .reload = hook_reload, .closed = hook_closed,
};

/* ---- life cycle ---- */

static void on_timer_closed(uv_handle_t *h)
{
    form_apply_t *fa = h->data;
    clear_live(fa);
    textdiff_free(fa->conflict);
    desc_problems_free(&fa->problems);
    cJSON_Delete(fa->list);
    descriptor_free(fa->d);
    free(fa);
}

static void unlink_from_session(form_apply_t *fa)
{
    if (!fa->s)
        return;
    for (form_apply_t **p = &fa->s->applies; *p; p = &(*p)->next) {
        if (*p == fa) {
            *p = fa->next;
            break;
        }
    }
    fa->s = NULL;
}

static void destroy(form_apply_t *fa)
{
    if (fa->freeing)
        return;
    fa->freeing = true;
    if (fa->req)
        http_cancel(fa->req);
    fa->req = NULL;
    unlink_from_session(fa);
    uv_timer_stop(&fa->timer);
    uv_close((uv_handle_t *)&fa->timer, on_timer_closed);   /* frees fa */
}

static void maybe_free(form_apply_t *fa)
{
    if (fa->busy || !fa->released || fa->view || fa->req || fa->step != STEP_NONE)
        return;
    destroy(fa);
}

form_apply_t *form_apply_start(struct app *app, const descriptor_t *d, const form_apply_cbs_t *cbs, void *ud)
{
    session_t *s = app_session(app);
    if (!s || !s->http) {
        app_error(app, "apply: not connected to a cluster");
        return NULL;
    }
    if (!d || !d->namespace_ || !d->name) {
        app_error(app, "apply: the descriptor needs a namespace and a name");
        return NULL;
    }
    form_apply_t *fa = calloc(1, sizeof *fa);
    if (!fa) {
        app_error(app, "apply: out of memory");
        return NULL;
    }
    fa->app = app;
    fa->d = descriptor_dup(d);
    snprintf(fa->ns, sizeof fa->ns, "%s", d->namespace_);
    snprintf(fa->name, sizeof fa->name, "%s", d->name);
    /* As a plain app until the load has read the Service (on_service builds them again). */
    if (!fa->d || !build_objects(fa)) {
        cJSON_Delete(fa->list);
        descriptor_free(fa->d);
        free(fa);
        app_error(app, "apply: out of memory building the objects");
        return NULL;
    }
    fa->deployment = FA_MAX_OBJS;
    if (cbs)
        fa->cbs = *cbs;
    fa->ud = ud;
    uv_timer_init(app_loop(app), &fa->timer);
    fa->timer.data = fa;
    fa->s = s;
    fa->next = s->applies;
    s->applies = fa;

    char title[600];
    snprintf(title, sizeof title, "Preview %s/%s", fa->ns, fa->name);
    fa->view = view_diff_new(app, title, &preview_hooks, fa);
    enter(fa);
    if (fa->view)
        app_push_view(app, fa->view);
    else
        app_error(app, "apply: out of memory opening the preview");
    start_load(fa);
    leave(fa);
    return fa;
}

form_apply_state_t form_apply_state(const form_apply_t *fa)
{
    return fa ? fa->state : FORM_APPLY_FAILED;
}

const char *form_apply_message(const form_apply_t *fa)
{
    return fa ? fa->message : "";
}

void form_apply_release(form_apply_t *fa)
{
    if (!fa)
        return;
    fa->released = true;
    memset(&fa->cbs, 0, sizeof fa->cbs);
    maybe_free(fa);
}

void form_apply_close_all(struct app *app)
{
    session_t *s = app_session(app);
    while (s && s->applies) {
        form_apply_t *fa = s->applies;
        if (fa->view) {   /* normally the views are gone already; never leave one pointing here */
            view_diff_detach(fa->view);
            fa->view = NULL;
        }
        destroy(fa);      /* unlinks it */
    }
}

void form_apply_file(struct app *app, const char *path)
{
    if (!path || !*path) {
        app_error(app, ":apply needs a descriptor file (docs/descriptor.md)");
        return;
    }
    desc_problems_t p = {0};
    descriptor_t *d = descriptor_load(path, &p);
    if (d)
        descriptor_validate(d, &p);
    if (!d || p.n) {
        if (p.n && !p.v[0].path[0] && strstr(p.v[0].msg, path))   /* an I/O error names the file */
            app_error(app, "%s", p.v[0].msg);
        else if (p.n)
            app_error(app, "%s: %s%s%s%s", path, p.v[0].path, p.v[0].path[0] ? ": " : "", p.v[0].msg,
                      p.n > 1 ? " (and more: kdeck descriptor validate FILE lists them all)" : "");
        else
            app_error(app, "%s: cannot be read", path);
        desc_problems_free(&p);
        descriptor_free(d);
        return;
    }
    desc_problems_free(&p);
    form_apply_release(form_apply_start(app, d, NULL, NULL));
    descriptor_free(d);
}

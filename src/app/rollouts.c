/* The TUI's blue/green rollouts, per app: the driver this kdeck runs on its own loop and client
 * (rollout_driver.h), and the record every kdeck follows in the cluster (ConfigMap
 * kdeck-rollout-<app>, re-read whenever the ConfigMap informer sees its resourceVersion move), so
 * a second kdeck, read-only too, shows the same progress; the Lease of a running rollout it does
 * not drive is checked every 5 s, so the view can say when that driver is gone. `r`/`H` on a row,
 * `:rollout FILE`, the form's "roll out" and the rollout view's abort/undo/resume land here; every
 * mutation is written to the local audit log. Views read app_rollout_info() and never do I/O. */
#include "kdeck/app_rollouts.h"
#include "app_int.h"
#include "kdeck/apierror.h"
#include "kdeck/audit.h"
#include "kdeck/kinds.h"
#include "kdeck/strutil.h"
#include "kdeck/validate.h"
#include "live_descriptor.h"

#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROLLOUT_APPS_MAX 16       /* apps followed per session; an idle one makes room */
#define LOCAL_LOG_MAX RO_LOG_MAX  /* driver log lines kept here, as many as the record keeps */
#define REREAD_RUNNING_MS 5000    /* a running rollout's record is re-read at least this often */
#define GET_TIMEOUT_MS 15000
#define LEASE_CHECK_MS 5000       /* a running rollout we do not drive: is its driver still there? */

typedef struct ro_app {
    struct rollouts *owner;
    char ns[254], name[RO_NAME_MAX];
    /* The record in the cluster, as last read. */
    ro_record_t rec;
    bool have_rec, loaded;
    char rec_rv[64];              /* resourceVersion of the ConfigMap read */
    char trigger_rv[64];          /* the informer's resourceVersion that caused the last read */
    http_req_t *get;
    uint64_t last_read_ms;
    char error[400];
    /* This kdeck's driver (kept after it finished until the timer frees it). */
    ro_driver_t *driver;
    bool driver_done;
    ro_state_t drv_state;
    bool have_drv_state;
    strbuf_t log;                 /* its log lines, '\n'-terminated */
    size_t log_lines;
    bool log_partial;             /* it took over a rollout (abort, resume): the record has more */
    char message[400];            /* its final word: "succeeded", "lock held by ..." */
    /* The Lease of a running rollout this kdeck does not drive: whether its driver is gone. */
    http_req_t *lease_get;
    uint64_t lease_read_ms;       /* loop time of the last check, 0 = never */
    bool driver_gone;
    int64_t gone_since_ms;        /* its last sign of life (the Lease's renewal), wall clock */
    /* `r` pressed: decide once the record has been read. */
    bool want_rollout;
    char want_deployment[254];
    live_load_t *live;
} ro_app_t;

struct rollouts {
    app_t *app;
    ro_app_t *apps[ROLLOUT_APPS_MAX];
    int n;
    uv_timer_t timer;             /* ticks while a rollout runs; reaps finished drivers */
    uint64_t quit_asked_ms;       /* q pressed while driving: a second q within 5 s quits */
    char who[RO_NAME_MAX * 2];
};

static void on_image_entered(app_t *app, const char *text, void *ud);
static void reread(ro_app_t *e);
static void check_lease(ro_app_t *e);

/* ---- names ---- */

void app_rollout_app_name(const char *deployment, char *buf, size_t len)
{
    size_t n = strlen(deployment);
    static const char *const suffixes[] = { "-blue", "-green" };
    for (size_t i = 0; i < 2; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n > sl && !strcmp(deployment + n - sl, suffixes[i])) {
            snprintf(buf, len, "%.*s", (int)(n - sl), deployment);
            return;
        }
    }
    snprintf(buf, len, "%s", deployment);
}

/* The Lease holder: user@host, as `kdeck rollout` writes it. */
static void who_am_i(char *buf, size_t len)
{
    const char *user = getenv("USER");
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_name && *pw->pw_name)
        user = pw->pw_name;
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(buf, len, "%s@%s", user && *user ? user : "unknown", host);
}

/* ---- the per-session table ---- */

static struct rollouts *rollouts_of(app_t *app)
{
    session_t *s = app_session(app);
    if (!s)
        return NULL;
    if (s->rollouts)
        return s->rollouts;
    struct rollouts *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->app = app;
    uv_timer_init(app_loop(app), &r->timer);
    r->timer.data = r;
    who_am_i(r->who, sizeof r->who);
    s->rollouts = r;
    return r;
}

static bool idle(const ro_app_t *e)
{
    return !e->get && !e->lease_get && !e->driver && !e->live && !e->want_rollout;
}

static void free_entry(ro_app_t *e)
{
    if (e->get)
        http_cancel(e->get);
    if (e->lease_get)
        http_cancel(e->lease_get);
    if (e->live)
        live_descriptor_cancel(e->live);
    if (e->driver)
        ro_driver_free(e->driver);
    if (e->have_rec)
        ro_record_free(&e->rec);
    strbuf_free(&e->log);
    free(e);
}

static ro_app_t *find_app(app_t *app, const char *ns, const char *name, bool create)
{
    struct rollouts *r = rollouts_of(app);
    if (!r)
        return NULL;
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->apps[i]->ns, ns) && !strcmp(r->apps[i]->name, name))
            return r->apps[i];
    if (!create)
        return NULL;
    if (r->n == ROLLOUT_APPS_MAX) { /* forget the oldest idle app; it is re-read when asked again */
        int i = 0;
        while (i < r->n && !idle(r->apps[i]))
            i++;
        if (i == r->n)
            return NULL;
        free_entry(r->apps[i]);
        memmove(r->apps + i, r->apps + i + 1, sizeof r->apps[0] * (size_t)(r->n - i - 1));
        r->n--;
    }
    ro_app_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->owner = r;
    snprintf(e->ns, sizeof e->ns, "%s", ns);
    snprintf(e->name, sizeof e->name, "%s", name);
    r->apps[r->n++] = e;
    return e;
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

void app_rollouts_free(session_t *s)
{
    struct rollouts *r = s->rollouts;
    if (!r)
        return;
    app_t *app = r->app;
    /* A rollout question still open owns a descriptor: drop it with the session. */
    if (app->prompt == PROMPT_INPUT && app->prompt_done == on_image_entered) {
        if (app->prompt_free_ud)
            app->prompt_free_ud(app->prompt_ud);
        app->prompt = PROMPT_NONE;
        app->prompt_done = NULL;
        app->prompt_ud = NULL;
        app->prompt_free_ud = NULL;
    }
    for (int i = 0; i < r->n; i++)
        free_entry(r->apps[i]); /* a running driver stops: its Lease expires, `resume` completes it */
    r->n = 0;
    uv_close((uv_handle_t *)&r->timer, on_closed);
    s->rollouts = NULL;
}

/* ---- which state is the current one ---- */

/* Ours while our driver runs; otherwise the newer of ours and the recorded one. */
static const ro_state_t *current_state(const ro_app_t *e)
{
    const ro_state_t *rec = e->have_rec && e->rec.has_state ? &e->rec.state : NULL;
    const ro_state_t *drv = e->have_drv_state ? &e->drv_state : NULL;
    if (!drv)
        return rec;
    if (!rec || (e->driver && !e->driver_done))
        return drv;
    if (drv->steps[RO_STEP_LOCK] == RO_SS_FAILED)
        return rec; /* ours was refused (lock held): the recorded rollout is the one to show */
    if (strcmp(rec->id, drv->id))
        return rec->started_ms >= drv->started_ms ? rec : drv;
    return ro_finished(drv) || !ro_finished(rec) ? drv : rec;
}

static bool running(const ro_app_t *e)
{
    const ro_state_t *st = current_state(e);
    return (e->driver && !e->driver_done) || (st && !ro_finished(st));
}

/* ---- the ticking timer ---- */

static void on_timer(uv_timer_t *t)
{
    struct rollouts *r = t->data;
    app_t *app = r->app;
    /* Ticks only matter to a rollout (or history) view on top, or to our own driver: an idle
     * kdeck — even with an orphaned record saying "running" — stops the timer. The view's next
     * draw (app_rollout_info) starts it again. */
    view_t *v = app_top_view(app);
    bool shown = v && v->ops->keyctx == KEYCTX_ROLLOUT, any = false;
    uint64_t now = uv_now(app_loop(app));
    for (int i = 0; i < r->n; i++) {
        ro_app_t *e = r->apps[i];
        if (e->driver && e->driver_done) { /* not from inside its own callback: here */
            ro_driver_free(e->driver);
            e->driver = NULL;
        }
        any |= e->driver != NULL;
        if (!shown || !running(e))
            continue;
        any = true;
        if (!e->driver && !e->get && now - e->last_read_ms >= REREAD_RUNNING_MS)
            reread(e); /* in case a watch event was missed */
        if (!e->driver && (!e->lease_read_ms || now - e->lease_read_ms >= LEASE_CHECK_MS))
            check_lease(e);
    }
    if (shown && any)
        app_dirty(app); /* elapsed times and "12 s left" move */
    if (!any)
        uv_timer_stop(t);
}

static void tick(struct rollouts *r, uint64_t first_ms)
{
    if (!uv_is_active((uv_handle_t *)&r->timer) || first_ms == 0)
        uv_timer_start(&r->timer, on_timer, first_ms, 1000);
}

/* ---- reading the record ---- */

static void open_rollout_view(app_t *app, ro_app_t *e)
{
    if (view_rollout_shows(app_top_view(app), e->ns, e->name))
        return; /* already on top */
    app_push_view(app, view_rollout_new(app, e->ns, e->name));
}

static void on_live(void *ud, descriptor_t *d, const desc_problems_t *notes,
                    const cJSON *deployment_json, const char *error);

/* `r` was pressed and the record is read: its running rollout, or a new one. */
static void decide_rollout(app_t *app, ro_app_t *e)
{
    e->want_rollout = false;
    const ro_state_t *st = current_state(e);
    if (st && !ro_finished(st)) {
        open_rollout_view(app, e);
        app_info(app, "%s: rollout of %s by %s is %s", e->name, st->version, st->who, ro_phase_name(st->phase));
        return;
    }
    if (app_read_only(app)) {
        open_rollout_view(app, e);
        app_info(app, "read-only session: r shows rollouts, it does not start them");
        return;
    }
    if (e->error[0]) {
        app_error(app, "%s: %s", e->name, e->error);
        return;
    }
    if (e->live)
        return;
    /* The descriptor of what serves now: the last rollout's new slot when it succeeded, its old
     * one (or the plain Deployment) when it did not — whichever row `r` was pressed on. */
    if (st) {
        const char *slot = st->phase == RO_PHASE_SUCCEEDED ? st->to_slot : st->from_slot;
        if (*slot)
            snprintf(e->want_deployment, sizeof e->want_deployment, "%s-%s", e->name, slot);
        else
            snprintf(e->want_deployment, sizeof e->want_deployment, "%s", e->name);
    }
    app_info(app, "%s: reading the live app...", e->name);
    e->live = live_descriptor_load(app, e->ns, e->want_deployment, on_live, e);
    if (!e->live)
        app_error(app, "%s: out of memory", e->name);
}

static void on_get(http_req_t *req, const http_result_t *res, void *ud)
{
    ro_app_t *e = ud;
    app_t *app = e->owner->app;
    (void)req;
    e->get = NULL;
    e->loaded = true;
    e->last_read_ms = uv_now(app_loop(app));
    char what[400];
    snprintf(what, sizeof what, "GET configmap %s/" RO_LEASE_PREFIX "%s", e->ns, e->name);
    if (res->status == 404) { /* never rolled out by kdeck */
        if (e->have_rec)
            ro_record_free(&e->rec);
        e->have_rec = false;
        e->rec_rv[0] = e->error[0] = '\0';
    } else if (res->status == 200 && res->body) {
        cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
        ro_record_t rec;
        char err[300];
        if (j && ro_record_parse(j, &rec, err, sizeof err)) {
            if (e->have_rec)
                ro_record_free(&e->rec);
            e->rec = rec;
            e->have_rec = true;
            e->error[0] = '\0';
            const cJSON *rv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "metadata"),
                                                               "resourceVersion");
            snprintf(e->rec_rv, sizeof e->rec_rv, "%s", cJSON_IsString(rv) ? rv->valuestring : "");
        } else {
            snprintf(e->error, sizeof e->error, "configmap " RO_LEASE_PREFIX "%s is not a rollout record: %s",
                     e->name, j ? err : "not JSON");
        }
        cJSON_Delete(j);
    } else {
        api_error_describe(what, res, e->error, sizeof e->error);
    }
    if (running(e))
        tick(e->owner, 1000);
    app_dirty(app);
    if (e->want_rollout)
        decide_rollout(app, e);
}

/* GETs one of the app's records (at most one in flight per *slot). */
static void get_record(ro_app_t *e, const char *path, http_done_cb cb, http_req_t **slot,
                       uint64_t *started)
{
    app_t *app = e->owner->app;
    http_client_t *http = app_http(app);
    if (*slot || !http)
        return;
    http_req_opts_t o = { .method = "GET", .path = path, .accept = "application/json",
                          .timeout_ms = GET_TIMEOUT_MS, .on_done = cb, .ud = e };
    *slot = http_request(http, &o);
    *started = uv_now(app_loop(app));
}

static void reread(ro_app_t *e)
{
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps/" RO_LEASE_PREFIX "%s", e->ns, e->name);
    get_record(e, path, on_get, &e->get, &e->last_read_ms);
}

/* ---- is the driver of a running rollout gone? ---- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_lease(http_req_t *req, const http_result_t *res, void *ud)
{
    ro_app_t *e = ud;
    (void)req;
    e->lease_get = NULL;
    bool was = e->driver_gone;
    if (res->status == 404) { /* no Lease at all, yet the record says running */
        e->driver_gone = true;
        e->gone_since_ms = 0;
    } else if (res->status == 200 && res->body) {
        cJSON *lease = cJSON_ParseWithLength(res->body, res->body_len);
        const char *at = strrchr(e->owner->who, '@');
        char holder[400];
        int64_t renewed = 0;
        e->driver_gone = lease && !ro_lease_driver_live(lease, at ? at + 1 : "", wall_ms(), holder,
                                                         sizeof holder, &renewed);
        e->gone_since_ms = renewed;
        cJSON_Delete(lease);
    } /* else (no answer, not allowed to read Leases): unknown, as it was */
    if (was != e->driver_gone)
        app_dirty(e->owner->app);
}

/* GETs the app's Lease (at most one in flight); on_lease tells whether its driver lives. */
static void check_lease(ro_app_t *e)
{
    char path[600];
    snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/" RO_LEASE_PREFIX "%s",
             e->ns, e->name);
    get_record(e, path, on_lease, &e->lease_get, &e->lease_read_ms);
}

/* Re-reads the record when the ConfigMap informer saw it change (or vanish). */
static void follow(app_t *app, ro_app_t *e)
{
    informer_t *inf = app_informer(app, KIND_CONFIGMAP, e->ns);
    if (!e->loaded) {
        reread(e);
        return;
    }
    if (!inf || e->get)
        return;
    char cm[300];
    snprintf(cm, sizeof cm, RO_LEASE_PREFIX "%s", e->name);
    const kobj_t *o = informer_get(inf, e->ns, cm);
    if (o && o->rv && strcmp(o->rv, e->rec_rv) && strcmp(o->rv, e->trigger_rv)) {
        snprintf(e->trigger_rv, sizeof e->trigger_rv, "%s", o->rv);
        reread(e);
    } else if (!o && e->have_rec && informer_status(inf)->synced && e->trigger_rv[0] != '-') {
        snprintf(e->trigger_rv, sizeof e->trigger_rv, "-"); /* deleted: read once more to be sure */
        reread(e);
    }
}

void app_rollout_info(app_t *app, const char *ns, const char *name, app_ro_info_t *out)
{
    memset(out, 0, sizeof *out);
    out->log = out->error = out->message = "";
    ro_app_t *e = find_app(app, ns, name, true);
    if (!e) {
        out->error = "too many apps followed at once";
        return;
    }
    follow(app, e);
    if (running(e))
        tick(e->owner, 1000); /* a view shows it: keep its times moving */
    out->loaded = e->loaded || e->have_drv_state;
    out->driving = e->driver && !e->driver_done;
    out->state = current_state(e);
    if (out->state && !ro_finished(out->state) && !e->driver) {
        if (!e->lease_read_ms)
            check_lease(e); /* the first look at a running rollout: is anyone driving it? */
        out->driver_gone = e->driver_gone;
        out->driver_gone_since_ms = e->gone_since_ms;
    } else {
        e->driver_gone = false; /* finished, or ours: a later rollout is checked afresh */
        e->lease_read_ms = 0;
    }
    bool ours = out->state && out->state == &e->drv_state;
    bool recorded = e->have_rec && e->rec.log && e->rec.has_state && out->state &&
                    !strcmp(e->rec.state.id, out->state->id);
    if (ours && e->log.len && !(e->log_partial && recorded))
        out->log = e->log.s;
    else if (e->have_rec && e->rec.log)
        out->log = e->rec.log;
    if (e->have_rec) {
        out->history = e->rec.history;
        out->n_history = e->rec.n_history;
    }
    out->error = e->error;
    out->message = e->message;
}

/* ---- audit ---- */

static void audit(app_t *app, const char *verb, const ro_app_t *e, const char *result)
{
    const kube_target_t *t = app_target(app);
    char object[400];
    snprintf(object, sizeof object, "rollouts/%s/%s", e->ns, e->name);
    audit_entry_t a = { .context = t ? t->context : "", .user = t ? t->user_name : "", .verb = verb,
                        .object = object, .result = result };
    audit_record(&a);
}

/* ---- the driver's callbacks ---- */

static void on_change(void *ud, const ro_state_t *s)
{
    ro_app_t *e = ud;
    e->drv_state = *s;
    e->have_drv_state = true;
    app_dirty(e->owner->app);
}

static void on_log(void *ud, const char *line)
{
    ro_app_t *e = ud;
    strbuf_addf(&e->log, "%s\n", line);
    if (++e->log_lines > LOCAL_LOG_MAX && e->log.s) { /* drop the oldest line */
        char *nl = strchr(e->log.s, '\n');
        size_t cut = nl ? (size_t)(nl - e->log.s) + 1 : e->log.len;
        memmove(e->log.s, e->log.s + cut, e->log.len - cut + 1);
        e->log.len -= cut;
        e->log_lines--;
    }
    app_dirty(e->owner->app);
}

static void on_done(void *ud, const ro_state_t *s, int exit_status, const char *message)
{
    ro_app_t *e = ud;
    app_t *app = e->owner->app;
    if (s) {
        e->drv_state = *s;
        e->have_drv_state = true;
    }
    e->driver_done = true;
    const char *phase = s ? ro_phase_name(s->phase) : "stopped";
    if (message && *message)
        snprintf(e->message, sizeof e->message, "%s", message);
    else if (s && s->reason[0])
        snprintf(e->message, sizeof e->message, "%s: %s", phase, s->reason);
    else
        snprintf(e->message, sizeof e->message, "%s", phase);
    char result[600];
    snprintf(result, sizeof result, "exit %d: %s", exit_status, e->message);
    audit(app, "rollout-done", e, result);
    if (exit_status == 0)
        app_info(app, "%s: %s", e->name, e->message);
    else
        app_error(app, "%s: %s", e->name, e->message);
    tick(e->owner, 0); /* frees the driver on the next turn */
    app_dirty(app);
}

/* Each change the driver makes to the cluster, as `kdeck rollout` records it. */
static void on_write(void *ud, const char *verb, const char *object, const char *result)
{
    ro_app_t *e = ud;
    const kube_target_t *t = app_target(e->owner->app);
    audit_entry_t a = { .context = t ? t->context : "", .user = t ? t->user_name : "", .verb = verb,
                        .object = object, .result = result };
    audit_record(&a);
}

/* Starts a driver for e; false (with the status line set) when it cannot. */
static bool start_driver(app_t *app, ro_app_t *e, ro_op_t op, const descriptor_t *d, const char *reason)
{
    static const char *const verbs[] = { "rollout-apply", "rollout-resume", "rollout-abort", "rollout-undo" };
    if (app_read_only(app)) {
        app_error(app, "%s: read-only session: rollouts cannot be started, aborted or undone here", e->name);
        return false;
    }
    if (e->driver && !e->driver_done) {
        app_error(app, "%s: this kdeck is already driving its rollout", e->name);
        return false;
    }
    if (e->driver) {
        ro_driver_free(e->driver);
        e->driver = NULL;
    }
    char err[400] = "";
    prom_client_t *prom = NULL;
    if (d && d->rollout && d->rollout->n_analysis)
        prom = app_prom(app, err, sizeof err); /* NULL: the analysis step says why */
    ro_driver_opts_t o = {
        .loop = app_loop(app), .kube = app_http(app), .prom = prom, .op = op,
        .ns = e->ns, .app = e->name, .descriptor = d, .who = e->owner->who, .abort_reason = reason,
        .on_change = on_change, .on_log = on_log, .on_done = on_done, .on_write = on_write, .ud = e,
    };
    err[0] = '\0';
    /* Reset before starting: a driver that ends at once calls on_done before it returns. */
    e->driver_done = false;
    e->have_drv_state = false;
    e->message[0] = '\0';
    strbuf_free(&e->log);
    e->log_lines = 0;
    e->log_partial = op == RO_OP_ABORT || op == RO_OP_RESUME;
    ro_driver_t *drv = ro_driver_start(&o, err, sizeof err);
    char result[600];
    if (!drv) {
        e->driver_done = true;
        snprintf(result, sizeof result, "refused: %s", err);
        audit(app, verbs[op], e, result);
        app_error(app, "%s: %s", e->name, err[0] ? err : "cannot start the rollout driver");
        return false;
    }
    e->driver = drv;
    if (op == RO_OP_APPLY)
        snprintf(result, sizeof result, "started: version %s, image %s", d->version ? d->version : "?",
                 d->n_containers && d->containers[0].image ? d->containers[0].image : "?");
    else
        snprintf(result, sizeof result, "started%s%s", reason ? ": " : "", reason ? reason : "");
    audit(app, verbs[op], e, result);
    tick(e->owner, 1000);
    return true;
}

/* ---- starting ---- */

/* Gives d a blue/green rollout section when it has none; false when it asks for another strategy. */
static bool ensure_blue_green(descriptor_t *d)
{
    if (!d->rollout) {
        desc_rollout_t *r = calloc(1, sizeof *r);
        if (!r)
            return false;
        r->ready_timeout_seconds = r->health_timeout_seconds = DESC_UNSET;
        r->bake_seconds = r->scale_down_delay_seconds = DESC_UNSET;
        d->rollout = r;
    }
    if (!d->rollout->strategy)
        d->rollout->strategy = strdup("blueGreen");
    return d->rollout->strategy && !strcmp(d->rollout->strategy, "blueGreen");
}

void app_rollout_start(app_t *app, const descriptor_t *d_in)
{
    const char *name = d_in && d_in->name ? d_in->name : "";
    if (!*name) {
        app_error(app, "rollout: the descriptor has no name");
        return;
    }
    if (app_read_only(app)) {
        app_error(app, "%s: read-only session: rollouts are not started here", name);
        return;
    }
    descriptor_t *d = descriptor_dup(d_in);
    if (!d) {
        app_error(app, "%s: out of memory", name);
        return;
    }
    if (!d->namespace_ || !*d->namespace_) {
        free(d->namespace_);
        const char *ns = app_namespace(app);
        d->namespace_ = strdup(*ns ? ns : "default");
    }
    desc_problems_t pr = { 0 };
    if (!ensure_blue_green(d)) {
        app_error(app, "%s: rollout.strategy is '%s': a rollout needs blueGreen", name,
                  d->rollout && d->rollout->strategy ? d->rollout->strategy : "?");
    } else if (!d->service) {
        app_error(app, "%s: no Service: a blue/green rollout switches the Service's selector "
                  "(add a service section, or create Service %s first)", name, name);
    } else if (!descriptor_validate(d, &pr)) {
        app_error(app, "%s: invalid descriptor: %s%s%s%s", name, pr.v[0].path, *pr.v[0].path ? ": " : "",
                  pr.v[0].msg, pr.n > 1 ? " (and more)" : "");
    } else {
        ro_app_t *e = find_app(app, d->namespace_, name, true);
        if (!e)
            app_error(app, "%s: too many apps followed at once", name);
        else if (start_driver(app, e, RO_OP_APPLY, d, NULL)) {
            open_rollout_view(app, e);
            app_info(app, "%s: rolling out %s", name, d->version ? d->version : "");
        }
    }
    desc_problems_free(&pr);
    descriptor_free(d);
}

/* The tag of an image reference ("registry.local/app/web:v2" → "v2"); "latest" without one. */
static void image_tag(const char *image, char *buf, size_t len)
{
    const char *slash = strrchr(image, '/');
    const char *base = slash ? slash + 1 : image;
    const char *at = strchr(base, '@');
    const char *colon = strchr(base, ':');
    if (colon && (!at || colon < at))
        snprintf(buf, len, "%.*s", (int)((at ? at : colon + strlen(colon)) - colon - 1), colon + 1);
    else if (at && strchr(at, ':'))
        snprintf(buf, len, "%.12s", strchr(at, ':') + 1); /* a digest: its first 12 digits */
    else
        snprintf(buf, len, "latest");
}

static void free_descriptor(void *ud)
{
    descriptor_free(ud);
}

/* The answer to "roll out web: image ...": that image, its tag as the version, blue/green. */
static void on_image_entered(app_t *app, const char *text, void *ud)
{
    descriptor_t *d = ud;
    if (!text) {
        app_info(app, "%s: rollout cancelled", d->name);
        return;
    }
    char image[256];
    while (isspace((unsigned char)*text))
        text++;
    snprintf(image, sizeof image, "%s", text);
    size_t n = strlen(image);
    while (n && isspace((unsigned char)image[n - 1]))
        image[--n] = '\0';
    const char *bad = validate_image(image);
    if (bad) {
        app_error(app, "%s: image '%s' %s: rollout not started", d->name, image, bad);
        return;
    }
    char tag[RO_NAME_MAX];
    image_tag(image, tag, sizeof tag);
    char *img = strdup(image), *ver = strdup(tag);
    if (!img || !ver) {
        free(img);
        free(ver);
        app_error(app, "%s: out of memory", d->name);
        return;
    }
    /* An env var VERSION that held the old version (or tag) follows the new one. */
    char old_tag[RO_NAME_MAX];
    image_tag(d->containers[0].image ? d->containers[0].image : "", old_tag, sizeof old_tag);
    desc_container_t *c = &d->containers[0];
    for (size_t i = 0; i < c->n_env; i++) {
        desc_env_t *env = &c->env[i];
        if (!env->name || strcmp(env->name, "VERSION") || !env->value ||
            (strcmp(env->value, old_tag) && (!d->version || strcmp(env->value, d->version))))
            continue;
        char *v = strdup(tag);
        if (v) {
            free(env->value);
            env->value = v;
        }
    }
    free(c->image);
    c->image = img;
    free(d->version);
    d->version = ver;
    app_rollout_start(app, d);
}

static void on_live(void *ud, descriptor_t *d, const desc_problems_t *notes,
                    const cJSON *deployment_json, const char *error)
{
    ro_app_t *e = ud;
    app_t *app = e->owner->app;
    (void)notes;
    (void)deployment_json;
    e->live = NULL;
    if (!d) {
        app_error(app, "%s: %s", e->name, error && *error ? error : "cannot read the live app");
        return;
    }
    if (!d->n_containers) {
        app_error(app, "%s: deployment %s has no container to roll out", e->name, e->want_deployment);
        descriptor_free(d);
        return;
    }
    if (!d->service) {
        app_error(app, "%s: no Service %s in namespace %s: a blue/green rollout switches a Service's "
                  "selector; create it first", e->name, e->name, e->ns);
        descriptor_free(d);
        return;
    }
    if (!d->namespace_) {
        d->namespace_ = strdup(e->ns);
        if (!d->namespace_) {
            descriptor_free(d);
            return;
        }
    }
    char label[200];
    snprintf(label, sizeof label, "roll out %s: image ", e->name);
    app_prompt_input(app, label, d->containers[0].image, on_image_entered, d, free_descriptor);
    app_info(app, "%s: the new image (Enter rolls out, Esc cancels, Ctrl-U clears)", e->name);
}

/* ---- keys and commands ---- */

bool app_rollouts_may_quit(app_t *app)
{
    session_t *s = app_session(app);
    struct rollouts *r = s ? s->rollouts : NULL;
    const ro_app_t *driving = NULL;
    for (int i = 0; r && i < r->n && !driving; i++)
        if (r->apps[i]->driver && !r->apps[i]->driver_done)
            driving = r->apps[i];
    if (!driving)
        return true;
    uint64_t now = uv_now(app_loop(app));
    if (r->quit_asked_ms && now - r->quit_asked_ms < 5000)
        return true;
    r->quit_asked_ms = now;
    app_error(app, "press q again to quit: this kdeck drives the rollout of %s (quitting stops its driver; "
              "`kdeck rollout resume %s -n %s` completes it)", driving->name, driving->name, driving->ns);
    return false;
}

void app_rollout_object(app_t *app, kind_id_t kind, const kobj_t *obj)
{
    if (kind != KIND_DEPLOYMENT || !obj || !obj->ns) {
        app_error(app, "r rolls out a deployment: open the deployments (:deploy) and select the app");
        return;
    }
    char name[RO_NAME_MAX];
    app_rollout_app_name(obj->name, name, sizeof name);
    ro_app_t *e = find_app(app, obj->ns, name, true);
    if (!e) {
        app_error(app, "%s: too many apps followed at once", name);
        return;
    }
    if (e->driver && !e->driver_done) {
        open_rollout_view(app, e);
        return;
    }
    e->want_rollout = true;
    snprintf(e->want_deployment, sizeof e->want_deployment, "%s", obj->name);
    reread(e); /* fresh: is a rollout of it running somewhere? */
    app_info(app, "%s: reading its rollout record...", name);
}

void app_history_object(app_t *app, kind_id_t kind, const kobj_t *obj)
{
    if (kind != KIND_DEPLOYMENT || !obj || !obj->ns) {
        app_error(app, "H shows the rollout history of a deployment: open the deployments (:deploy)");
        return;
    }
    char name[RO_NAME_MAX];
    app_rollout_app_name(obj->name, name, sizeof name);
    app_push_view(app, view_history_new(app, obj->ns, name));
}

void app_rollout_command(app_t *app, const char *arg)
{
    if (!arg || !*arg) {
        app_error(app, ":rollout FILE rolls out a descriptor file; :rollout alone needs a deployment row");
        return;
    }
    if (app_read_only(app)) {
        app_error(app, ":rollout %s: read-only session: rollouts are not started here", arg);
        return;
    }
    desc_problems_t pr = { 0 };
    descriptor_t *d = descriptor_load(arg, &pr);
    if (!d) {
        if (pr.n)
            app_error(app, "%s: %s%s%s", arg, pr.v[0].path, *pr.v[0].path ? ": " : "", pr.v[0].msg);
        else
            app_error(app, "%s: cannot read the descriptor", arg);
        desc_problems_free(&pr);
        return;
    }
    desc_problems_free(&pr);
    app_rollout_start(app, d);
    descriptor_free(d);
}

void app_rollout_abort(app_t *app, const char *ns, const char *name)
{
    ro_app_t *e = find_app(app, ns, name, true);
    if (!e)
        return;
    if (app_read_only(app)) {
        app_error(app, "%s: read-only session: abort is not available", name);
        return;
    }
    char reason[300];
    snprintf(reason, sizeof reason, "aborted by %s", e->owner->who);
    if (e->driver && !e->driver_done) {
        ro_driver_abort(e->driver, reason);
        audit(app, "rollout-abort", e, "requested from this kdeck's driver");
        app_info(app, "%s: aborting: reverting to the old version...", name);
        return;
    }
    const ro_state_t *st = current_state(e);
    if (!st || ro_finished(st)) {
        app_error(app, "%s: no rollout is running: nothing to abort (u undoes the last one)", name);
        return;
    }
    if (start_driver(app, e, RO_OP_ABORT, NULL, reason))
        app_info(app, "%s: abort requested: the rollout reverts...", name);
}

void app_rollout_resume(app_t *app, const char *ns, const char *name)
{
    ro_app_t *e = find_app(app, ns, name, true);
    if (!e)
        return;
    const ro_state_t *st = current_state(e);
    if (!st || ro_finished(st)) {
        app_error(app, "%s: no unfinished rollout: nothing to resume", name);
        return;
    }
    if (start_driver(app, e, RO_OP_RESUME, NULL, NULL))
        app_info(app, "%s: resuming rollout %s at step %s...", name, st->id, ro_step_name(st->step));
}

void app_rollout_undo(app_t *app, const char *ns, const char *name)
{
    ro_app_t *e = find_app(app, ns, name, true);
    if (!e)
        return;
    const ro_state_t *st = current_state(e);
    if (st && !ro_finished(st)) {
        app_error(app, "%s: a rollout is running: abort it (a) instead of undoing", name);
        return;
    }
    if (start_driver(app, e, RO_OP_UNDO, NULL, NULL))
        app_info(app, "%s: undo: rolling back to the previous version...", name);
}

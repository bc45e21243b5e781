/* The rollout driver's core (rollout_driver.h): its life cycle, the engine feed, the requests of
 * an action with their retries, the rollout log, the end, and the clock. The Lease and the
 * ConfigMap record are in driver_record.c, what happens before the engine runs (and following a
 * record) in driver_prepare.c, the Kubernetes actions of the steps in driver_actions.c.
 *
 * Everything runs on the caller's libuv loop: one 1 Hz timer clocks the engine, retries failed
 * requests, renews the Lease (every 5 s), polls data.abort (every 2 s) and flushes log lines. */
#include "kdeck/rollout_driver.h"
#include "driver_int.h"

#include "kdeck/apierror.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void run_actions(ro_driver_t *d, const ro_actions_t *acts);

/* ---- small helpers ---- */

const cJSON *drv_jget(const cJSON *o, const char *k)
{
    return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

const char *drv_jstr(const cJSON *o, const char *k)
{
    const cJSON *v = drv_jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

long drv_jlong(const cJSON *o, const char *k, long dflt)
{
    const cJSON *v = drv_jget(o, k);
    /* a number from the server outside ±2^31 is not one we use: casting it could be undefined */
    return cJSON_IsNumber(v) && v->valuedouble > -2147483648.0 && v->valuedouble < 2147483648.0
               ? (long)v->valuedouble : dflt;
}

int64_t drv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


void drv_describe(const char *method, const char *path, const http_result_t *res, char *buf, size_t len)
{
    char what[600];
    snprintf(what, sizeof what, "%s %s", method, path);
    api_error_describe(what, res, buf, len);
}

void drv_audit(ro_driver_t *d, const char *method, const char *resource, const char *name,
               const http_result_t *res)
{
    if (!d->on_write)
        return;
    const char *verb = !strcmp(method, "POST") ? "create" : !strcmp(method, "PUT") ? "update"
                     : !strcmp(method, "PATCH") ? "patch" : !strcmp(method, "DELETE") ? "delete" : method;
    char object[300], result[RO_TEXT_MAX];
    snprintf(object, sizeof object, "%s/%s/%s", resource, d->ns, name);
    if (res->status >= 200 && res->status < 300)
        snprintf(result, sizeof result, "%ld %s", res->status,
                 res->status == 201 ? "Created" : res->status == 202 ? "Accepted" : "OK");
    else
        api_error_describe(NULL, res, result, sizeof result);
    d->on_write(d->ud, verb, object, result);
}

bool drv_transient(const http_result_t *res)
{
    return res->status == 0 || res->status >= 500 || res->status == 429;
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void drv_lease_path(const ro_driver_t *d, char *buf, size_t len)
{
    snprintf(buf, len, LEASE_API "%s/leases/" RO_LEASE_PREFIX "%s", d->ns, d->app);
}

void drv_cm_path(const ro_driver_t *d, bool collection, char *buf, size_t len)
{
    if (collection)
        snprintf(buf, len, CM_API "%s/configmaps", d->ns);
    else
        snprintf(buf, len, CM_API "%s/configmaps/" RO_LEASE_PREFIX "%s", d->ns, d->app);
}

/* ---- the rollout log ---- */

void drv_log_push(ro_driver_t *d, const char *line)
{
    char *copy = strdup(line);
    if (!copy)
        return;
    if (d->log_n == RO_LOG_MAX) {
        free(d->log[d->log_first]);
        d->log[d->log_first] = copy;
        d->log_first = (d->log_first + 1) % RO_LOG_MAX;
    } else {
        d->log[(d->log_first + d->log_n) % RO_LOG_MAX] = copy;
        d->log_n++;
    }
}

static void log_clear(ro_driver_t *d)
{
    for (size_t i = 0; i < d->log_n; i++)
        free(d->log[(d->log_first + i) % RO_LOG_MAX]);
    d->log_first = d->log_n = 0;
}

void drv_log(ro_driver_t *d, const char *fmt, ...)
{
    char text[RO_TEXT_MAX * 2], line[RO_TEXT_MAX * 2 + 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)   /* one line each: a pod's log text may hold anything */
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char hms[16];
    strftime(hms, sizeof hms, "%H:%M:%S", &tm);
    snprintf(line, sizeof line, "%s %s", hms, text);
    drv_log_push(d, line);
    d->log_dirty = true;
    if (d->on_log)
        d->on_log(d->ud, line);
}

/* ---- requests of an action, with retries ---- */

static void op_on_done(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    drv_op_t *op = ud;
    ro_driver_t *d = op->d;
    op->req = NULL;
    if (res->status != 0)
        d->any_answer = true;
    if (drv_transient(res)) {
        int64_t now = drv_now_ms(), delay = 1000LL << (op->attempts < 3 ? op->attempts : 3);
        bool retry = !d->any_answer ? op->attempts < START_RETRIES
                   : d->st.deadline_ms > 0 && d->mode == DRV_RUNNING ? now + delay < d->st.deadline_ms
                   : op->attempts < NO_DEADLINE_RETRIES;
        if (retry) {
            op->attempts++;
            op->retry_at_ms = now + delay;
            return;
        }
    }
    op->cb(op, res);
}

void drv_op_resend(drv_op_t *op)
{
    op->retry_at_ms = 0;
    http_req_opts_t o = {
        .method = op->method, .path = op->path, .body = op->body,
        .body_len = op->body ? strlen(op->body) : 0, .content_type = op->content_type,
        .accept = "application/json", .timeout_ms = 15000, .on_done = op_on_done, .ud = op,
    };
    op->req = http_request(op->d->kube, &o);
    if (!op->req) {
        http_result_t res = { .error = "out of memory" };
        op->cb(op, &res);
    }
}

bool drv_op_send(drv_op_t *op, const char *method, const char *path, const char *body,
                 const char *content_type, drv_op_cb cb)
{
    free(op->method);
    free(op->path);
    free(op->body);
    free(op->content_type);
    op->method = strdup(method);
    op->path = strdup(path);
    op->body = xstrdup(body);
    op->content_type = body ? strdup(content_type ? content_type : "application/json") : NULL;
    op->cb = cb;
    op->attempts = 0;
    if (!op->method || !op->path || (body && (!op->body || !op->content_type)))
        return false;
    drv_op_resend(op);
    return true;
}

void drv_op_end(drv_op_t *op)
{
    ro_driver_t *d = op->d;
    for (drv_op_t **p = &d->ops; *p; p = &(*p)->next) {
        if (*p == op) {
            *p = op->next;
            break;
        }
    }
    if (op->req)
        http_cancel(op->req);
    for (size_t i = 0; i < op->n_subs; i++) {
        if (op->subs[i].req)
            http_cancel(op->subs[i].req);
        if (op->subs[i].query)
            prom_query_cancel(op->subs[i].query);
    }
    free(op->subs);
    free(op->method);
    free(op->path);
    free(op->body);
    free(op->content_type);
    cJSON_Delete(op->obj);
    free(op);
}

drv_op_t *drv_op_new(ro_driver_t *d, ro_action_kind_t kind)
{
    drv_op_t *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->d = d;
    op->kind = kind;
    op->next = d->ops;
    d->ops = op;
    return op;
}

/* ---- the engine feed ---- */

void drv_changed(ro_driver_t *d)
{
    if (d->on_change)
        d->on_change(d->ud, &d->st);
}

static void on_tick(uv_timer_t *t);

/* The engine wants a tick before the next regular one (a bake ends at its deadline, not up to a
 * second later): the 1 Hz tick is moved to fire then, and goes on once a second from there. */
static void tick_when_due(ro_driver_t *d)
{
    int64_t at = ro_next_tick_ms(&d->st), now = drv_now_ms();
    if (d->mode != DRV_RUNNING || d->ticks == 0 || at <= now)
        return;
    /* The timer runs on the loop's clock, the engine on the wall clock: a few ms late, never early. */
    uint64_t delay = (uint64_t)(at - now) + 3;
    if (delay < uv_timer_get_due_in(&d->tick))
        uv_timer_start(&d->tick, on_tick, delay, 1000);
}

static void engine_drain(ro_driver_t *d)
{
    while (d->queued && d->mode == DRV_RUNNING) {
        ro_event_t ev = d->queue[0].ev;
        char text[RO_TEXT_MAX];
        snprintf(text, sizeof text, "%s", d->queue[0].text);
        ev.text = text;
        memmove(&d->queue[0], &d->queue[1], (d->queued - 1) * sizeof d->queue[0]);
        d->queued--;
        ro_actions_t acts = {0};
        d->in_engine = true;
        ro_handle(&d->st, &ev, &acts);
        run_actions(d, &acts);
        d->in_engine = false;
        drv_changed(d);
    }
    tick_when_due(d);
}

void drv_event(ro_driver_t *d, ro_event_kind_t kind, bool ok, int n, int m, const char *text)
{
    if (d->mode != DRV_RUNNING)
        return;
    if (d->queued == sizeof d->queue / sizeof d->queue[0]) {
        drv_log(d, "driver: too many events at once; one was dropped");
        return;
    }
    d->queue[d->queued].ev = (ro_event_t){ .kind = kind, .now_ms = drv_now_ms(), .ok = ok, .n = n, .m = m };
    snprintf(d->queue[d->queued].text, sizeof d->queue[0].text, "%s", text ? text : "");
    d->queued++;
    if (!d->in_engine)
        engine_drain(d);
}

/* Runs ro_start/ro_resume/ro_abort's actions. */
void drv_engine_actions(ro_driver_t *d, const ro_actions_t *acts)
{
    d->in_engine = true;
    run_actions(d, acts);
    d->in_engine = false;
    drv_changed(d);
    engine_drain(d);
}

static bool op_in_flight(const ro_driver_t *d, ro_action_kind_t kind)
{
    for (const drv_op_t *op = d->ops; op; op = op->next)
        if (op->kind == kind)
            return true;
    return false;
}

static void run_actions(ro_driver_t *d, const ro_actions_t *acts)
{
    for (size_t i = 0; i < acts->n; i++) {
        const ro_action_t *a = &acts->v[i];
        switch (a->kind) {
        case RO_ACT_LOG:
            drv_log(d, "%s", a->text);
            break;
        case RO_ACT_SAVE:
            drv_mark_dirty(d);
            break;
        case RO_ACT_LOCK: {
            drv_op_t *op = drv_op_new(d, RO_ACT_LOCK);
            if (!op)
                drv_event(d, RO_EV_ERROR, false, 0, 0, "out of memory");
            else
                drv_lock_start(op);
            break;
        }
        case RO_ACT_DONE:
            d->mode = DRV_FINISHING;
            drv_job_stop(d);
            while (d->ops)
                drv_op_end(d->ops);
            if (!d->have_lock) {
                drv_finish(d, -1, "%s", "");
            } else if (d->cm_blocked) {   /* the record is not ours: only the Lease goes */
                drv_cm_settled(d);
            } else {
                d->cm_dirty = true;
                drv_cm_flush(d);
                drv_cm_settled(d);
            }
            break;
        case RO_ACT_CHECK_READY: case RO_ACT_HEALTH: case RO_ACT_ANALYZE:
            if (op_in_flight(d, a->kind))   /* its answer is still due: one round at a time */
                break;
            drv_action_start(d, a);
            break;
        default:
            drv_action_start(d, a);
            break;
        }
    }
}

/* ---- the end ---- */

void drv_finish(ro_driver_t *d, int status, const char *fmt, ...)
{
    if (d->mode == DRV_OVER)
        return;
    char text[sizeof d->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (text[0])
        snprintf(d->message, sizeof d->message, "%s", text);
    if (status < 0) {   /* from the engine's final state */
        status = d->st.phase == RO_PHASE_SUCCEEDED ? 0 : d->lock_refused ? 3 : !d->any_answer ? 4 : 1;
        if (d->st.id[0] && !d->lock_refused) {
            if (d->st.phase == RO_PHASE_SUCCEEDED)
                snprintf(d->message, sizeof d->message, "rollout %s succeeded: %s/%s serves version %s",
                         d->st.id, d->ns, d->app, d->st.version);
            else
                snprintf(d->message, sizeof d->message, "rollout %s %s%s%s: %s", d->st.id,
                         ro_phase_name(d->st.phase), d->st.failed_step[0] ? " at step " : "",
                         d->st.failed_step, d->st.reason[0] ? d->st.reason : "(no reason recorded)");
        }
    }
    d->mode = DRV_OVER;
    d->exit_status = status;
    drv_job_stop(d);
    while (d->ops)
        drv_op_end(d->ops);
    uv_timer_stop(&d->tick);
    if (d->on_done)
        d->on_done(d->ud, &d->st, status, d->message);
}

void drv_lease_released(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;   /* a release that fails leaves the Lease to expire (15 s) */
    ro_driver_t *d = ud;
    char name[RO_NAME_MAX + 20];
    snprintf(name, sizeof name, RO_LEASE_PREFIX "%s", d->app);
    drv_audit(d, "PUT", "leases", name, res);
    d->renew_req = NULL;
    d->have_lock = false;
    drv_finish(d, -1, "%s", "");
}

/* ---- the clock ---- */

static void on_abort_polled(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->abort_poll_req = NULL;
    if (res->status != 200 || d->mode != DRV_RUNNING)
        return;
    cJSON *cm = cJSON_ParseWithLength(res->body, res->body_len);
    const char *ab = drv_jstr(drv_jget(cm, "data"), "abort");
    if (ab && *ab && !d->st.abort_requested && !ro_finished(&d->st)) {
        snprintf(d->cm_abort, sizeof d->cm_abort, "%s", ab);
        ro_actions_t acts = {0};
        ro_abort(&d->st, ab, drv_now_ms(), &acts);
        drv_engine_actions(d, &acts);
    }
    cJSON_Delete(cm);
}

static void on_tick(uv_timer_t *t)
{
    ro_driver_t *d = t->data;
    unsigned tick = d->ticks++;
    int64_t now = drv_now_ms();
    if (tick == 0) {
        drv_prepare_step(d, NULL);
        return;
    }
    switch (d->mode) {
    case DRV_PREPARE:
        drv_prepare_tick(d, now);
        break;
    case DRV_FOLLOW:
        drv_follow_poll(d);
        break;
    case DRV_RUNNING:
    case DRV_FINISHING:
        for (drv_op_t *op = d->ops; op; op = op->next)
            if (op->retry_at_ms && now >= op->retry_at_ms)
                drv_op_resend(op);
        if (d->cm_retry_at_ms && now >= d->cm_retry_at_ms)
            drv_cm_flush(d);
        if (d->log_dirty && d->have_lock) {
            d->cm_dirty = true;
            drv_cm_flush(d);
        }
        if (d->have_lock && !d->renew_req && now - d->last_renew_ms >= 5000 && d->mode == DRV_RUNNING)
            drv_lease_renew(d);
        if (d->mode != DRV_RUNNING)
            break;
        if (tick % 2 == 0 && d->have_lock && !d->abort_poll_req && !d->st.abort_requested) {
            char path[400];
            drv_cm_path(d, false, path, sizeof path);
            http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 10000,
                                  .on_done = on_abort_polled, .ud = d };
            d->abort_poll_req = http_request(d->kube, &o);
        }
        drv_job_tick(d);
        drv_event(d, RO_EV_TICK, false, 0, 0, NULL);
        break;
    case DRV_OVER:
        break;
    }
}

/* ---- public ---- */

ro_driver_t *ro_driver_start(const ro_driver_opts_t *o, char *err, size_t errlen)
{
    if (!o->loop || !o->kube || !o->on_done) {
        snprintf(err, errlen, "rollout driver: loop, client and on_done are required");
        return NULL;
    }
    const char *ns = o->ns, *app = o->app;
    if (o->op == RO_OP_APPLY) {
        if (!o->descriptor || !o->descriptor->name || !o->descriptor->namespace_ || !o->descriptor->version) {
            snprintf(err, errlen, "the descriptor needs namespace, name and version for a rollout");
            return NULL;
        }
        ns = o->descriptor->namespace_;
        app = o->descriptor->name;
    }
    if (!ns || !*ns || !app || !*app) {
        snprintf(err, errlen, "rollout driver: namespace and app are required");
        return NULL;
    }
    if (strlen(app) > RO_NAME_MAX - 8 || strlen(ns) >= RO_NAME_MAX) {
        snprintf(err, errlen, "app or namespace name too long for a rollout record");
        return NULL;
    }
    ro_driver_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->loop = o->loop;
    d->kube = o->kube;
    d->prom = o->prom;
    d->op = o->op;
    snprintf(d->ns, sizeof d->ns, "%s", ns);
    snprintf(d->app, sizeof d->app, "%s", app);
    if (gethostname(d->host, sizeof d->host - 1) != 0)
        snprintf(d->host, sizeof d->host, "localhost");
    if (o->who && *o->who) {
        snprintf(d->who, sizeof d->who, "%s", o->who);
    } else {   /* the operator's login on this host */
        const char *user = getenv("USER");
        struct passwd *pw = user && *user ? NULL : getpwuid(getuid());
        snprintf(d->who, sizeof d->who, "%s@%s", user && *user ? user : pw ? pw->pw_name : "kdeck", d->host);
    }
    snprintf(d->abort_reason, sizeof d->abort_reason, "%s", o->abort_reason ? o->abort_reason : "");
    d->on_change = o->on_change;
    d->on_log = o->on_log;
    d->on_done = o->on_done;
    d->on_write = o->on_write;
    d->ud = o->ud;
    if (o->op == RO_OP_APPLY) {
        d->desc = descriptor_dup(o->descriptor);
        d->desc_text = d->desc ? descriptor_to_text(d->desc) : NULL;
        if (!d->desc_text) {
            descriptor_free(d->desc);
            free(d);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
    }
    uv_timer_init(d->loop, &d->tick);
    d->tick.data = d;
    uv_timer_start(&d->tick, on_tick, 0, 1000);
    return d;
}

void ro_driver_abort(ro_driver_t *d, const char *reason)
{
    if (!d)
        return;
    snprintf(d->abort_reason, sizeof d->abort_reason, "%s", reason ? reason : "");
    if (d->mode == DRV_RUNNING && !ro_finished(&d->st)) {
        ro_actions_t acts = {0};
        ro_abort(&d->st, d->abort_reason, drv_now_ms(), &acts);
        drv_engine_actions(d, &acts);
    } else if (d->mode == DRV_PREPARE) {
        d->pending_abort = true;
    }
}

const ro_state_t *ro_driver_state(const ro_driver_t *d)
{
    return d ? &d->st : NULL;
}

static void on_tick_closed(uv_handle_t *h)
{
    free(h->data);
}

void ro_driver_free(ro_driver_t *d)
{
    if (!d)
        return;
    drv_job_stop(d);
    while (d->ops)
        drv_op_end(d->ops);
    http_req_t *reqs[] = { d->prep_req, d->renew_req, d->cm_req, d->abort_poll_req, d->follow_req,
                           d->follow_lease_req };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++)
        if (reqs[i])
            http_cancel(reqs[i]);
    log_clear(d);
    descriptor_free(d->desc);
    free(d->desc_text);
    free(d->previous_text);
    free(d->follow_last_line);
    cJSON_Delete(d->history);
    cJSON_Delete(d->cm_live);
    cJSON_Delete(d->live_svc);
    cJSON_Delete(d->live_dep);
    cJSON_Delete(d->live_ings);
    uv_timer_stop(&d->tick);
    uv_close((uv_handle_t *)&d->tick, on_tick_closed);   /* frees d */
}

/* The rollout driver's cluster records (docs/rollouts.md): the Lease kdeck-rollout-<app> (taken,
 * renewed, released; a holder on this host whose process is gone may be replaced at once) and the
 * ConfigMap kdeck-rollout-<app> (PUTs with the last resourceVersion read; a 409 re-reads it and
 * writes our keys over the new version), and LOCK, which takes the one and writes the other. */
#include "driver_int.h"

#include "kdeck/kubeconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* MicroTime, as Leases carry it: 2026-01-02T03:04:05.123456Z */
static void micro_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06dZ", base, (int)(ms % 1000) * 1000);
}

/* ---- the Lease ---- */

/* Whether a process of this host still runs (a zombie does not: killed, not yet reaped). */
static bool pid_alive(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return false;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;   /* no /proc: kill() said it exists */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');   /* "PID (comm) S ..." */
    return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

/* Whether a rollout's Lease names a driver that lives (docs/rollouts.md): not when it has no
 * holder, when it expired, or when its holder ran on this host and its process is gone. */
bool ro_lease_driver_live(const cJSON *lease, const char *host, int64_t now_ms, char *holder_buf,
                          size_t len, int64_t *renewed_ms)
{
    const cJSON *spec = drv_jget(lease, "spec");
    const char *holder = drv_jstr(spec, "holderIdentity");
    const char *renew = drv_jstr(spec, "renewTime") ? drv_jstr(spec, "renewTime") : drv_jstr(spec, "acquireTime");
    time_t renewed = 0;
    if (renew && !kc_parse_rfc3339(renew, &renewed))
        renewed = 0;
    if (renewed_ms)
        *renewed_ms = (int64_t)renewed * 1000;
    if (!holder || !*holder)
        return false;
    long duration = drv_jlong(spec, "leaseDurationSeconds", RO_LEASE_SECONDS);
    if (renewed && (int64_t)(renewed + duration) * 1000 < now_ms)
        return false;   /* expired */
    const char *pid_s = drv_jstr(drv_jget(drv_jget(lease, "metadata"), "annotations"), PID_ANNOTATION);
    long pid = pid_s ? strtol(pid_s, NULL, 10) : 0;
    const char *at = strrchr(holder, '@');
    if (at && host && !strcmp(at + 1, host) && pid > 0 && pid != (long)getpid() && !pid_alive(pid))
        return false;   /* same host, and its process is gone */
    const char *since = drv_jstr(spec, "acquireTime");
    if (pid > 0)
        snprintf(holder_buf, len, "%s (pid %ld) since %s", holder, pid, since ? since : "?");
    else
        snprintf(holder_buf, len, "%s since %s", holder, since ? since : "?");
    return true;
}

/* "admin@host (pid 42) since 2026-..." when the Lease is held by a live driver that is not us;
 * NULL when it may be taken. */
const char *drv_lease_holder(const ro_driver_t *d, const cJSON *lease, char *buf, size_t len)
{
    return ro_lease_driver_live(lease, d->host, drv_now_ms(), buf, len, NULL) ? buf : NULL;
}

/* The Lease with us as holder (release: without a holder). */
static char *lease_body(const ro_driver_t *d, bool release)
{
    cJSON *o = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(o, "metadata"),
          *spec = NULL, *ann = NULL;
    char now[40], pid[24], name[RO_NAME_MAX + 20];
    micro_time(drv_now_ms(), now, sizeof now);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    snprintf(name, sizeof name, RO_LEASE_PREFIX "%s", d->app);
    cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1");
    cJSON_AddStringToObject(o, "kind", "Lease");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", d->ns);
    if (d->lease_rv[0])
        cJSON_AddStringToObject(meta, "resourceVersion", d->lease_rv);
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    cJSON_AddStringToObject(labels, DESC_MANAGED_BY_KEY, DESC_MANAGED_BY);
    cJSON_AddStringToObject(labels, "kdeck.dev/rollout-app", d->app);
    if (!release) {
        ann = cJSON_AddObjectToObject(meta, "annotations");
        cJSON_AddStringToObject(ann, PID_ANNOTATION, pid);
    }
    spec = cJSON_AddObjectToObject(o, "spec");
    if (!release)
        cJSON_AddStringToObject(spec, "holderIdentity", d->who);
    cJSON_AddNumberToObject(spec, "leaseDurationSeconds", RO_LEASE_SECONDS);
    if (!release)
        cJSON_AddStringToObject(spec, "acquireTime", d->acquire_time[0] ? d->acquire_time : now);
    cJSON_AddStringToObject(spec, "renewTime", now);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void remember_lease_rv(ro_driver_t *d, const http_result_t *res)
{
    cJSON *o = cJSON_ParseWithLength(res->body ? res->body : "", res->body_len);
    const char *rv = drv_jstr(drv_jget(o, "metadata"), "resourceVersion");
    snprintf(d->lease_rv, sizeof d->lease_rv, "%s", rv ? rv : "");
    cJSON_Delete(o);
}

/* How a lock attempt ended: 0 acquired, 3 held (text = holder), 4 unreachable, 1 error. */
static void lock_result(drv_op_t *op, int status, const char *text);

static void lease_get(drv_op_t *op);

static void lease_written(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    char name[RO_NAME_MAX + 20];
    snprintf(name, sizeof name, RO_LEASE_PREFIX "%s", d->app);
    drv_audit(d, op->method, "leases", name, res);
    if (res->status == 200 || res->status == 201) {
        remember_lease_rv(d, res);
        d->have_lock = true;
        d->last_renew_ms = drv_now_ms();
        lock_result(op, 0, NULL);
    } else if (res->status == 409 && op->conflicts++ < 3) {
        lease_get(op);   /* someone else wrote it meanwhile: look again */
    } else {
        char msg[RO_TEXT_MAX];
        drv_describe(op->method, op->path, res, msg, sizeof msg);
        lock_result(op, res->status == 409 ? 3 : res->status == 0 ? 4 : 1, msg);
    }
}

static void lease_got(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    char path[400], msg[RO_TEXT_MAX];
    if (res->status == 404) {
        d->lease_rv[0] = '\0';
        micro_time(drv_now_ms(), d->acquire_time, sizeof d->acquire_time);
        char *body = lease_body(d, false);
        snprintf(path, sizeof path, LEASE_API "%s/leases", d->ns);
        if (!body || !drv_op_send(op, "POST", path, body, NULL, lease_written))
            lock_result(op, 1, "out of memory");
        free(body);
        return;
    }
    if (res->status != 200) {
        drv_describe("GET", op->path, res, msg, sizeof msg);
        lock_result(op, res->status == 0 ? 4 : 1, msg);
        return;
    }
    cJSON *lease = cJSON_ParseWithLength(res->body, res->body_len);
    const char *holder = drv_lease_holder(d, lease, msg, sizeof msg);
    if (holder) {
        cJSON_Delete(lease);
        lock_result(op, 3, holder);
        return;
    }
    const char *rv = drv_jstr(drv_jget(lease, "metadata"), "resourceVersion");
    snprintf(d->lease_rv, sizeof d->lease_rv, "%s", rv ? rv : "");
    cJSON_Delete(lease);
    micro_time(drv_now_ms(), d->acquire_time, sizeof d->acquire_time);
    char *body = lease_body(d, false);
    drv_lease_path(d, path, sizeof path);
    if (!body || !drv_op_send(op, "PUT", path, body, NULL, lease_written))
        lock_result(op, 1, "out of memory");
    free(body);
}

static void lease_get(drv_op_t *op)
{
    char path[400];
    drv_lease_path(op->d, path, sizeof path);
    if (!drv_op_send(op, "GET", path, NULL, NULL, lease_got))
        lock_result(op, 1, "out of memory");
}

static void on_renewed(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->renew_req = NULL;
    if (res->status == 200) {
        remember_lease_rv(d, res);
        d->last_renew_ms = drv_now_ms();
    } else if (res->status == 409) {
        /* Someone wrote our Lease: only a takeover does that (we looked dead). Stop writing the
         * record, the new holder owns it now. */
        d->have_lock = false;
        drv_log(d, "lost the Lease %s%s to another driver: this one stops writing", RO_LEASE_PREFIX, d->app);
        if (d->mode == DRV_RUNNING)
            drv_event(d, RO_EV_ERROR, false, 0, 0, "lost the Lease to another driver");
    }   /* else: retried at the next renewal; the Lease lasts 3 renewals */
    if (d->mode == DRV_FINISHING)
        drv_cm_settled(d);   /* the release waited for this renewal */
}

void drv_lease_send(ro_driver_t *d, bool release, http_done_cb cb)
{
    char path[400];
    drv_lease_path(d, path, sizeof path);
    char *body = lease_body(d, release);
    http_req_opts_t o = {
        .method = "PUT", .path = path, .body = body, .body_len = body ? strlen(body) : 0,
        .content_type = "application/json", .accept = "application/json", .timeout_ms = 10000,
        .on_done = cb, .ud = d,
    };
    d->renew_req = body ? http_request(d->kube, &o) : NULL;
    free(body);
    if (!d->renew_req && release)
        cb(NULL, &(http_result_t){ .error = "out of memory" }, d);
}

void drv_lease_renew(ro_driver_t *d)
{
    drv_lease_send(d, false, on_renewed);
}

/* ---- the ConfigMap record ---- */

void drv_mark_dirty(ro_driver_t *d)
{
    d->cm_dirty = true;
    drv_cm_flush(d);
}

static char *log_text(const ro_driver_t *d)
{
    size_t total = 1;
    for (size_t i = 0; i < d->log_n; i++)
        total += strlen(d->log[(d->log_first + i) % RO_LOG_MAX]) + 1;
    char *s = malloc(total), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < d->log_n; i++) {
        const char *l = d->log[(d->log_first + i) % RO_LOG_MAX];
        size_t n = strlen(l);
        if (i)
            *p++ = '\n';
        memcpy(p, l, n);
        p += n;
    }
    *p = '\0';
    return s;
}

/* The last ConfigMap read or written: its other fields (annotations, other keys) go back as they
 * were, so a PUT after a 409 re-applies only our own keys. Takes o. */
void drv_cm_keep(ro_driver_t *d, cJSON *o)
{
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return;
    }
    cJSON_Delete(d->cm_live);
    d->cm_live = o;
    const char *rv = drv_jstr(drv_jget(o, "metadata"), "resourceVersion");
    snprintf(d->cm_rv, sizeof d->cm_rv, "%s", rv ? rv : "");
}

static void set_str(cJSON *o, const char *key, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (value)
        cJSON_AddStringToObject(o, key, value);
}

static cJSON *object_member(cJSON *o, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsObject(v))
        return v;
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    return cJSON_AddObjectToObject(o, key);
}

static char *cm_body(const ro_driver_t *d)
{
    cJSON *o = d->cm_exists && d->cm_live ? cJSON_Duplicate(d->cm_live, true) : cJSON_CreateObject();
    char name[RO_NAME_MAX + 20];
    snprintf(name, sizeof name, RO_LEASE_PREFIX "%s", d->app);
    set_str(o, "apiVersion", "v1");
    set_str(o, "kind", "ConfigMap");
    cJSON *meta = object_member(o, "metadata");
    set_str(meta, "name", name);
    set_str(meta, "namespace", d->ns);
    set_str(meta, "resourceVersion", d->cm_exists && d->cm_rv[0] ? d->cm_rv : NULL);
    cJSON *labels = object_member(meta, "labels");
    set_str(labels, DESC_MANAGED_BY_KEY, DESC_MANAGED_BY);
    set_str(labels, "kdeck.dev/rollout-app", d->app);
    cJSON *data = object_member(o, "data");
    cJSON *state = ro_state_to_json(&d->st);
    char *state_s = state ? cJSON_PrintUnformatted(state) : NULL, *log = log_text(d),
         *hist = d->history ? cJSON_PrintUnformatted(d->history) : strdup("[]");
    cJSON_Delete(state);
    char *text = NULL;
    if (state_s && log && hist && meta && labels && data) {
        set_str(data, "state", state_s);
        set_str(data, "log", log);
        set_str(data, "history", hist);
        set_str(data, "descriptor", d->desc_text);
        set_str(data, "previous", d->previous_text);
        set_str(data, "abort", d->cm_abort[0] ? d->cm_abort : NULL);
        text = cJSON_PrintUnformatted(o);
    }
    free(state_s);
    free(log);
    free(hist);
    cJSON_Delete(o);
    return text;
}

/* Every record write is done: DONE's last steps. */
void drv_cm_settled(ro_driver_t *d)
{
    if (d->mode != DRV_FINISHING || d->cm_dirty || d->cm_req)
        return;
    if (d->have_lock && !d->renew_req)
        drv_lease_send(d, true, drv_lease_released);
    else if (!d->have_lock)
        drv_finish(d, -1, "%s", "");
}

static void on_cm_reread(http_req_t *req, const http_result_t *res, void *ud);

static void on_cm_written(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->cm_req = NULL;
    if (res->status == 200 || res->status == 201) {
        drv_cm_keep(d, cJSON_ParseWithLength(res->body, res->body_len));
        d->cm_exists = true;
        d->cm_conflicts = 0;
        if (d->lock_op) {   /* LOCK's first write: the rollout is recorded */
            char name[RO_NAME_MAX + 20];
            snprintf(name, sizeof name, RO_LEASE_PREFIX "%s", d->app);
            drv_audit(d, res->status == 201 ? "POST" : "PUT", "configmaps", name, res);
            drv_op_t *op = d->lock_op;
            d->lock_op = NULL;
            drv_op_end(op);
            drv_event(d, RO_EV_LOCKED, true, 0, 0, NULL);
        }
        if (d->cm_dirty)
            drv_cm_flush(d);
        else
            drv_cm_settled(d);
        return;
    }
    if ((res->status == 409 || res->status == 404) && d->cm_conflicts++ < 5) {
        /* 409: someone wrote it (an abort request): re-read, keep their fields, write ours again.
         * 404: deleted under us: create it again. */
        d->cm_dirty = true;
        char path[400];
        drv_cm_path(d, false, path, sizeof path);
        http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 10000,
                              .on_done = on_cm_reread, .ud = d };
        d->cm_req = http_request(d->kube, &o);
        return;
    }
    d->cm_dirty = true;
    if (drv_transient(res)) {
        d->cm_retry_at_ms = drv_now_ms() + 1000;
        return;
    }
    char msg[RO_TEXT_MAX];
    drv_describe(d->cm_exists ? "PUT" : "POST", "configmap " RO_LEASE_PREFIX, res, msg, sizeof msg);
    if (d->on_log)
        d->on_log(d->ud, msg);
    d->cm_dirty = false;   /* not writable: give up this write */
    if (d->lock_op) {
        drv_op_t *op = d->lock_op;
        d->lock_op = NULL;
        drv_op_end(op);
        drv_event(d, RO_EV_ERROR, false, 0, 0, msg);
    }
    drv_cm_settled(d);
}

static void on_cm_reread(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->cm_req = NULL;
    if (res->status == 200) {
        cJSON *o = cJSON_ParseWithLength(res->body, res->body_len);
        const char *ab = drv_jstr(drv_jget(o, "data"), "abort");
        snprintf(d->cm_abort, sizeof d->cm_abort, "%s", ab ? ab : "");
        d->cm_exists = true;
        drv_cm_keep(d, o);
    } else if (res->status == 404) {
        d->cm_exists = false;
    } else {
        d->cm_retry_at_ms = drv_now_ms() + 1000;
        return;
    }
    drv_cm_flush(d);
}

void drv_cm_flush(ro_driver_t *d)
{
    if (d->cm_req || !d->cm_dirty || !d->have_lock || d->cm_blocked)
        return;
    char *body = cm_body(d);
    char path[400];
    drv_cm_path(d, !d->cm_exists, path, sizeof path);
    http_req_opts_t o = {
        .method = d->cm_exists ? "PUT" : "POST", .path = path, .body = body,
        .body_len = body ? strlen(body) : 0, .content_type = "application/json",
        .accept = "application/json", .timeout_ms = 10000, .on_done = on_cm_written, .ud = d,
    };
    d->cm_retry_at_ms = 0;
    if (!body)
        return;
    d->cm_dirty = d->log_dirty = false;
    d->cm_req = http_request(d->kube, &o);
    free(body);
    if (!d->cm_req)
        d->cm_dirty = true;
}

/* RELEASE: this rollout's entry goes first in data.history (at most RO_HISTORY_MAX, once per id). */
void drv_history_add(ro_driver_t *d)
{
    ro_history_entry_t e;
    ro_history_entry_from_state(&d->st, &e);
    if (!e.finished_ms)
        e.finished_ms = drv_now_ms();
    char *old = d->history ? cJSON_PrintUnformatted(d->history) : NULL;
    char *text = ro_history_add(old, &e);
    cJSON *hist = text ? cJSON_Parse(text) : NULL;
    if (hist) {
        cJSON_Delete(d->history);
        d->history = hist;
    }
    free(old);
    free(text);
    d->cm_abort[0] = '\0';   /* a pending request dies with the rollout */
    d->cm_dirty = true;
}

/* ---- LOCK: the Lease, then the record ---- */

/* The record read by LOCK: what it says about a previous rollout decides data.previous, and a
 * rollout left unfinished by a driver that is gone blocks a new one. */
static void lock_cm_got(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    char msg[RO_TEXT_MAX];
    if (res->status == 404) {
        d->cm_exists = false;
    } else if (res->status != 200) {
        drv_describe("GET", op->path, res, msg, sizeof msg);
        drv_op_end(op);
        drv_event(d, RO_EV_ERROR, false, 0, 0, msg);
        return;
    } else {
        cJSON *cm = cJSON_ParseWithLength(res->body, res->body_len);
        const cJSON *data = drv_jget(cm, "data");
        const char *rv = drv_jstr(drv_jget(cm, "metadata"), "resourceVersion");
        snprintf(d->cm_rv, sizeof d->cm_rv, "%s", rv ? rv : "");
        d->cm_exists = true;
        if (!d->resumed) {
            ro_record_t rec;
            char err[200];
            bool parsed = ro_record_parse(cm, &rec, err, sizeof err), have = parsed && rec.has_state;
            if (have && !ro_finished(&rec.state) && strcmp(rec.state.id, d->st.id)) {
                snprintf(msg, sizeof msg, "an unfinished rollout %s (step %s) whose driver is gone: "
                         "run kdeck rollout resume or abort", rec.state.id, ro_step_name(rec.state.step));
                ro_record_free(&rec);
                cJSON_Delete(cm);
                d->lock_refused = true;
                d->cm_blocked = true;
                snprintf(d->message, sizeof d->message, "rollout of %s/%s is locked by %s", d->ns, d->app, msg);
                drv_op_end(op);
                drv_event(d, RO_EV_LOCK_HELD, false, 0, 0, msg);
                return;
            }
            /* What serves now becomes `previous`: the last descriptor if its rollout succeeded,
             * else the one that was previous then. */
            const char *prev = have && rec.state.phase == RO_PHASE_SUCCEEDED ? drv_jstr(data, "descriptor")
                                                                           : drv_jstr(data, "previous");
            if (have && prev) {
                free(d->previous_text);
                d->previous_text = strdup(prev);
            }
            if (parsed)
                ro_record_free(&rec);
            cJSON *hist = cJSON_Parse(drv_jstr(data, "history") ? drv_jstr(data, "history") : "[]");
            if (cJSON_IsArray(hist)) {
                cJSON_Delete(d->history);
                d->history = hist;
            } else {
                cJSON_Delete(hist);
            }
            d->cm_abort[0] = '\0';   /* an old request is not for this rollout */
        } else {
            const char *ab = drv_jstr(data, "abort");
            snprintf(d->cm_abort, sizeof d->cm_abort, "%s", ab ? ab : "");
        }
        drv_cm_keep(d, cm);
    }
    d->lock_op = op;   /* LOCKED once the record is written (on_cm_written) */
    d->cm_dirty = true;
    drv_cm_flush(d);
}

static void lock_result(drv_op_t *op, int status, const char *text)
{
    ro_driver_t *d = op->d;
    if (d->mode == DRV_PREPARE) {   /* RESUME/ABORT take the Lease before the engine runs */
        drv_op_end(op);
        d->prep_lock_status = status;
        snprintf(d->message, sizeof d->message, "%s", text ? text : "");
        drv_prepare_step(d, NULL);
        return;
    }
    if (status == 0) {
        char path[400];
        drv_cm_path(d, false, path, sizeof path);
        if (!drv_op_send(op, "GET", path, NULL, NULL, lock_cm_got)) {
            drv_op_end(op);
            drv_event(d, RO_EV_ERROR, false, 0, 0, "out of memory");
        }
        return;
    }
    drv_op_end(op);
    if (status == 3) {
        d->lock_refused = true;
        snprintf(d->message, sizeof d->message, "rollout of %s/%s is locked by %s", d->ns, d->app, text);
        drv_event(d, RO_EV_LOCK_HELD, false, 0, 0, text);
    } else {
        drv_event(d, RO_EV_ERROR, false, 0, 0, text);
    }
}

void drv_lock_start(drv_op_t *op)
{
    if (op->d->have_lock)
        lock_result(op, 0, NULL);
    else
        lease_get(op);
}

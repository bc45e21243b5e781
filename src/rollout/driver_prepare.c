/* The rollout driver before its engine runs — APPLY/UNDO read what serves now (the Service's
 * slot, its Deployment's version; APPLY also its Ingress and HPA, from which `previous` is derived
 * when the record has none; UNDO the recorded previous descriptor), RESUME/ABORT take the
 * Lease and the recorded state — and following a record another driver writes (status --wait, an
 * abort handed to a live driver). */
#include "driver_int.h"

#include "kdeck/apply_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- before the engine: what serves now, or the recorded rollout ---- */

static void plan_from(const descriptor_t *desc, bool migrate, ro_plan_t *p)
{
    memset(p, 0, sizeof *p);
    const desc_rollout_t *r = desc->rollout;
    p->migrate = migrate && desc->migration;
    p->health_check = desc->health_check && desc->health_check->use_health_check;
    for (size_t i = 0; r && i < r->n_analysis; i++) {
        const char *ph = r->analysis[i].phase;
        if (ph && !strcmp(ph, "post"))
            p->analysis_post = true;
        else
            p->analysis_pre = true;
    }
#define SET_(dst, v, unset) dst = (v) == DESC_UNSET ? (unset) : (v)
    if (desc->migration)
        SET_(p->migrate_timeout_s, desc->migration->timeout_seconds, 0);
    if (r) {
        SET_(p->ready_timeout_s, r->ready_timeout_seconds, 0);
        SET_(p->health_timeout_s, r->health_timeout_seconds, 0);
        SET_(p->bake_s, r->bake_seconds, -1);
        SET_(p->scale_down_delay_s, r->scale_down_delay_seconds, -1);
    } else {
        p->bake_s = p->scale_down_delay_s = -1;
    }
#undef SET_
    if (p->health_timeout_s <= 0 && desc->health_check && desc->health_check->timeout_seconds != DESC_UNSET)
        p->health_timeout_s = desc->health_check->timeout_seconds;
    ro_plan_defaults(p);
}

static void on_prep(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->prep_req = NULL;
    if (res->status != 0)
        d->any_answer = true;
    if (res->status == 0 && d->prep_attempts < START_RETRIES) {
        d->prep_attempts++;
        d->prep_retry_at_ms = drv_now_ms() + (250LL << d->prep_attempts);
        return;
    }
    drv_prepare_step(d, res);
}

static void prep_get(ro_driver_t *d, const char *path)
{
    snprintf(d->prep_path, sizeof d->prep_path, "%s", path);
    d->prep_attempts = 0;
    d->prep_retry_at_ms = 0;
    http_req_opts_t o = { .path = d->prep_path, .accept = "application/json", .timeout_ms = 10000,
                          .on_done = on_prep, .ud = d };
    d->prep_req = http_request(d->kube, &o);
    if (!d->prep_req)
        drv_finish(d, 1, "out of memory");
}

/* A GET of prepare that did not give 200 (404 allowed when missing_ok): finish with why. */
static bool prep_failed(ro_driver_t *d, const http_result_t *res, bool missing_ok)
{
    if (res->status == 200 || (missing_ok && res->status == 404))
        return false;
    char msg[RO_TEXT_MAX];
    drv_describe("GET", d->prep_path, res, msg, sizeof msg);
    if (res->status == 0)
        drv_finish(d, 4, "API server unreachable: %s", msg);
    else
        drv_finish(d, 1, "%s", msg);
    return true;
}

static bool load_descriptor(ro_driver_t *d, const char *text, const char *what)
{
    desc_problems_t p = {0};
    descriptor_t *desc = text ? descriptor_parse(text, strlen(text), &p) : NULL;
    if (!desc) {
        char *all = desc_problems_format(&p);
        drv_finish(d, 1, "the recorded %s of %s/%s cannot be read%s%s", what, d->ns, d->app,
               all && *all ? ": " : "", all ? all : "");
        free(all);
        desc_problems_free(&p);
        return false;
    }
    desc_problems_free(&p);
    descriptor_free(d->desc);
    d->desc = desc;
    free(d->desc_text);
    d->desc_text = descriptor_to_text(desc);
    return d->desc_text != NULL;
}

/* RESUME/ABORT: the record, read under our Lease. */
static void take_over(ro_driver_t *d, const cJSON *cm)
{
    ro_record_t rec;
    char err[300] = "";
    bool parsed = ro_record_parse(cm, &rec, err, sizeof err);
    if (!parsed || !rec.has_state) {
        if (parsed)
            ro_record_free(&rec);
        snprintf(d->message, sizeof d->message, "no rollout of %s/%s is recorded%s%s", d->ns, d->app,
                 err[0] ? ": " : "", err);
        d->cm_dirty = false;
        d->mode = DRV_FINISHING;
        d->st.phase = RO_PHASE_FAILED;
        drv_lease_send(d, true, drv_lease_released);
        return;
    }
    const cJSON *data = drv_jget(cm, "data");
    const char *rv = drv_jstr(drv_jget(cm, "metadata"), "resourceVersion");
    snprintf(d->cm_rv, sizeof d->cm_rv, "%s", rv ? rv : "");
    d->cm_exists = true;
    snprintf(d->cm_abort, sizeof d->cm_abort, "%s", rec.abort_request);
    drv_cm_keep(d, cJSON_Duplicate(cm, true));
    d->st = rec.state;
    cJSON *hist = cJSON_Parse(drv_jstr(data, "history") ? drv_jstr(data, "history") : "[]");
    if (cJSON_IsArray(hist))
        d->history = hist;
    else
        cJSON_Delete(hist);
    if (drv_jstr(data, "previous"))
        d->previous_text = strdup(drv_jstr(data, "previous"));
    for (const char *l = rec.log ? rec.log : ""; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        char *line = strndup(l, n);
        if (line && *line)
            drv_log_push(d, line);
        free(line);
        l += n + (nl ? 1 : 0);
    }
    ro_record_free(&rec);
    if (!ro_finished(&d->st) && !load_descriptor(d, drv_jstr(data, "descriptor"), "descriptor"))
        return;
    d->resumed = true;
    d->mode = DRV_RUNNING;
    ro_actions_t acts = {0};
    int64_t now = drv_now_ms();
    drv_log(d, "%s by %s: taking over rollout %s at step %s", d->op == RO_OP_ABORT ? "abort" : "resume",
            d->who, d->st.id, ro_step_name(d->st.step));
    ro_resume(&d->st, now, &acts);
    drv_engine_actions(d, &acts);
    if (d->op == RO_OP_ABORT && d->mode == DRV_RUNNING && !ro_finished(&d->st)) {
        ro_actions_t ab = {0};
        ro_abort(&d->st, d->abort_reason, drv_now_ms(), &ab);
        drv_engine_actions(d, &ab);
    }
}

static void start_engine(ro_driver_t *d, const char *from_slot, const char *from_version)
{
    ro_plan_t plan;
    plan_from(d->desc, d->op == RO_OP_APPLY, &plan);
    d->mode = DRV_RUNNING;
    ro_actions_t acts = {0};
    ro_start(&d->st, d->app, d->ns, d->desc->version ? d->desc->version : "", from_version, from_slot,
             d->who, &plan, drv_now_ms(), &acts);
    drv_engine_actions(d, &acts);
    if (d->pending_abort && d->mode == DRV_RUNNING) {
        ro_actions_t ab = {0};
        ro_abort(&d->st, d->abort_reason, drv_now_ms(), &ab);
        drv_engine_actions(d, &ab);
    }
}

/* APPLY: the descriptor of what serves now (the Deployment read in prepare, its Service, Ingress
 * and HPA), recorded as `previous` so the first blue/green rollout can be undone too. The record's
 * own descriptor replaces it when there is one (LOCK). A plain Deployment has no rollout settings:
 * it gets blueGreen with this rollout's timings (no analysis), so its undo behaves like this one.
 * version: the derived version (the `version` label, else the image tag), when there is one. */
static void derive_previous(ro_driver_t *d, const cJSON *hpas, char *version, size_t len)
{
    const char *dep_name = drv_jstr(drv_jget(d->live_dep, "metadata"), "name");
    const cJSON *h = apply_find_hpa(hpas, dep_name);
    if (!h)
        h = apply_find_hpa(hpas, d->app);
    cJSON *ing = apply_typed_copy(apply_find_ingress(d->live_ings, d->app), "networking.k8s.io/v1", "Ingress");
    cJSON *hpa = apply_typed_copy(h, "autoscaling/v2", "HorizontalPodAutoscaler");
    desc_problems_t notes = {0};
    descriptor_t *prev = descriptor_from_objects(d->live_dep, d->live_svc, ing, hpa, &notes);
    cJSON_Delete(ing);
    cJSON_Delete(hpa);
    desc_problems_free(&notes);   /* shapes a descriptor cannot hold stay out, as in descriptor get */
    if (!prev)
        return;
    bool ok = true;
    if (!prev->namespace_)
        ok = (prev->namespace_ = strdup(d->ns)) != NULL;
    if (!prev->rollout && ok && (prev->rollout = calloc(1, sizeof *prev->rollout))) {
        const desc_rollout_t *now = d->desc->rollout;
        prev->rollout->ready_timeout_seconds = now ? now->ready_timeout_seconds : DESC_UNSET;
        prev->rollout->health_timeout_seconds = now ? now->health_timeout_seconds : DESC_UNSET;
        prev->rollout->bake_seconds = now ? now->bake_seconds : DESC_UNSET;
        prev->rollout->scale_down_delay_seconds = now ? now->scale_down_delay_seconds : DESC_UNSET;
    }
    if (prev->rollout) {
        free(prev->rollout->strategy);
        prev->rollout->strategy = strdup("blueGreen");
    }
    free(d->previous_text);
    d->previous_text = ok && prev->rollout && prev->rollout->strategy ? descriptor_to_text(prev) : NULL;
    if (d->previous_text && prev->version)
        snprintf(version, len, "%s", prev->version);
    descriptor_free(prev);
}

/* The abort request for a live driver: data.abort, a merge PATCH (its next write keeps it). */
static void on_abort_patched(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->prep_req = NULL;
    char name[RO_NAME_MAX + 20];
    snprintf(name, sizeof name, RO_LEASE_PREFIX "%s", d->app);
    drv_audit(d, "PATCH", "configmaps", name, res);
    if (res->status != 200) {
        char msg[RO_TEXT_MAX];
        drv_describe("PATCH", d->prep_path, res, msg, sizeof msg);
        drv_finish(d, res->status == 0 ? 4 : 1, "cannot ask the rollout's driver to abort: %s", msg);
        return;
    }
    if (d->on_log) {
        char line[RO_TEXT_MAX + 80];
        snprintf(line, sizeof line, "abort requested from the live driver (%s)", d->message);
        d->on_log(d->ud, line);
    }
    d->message[0] = '\0';
    d->take_over_on_dead = true;
    drv_follow_start(d);
}

static void request_abort(ro_driver_t *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *data = cJSON_AddObjectToObject(o, "data");
    cJSON_AddStringToObject(data, "abort", d->abort_reason[0] ? d->abort_reason : "aborted");
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    drv_cm_path(d, false, d->prep_path, sizeof d->prep_path);
    http_req_opts_t ro = {
        .method = "PATCH", .path = d->prep_path, .body = body, .body_len = body ? strlen(body) : 0,
        .content_type = "application/merge-patch+json", .accept = "application/json",
        .timeout_ms = 10000, .on_done = on_abort_patched, .ud = d,
    };
    d->prep_req = body ? http_request(d->kube, &ro) : NULL;
    free(body);
    if (!d->prep_req)
        drv_finish(d, 1, "out of memory");
}

/* The steps before the engine runs, one answer at a time (res NULL: a step without request). */
void drv_prepare_step(ro_driver_t *d, const http_result_t *res)
{
    char path[400];
    const int stage = d->prep_stage++;
    switch (d->op) {
    case RO_OP_APPLY:
    case RO_OP_UNDO:
        if (d->op == RO_OP_UNDO && stage == 0) {   /* the record: data.previous */
            drv_cm_path(d, false, path, sizeof path);
            prep_get(d, path);
            return;
        }
        if (d->op == RO_OP_UNDO && stage == 1) {
            if (prep_failed(d, res, true))
                return;
            cJSON *cm = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
            const char *prev = drv_jstr(drv_jget(cm, "data"), "previous");
            if (!prev) {
                cJSON_Delete(cm);
                drv_finish(d, 1, "nothing to undo: no previous version of %s/%s is recorded", d->ns, d->app);
                return;
            }
            bool ok = load_descriptor(d, prev, "previous descriptor");
            cJSON_Delete(cm);
            if (!ok)
                return;
        }
        {
            /* UNDO read the record first: the same stages follow one later */
            const int s = d->op == RO_OP_UNDO ? stage - 1 : stage;
            if (s == 0) {
                snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", d->ns, d->app);
                prep_get(d, path);
                return;
            }
            if (s <= 2 && prep_failed(d, res, true))
                return;   /* an Ingress or HPA list we may not read is left out of `previous` */
            cJSON *got = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
            if (s == 1) {   /* the Service: its slot is the one serving */
                const char *slot = drv_jstr(drv_jget(drv_jget(got, "spec"), "selector"), "slot");
                snprintf(d->from_slot, sizeof d->from_slot, "%s",
                         slot && (!strcmp(slot, "blue") || !strcmp(slot, "green")) ? slot : "");
                d->live_svc = got;
                drv_deployment_path(d, d->from_slot, path, sizeof path);
                prep_get(d, path);
                return;
            }
            if (s == 2) {   /* the serving Deployment */
                d->live_dep = got;
                if (d->op == RO_OP_APPLY && got) {   /* `previous` needs its Ingress and HPA too */
                    prep_get(d, apply_object_path("Ingress", d->ns, NULL, path, sizeof path));
                    return;
                }
            } else if (s == 3) {
                d->live_ings = got;
                prep_get(d, apply_object_path("HorizontalPodAutoscaler", d->ns, NULL, path, sizeof path));
                return;
            }
            const char *v = drv_jstr(drv_jget(drv_jget(d->live_dep, "metadata"), "labels"), "version");
            char from_version[RO_NAME_MAX];
            snprintf(from_version, sizeof from_version, "%s", v ? v : "");
            if (s == 4) {   /* the HPAs: what serves now becomes `previous` (and names its version) */
                derive_previous(d, got, from_version, sizeof from_version);
                cJSON_Delete(got);
            }
            cJSON_Delete(d->live_svc);
            cJSON_Delete(d->live_dep);
            cJSON_Delete(d->live_ings);
            d->live_svc = d->live_dep = d->live_ings = NULL;
            start_engine(d, d->from_slot, from_version);
        }
        return;
    case RO_OP_RESUME:
    case RO_OP_ABORT:
        if (stage == 0) {   /* the Lease: a live driver refuses RESUME, gets the abort request */
            drv_op_t *op = drv_op_new(d, RO_ACT_LOCK);
            if (!op)
                drv_finish(d, 1, "out of memory");
            else
                drv_lock_start(op);
            return;
        }
        if (stage == 1) {
            if (d->prep_lock_status == 3 && d->op == RO_OP_ABORT) {
                request_abort(d);
                return;
            }
            if (d->prep_lock_status == 3) {
                drv_finish(d, 3, "rollout of %s/%s is driven by %s: it cannot be resumed while that driver "
                       "lives (abort it with kdeck rollout abort)", d->ns, d->app, d->message);
                return;
            }
            if (d->prep_lock_status != 0) {
                int st = d->prep_lock_status == 4 && !d->any_answer ? 4 : 1;
                drv_finish(d, st, "%s%s", st == 4 ? "API server unreachable: " : "", d->message);
                return;
            }
            drv_cm_path(d, false, path, sizeof path);
            prep_get(d, path);
            return;
        }
        if (res && res->status == 404) {
            snprintf(d->message, sizeof d->message, "no rollout of %s/%s is recorded", d->ns, d->app);
            d->mode = DRV_FINISHING;
            d->st.phase = RO_PHASE_FAILED;
            drv_lease_send(d, true, drv_lease_released);
            return;
        }
        if (prep_failed(d, res, false))
            return;
        {
            cJSON *cm = cJSON_ParseWithLength(res->body, res->body_len);
            take_over(d, cm);
            cJSON_Delete(cm);
        }
        return;
    case RO_OP_FOLLOW:
        drv_follow_start(d);
        return;
    }
}

/* ---- following a record ---- */

static void follow_print_log(ro_driver_t *d, const char *log)
{
    /* The record keeps the last lines only: print what comes after the last line printed. */
    size_t n = 0, cap = 0;
    const char **lines = NULL;
    char *copy = strdup(log ? log : "");
    if (!copy)
        return;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            const char **nl = realloc(lines, cap * sizeof *nl);
            if (!nl)
                break;
            lines = nl;
        }
        lines[n++] = l;
    }
    size_t from = 0;
    if (d->follow_last_line) {
        for (size_t i = n; i-- > 0;) {
            if (!strcmp(lines[i], d->follow_last_line)) {
                from = i + 1;
                break;
            }
        }
    }
    for (size_t i = from; i < n; i++)
        if (d->on_log)
            d->on_log(d->ud, lines[i]);
    if (from < n) {
        free(d->follow_last_line);
        d->follow_last_line = strdup(lines[n - 1]);
    }
    free(lines);
    free(copy);
}

static void on_follow_lease(http_req_t *req, const http_result_t *res, void *ud);

static void on_follow(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->follow_req = NULL;
    if (res->status == 0) {
        if (!d->any_answer && ++d->prep_attempts > START_RETRIES) {
            char msg[RO_TEXT_MAX];
            drv_describe("GET", "the rollout record", res, msg, sizeof msg);
            drv_finish(d, 4, "API server unreachable: %s", msg);
        }
        return;   /* next tick */
    }
    d->any_answer = true;
    char msg[RO_TEXT_MAX];
    if (res->status == 404) {
        drv_finish(d, 1, "no rollout of %s/%s is recorded", d->ns, d->app);
        return;
    }
    if (res->status != 200) {
        drv_describe("GET", "configmap " RO_LEASE_PREFIX, res, msg, sizeof msg);
        drv_finish(d, 1, "%s", msg);
        return;
    }
    cJSON *cm = cJSON_ParseWithLength(res->body, res->body_len);
    ro_record_t rec;
    char err[300] = "";
    bool parsed = ro_record_parse(cm, &rec, err, sizeof err);
    if (!parsed || !rec.has_state) {
        if (parsed)
            ro_record_free(&rec);
        cJSON_Delete(cm);
        drv_finish(d, 1, "no rollout of %s/%s is recorded%s%s", d->ns, d->app, err[0] ? ": " : "", err);
        return;
    }
    cJSON_Delete(cm);
    d->st = rec.state;
    if (!d->follow_seen_state || memcmp(&d->follow_prev, &rec.state, sizeof rec.state)) {
        d->follow_prev = rec.state;
        d->follow_seen_state = true;
        drv_changed(d);
    }
    follow_print_log(d, rec.log);
    ro_record_free(&rec);
    if (ro_finished(&d->st)) {
        drv_finish(d, -1, "%s", "");
        return;
    }
    /* A driver that died leaves the record unfinished: check its Lease every 5 s. */
    if (d->ticks % 5 == 0 && !d->follow_lease_req) {
        char path[400];
        drv_lease_path(d, path, sizeof path);
        http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 10000,
                              .on_done = on_follow_lease, .ud = d };
        d->follow_lease_req = http_request(d->kube, &o);
    }
}

static void on_follow_lease(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->follow_lease_req = NULL;
    if (res->status != 200 && res->status != 404)
        return;
    cJSON *lease = res->status == 200 ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    char holder[RO_TEXT_MAX];
    bool live = lease && drv_lease_holder(d, lease, holder, sizeof holder);
    cJSON_Delete(lease);
    if (live || d->mode != DRV_FOLLOW)
        return;
    if (d->take_over_on_dead) {   /* ABORT: its driver died before it reverted: do it here */
        d->mode = DRV_PREPARE;
        d->take_over_on_dead = false;
        d->prep_stage = 0;
        drv_prepare_step(d, NULL);
        return;
    }
    drv_finish(d, 1, "rollout %s is unfinished (step %s) and its driver is gone: run kdeck rollout resume "
           "or abort", d->st.id, ro_step_name(d->st.step));
}

void drv_follow_poll(ro_driver_t *d)
{
    if (d->follow_req)
        return;
    char path[400];
    drv_cm_path(d, false, path, sizeof path);
    http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 10000,
                          .on_done = on_follow, .ud = d };
    d->follow_req = http_request(d->kube, &o);
}

void drv_follow_start(ro_driver_t *d)
{
    d->mode = DRV_FOLLOW;
    d->prep_attempts = 0;
    drv_follow_poll(d);
}

void drv_prepare_tick(ro_driver_t *d, int64_t now)
{
    if (d->prep_retry_at_ms && now >= d->prep_retry_at_ms && !d->prep_req) {
        d->prep_retry_at_ms = 0;
        http_req_opts_t o = { .path = d->prep_path, .accept = "application/json",
                              .timeout_ms = 10000, .on_done = on_prep, .ud = d };
        d->prep_req = http_request(d->kube, &o);
    }
}

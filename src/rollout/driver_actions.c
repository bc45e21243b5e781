/* The rollout engine's actions against the cluster: the migration Job (and its pod's log), the
 * new slot's Deployment, readiness, health checks through the pod proxy, Prometheus analysis, the
 * Service switch, deleting and scaling down. Each ends in one engine event (driver_int.h). The
 * app's HPA is handled inside APPLY, SWITCH and SCALE_DOWN by driver_hpa.c. */
#include "driver_int.h"

#include "kdeck/apierror.h"
#include "kdeck/strutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared ---- */

void drv_deployment_path(const ro_driver_t *d, const char *slot, char *buf, size_t len)
{
    if (slot && *slot)
        snprintf(buf, len, "/apis/apps/v1/namespaces/%s/deployments/%s-%s", d->ns, d->app, slot);
    else
        snprintf(buf, len, "/apis/apps/v1/namespaces/%s/deployments/%s", d->ns, d->app);
}

/* The pods of the new slot's version: app=A,slot=S,version=V, URL-encoded. */
static void pods_path(const ro_driver_t *d, const char *slot, char *buf, size_t len)
{
    char sel[300];
    snprintf(sel, sizeof sel, "app=%s,slot=%s,version=%s", d->app, slot,
             d->desc && d->desc->version ? d->desc->version : d->st.version);
    char *enc = prom_urlencode(sel);
    snprintf(buf, len, "/api/v1/namespaces/%s/pods?labelSelector=%s", d->ns, enc ? enc : "");
    free(enc);
}

static bool pod_ready(const cJSON *pod)
{
    if (drv_jget(drv_jget(pod, "metadata"), "deletionTimestamp"))
        return false;
    const cJSON *c;
    cJSON_ArrayForEach(c, drv_jget(drv_jget(pod, "status"), "conditions")) {
        const char *type = drv_jstr(c, "type"), *st = drv_jstr(c, "status");
        if (type && st && !strcmp(type, "Ready"))
            return !strcmp(st, "True");
    }
    return false;
}

/* Ends the op and feeds its event. */
static void done(drv_op_t *op, ro_event_kind_t kind, bool ok, int n, int m, const char *text)
{
    ro_driver_t *d = op->d;
    drv_op_end(op);
    drv_event(d, kind, ok, n, m, text);
}

/* A final failure: RO_EV_ERROR with what and where. */
static void failed(drv_op_t *op, const http_result_t *res)
{
    char msg[RO_TEXT_MAX];
    drv_describe(op->method ? op->method : "?", op->path ? op->path : "?", res, msg, sizeof msg);
    done(op, RO_EV_ERROR, false, 0, 0, msg);
}

static void send_or_fail(drv_op_t *op, const char *method, const char *path, const char *body,
                         const char *content_type, drv_op_cb cb)
{
    if (!drv_op_send(op, method, path, body, content_type, cb))
        done(op, RO_EV_ERROR, false, 0, 0, "out of memory");
}

static char *print_with_rv(cJSON *obj, const char *rv)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    if (rv)
        cJSON_AddStringToObject(meta, "resourceVersion", rv);
    return cJSON_PrintUnformatted(obj);
}

/* ---- APPLY: create or replace <app>-<slot> ---- */

static void apply_got(drv_op_t *op, const http_result_t *res);

static void apply_written(drv_op_t *op, const http_result_t *res)
{
    char name[RO_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s-%s", op->d->app, op->slot);
    drv_audit(op->d, op->method, "deployments", name, res);
    if (res->status == 200 || res->status == 201) {
        drv_log(op->d, "Deployment %s-%s %s", op->d->app, op->slot, res->status == 201 ? "created" : "replaced");
        done(op, RO_EV_APPLIED, true, 0, 0, NULL);
    } else if (res->status == 409 && op->conflicts++ < 3) {
        char path[400];
        drv_deployment_path(op->d, op->slot, path, sizeof path);
        send_or_fail(op, "GET", path, NULL, NULL, apply_got);   /* changed meanwhile: again */
    } else {
        failed(op, res);
    }
}

static void apply_got(drv_op_t *op, const http_result_t *res)
{
    char path[400];
    if (res->status != 200 && res->status != 404) {
        failed(op, res);
        return;
    }
    char *body = NULL;
    if (res->status == 404) {
        body = print_with_rv(op->obj, NULL);
        snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/deployments", op->d->ns);
        if (body)
            send_or_fail(op, "POST", path, body, NULL, apply_written);
    } else {
        cJSON *live = cJSON_ParseWithLength(res->body, res->body_len);
        body = print_with_rv(op->obj, drv_jstr(drv_jget(live, "metadata"), "resourceVersion"));
        cJSON_Delete(live);
        drv_deployment_path(op->d, op->slot, path, sizeof path);
        if (body)
            send_or_fail(op, "PUT", path, body, NULL, apply_written);
    }
    if (!body)
        done(op, RO_EV_ERROR, false, 0, 0, "out of memory");
    free(body);
}

void drv_apply_sized(drv_op_t *op)
{
    char path[400];
    drv_deployment_path(op->d, op->slot, path, sizeof path);
    send_or_fail(op, "GET", path, NULL, NULL, apply_got);
}

static void apply_start(drv_op_t *op)
{
    op->obj = op->d->desc ? descriptor_deployment(op->d->desc, op->slot) : NULL;
    if (!op->obj) {
        done(op, RO_EV_ERROR, false, 0, 0, "no descriptor to deploy");
        return;
    }
    drv_hpa_size_start(op);   /* replicas, when an autoscaler owns them */
}

/* ---- CHECK_READY: the Deployment's ready replicas AND its pods' Ready condition ---- */

static void ready_pods(drv_op_t *op, const http_result_t *res)
{
    if (res->status != 200) {
        failed(op, res);
        return;
    }
    cJSON *list = cJSON_ParseWithLength(res->body, res->body_len);
    int ready = 0;
    const cJSON *pod;
    cJSON_ArrayForEach(pod, drv_jget(list, "items"))
        ready += pod_ready(pod);
    cJSON_Delete(list);
    int n = ready < op->ready ? ready : op->ready;
    done(op, RO_EV_READY, true, n, op->desired, NULL);
}

static void ready_dep(drv_op_t *op, const http_result_t *res)
{
    if (res->status == 404) {
        int want = op->d->desc && op->d->desc->replicas != DESC_UNSET ? op->d->desc->replicas : 1;
        done(op, RO_EV_READY, true, 0, want, NULL);
        return;
    }
    if (res->status != 200) {
        failed(op, res);
        return;
    }
    cJSON *dep = cJSON_ParseWithLength(res->body, res->body_len);
    const cJSON *meta = drv_jget(dep, "metadata"), *st = drv_jget(dep, "status");
    op->desired = (int)drv_jlong(drv_jget(dep, "spec"), "replicas", 1);
    bool observed = drv_jlong(st, "observedGeneration", 0) >= drv_jlong(meta, "generation", 0);
    op->ready = observed ? (int)drv_jlong(st, "readyReplicas", 0) : 0;
    cJSON_Delete(dep);
    char path[600];
    pods_path(op->d, op->slot, path, sizeof path);
    send_or_fail(op, "GET", path, NULL, NULL, ready_pods);
}

static void ready_start(drv_op_t *op)
{
    char path[400];
    drv_deployment_path(op->d, op->slot, path, sizeof path);
    send_or_fail(op, "GET", path, NULL, NULL, ready_dep);
}

/* ---- HEALTH: every new pod through the API server's pod proxy ---- */

static void health_port(const descriptor_t *desc, char *buf, size_t len)
{
    const desc_health_check_t *hc = desc->health_check;
    if (hc && hc->port.num != DESC_UNSET) {
        snprintf(buf, len, "%d", hc->port.num);
        return;
    }
    for (size_t i = 0; i < desc->n_containers; i++) {
        const desc_container_t *c = &desc->containers[i];
        for (size_t j = 0; j < c->n_ports; j++) {
            if (!hc || !hc->port.str || (c->ports[j].name && !strcmp(c->ports[j].name, hc->port.str))) {
                snprintf(buf, len, "%d", c->ports[j].container_port);
                return;
            }
        }
    }
    snprintf(buf, len, "%s", hc && hc->port.str ? hc->port.str : "80");
}

/* HEALTH/ANALYZE: every answer is in; the first failure (in pod / query order) is the verdict. */
static void round_verdict(drv_op_t *op)
{
    for (size_t i = 0; i < op->n_subs; i++) {
        if (!op->subs[i].ok) {
            char text[RO_TEXT_MAX];
            snprintf(text, sizeof text, "%s", op->subs[i].text);
            done(op, op->kind == RO_ACT_HEALTH ? RO_EV_HEALTH : RO_EV_ANALYSIS, false, 0, 0, text);
            return;
        }
    }
    done(op, op->kind == RO_ACT_HEALTH ? RO_EV_HEALTH : RO_EV_ANALYSIS, true, 0, 0, NULL);
}

static void on_probe(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    drv_sub_t *sub = ud;
    drv_op_t *op = sub->op;
    const desc_health_check_t *hc = op->d->desc->health_check;
    const char *pod = drv_jstr(drv_jget(cJSON_GetArrayItem(op->obj, (int)sub->idx), "metadata"), "name");
    int expected = hc && hc->expected_status != DESC_UNSET ? hc->expected_status : 200;
    sub->req = NULL;
    sub->done = true;
    sub->ok = false;
    if (res->status == 0) {
        snprintf(sub->text, sizeof sub->text, "pod %s: no answer: %s", pod, res->error ? res->error : "?");
    } else if (res->status != expected) {
        snprintf(sub->text, sizeof sub->text, "pod %s: %ld", pod, res->status);
    } else if (hc && hc->json_field && *hc->json_field) {
        cJSON *body = cJSON_ParseWithLength(res->body ? res->body : "", res->body_len);
        const cJSON *f = drv_jget(body, hc->json_field);
        if (cJSON_IsTrue(f))
            sub->ok = true;
        else
            snprintf(sub->text, sizeof sub->text, "pod %s: %ld but \"%s\" is %s", pod, res->status,
                     hc->json_field, !body ? "missing (not JSON)" : !f ? "missing" : "not true");
        cJSON_Delete(body);
    } else {
        sub->ok = true;
    }
    if (--op->subs_left == 0)
        round_verdict(op);
}

static void health_pods(drv_op_t *op, const http_result_t *res)
{
    if (res->status != 200) {
        failed(op, res);
        return;
    }
    cJSON *list = cJSON_ParseWithLength(res->body, res->body_len);
    cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
    cJSON_Delete(list);
    for (int i = cJSON_GetArraySize(items) - 1; i >= 0; i--) {   /* a pod going away is not checked */
        if (drv_jget(drv_jget(cJSON_GetArrayItem(items, i), "metadata"), "deletionTimestamp"))
            cJSON_DeleteItemFromArray(items, i);
    }
    int n = cJSON_GetArraySize(items);
    if (n == 0) {
        cJSON_Delete(items);
        char text[RO_TEXT_MAX];
        snprintf(text, sizeof text, "no pods of %s-%s (version %s) to check", op->d->app, op->slot, op->d->st.version);
        done(op, RO_EV_HEALTH, false, 0, 0, text);
        return;
    }
    op->obj = items;
    op->subs = calloc((size_t)n, sizeof *op->subs);
    if (!op->subs) {
        done(op, RO_EV_ERROR, false, 0, 0, "out of memory");
        return;
    }
    op->n_subs = op->subs_left = (size_t)n;
    const desc_health_check_t *hc = op->d->desc->health_check;
    char port[32];
    health_port(op->d->desc, port, sizeof port);
    const char *hpath = hc && hc->path ? hc->path : "/health";
    for (int i = 0; i < n; i++) {
        drv_sub_t *sub = &op->subs[i];
        sub->op = op;
        sub->idx = (size_t)i;
        const char *pod = drv_jstr(drv_jget(cJSON_GetArrayItem(items, i), "metadata"), "name");
        char path[800];
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s:%s/proxy%s%s", op->d->ns, pod ? pod : "?",
                 port, hpath[0] == '/' ? "" : "/", hpath);
        http_req_opts_t o = { .path = path, .timeout_ms = 5000, .on_done = on_probe, .ud = sub };
        sub->req = http_request(op->d->kube, &o);
        if (!sub->req) {
            sub->done = true;
            snprintf(sub->text, sizeof sub->text, "pod %s: out of memory", pod ? pod : "?");
            op->subs_left--;
        }
    }
    if (op->subs_left == 0)
        round_verdict(op);
}

static void health_start(drv_op_t *op)
{
    if (!op->d->desc) {
        done(op, RO_EV_HEALTH, false, 0, 0, "no descriptor: no health check to run");
        return;
    }
    char path[600];
    pods_path(op->d, op->slot, path, sizeof path);
    send_or_fail(op, "GET", path, NULL, NULL, health_pods);
}

/* ---- ANALYZE: PromQL queries with thresholds ---- */

/* The query with $namespace, $app and $service substituted (malloc'd). */
static char *substitute(const ro_driver_t *d, const char *q)
{
    strbuf_t b = {0};
    static const char *const vars[] = { "$namespace", "$service", "$app" };
    while (*q) {
        size_t i;
        for (i = 0; i < 3; i++)
            if (!strncmp(q, vars[i], strlen(vars[i])))
                break;
        if (i < 3) {
            strbuf_add(&b, i == 0 ? d->ns : d->app, strlen(i == 0 ? d->ns : d->app));
            q += strlen(vars[i]);
        } else {
            strbuf_add(&b, q, 1);
            q++;
        }
    }
    if (!b.s)
        return strdup("");
    return b.s;
}

static const desc_analysis_t *analysis_item(const ro_driver_t *d, const char *phase, size_t k)
{
    const desc_rollout_t *r = d->desc ? d->desc->rollout : NULL;
    for (size_t i = 0; r && i < r->n_analysis; i++) {
        const char *ph = r->analysis[i].phase ? r->analysis[i].phase : "pre";
        if (!strcmp(ph, phase) && k-- == 0)
            return &r->analysis[i];
    }
    return NULL;
}

static void on_query(prom_query_t *q, const prom_result_t *res, void *ud)
{
    (void)q;
    drv_sub_t *sub = ud;
    drv_op_t *op = sub->op;
    const desc_analysis_t *a = analysis_item(op->d, op->phase, sub->idx);
    const char *name = a && a->name ? a->name : "query";
    sub->query = NULL;
    sub->done = true;
    sub->ok = false;
    const prom_point_t *pt = res->status == PROM_OK && res->n_series ? prom_series_last(&res->series[0]) : NULL;
    if (res->status != PROM_OK) {
        char msg[RO_TEXT_MAX];
        prom_result_message(res, msg, sizeof msg);
        snprintf(sub->text, sizeof sub->text, "%s: %s", name, msg);
    } else if (!pt) {
        snprintf(sub->text, sizeof sub->text, "%s: no data", name);
    } else if (a && a->threshold && !isnan(a->threshold->max) && !(pt->v <= a->threshold->max)) {
        snprintf(sub->text, sizeof sub->text, "%s: %g > %g", name, pt->v, a->threshold->max);
    } else if (a && a->threshold && !isnan(a->threshold->min) && !(pt->v >= a->threshold->min)) {
        snprintf(sub->text, sizeof sub->text, "%s: %g < %g", name, pt->v, a->threshold->min);
    } else {
        sub->ok = true;
        drv_log(op->d, "analysis %s: %g ok", name, pt->v);
    }
    if (--op->subs_left == 0)
        round_verdict(op);
}

static void analyze_start(drv_op_t *op)
{
    ro_driver_t *d = op->d;
    size_t n = 0;
    while (analysis_item(d, op->phase, n))
        n++;
    if (n == 0) {
        done(op, RO_EV_ANALYSIS, true, 0, 0, NULL);
        return;
    }
    if (!d->prom) {
        done(op, RO_EV_ANALYSIS, false, 0, 0, "no Prometheus configured");
        return;
    }
    op->subs = calloc(n, sizeof *op->subs);
    if (!op->subs) {
        done(op, RO_EV_ERROR, false, 0, 0, "out of memory");
        return;
    }
    op->n_subs = op->subs_left = n;
    for (size_t i = 0; i < n; i++) {
        drv_sub_t *sub = &op->subs[i];
        sub->op = op;
        sub->idx = i;
        char *q = substitute(d, analysis_item(d, op->phase, i)->query ? analysis_item(d, op->phase, i)->query : "");
        sub->query = q ? prom_query(d->prom, q, 0, on_query, sub) : NULL;
        free(q);
        if (!sub->query) {
            sub->done = true;
            snprintf(sub->text, sizeof sub->text, "analysis: out of memory");
            op->subs_left--;
        }
    }
    if (op->subs_left == 0)
        round_verdict(op);
}

/* ---- SWITCH: one merge PATCH of the Service selector, resourceVersion as precondition ---- */

static void switch_got(drv_op_t *op, const http_result_t *res);

static void switch_done(drv_op_t *op, const http_result_t *res)
{
    drv_audit(op->d, op->method, "services", op->d->app, res);
    if (res->status == 200 || res->status == 201) {
        drv_hpa_follow_start(op);   /* SWITCHED once the HPA follows too */
    } else if (res->status == 409 && !strcmp(op->method, "POST") && op->conflicts++ < 3) {
        char path[400];   /* created meanwhile: patch it instead */
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", op->d->ns, op->d->app);
        send_or_fail(op, "GET", path, NULL, NULL, switch_got);
    } else if (res->status == 409) {
        done(op, RO_EV_SWITCH_CONFLICT, false, 0, 0, "the Service changed since it was read (409 Conflict)");
    } else {
        failed(op, res);
    }
}

static void switch_got(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    char path[400];
    if (res->status == 404) {   /* a first rollout: the Service is created selecting the new slot */
        cJSON *svc = d->desc ? descriptor_service(d->desc, op->slot[0] ? op->slot : NULL) : NULL;
        char *body = svc ? cJSON_PrintUnformatted(svc) : NULL;
        cJSON_Delete(svc);
        if (!body) {
            done(op, RO_EV_ERROR, false, 0, 0, d->desc ? "out of memory" : "no descriptor to create the Service from");
            return;
        }
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", d->ns);
        send_or_fail(op, "POST", path, body, NULL, switch_done);
        free(body);
        return;
    }
    if (res->status != 200) {
        failed(op, res);
        return;
    }
    cJSON *svc = cJSON_ParseWithLength(res->body, res->body_len);
    const char *cur = drv_jstr(drv_jget(drv_jget(svc, "spec"), "selector"), "slot");
    const char *rv = drv_jstr(drv_jget(svc, "metadata"), "resourceVersion");
    if ((op->slot[0] && cur && !strcmp(cur, op->slot)) || (!op->slot[0] && !cur)) {
        cJSON_Delete(svc);   /* already there (a resumed switch); the HPA may not be */
        drv_hpa_follow_start(op);
        return;
    }
    cJSON *patch = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(patch, "metadata");
    cJSON_AddStringToObject(meta, "resourceVersion", rv ? rv : "");
    cJSON *sel = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "spec"), "selector");
    cJSON_AddStringToObject(sel, "app", d->app);
    if (op->slot[0])
        cJSON_AddStringToObject(sel, "slot", op->slot);
    else
        cJSON_AddNullToObject(sel, "slot");   /* back to a plain Deployment's app-only selector */
    char *body = cJSON_PrintUnformatted(patch);
    cJSON_Delete(patch);
    cJSON_Delete(svc);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", d->ns, d->app);
    if (body)
        send_or_fail(op, "PATCH", path, body, "application/merge-patch+json", switch_done);
    else
        done(op, RO_EV_ERROR, false, 0, 0, "out of memory");
    free(body);
}

static void switch_start(drv_op_t *op)
{
    char path[400];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", op->d->ns, op->d->app);
    send_or_fail(op, "GET", path, NULL, NULL, switch_got);
}

/* ---- DELETE, SCALE_DOWN ---- */

static void scale_done(drv_op_t *op, const http_result_t *res);

void drv_hpa_done(drv_op_t *op)
{
    if (op->kind == RO_ACT_SWITCH) {
        done(op, RO_EV_SWITCHED, true, 0, 0, NULL);
    } else {
        char path[400];
        drv_deployment_path(op->d, op->slot, path, sizeof path);
        send_or_fail(op, "PATCH", path, "{\"spec\":{\"replicas\":0}}", "application/merge-patch+json", scale_done);
    }
}

static void delete_done(drv_op_t *op, const http_result_t *res)
{
    char dn[RO_NAME_MAX + 8];
    snprintf(dn, sizeof dn, "%s-%s", op->d->app, op->slot);
    drv_audit(op->d, "DELETE", "deployments", dn, res);
    if (res->status == 200 || res->status == 202 || res->status == 404) {
        if (res->status == 404)
            drv_log(op->d, "Deployment %s-%s was already gone", op->d->app, op->slot);
        done(op, RO_EV_DELETED, true, 0, 0, NULL);
    } else {
        failed(op, res);
    }
}

static void scale_done(drv_op_t *op, const http_result_t *res)
{
    char name[RO_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s%s%s", op->d->app, op->slot[0] ? "-" : "", op->slot);
    drv_audit(op->d, "PATCH", "deployments", name, res);
    if (res->status == 200 || res->status == 404) {
        if (res->status == 404)
            drv_log(op->d, "Deployment %s does not exist: nothing to scale down", name);
        done(op, RO_EV_SCALED_DOWN, true, 0, 0, NULL);
    } else {
        failed(op, res);
    }
}

/* ---- CREATE_JOB: the migration Job, followed from the tick ---- */

static void job_created(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    drv_audit(d, "POST", "jobs", d->job_name, res);
    if (res->status == 201 || res->status == 409) {   /* 409: created by an earlier driver */
        drv_log(d, "migration Job %s %s", d->job_name, res->status == 201 ? "created" : "exists already");
        d->job_following = true;
        drv_op_end(op);
        drv_job_tick(d);
    } else {
        failed(op, res);
    }
}

static void job_start(drv_op_t *op)
{
    ro_driver_t *d = op->d;
    cJSON *job = d->desc ? descriptor_migration_job(d->desc) : NULL;
    char *name = d->desc ? descriptor_job_name(d->desc) : NULL;
    char *body = job ? cJSON_PrintUnformatted(job) : NULL;
    cJSON_Delete(job);
    if (!body || !name) {
        free(body);
        free(name);
        done(op, RO_EV_JOB_FAILED, false, 0, 0, "the descriptor has no migration to run");
        return;
    }
    snprintf(d->job_name, sizeof d->job_name, "%s", name);
    free(name);
    char path[400];
    snprintf(path, sizeof path, "/apis/batch/v1/namespaces/%s/jobs", d->ns);
    send_or_fail(op, "POST", path, body, NULL, job_created);
    free(body);
}

static void on_job_line(logstream_t *s, log_kind_t kind, const char *ts, const char *text, size_t len, void *ud)
{
    (void)s;
    (void)ts;
    ro_driver_t *d = ud;
    drv_log(d, "%s %.*s", kind == LOG_MARKER ? "migration log:" : "migration |", (int)(len > 300 ? 300 : len), text);
}

static void on_job_pods(http_req_t *req, const http_result_t *res, void *ud);

static void on_job(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->job_req = NULL;
    if (!d->job_following)
        return;
    if (res->status == 404) {
        d->job_following = false;
        drv_event(d, RO_EV_JOB_FAILED, false, 0, 0, "the migration Job was deleted");
        return;
    }
    if (res->status != 200)
        return;   /* next tick */
    cJSON *job = cJSON_ParseWithLength(res->body, res->body_len);
    const cJSON *cond;
    const char *state = NULL, *msg = NULL;
    cJSON_ArrayForEach(cond, drv_jget(drv_jget(job, "status"), "conditions")) {
        const char *type = drv_jstr(cond, "type"), *st = drv_jstr(cond, "status");
        if (type && st && !strcmp(st, "True") && (!strcmp(type, "Complete") || !strcmp(type, "Failed"))) {
            state = type;
            msg = drv_jstr(cond, "message") ? drv_jstr(cond, "message") : drv_jstr(cond, "reason");
            break;
        }
    }
    char text[RO_TEXT_MAX];
    snprintf(text, sizeof text, "migration Job %s: %s", d->job_name, msg ? msg : "Failed");
    bool complete = state && !strcmp(state, "Complete");
    cJSON_Delete(job);
    if (state) {
        d->job_following = false;
        d->job_log_linger = 3;   /* the last lines may still be on their way */
        drv_event(d, complete ? RO_EV_JOB_DONE : RO_EV_JOB_FAILED, complete, 0, 0, complete ? NULL : text);
        return;
    }
    if (!d->job_log) {   /* its pod's log into the rollout log, once it has a pod */
        char sel[200], path[500];
        snprintf(sel, sizeof sel, "job-name=%s", d->job_name);
        char *enc = prom_urlencode(sel);
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods?labelSelector=%s", d->ns, enc ? enc : "");
        free(enc);
        http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 10000,
                              .on_done = on_job_pods, .ud = d };
        d->job_req = http_request(d->kube, &o);
    }
}

static void on_job_pods(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    ro_driver_t *d = ud;
    d->job_req = NULL;
    if (res->status != 200 || d->job_log)
        return;
    cJSON *list = cJSON_ParseWithLength(res->body, res->body_len);
    const cJSON *pod = cJSON_GetArrayItem(drv_jget(list, "items"), 0);
    const char *name = drv_jstr(drv_jget(pod, "metadata"), "name");
    const char *phase = drv_jstr(drv_jget(pod, "status"), "phase");
    if (name && phase && strcmp(phase, "Pending")) {
        snprintf(d->job_log_pod, sizeof d->job_log_pod, "%s", name);
        logstream_opts_t o = { .loop = d->loop, .http = d->kube, .ns = d->ns, .pod = d->job_log_pod,
                               .tail_lines = -1, .on_line = on_job_line, .ud = d };
        d->job_log = logstream_new(&o);
    }
    cJSON_Delete(list);
}

void drv_job_tick(ro_driver_t *d)
{
    if (d->job_log && !d->job_following && d->job_log_linger-- <= 0) {
        logstream_free(d->job_log);
        d->job_log = NULL;
    }
    if (!d->job_following || d->job_req)
        return;
    if (d->st.step != RO_STEP_MIGRATE || ro_finished(&d->st)) {
        d->job_following = false;
        return;
    }
    char path[400];
    snprintf(path, sizeof path, "/apis/batch/v1/namespaces/%s/jobs/%s", d->ns, d->job_name);
    http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 10000,
                          .on_done = on_job, .ud = d };
    d->job_req = http_request(d->kube, &o);
}

void drv_job_stop(ro_driver_t *d)
{
    d->job_following = false;
    if (d->job_req)
        http_cancel(d->job_req);
    d->job_req = NULL;
    if (d->job_log)
        logstream_free(d->job_log);
    d->job_log = NULL;
}

/* ---- dispatch ---- */

void drv_action_start(ro_driver_t *d, const ro_action_t *a)
{
    if (a->kind == RO_ACT_RELEASE) {
        drv_history_add(d);
        drv_mark_dirty(d);
        drv_event(d, RO_EV_RELEASED, true, 0, 0, NULL);   /* the Lease goes once the record is written */
        return;
    }
    drv_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        drv_event(d, RO_EV_ERROR, false, 0, 0, "out of memory");
        return;
    }
    op->d = d;
    op->kind = a->kind;
    snprintf(op->slot, sizeof op->slot, "%s", a->slot);
    snprintf(op->phase, sizeof op->phase, "%s", a->phase[0] ? a->phase : "pre");
    op->next = d->ops;
    d->ops = op;
    char path[400];
    switch (a->kind) {
    case RO_ACT_CREATE_JOB: job_start(op); break;
    case RO_ACT_APPLY: apply_start(op); break;
    case RO_ACT_CHECK_READY: ready_start(op); break;
    case RO_ACT_HEALTH: health_start(op); break;
    case RO_ACT_ANALYZE: analyze_start(op); break;
    case RO_ACT_SWITCH: switch_start(op); break;
    case RO_ACT_DELETE:
        drv_deployment_path(d, op->slot, path, sizeof path);
        send_or_fail(op, "DELETE", path, NULL, NULL, delete_done);
        break;
    case RO_ACT_SCALE_DOWN:
        drv_hpa_follow_start(op);   /* an HPA still on this slot would scale it up again */
        break;
    default:
        drv_op_end(op);
        break;
    }
}

/* The rollout driver and the app's HorizontalPodAutoscaler (HPA `<app>`): the new slot starts with
 * as many replicas as serve now, and the HPA follows the slot the Service selects. The engine knows
 * nothing of it: these are extra requests inside the APPLY, SWITCH and SCALE_DOWN actions
 * (driver_actions.c), which then carry on through drv_apply_sized() and drv_hpa_done().
 * Semantics: docs/rollouts.md, "Autoscalers". */
#include "driver_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HPA_API "/apis/autoscaling/v2/namespaces/"
/* On an HPA the rollout created: the rollout's id, so its flip back deletes it again. */
#define HPA_CREATED_BY "kdeck.dev/created-by-rollout"
#define HPA_CONFLICTS 3   /* 409s (changed meanwhile) re-read and retried */

static void hpa_path(const ro_driver_t *d, bool collection, char *buf, size_t len)
{
    if (collection)
        snprintf(buf, len, HPA_API "%s/horizontalpodautoscalers", d->ns);
    else
        snprintf(buf, len, HPA_API "%s/horizontalpodautoscalers/%s", d->ns, d->app);
}

/* "<app>-<slot>", or "<app>" for slot "" (a plain Deployment). */
static void deployment_name(const ro_driver_t *d, const char *slot, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", d->app, slot[0] ? "-" : "", slot);
}

/* ---- APPLY: how many replicas the new slot starts with ---- */

static void sized_serving(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    const char *from = d->st.from_slot;
    char serving[RO_NAME_MAX + 8];
    deployment_name(d, from, serving, sizeof serving);
    if (res->status != 200 && res->status != 404) {
        char msg[RO_TEXT_MAX];
        drv_describe(op->method, op->path, res, msg, sizeof msg);
        drv_op_end(op);
        drv_event(d, RO_EV_ERROR, false, 0, 0, msg);
        return;
    }
    long now_serving = -1;
    if (res->status == 200) {
        cJSON *dep = cJSON_ParseWithLength(res->body, res->body_len);
        now_serving = drv_jlong(drv_jget(dep, "spec"), "replicas", 1);
        cJSON_Delete(dep);
    }
    int min = d->desc->autoscaler->min_replicas != DESC_UNSET ? d->desc->autoscaler->min_replicas : 1;
    if (min < 1)
        min = 1;
    int n = now_serving > min ? (int)now_serving : min;
    char who[RO_NAME_MAX + 16];
    if (from[0])
        snprintf(who, sizeof who, "slot=%s", from);
    else
        snprintf(who, sizeof who, "Deployment %s", serving);
    if (now_serving < 0)
        drv_log(d, "deploy: %d replicas, the autoscaler's minReplicas (no Deployment %s serves now)", n, serving);
    else if (now_serving >= min)
        drv_log(d, "deploy: %d replicas, as many as %s serves now (autoscaled)", n, who);
    else
        drv_log(d, "deploy: %d replicas, the autoscaler's minReplicas (%s serves %ld now)", n, who, now_serving);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(op->obj, "spec");
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "replicas");
    if (!spec || !cJSON_AddNumberToObject(spec, "replicas", n)) {
        drv_op_end(op);
        drv_event(d, RO_EV_ERROR, false, 0, 0, "out of memory");
        return;
    }
    drv_apply_sized(op);
}

void drv_hpa_size_start(drv_op_t *op)
{
    ro_driver_t *d = op->d;
    if (!d->desc || !d->desc->autoscaler || d->desc->replicas != DESC_UNSET) {
        drv_apply_sized(op);   /* the descriptor's replicas (or none: Kubernetes' 1) */
        return;
    }
    char path[400];
    drv_deployment_path(d, d->st.from_slot, path, sizeof path);
    if (!drv_op_send(op, "GET", path, NULL, NULL, sized_serving)) {
        drv_op_end(op);
        drv_event(d, RO_EV_ERROR, false, 0, 0, "out of memory");
    }
}

/* ---- SWITCH and SCALE_DOWN: HPA <app> follows the slot the Service selects ---- */

/* The Deployment the HPA must scale: the switch's slot, or (scale-down) the serving one. */
static void wanted_target(const drv_op_t *op, char *buf, size_t len)
{
    deployment_name(op->d, op->kind == RO_ACT_SWITCH ? op->slot : op->d->st.to_slot, buf, len);
}

static const char *step_word(const drv_op_t *op)
{
    return op->kind == RO_ACT_SCALE_DOWN ? "finish" : op->d->st.phase == RO_PHASE_REVERTING ? "revert" : "switch";
}

/* Any failure: said in the log, never the rollout's failure (the selector already moved). */
static void hpa_failed(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    char want[RO_NAME_MAX + 8], msg[RO_TEXT_MAX];
    wanted_target(op, want, sizeof want);
    drv_describe(op->method, op->path, res, msg, sizeof msg);
    const char *w = step_word(op);
    if (!strcmp(op->method, "GET")) {   /* there may be none: say what is unknown */
        drv_log(d, "%s: HPA %s could not be read: %s", w, d->app, msg);
        drv_log(d, "%s: the rollout goes on; if HPA %s exists, check that it scales Deployment %s", w, d->app, want);
    } else if (!strcmp(op->method, "POST")) {
        drv_log(d, "%s: HPA %s NOT created: %s", w, d->app, msg);
        drv_log(d, "%s: the rollout goes on (traffic already moved); Deployment %s is not autoscaled until "
                "an HPA %s scales it", w, want, d->app);
    } else if (!strcmp(op->method, "DELETE")) {
        drv_log(d, "%s: HPA %s (created by this rollout) NOT deleted: %s", w, d->app, msg);
        drv_log(d, "%s: the revert goes on; remove it by hand: kubectl -n %s delete hpa %s", w, d->ns, d->app);
    } else {
        drv_log(d, "%s: HPA %s NOT retargeted to Deployment %s: %s", w, d->app, want, msg);
        drv_log(d, "%s: the rollout goes on (traffic already moved); point it there by hand: kubectl -n %s "
                "patch hpa %s --type=merge -p '{\"spec\":{\"scaleTargetRef\":{\"name\":\"%s\"}}}'",
                w, d->ns, d->app, want);
    }
    drv_hpa_done(op);
}

static void hpa_got(drv_op_t *op, const http_result_t *res);

static void hpa_reread(drv_op_t *op)
{
    char path[400];
    hpa_path(op->d, false, path, sizeof path);
    if (!drv_op_send(op, "GET", path, NULL, NULL, hpa_got))
        drv_hpa_done(op);
}

static void hpa_written(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    drv_audit(d, op->method, "horizontalpodautoscalers", d->app, res);
    char want[RO_NAME_MAX + 8];
    wanted_target(op, want, sizeof want);
    if (res->status >= 200 && res->status < 300) {
        if (!strcmp(op->method, "DELETE"))
            drv_log(d, "%s: HPA %s deleted (this rollout created it)", step_word(op), d->app);
        else
            drv_log(d, "%s: HPA %s %s: it scales Deployment %s", step_word(op), d->app,
                    !strcmp(op->method, "POST") ? "created" : "retargeted", want);
        drv_hpa_done(op);
    } else if ((res->status == 409 || res->status == 404) && op->conflicts++ < HPA_CONFLICTS) {
        hpa_reread(op);   /* changed, created or deleted meanwhile: decide again */
    } else {
        hpa_failed(op, res);
    }
}

/* POST of the descriptor's HPA, scaling the switch's slot, marked as created by this rollout. */
static void hpa_create(drv_op_t *op)
{
    ro_driver_t *d = op->d;
    cJSON *hpa = descriptor_hpa(d->desc, op->slot[0] ? op->slot : NULL);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(hpa, "metadata");
    cJSON *ann = meta ? cJSON_AddObjectToObject(meta, "annotations") : NULL;
    if (ann)
        cJSON_AddStringToObject(ann, HPA_CREATED_BY, d->st.id);
    char *body = ann ? cJSON_PrintUnformatted(hpa) : NULL;
    cJSON_Delete(hpa);
    char path[400];
    hpa_path(d, true, path, sizeof path);
    if (!body || !drv_op_send(op, "POST", path, body, NULL, hpa_written)) {
        drv_log(d, "switch: HPA %s not created: out of memory", d->app);
        drv_hpa_done(op);
    }
    free(body);
}

static bool app_deployment(const ro_driver_t *d, const char *name)
{
    static const char *const slots[] = { "", "blue", "green" };
    char dn[RO_NAME_MAX + 8];
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        deployment_name(d, slots[i], dn, sizeof dn);
        if (!strcmp(name, dn))
            return true;
    }
    return false;
}

/* The merge PATCH pointing the HPA at Deployment want, read at resourceVersion rv (malloc'd). */
static char *retarget_patch(const char *rv, const char *want)
{
    cJSON *patch = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(patch, "metadata"), "resourceVersion", rv ? rv : "");
    cJSON *r = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "spec"), "scaleTargetRef");
    cJSON_AddStringToObject(r, "apiVersion", "apps/v1");
    cJSON_AddStringToObject(r, "kind", "Deployment");
    cJSON_AddStringToObject(r, "name", want);
    char *body = cJSON_PrintUnformatted(patch);
    cJSON_Delete(patch);
    return body;
}

static void hpa_got(drv_op_t *op, const http_result_t *res)
{
    ro_driver_t *d = op->d;
    char want[RO_NAME_MAX + 8];
    wanted_target(op, want, sizeof want);
    bool forward = op->kind == RO_ACT_SWITCH && !strcmp(op->slot, d->st.to_slot);
    if (res->status == 404) {
        if (forward && d->desc && d->desc->autoscaler)
            hpa_create(op);   /* the descriptor has one and the cluster not yet */
        else
            drv_hpa_done(op);
        return;
    }
    if (res->status != 200) {
        hpa_failed(op, res);
        return;
    }
    cJSON *hpa = cJSON_ParseWithLength(res->body, res->body_len);
    const cJSON *meta = drv_jget(hpa, "metadata"), *ref = drv_jget(drv_jget(hpa, "spec"), "scaleTargetRef");
    const char *kind = drv_jstr(ref, "kind"), *name = drv_jstr(ref, "name");
    const char *rv = drv_jstr(meta, "resourceVersion");
    const char *created_by = drv_jstr(drv_jget(meta, "annotations"), HPA_CREATED_BY);
    char scaled_down[RO_NAME_MAX + 8];
    deployment_name(d, op->slot, scaled_down, sizeof scaled_down);
    enum { LEAVE, RETARGET, REMOVE } what = RETARGET;
    if (!kind || !name || strcmp(kind, "Deployment") || !app_deployment(d, name)) {
        what = LEAVE;
        if (op->kind == RO_ACT_SWITCH)   /* said once: the finish leaves it alone silently */
            drv_log(d, "%s: HPA %s scales %s/%s, not a Deployment of %s: left alone", step_word(op), d->app,
                    kind ? kind : "?", name ? name : "?", d->app);
    } else if (op->kind == RO_ACT_SWITCH && !forward && created_by && !strcmp(created_by, d->st.id)) {
        what = REMOVE;   /* the flip back of the rollout that created it: as before, no HPA */
    } else if (!strcmp(name, want)) {
        what = LEAVE;    /* already there (a resumed action) */
    } else if (op->kind == RO_ACT_SCALE_DOWN && strcmp(name, scaled_down)) {
        what = LEAVE;    /* it scales neither the serving nor the scaled-down slot */
    } else if (op->kind == RO_ACT_SCALE_DOWN) {
        drv_log(d, "finish: HPA %s still scales %s: retargeting it to %s before the scale-down", d->app,
                name, want);
    }
    char path[400], body[160];
    hpa_path(d, false, path, sizeof path);
    bool sent = true;
    if (what == REMOVE) {   /* only the object we read: another one of the same name is not ours */
        snprintf(body, sizeof body, "{\"preconditions\":{\"resourceVersion\":\"%s\"}}", rv ? rv : "");
        sent = drv_op_send(op, "DELETE", path, body, NULL, hpa_written);
    } else if (what == RETARGET) {
        char *patch = retarget_patch(rv, want);
        sent = patch && drv_op_send(op, "PATCH", path, patch, "application/merge-patch+json", hpa_written);
        free(patch);
    }
    cJSON_Delete(hpa);
    if (what == LEAVE) {
        drv_hpa_done(op);
    } else if (!sent) {
        drv_log(d, "%s: HPA %s not changed: out of memory", step_word(op), d->app);
        drv_hpa_done(op);
    }
}

void drv_hpa_follow_start(drv_op_t *op)
{
    op->conflicts = 0;
    hpa_reread(op);
}

/* The descriptor of a live app (live_descriptor.h): four GETs on the session's client, one after
 * the other — the Deployment, the Service of the app, the namespace's Ingresses and HPAs (the
 * ones pointing at the app are picked, as `kdeck descriptor get` does) — then
 * descriptor_from_objects(). Only the Deployment is required: a Service, Ingress or HPA that is
 * missing, or that the user may not read, is left out with a note. */
#include "live_descriptor.h"
#include "app_int.h"

#include "kdeck/apierror.h"
#include "kdeck/apply_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_REQUEST_TIMEOUT_MS 30000

typedef enum { LIVE_DEPLOYMENT, LIVE_SERVICE, LIVE_INGRESSES, LIVE_HPAS, LIVE_DONE } live_step_t;

struct live_load {
    app_t *app;
    char ns[254], deployment[254], app_name[254];
    live_load_cb cb;
    void *ud;
    http_req_t *req;
    live_step_t step;
    cJSON *dep, *svc, *ings, *hpas;
    desc_problems_t notes;
};

static void live_free(live_load_t *l)
{
    cJSON_Delete(l->dep);
    cJSON_Delete(l->svc);
    cJSON_Delete(l->ings);
    cJSON_Delete(l->hpas);
    desc_problems_free(&l->notes);
    free(l);
}

/* Calls back (once) and frees the load. */
static void finish(live_load_t *l, descriptor_t *d, const char *error)
{
    l->cb(l->ud, d, &l->notes, error ? NULL : l->dep, error);
    live_free(l);
}

static void finish_ok(live_load_t *l)
{
    cJSON *ing = apply_typed_copy(apply_find_ingress(l->ings, l->app_name), "networking.k8s.io/v1", "Ingress");
    /* A blue/green slot's HPA targets the slot's Deployment; a plain one targets the app's. */
    const cJSON *h = apply_find_hpa(l->hpas, l->deployment);
    if (!h)
        h = apply_find_hpa(l->hpas, l->app_name);
    cJSON *hpa = apply_typed_copy(h, "autoscaling/v2", "HorizontalPodAutoscaler");
    descriptor_t *d = descriptor_from_objects(l->dep, l->svc, ing, hpa, &l->notes);
    cJSON_Delete(ing);
    cJSON_Delete(hpa);
    char err[600];
    if (!d)
        snprintf(err, sizeof err, "deployment %s/%s: cannot be turned into a descriptor", l->ns, l->deployment);
    finish(l, d, d ? NULL : err);
}

static void next_step(live_load_t *l);

static void on_done(http_req_t *req, const http_result_t *res, void *ud)
{
    live_load_t *l = ud;
    (void)req;
    l->req = NULL;
    static const char *const what[] = { "deployment", "service", "ingresses", "horizontal pod autoscalers" };
    char err[1000], name[600];
    if (l->step == LIVE_DEPLOYMENT)
        snprintf(name, sizeof name, "deployment %s/%s", l->ns, l->deployment);
    else if (l->step == LIVE_SERVICE)
        snprintf(name, sizeof name, "service %s/%s", l->ns, l->app_name);
    else
        snprintf(name, sizeof name, "%s in %s", what[l->step], l->ns);

    cJSON *obj = NULL;
    if (res->status == 200) {
        obj = cJSON_ParseWithLength(res->body, res->body_len);
        if (!obj) {
            snprintf(err, sizeof err, "%s: the answer is not JSON", name);
            if (l->step == LIVE_DEPLOYMENT) {
                finish(l, NULL, err);
                return;
            }
            desc_problems_add(&l->notes, "", "%s", err);
        }
    } else if (l->step == LIVE_DEPLOYMENT) {
        if (res->status == 404)
            snprintf(err, sizeof err, "%s: not found", name);
        else if (res->status == 0)
            api_error_describe("API unreachable", res, err, sizeof err);
        else
            api_error_describe(name, res, err, sizeof err);
        finish(l, NULL, err);
        return;
    } else if (res->status != 404) {
        /* Not allowed to read it, or it failed: the descriptor goes on without it. */
        desc_problems_add(&l->notes, "", "%s left out: %s", name, api_error_describe(NULL, res, err, sizeof err));
    }
    switch (l->step) {
    case LIVE_DEPLOYMENT: l->dep = obj; break;
    case LIVE_SERVICE: l->svc = obj; break;
    case LIVE_INGRESSES: l->ings = obj; break;
    case LIVE_HPAS: l->hpas = obj; break;
    case LIVE_DONE: cJSON_Delete(obj); break;
    }
    l->step++;
    next_step(l);
}

/* Starts the GET of the current step; NULL when it cannot start. */
static http_req_t *get_step(live_load_t *l)
{
    char path[800];
    switch (l->step) {
    case LIVE_DEPLOYMENT: apply_object_path("Deployment", l->ns, l->deployment, path, sizeof path); break;
    case LIVE_SERVICE: apply_object_path("Service", l->ns, l->app_name, path, sizeof path); break;
    case LIVE_INGRESSES: apply_object_path("Ingress", l->ns, NULL, path, sizeof path); break;
    case LIVE_HPAS: apply_object_path("HorizontalPodAutoscaler", l->ns, NULL, path, sizeof path); break;
    case LIVE_DONE:
    default:
        return NULL;
    }
    http_client_t *http = app_http(l->app);
    http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = LIVE_REQUEST_TIMEOUT_MS,
                          .on_done = on_done, .ud = l };
    return http ? http_request(http, &o) : NULL;
}

static void next_step(live_load_t *l)
{
    if (l->step >= LIVE_DONE) {
        finish_ok(l);
        return;
    }
    l->req = get_step(l);
    if (!l->req)
        finish(l, NULL, app_http(l->app) ? "out of memory" : "API unreachable: not connected to a cluster");
}

live_load_t *live_descriptor_load(struct app *app, const char *ns, const char *deployment,
                                  live_load_cb cb, void *ud)
{
    live_load_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->app = app;
    l->cb = cb;
    l->ud = ud;
    snprintf(l->ns, sizeof l->ns, "%s", ns && *ns ? ns : "default");
    snprintf(l->deployment, sizeof l->deployment, "%s", deployment ? deployment : "");
    apply_app_of_deployment(l->deployment, l->app_name, sizeof l->app_name);
    if (!app_http(app)) {
        app_error(app, "API unreachable: not connected to a cluster");
        free(l);
        return NULL;
    }
    /* The callback must never run before the caller has the handle: a first request that
     * cannot start is a NULL return, not a callback. */
    l->step = LIVE_DEPLOYMENT;
    l->req = get_step(l);
    if (!l->req) {
        free(l);
        return NULL;
    }
    return l;
}

void live_descriptor_cancel(live_load_t *l)
{
    if (!l)
        return;
    if (l->req)
        http_cancel(l->req);
    live_free(l);
}

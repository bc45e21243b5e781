/* Which actions RBAC allows here: a SelfSubjectRulesReview per namespace, asked on first need and
 * kept for the session; actions map to the permission they need in one table. */
#include "app_int.h"
#include "kdeck/apierror.h"
#include "kdeck/rbac.h"

#include <stdlib.h>
#include <string.h>

/* The permission each cluster-changing action needs. */
static const struct { action_t action; const char *verb, *group, *resource; } needs[] = {
    { ACT_SHELL, "create", "", "pods/exec" },
    { ACT_NEW, "create", "apps", "deployments" },
    { ACT_EDIT, "update", "apps", "deployments" },
    { ACT_ABORT, "update", "", "services" },
    { ACT_UNDO, "update", "", "services" },
    { ACT_RESUME, "update", "", "services" },
};

typedef struct rbac_entry {
    char ns[254];
    rbac_rules_t *rules;     /* NULL while asking or after a failure */
    bool pending, failed;
    http_req_t *req;
} rbac_entry_t;

#define RBAC_CACHE 16

struct rbac_cache {
    rbac_entry_t e[RBAC_CACHE];
    int n;
};

static void on_review(http_req_t *req, const http_result_t *res, void *ud)
{
    rbac_entry_t *e = ud;
    (void)req;
    e->req = NULL;
    e->pending = false;
    char err[256];
    if (res->error || (res->status != 200 && res->status != 201) ||
        !(e->rules = rbac_rules_parse(res->body, res->body_len, err, sizeof err)))
        e->failed = true; /* unknown: actions stay available, the server decides */
}

static rbac_entry_t *entry_for(app_t *app, const char *ns)
{
    session_t *s = app->s;
    if (!s)
        return NULL;
    if (!s->rbac && !(s->rbac = calloc(1, sizeof *s->rbac)))
        return NULL;
    struct rbac_cache *c = s->rbac;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].ns, ns))
            return &c->e[i];
    if (c->n == RBAC_CACHE)
        return NULL;
    rbac_entry_t *e = &c->e[c->n++];
    snprintf(e->ns, sizeof e->ns, "%s", ns);
    char body[512];
    int n = rbac_review_body(ns, body, sizeof body);
    e->pending = true;
    http_req_opts_t o = {
        .method = "POST", .path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        .body = body, .body_len = (size_t)n, .content_type = "application/json", .accept = "application/json",
        .timeout_ms = 15000, .on_done = on_review, .ud = e,
    };
    e->req = http_request(s->http, &o);
    return e;
}

void app_rbac_free(session_t *s)
{
    struct rbac_cache *c = s->rbac;
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        if (c->e[i].req)
            http_cancel(c->e[i].req);
        rbac_rules_free(c->e[i].rules);
    }
    free(c);
    s->rbac = NULL;
}

bool app_action_denied(app_t *app, action_t a, char *why, size_t len)
{
    for (size_t i = 0; i < sizeof needs / sizeof *needs; i++) {
        if (needs[i].action != a)
            continue;
        const char *ns = app->ns[0] ? app->ns : "default";
        rbac_entry_t *e = entry_for(app, ns);
        if (!e || !e->rules || rbac_incomplete(e->rules))
            return false; /* not known (yet): let the server decide */
        if (rbac_allows(e->rules, needs[i].verb, needs[i].group, needs[i].resource, NULL))
            return false;
        const kube_target_t *t = app_target(app);
        snprintf(why, len, "not allowed: user %s cannot %s %s in namespace %s (RBAC)",
                 t && t->user_name && *t->user_name ? t->user_name : "(anonymous)", needs[i].verb,
                 needs[i].resource, ns);
        return true;
    }
    return false;
}

void app_rbac_prefetch(app_t *app)
{
    if (app->s && !app->all_ns)
        entry_for(app, app->ns[0] ? app->ns : "default");
}

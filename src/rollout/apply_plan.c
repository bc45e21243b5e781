/* The pure parts of applying a descriptor (see apply_plan.h): paths, write bodies, preview words,
 * rollout status, 422 causes → descriptor paths, 409 words, blue/green apps. */
#include "kdeck/apply_plan.h"

#include "kdeck/rollout_driver.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long jlong(const cJSON *o, const char *k, long dflt)
{
    const cJSON *v = jget(o, k);
    /* a number from the server outside ±2^31 is not one we use: casting it could be undefined */
    return cJSON_IsNumber(v) && v->valuedouble > -2147483648.0 && v->valuedouble < 2147483648.0
               ? (long)v->valuedouble : dflt;
}

/* ---- where objects live ---- */

static const struct {
    const char *kind, *group_path, *resource;
} kinds[] = {
    { "Deployment", "/apis/apps/v1", "deployments" },
    { "Service", "/api/v1", "services" },
    { "Ingress", "/apis/networking.k8s.io/v1", "ingresses" },
    { "HorizontalPodAutoscaler", "/apis/autoscaling/v2", "horizontalpodautoscalers" },
    { "Job", "/apis/batch/v1", "jobs" },
};

const char *apply_object_path(const char *kind, const char *ns, const char *name, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!kind || strcmp(kind, kinds[i].kind))
            continue;
        snprintf(buf, len, "%s/namespaces/%s/%s%s%s", kinds[i].group_path, ns, kinds[i].resource,
                 name ? "/" : "", name ? name : "");
        return buf;
    }
    return NULL;
}

const char *apply_resource_name(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kind && !strcmp(kind, kinds[i].kind))
            return kinds[i].resource;
    return "?";
}

/* ---- finding an app's objects ---- */

const cJSON *apply_find_ingress(const cJSON *list, const char *app)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(list, "items")) {
        const cJSON *rule;
        cJSON_ArrayForEach(rule, jget(jget(it, "spec"), "rules")) {
            const cJSON *p;
            cJSON_ArrayForEach(p, jget(jget(rule, "http"), "paths")) {
                const char *svc = jstr(jget(jget(p, "backend"), "service"), "name");
                if (svc && !strcmp(svc, app))
                    return it;
            }
        }
    }
    return NULL;
}

const cJSON *apply_find_hpa(const cJSON *list, const char *app)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(list, "items")) {
        const cJSON *ref = jget(jget(it, "spec"), "scaleTargetRef");
        const char *kind = jstr(ref, "kind"), *name = jstr(ref, "name");
        if (kind && name && !strcmp(kind, "Deployment") && !strcmp(name, app))
            return it;
    }
    return NULL;
}

cJSON *apply_typed_copy(const cJSON *o, const char *api_version, const char *kind)
{
    if (!o)
        return NULL;
    cJSON *c = cJSON_Duplicate(o, true);
    if (!c)
        return NULL;
    if (!jget(c, "apiVersion"))
        cJSON_AddStringToObject(c, "apiVersion", api_version);
    if (!jget(c, "kind"))
        cJSON_AddStringToObject(c, "kind", kind);
    return c;
}

const char *apply_app_of_deployment(const char *deployment, char *buf, size_t len)
{
    size_t n = strlen(deployment);
    static const char *const slots[] = { "-blue", "-green" };
    for (size_t i = 0; i < 2; i++) {
        size_t sl = strlen(slots[i]);
        if (n > sl && !strcmp(deployment + n - sl, slots[i])) {
            snprintf(buf, len, "%.*s", (int)(n - sl), deployment);
            return buf;
        }
    }
    snprintf(buf, len, "%s", deployment);
    return buf;
}

/* ---- blue/green apps ---- */

const char *apply_active_slot(const cJSON *service)
{
    const char *slot = jstr(jget(jget(service, "spec"), "selector"), "slot");
    if (slot && !strcmp(slot, "blue"))
        return "blue";
    if (slot && !strcmp(slot, "green"))
        return "green";
    return NULL;
}

const char *apply_bluegreen_note(const char *app, const char *slot, char *buf, size_t len)
{
    snprintf(buf, len, "%s is deployed blue/green: applying to the active slot %s as a rolling update; "
             "ship new versions with kdeck rollout apply / r", app, slot);
    return buf;
}

const char *apply_rollout_lease_path(const char *ns, const char *app, char *buf, size_t len)
{
    snprintf(buf, len, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/" RO_LEASE_PREFIX "%s", ns, app);
    return buf;
}

bool apply_rollout_running(const cJSON *lease, const char *app, const char *host, int64_t now_ms,
                           char *buf, size_t len)
{
    char holder[600];
    if (!lease || !ro_lease_driver_live(lease, host, now_ms, holder, sizeof holder, NULL))
        return false;
    snprintf(buf, len, "a rollout of %s is running (%s): wait for it or abort it", app, holder);
    return true;
}

/* ---- the write ---- */

/* live with want merged in; prep is live as textdiff_live_prepare() left it (what the diff saw):
 * a key only live has survives when prep does not have it (server-populated). */
static cJSON *merge(const cJSON *live, const cJSON *prep, const cJSON *want)
{
    if (cJSON_IsObject(want) && cJSON_IsObject(live)) {
        cJSON *out = cJSON_CreateObject();
        if (!out)
            return NULL;
        const cJSON *k;
        cJSON_ArrayForEach(k, want) {
            cJSON *m = merge(jget(live, k->string), prep ? jget(prep, k->string) : NULL, k);
            if (!m) {
                cJSON_Delete(out);
                return NULL;
            }
            cJSON_AddItemToObject(out, k->string, m);
        }
        cJSON_ArrayForEach(k, live) {
            if (jget(want, k->string) || (prep && jget(prep, k->string)))
                continue;
            cJSON *m = cJSON_Duplicate(k, true);
            if (!m) {
                cJSON_Delete(out);
                return NULL;
            }
            cJSON_AddItemToObject(out, k->string, m);
        }
        return out;
    }
    int n = cJSON_GetArraySize(want);
    if (cJSON_IsArray(want) && cJSON_IsArray(live) && cJSON_GetArraySize(live) == n) {
        bool prep_ok = cJSON_IsArray(prep) && cJSON_GetArraySize(prep) == n;
        cJSON *out = cJSON_CreateArray();
        if (!out)
            return NULL;
        for (int i = 0; i < n; i++) {
            cJSON *m = merge(cJSON_GetArrayItem(live, i), prep_ok ? cJSON_GetArrayItem(prep, i) : NULL,
                             cJSON_GetArrayItem(want, i));
            if (!m) {
                cJSON_Delete(out);
                return NULL;
            }
            cJSON_AddItemToArray(out, m);
        }
        return out;
    }
    return cJSON_Duplicate(want, true);
}

cJSON *apply_merge_for_put(const cJSON *live, const cJSON *desired)
{
    cJSON *prep = textdiff_live_prepare(live, desired);
    cJSON *out = prep ? merge(live, prep, desired) : NULL;
    cJSON_Delete(prep);
    return out;
}

char *apply_write_body(const cJSON *live, const cJSON *desired)
{
    cJSON *body = live ? apply_merge_for_put(live, desired) : cJSON_Duplicate(desired, true);
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    return text;
}

/* ---- preview words ---- */

const char *apply_job_state(const cJSON *job, const char **msg)
{
    const cJSON *cond;
    *msg = NULL;
    cJSON_ArrayForEach(cond, jget(jget(job, "status"), "conditions")) {
        const char *type = jstr(cond, "type"), *st = jstr(cond, "status");
        if (!type || !st || strcmp(st, "True"))
            continue;
        if (!strcmp(type, "Complete") || !strcmp(type, "Failed")) {
            *msg = jstr(cond, "message") ? jstr(cond, "message") : jstr(cond, "reason");
            return type;
        }
    }
    return NULL;
}

static bool is_job(const char *kind)
{
    return kind && !strcmp(kind, "Job");
}

bool apply_object_changed(const char *kind, const cJSON *live, const textdiff_t *diff)
{
    if (!live)
        return true;
    if (is_job(kind))
        return false;    /* a Job runs once per version, it is never updated */
    return diff && diff->n_hunks > 0;
}

const char *apply_object_summary(const char *kind, const cJSON *live, const textdiff_t *diff,
                                 char *buf, size_t len)
{
    if (live && is_job(kind)) {
        const char *msg, *state = apply_job_state(live, &msg);
        snprintf(buf, len, "%s", state && !strcmp(state, "Complete") ? "exists, completed (not run again)"
                                 : state ? "exists, failed" : "exists, running");
    } else if (!live) {
        snprintf(buf, len, "will be created");
    } else if (apply_object_changed(kind, live, diff)) {
        snprintf(buf, len, "will be updated (+%zu -%zu)", diff->added, diff->removed);
    } else {
        snprintf(buf, len, "unchanged");
    }
    return buf;
}

/* ---- rollout status (kubectl's rollout status for Deployments) ---- */

apply_rollout_t apply_rollout_status(const cJSON *dep, char *msg, size_t len, char *brief,
                                     size_t brief_len)
{
    const cJSON *meta = jget(dep, "metadata"), *spec = jget(dep, "spec"), *st = jget(dep, "status");
    const char *name = jstr(meta, "name") ? jstr(meta, "name") : "?";
    char b[300];
    apply_rollout_t r = APPLY_ROLLOUT_PROGRESSING;
    bool waiting = true;   /* msg = "Waiting for deployment ... rollout to finish: " + b */
    const cJSON *cond;
    if (jlong(meta, "generation", 0) > jlong(st, "observedGeneration", 0)) {
        snprintf(msg, len, "Waiting for deployment spec update to be observed...");
        if (brief)
            snprintf(brief, brief_len, "waiting for the spec update to be observed...");
        return r;
    }
    cJSON_ArrayForEach(cond, jget(st, "conditions")) {
        const char *type = jstr(cond, "type"), *reason = jstr(cond, "reason");
        if (type && reason && !strcmp(type, "Progressing") && !strcmp(reason, "ProgressDeadlineExceeded")) {
            snprintf(b, sizeof b, "exceeded its progress deadline");
            waiting = false;
            r = APPLY_ROLLOUT_FAILED;
            break;
        }
    }
    if (r != APPLY_ROLLOUT_FAILED) {
        long want = jlong(spec, "replicas", 1), updated = jlong(st, "updatedReplicas", 0),
             replicas = jlong(st, "replicas", 0), available = jlong(st, "availableReplicas", 0);
        if (updated < want)
            snprintf(b, sizeof b, "%ld out of %ld new replicas have been updated...", updated, want);
        else if (replicas > updated)
            snprintf(b, sizeof b, "%ld old replicas are pending termination...", replicas - updated);
        else if (available < updated)
            snprintf(b, sizeof b, "%ld of %ld updated replicas are available...", available, updated);
        else {
            snprintf(b, sizeof b, "successfully rolled out");
            waiting = false;
            r = APPLY_ROLLOUT_DONE;
        }
    }
    if (waiting)
        snprintf(msg, len, "Waiting for deployment \"%s\" rollout to finish: %s", name, b);
    else
        snprintf(msg, len, "deployment \"%s\" %s", name, b);
    if (brief)
        snprintf(brief, brief_len, "%s", b);
    return r;
}

/* ---- 422 causes ---- */

/* Copies a container-relative API path into the descriptor's spelling: env valueFrom is flat in
 * the descriptor (env[1].secretKeyRef.key), and map keys in brackets ("requests[cpu]") become
 * plain keys. */
static void container_tail(const char *tail, char *out, size_t len)
{
    size_t o = 0;
    while (*tail && o + 1 < len) {
        if (!strncmp(tail, ".valueFrom", 10) && (tail[10] == '.' || !tail[10])) {
            tail += 10;
            continue;
        }
        if (*tail == '[' && !isdigit((unsigned char)tail[1])) {
            const char *end = strchr(tail, ']');
            if (end) {
                int n = snprintf(out + o, len - o, ".%.*s", (int)(end - tail - 1), tail + 1);
                o = n > 0 && (size_t)n < len - o ? o + (size_t)n : len - 1;
                tail = end + 1;
                continue;
            }
        }
        out[o++] = *tail++;
    }
    out[o] = '\0';
}

/* field == prefix, or prefix followed by '.' or '['. */
static const char *after(const char *field, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(field, prefix, n))
        return NULL;
    if (field[n] && field[n] != '.' && field[n] != '[')
        return NULL;
    return field + n;
}

/* "[3]..." → index 3 and the rest; false when field does not start with an index. */
static bool index_of(const char *s, long *idx, const char **rest)
{
    if (*s != '[' || !isdigit((unsigned char)s[1]))
        return false;
    char *end;
    *idx = strtol(s + 1, &end, 10);
    if (*end != ']')
        return false;
    *rest = end + 1;
    return true;
}

typedef struct { const char *api, *desc; } field_map_t;

static bool map_table(const field_map_t *t, size_t n, const char *field, char *buf, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (after(field, t[i].api)) {
            snprintf(buf, len, "%s", t[i].desc);
            return true;
        }
    }
    return false;
}

static bool map_containers(const char *field, const char *base, const char *prefix, char *buf, size_t len)
{
    const char *rest = after(field, base), *tail;
    long idx;
    if (!rest || !index_of(rest, &idx, &tail)) {
        if (rest) {
            snprintf(buf, len, "%s", prefix[0] ? prefix : "containers");
            return true;
        }
        return false;
    }
    char t[300];
    container_tail(tail, t, sizeof t);
    if (prefix[0])   /* the migration Job: one container, the section itself */
        snprintf(buf, len, "%s%s", prefix, t);
    else
        snprintf(buf, len, "containers[%ld]%s", idx, t);
    return true;
}

bool apply_cause_path(const char *kind, const char *field, char *buf, size_t len)
{
    static const field_map_t common[] = {
        { "metadata.name", "name" }, { "metadata.namespace", "namespace" },
    };
    static const field_map_t deployment[] = {
        { "spec.replicas", "replicas" }, { "metadata.labels", "labels" },
        { "spec.template.metadata.labels", "labels" },
    };
    static const field_map_t service[] = {
        { "spec.ports[0].port", "service.port" }, { "spec.ports[0].targetPort", "service.targetPort" },
        { "spec.ports[0].name", "service.portName" }, { "spec.ports", "service.port" },
        { "spec.type", "service.type" },
    };
    static const field_map_t ingress[] = {
        { "spec.rules[0].host", "ingress.host" }, { "spec.tls[0].hosts", "ingress.host" },
        { "spec.rules[0].http.paths[0].pathType", "ingress.pathType" },
        { "spec.rules[0].http.paths[0].path", "ingress.path" },
        { "spec.tls[0].secretName", "ingress.tlsSecret" },
        { "spec.ingressClassName", "ingress.ingressClassName" },
        { "metadata.annotations", "ingress.annotations" },
    };
    static const field_map_t hpa[] = {
        { "spec.minReplicas", "autoscaler.minReplicas" }, { "spec.maxReplicas", "autoscaler.maxReplicas" },
        { "spec.metrics", "autoscaler.targetCPUUtilizationPercentage" },
    };
    static const field_map_t job[] = {
        { "spec.backoffLimit", "migration.backoffLimit" },
        { "spec.activeDeadlineSeconds", "migration.timeoutSeconds" },
        { "metadata.name", "version" },   /* <app>-migrate-<version>: the version is what varies */
    };
#define MAP(t) map_table(t, sizeof t / sizeof t[0], field, buf, len)
    if (len)
        buf[0] = '\0';
    if (!kind || !field || !*field)
        return false;
    bool ok = false;
    if (!strcmp(kind, "Deployment"))
        ok = map_containers(field, "spec.template.spec.containers", "", buf, len) || MAP(deployment);
    else if (!strcmp(kind, "Service"))
        ok = MAP(service);
    else if (!strcmp(kind, "Ingress"))
        ok = MAP(ingress);
    else if (!strcmp(kind, "HorizontalPodAutoscaler"))
        ok = MAP(hpa);
    else if (!strcmp(kind, "Job"))
        ok = map_containers(field, "spec.template.spec.containers", "migration", buf, len) || MAP(job);
    if (!ok)
        ok = MAP(common);
#undef MAP
    if (!ok && len)
        buf[0] = '\0';
    return ok;
}

/* A server's text with control characters replaced: a hostile server must not be able to put
 * escape sequences on the operator's terminal through an error message. */
static const char *clean(const char *s, char *buf, size_t len)
{
    size_t j = 0;
    for (; s && *s && j + 1 < len; s++)
        buf[j++] = ((unsigned char)*s < 32 || *s == 127) ? ' ' : *s;
    if (len)
        buf[j] = '\0';
    return buf;
}

size_t apply_status_causes(const char *kind, const char *status_body, size_t len, desc_problems_t *out)
{
    cJSON *st = status_body ? cJSON_ParseWithLength(status_body, len) : NULL;
    size_t added = 0;
    const cJSON *cause;
    cJSON_ArrayForEach(cause, jget(jget(st, "details"), "causes")) {
        char path[300], mbuf[1000], fbuf[300];
        const char *field = jstr(cause, "field") ? clean(jstr(cause, "field"), fbuf, sizeof fbuf) : NULL;
        const char *msg = jstr(cause, "message") ? clean(jstr(cause, "message"), mbuf, sizeof mbuf) : NULL;
        if (apply_cause_path(kind, field, path, sizeof path))
            desc_problems_add(out, path, "%s", msg ? msg : "invalid");
        else if (field && *field)
            desc_problems_add(out, "", "%s %s: %s", kind ? kind : "object", field, msg ? msg : "invalid");
        else
            desc_problems_add(out, "", "%s: %s", kind ? kind : "object", msg ? msg : "invalid");
        added++;
    }
    if (!added) {
        char mbuf[1000];
        const char *msg = jstr(st, "message") ? clean(jstr(st, "message"), mbuf, sizeof mbuf) : NULL;
        desc_problems_add(out, "", "%s: %s", kind ? kind : "object", msg ? msg : "rejected as invalid");
        added = 1;
    }
    cJSON_Delete(st);
    return added;
}

/* ---- 409 ---- */

const char *apply_conflict_text(const char *kind, const char *ns, const char *name, const cJSON *read,
                                char *buf, size_t len)
{
    char rvbuf[80];
    const char *rv = jstr(jget(read, "metadata"), "resourceVersion");
    rv = rv ? clean(rv, rvbuf, sizeof rvbuf) : NULL;
    snprintf(buf, len, "conflict: %s %s/%s was changed on the server after kdeck read it "
             "(resourceVersion %s); nothing of it was overwritten.", kind, ns, name, rv ? rv : "?");
    return buf;
}

textdiff_t *apply_conflict_diff(const cJSON *read, const cJSON *now, const cJSON *desired)
{
    cJSON *before = textdiff_live_prepare(read, desired), *after_ = textdiff_live_prepare(now, desired);
    char *t1 = before ? textdiff_yaml(before) : NULL, *t2 = after_ ? textdiff_yaml(after_) : NULL;
    textdiff_t *d = t1 && t2 ? textdiff_new(t1, strlen(t1), t2, strlen(t2), 3) : NULL;
    free(t1);
    free(t2);
    cJSON_Delete(before);
    cJSON_Delete(after_);
    return d;
}

/* descriptor_objects: descriptor → the Kubernetes objects kubectl would send, and live objects →
 * descriptor ("descriptor get"). Keys are emitted in the API's own (Go struct) order and label
 * maps sorted, as the API server returns them, so a desired-vs-live diff lines up. */
#include "kdeck/descriptor.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small cJSON helpers ------------------------------------------------------------------ */

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

static void add_int(cJSON *o, const char *k, int v)
{
    if (v != DESC_UNSET)
        cJSON_AddNumberToObject(o, k, v);
}

static void add_intstr(cJSON *o, const char *k, const desc_intstr_t *v)
{
    if (v->str)
        cJSON_AddStringToObject(o, k, v->str);
    else
        add_int(o, k, v->num);
}

static void add_strv(cJSON *o, const char *k, const desc_strv_t *v)
{
    if (!v->n)
        return;
    cJSON *a = cJSON_AddArrayToObject(o, k);
    for (size_t i = 0; a && i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const desc_kv_t *)a)->key, ((const desc_kv_t *)b)->key);
}

/* A label set: ours first so extra labels cannot override app/slot/version/managed-by. */
typedef struct labels { desc_kv_t v[64]; size_t n; } labels_t;

static void labels_set(labels_t *l, const char *k, const char *v)
{
    if (!k || !v)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].key, k))
            return;
    if (l->n < sizeof l->v / sizeof l->v[0]) {
        l->v[l->n].key = (char *)k;
        l->v[l->n].value = (char *)v;
        l->n++;
    }
}

/* Go encodes map[string]string with sorted keys; so do we. */
static cJSON *labels_json(labels_t *l)
{
    qsort(l->v, l->n, sizeof l->v[0], kv_cmp);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < l->n; i++)
        cJSON_AddStringToObject(o, l->v[i].key, l->v[i].value);
    return o;
}

static cJSON *new_object(const char *api_version, const char *kind)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "apiVersion", api_version);
    add_str(o, "kind", kind);
    return o;
}

static cJSON *add_metadata(cJSON *o, const descriptor_t *d, const char *name, labels_t *l)
{
    cJSON *m = cJSON_AddObjectToObject(o, "metadata");
    add_str(m, "name", name);
    add_str(m, "namespace", d->namespace_);
    labels_set(l, DESC_MANAGED_BY_KEY, DESC_MANAGED_BY);
    cJSON_AddItemToObject(m, "labels", labels_json(l));
    return m;
}

/* Without a generated name the object is useless; building then fails as on ENOMEM. */
static char *join(const char *a, const char *sep, const char *b)
{
    size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, sep, b);
    return s;
}

static char *deployment_name(const descriptor_t *d, const char *slot)
{
    return slot ? join(d->name, "-", slot) : strdup(d->name);
}

/* ---- containers ---------------------------------------------------------------------------- */

static cJSON *env_json(const desc_env_t *env, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        const desc_env_t *e = &env[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        add_str(o, "name", e->name);
        add_str(o, "value", e->value);
        if (e->secret_key_ref || e->config_map_key_ref) {
            cJSON *vf = cJSON_AddObjectToObject(o, "valueFrom");
            const desc_keyref_t *r = e->config_map_key_ref ? e->config_map_key_ref : e->secret_key_ref;
            cJSON *ref = cJSON_AddObjectToObject(vf, e->config_map_key_ref ? "configMapKeyRef"
                                                                           : "secretKeyRef");
            add_str(ref, "name", r->name);
            add_str(ref, "key", r->key);
        }
    }
    return a;
}

static void add_reslist(cJSON *o, const char *k, const desc_reslist_t *r)
{
    if (!r)
        return;
    cJSON *l = cJSON_AddObjectToObject(o, k);
    add_str(l, "cpu", r->cpu);
    add_str(l, "memory", r->memory);
}

static void add_probe(cJSON *o, const char *k, const desc_probe_t *p)
{
    if (!p)
        return;
    cJSON *j = cJSON_AddObjectToObject(o, k);
    if (p->exec)
        add_strv(cJSON_AddObjectToObject(j, "exec"), "command", &p->exec->command);
    if (p->http_get) {
        cJSON *h = cJSON_AddObjectToObject(j, "httpGet");
        add_str(h, "path", p->http_get->path);
        add_intstr(h, "port", &p->http_get->port);
        add_str(h, "scheme", p->http_get->scheme);
    }
    if (p->tcp_socket)
        add_intstr(cJSON_AddObjectToObject(j, "tcpSocket"), "port", &p->tcp_socket->port);
    add_int(j, "initialDelaySeconds", p->initial_delay_seconds);
    add_int(j, "timeoutSeconds", p->timeout_seconds);
    add_int(j, "periodSeconds", p->period_seconds);
    add_int(j, "successThreshold", p->success_threshold);
    add_int(j, "failureThreshold", p->failure_threshold);
}

static cJSON *container_json(const desc_container_t *c)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "name", c->name);
    add_str(o, "image", c->image);
    add_strv(o, "command", &c->command);
    add_strv(o, "args", &c->args);
    if (c->n_ports) {
        cJSON *ports = cJSON_AddArrayToObject(o, "ports");
        for (size_t i = 0; i < c->n_ports; i++) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddItemToArray(ports, p);
            add_str(p, "name", c->ports[i].name);
            add_int(p, "containerPort", c->ports[i].container_port);
            add_str(p, "protocol", c->ports[i].protocol);
        }
    }
    if (c->n_env)
        cJSON_AddItemToObject(o, "env", env_json(c->env, c->n_env));
    if (c->resources) {
        cJSON *r = cJSON_AddObjectToObject(o, "resources");
        add_reslist(r, "limits", c->resources->limits);
        add_reslist(r, "requests", c->resources->requests);
    }
    add_probe(o, "livenessProbe", c->liveness_probe);
    add_probe(o, "readinessProbe", c->readiness_probe);
    return o;
}

/* ---- descriptor → objects -------------------------------------------------------------------- */

/* The sections no Kubernetes object carries, as compact JSON for DESC_ANNOTATION; NULL if none. */
static char *settings_annotation(const descriptor_t *d)
{
    if (!d->health_check && !d->migration && !d->rollout)
        return NULL;
    cJSON *all = descriptor_to_json(d), *keep = cJSON_CreateObject();
    static const char *const keys[] = {"healthCheck", "migration", "rollout"};
    for (size_t i = 0; all && keep && i < sizeof keys / sizeof keys[0]; i++) {
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(all, keys[i]);
        if (v)
            cJSON_AddItemToObject(keep, keys[i], v);
    }
    char *s = keep ? cJSON_PrintUnformatted(keep) : NULL;
    cJSON_Delete(all);
    cJSON_Delete(keep);
    return s;
}

static bool buildable(const descriptor_t *d)
{
    return d && d->name && d->namespace_;
}

cJSON *descriptor_deployment(const descriptor_t *d, const char *slot)
{
    if (!buildable(d))
        return NULL;
    char *name = deployment_name(d, slot);
    cJSON *o = new_object("apps/v1", "Deployment");
    if (!name || !o)
        goto fail;
    labels_t l = {.n = 0};
    labels_set(&l, "app", d->name);
    labels_set(&l, "slot", slot);
    labels_set(&l, "version", d->version);
    for (size_t i = 0; i < d->labels.n; i++)
        labels_set(&l, d->labels.v[i].key, d->labels.v[i].value);
    cJSON *meta = add_metadata(o, d, name, &l);
    char *settings = settings_annotation(d);
    if (settings) {
        cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
        cJSON_AddStringToObject(ann, DESC_ANNOTATION, settings);
        free(settings);
    }

    cJSON *spec = cJSON_AddObjectToObject(o, "spec");
    add_int(spec, "replicas", d->replicas);
    labels_t sel = {.n = 0};
    labels_set(&sel, "app", d->name);
    labels_set(&sel, "slot", slot);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(spec, "selector"), "matchLabels", labels_json(&sel));
    cJSON *tmpl = cJSON_AddObjectToObject(spec, "template");
    /* Pods carry the version only in blue/green, where the selector is app+slot; a rolling
     * Deployment keeps its pod labels stable across versions. */
    labels_t pl = sel;
    if (slot)
        labels_set(&pl, "version", d->version);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(tmpl, "metadata"), "labels", labels_json(&pl));
    cJSON *containers = cJSON_AddArrayToObject(cJSON_AddObjectToObject(tmpl, "spec"), "containers");
    for (size_t i = 0; containers && i < d->n_containers; i++)
        cJSON_AddItemToArray(containers, container_json(&d->containers[i]));
    free(name);
    return o;
fail:
    free(name);
    cJSON_Delete(o);
    return NULL;
}

cJSON *descriptor_service(const descriptor_t *d, const char *active_slot)
{
    if (!buildable(d) || !d->service)
        return NULL;
    const desc_service_t *s = d->service;
    cJSON *o = new_object("v1", "Service");
    if (!o)
        return NULL;
    labels_t l = {.n = 0};
    labels_set(&l, "app", d->name);
    add_metadata(o, d, d->name, &l);
    cJSON *spec = cJSON_AddObjectToObject(o, "spec");
    cJSON *port = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "ports"), port);
    add_str(port, "name", s->port_name);
    add_int(port, "port", s->port);
    if (s->target_port.str || s->target_port.num != DESC_UNSET)
        add_intstr(port, "targetPort", &s->target_port);
    else if (d->n_containers && d->containers[0].n_ports)
        add_int(port, "targetPort", d->containers[0].ports[0].container_port);
    labels_t sel = {.n = 0};
    labels_set(&sel, "app", d->name);
    labels_set(&sel, "slot", active_slot);
    cJSON_AddItemToObject(spec, "selector", labels_json(&sel));
    add_str(spec, "type", s->type);
    return o;
}

cJSON *descriptor_ingress(const descriptor_t *d)
{
    if (!buildable(d) || !d->ingress || !d->service)
        return NULL;
    const desc_ingress_t *in = d->ingress;
    cJSON *o = new_object("networking.k8s.io/v1", "Ingress");
    if (!o)
        return NULL;
    labels_t l = {.n = 0};
    labels_set(&l, "app", d->name);
    cJSON *meta = add_metadata(o, d, d->name, &l);
    if (in->annotations.n) {
        labels_t a = {.n = 0};
        for (size_t i = 0; i < in->annotations.n; i++)
            labels_set(&a, in->annotations.v[i].key, in->annotations.v[i].value);
        cJSON_AddItemToObject(meta, "annotations", labels_json(&a));
    }
    cJSON *spec = cJSON_AddObjectToObject(o, "spec");
    add_str(spec, "ingressClassName", in->ingress_class_name);
    if (in->tls_secret) {
        cJSON *tls = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "tls"), tls);
        if (in->host)
            cJSON_AddItemToArray(cJSON_AddArrayToObject(tls, "hosts"), cJSON_CreateString(in->host));
        add_str(tls, "secretName", in->tls_secret);
    }
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "rules"), rule);
    add_str(rule, "host", in->host);
    cJSON *path = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(rule, "http"), "paths"), path);
    add_str(path, "path", in->path ? in->path : "/");
    add_str(path, "pathType", in->path_type ? in->path_type : "Prefix");
    cJSON *svc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(path, "backend"), "service");
    add_str(svc, "name", d->name);
    add_int(cJSON_AddObjectToObject(svc, "port"), "number", d->service->port);
    return o;
}

cJSON *descriptor_hpa(const descriptor_t *d, const char *slot)
{
    if (!buildable(d) || !d->autoscaler)
        return NULL;
    const desc_autoscaler_t *a = d->autoscaler;
    char *target = deployment_name(d, slot);
    cJSON *o = new_object("autoscaling/v2", "HorizontalPodAutoscaler");
    if (!target || !o) {
        free(target);
        cJSON_Delete(o);
        return NULL;
    }
    labels_t l = {.n = 0};
    labels_set(&l, "app", d->name);
    add_metadata(o, d, d->name, &l);
    cJSON *spec = cJSON_AddObjectToObject(o, "spec");
    cJSON *ref = cJSON_AddObjectToObject(spec, "scaleTargetRef");
    add_str(ref, "kind", "Deployment");
    add_str(ref, "name", target);
    add_str(ref, "apiVersion", "apps/v1");
    add_int(spec, "minReplicas", a->min_replicas);
    add_int(spec, "maxReplicas", a->max_replicas);
    if (a->target_cpu_utilization_percentage != DESC_UNSET) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "metrics"), m);
        add_str(m, "type", "Resource");
        cJSON *r = cJSON_AddObjectToObject(m, "resource");
        add_str(r, "name", "cpu");
        cJSON *t = cJSON_AddObjectToObject(r, "target");
        add_str(t, "type", "Utilization");
        add_int(t, "averageUtilization", a->target_cpu_utilization_percentage);
    }
    free(target);
    return o;
}

void descriptor_job_name_buf(const char *app, const char *version, char *buf, size_t len)
{
    if (!len)
        return;
    /* DNS-1123 label: the name is also the pods' job-name label value and their hostname prefix. */
    size_t o = 0, max = len - 1 < 63 ? len - 1 : 63;
    const char *parts[3] = { app ? app : "", "-migrate-", version ? version : "" };
    for (int p = 0; p < 3; p++)
        for (const char *r = parts[p]; *r && o < max; r++) {
            char c = (char)tolower((unsigned char)*r);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                c = '-';
            if (c == '-' && (o == 0 || buf[o - 1] == '-'))
                continue;
            buf[o++] = c;
        }
    while (o > 0 && buf[o - 1] == '-')
        o--;
    buf[o] = '\0';
}

char *descriptor_job_name(const descriptor_t *d)
{
    if (!d || !d->name)
        return NULL;
    char buf[64];
    descriptor_job_name_buf(d->name, d->version, buf, sizeof buf);
    return strdup(buf);
}

cJSON *descriptor_migration_job(const descriptor_t *d)
{
    if (!buildable(d) || !d->migration)
        return NULL;
    const desc_migration_t *m = d->migration;
    char *name = descriptor_job_name(d);
    cJSON *o = new_object("batch/v1", "Job");
    if (!name || !o) {
        free(name);
        cJSON_Delete(o);
        return NULL;
    }
    /* Not app=<app>: the Service selects that label, and a running migration pod (no readiness
     * probe, so Ready at once) would receive traffic. */
    labels_t l = {.n = 0};
    labels_set(&l, "app.kubernetes.io/name", d->name);
    labels_set(&l, "app.kubernetes.io/component", "migration");
    labels_set(&l, "version", d->version);
    add_metadata(o, d, name, &l);
    cJSON *spec = cJSON_AddObjectToObject(o, "spec");
    add_int(spec, "activeDeadlineSeconds", m->timeout_seconds);
    /* A half-applied migration retried blindly can do harm: no retries unless asked. */
    cJSON_AddNumberToObject(spec, "backoffLimit", m->backoff_limit != DESC_UNSET ? m->backoff_limit : 0);
    cJSON *tmpl = cJSON_AddObjectToObject(spec, "template");
    labels_t pl = {.n = 0};
    labels_set(&pl, "app.kubernetes.io/name", d->name);
    labels_set(&pl, "app.kubernetes.io/component", "migration");
    labels_set(&pl, "version", d->version);
    labels_set(&pl, DESC_MANAGED_BY_KEY, DESC_MANAGED_BY);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(tmpl, "metadata"), "labels", labels_json(&pl));
    cJSON *ps = cJSON_AddObjectToObject(tmpl, "spec");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(ps, "containers"), c);
    add_str(c, "name", "migrate");
    add_str(c, "image", m->image);
    add_strv(c, "command", &m->command);
    add_strv(c, "args", &m->args);
    if (m->n_env)
        cJSON_AddItemToObject(c, "env", env_json(m->env, m->n_env));
    add_str(ps, "restartPolicy", "Never");
    free(name);
    return o;
}

cJSON *descriptor_objects(const descriptor_t *d, const char *slot)
{
    if (!buildable(d))
        return NULL;
    cJSON *list = new_object("v1", "List");
    cJSON *items = cJSON_AddArrayToObject(list, "items");
    if (!items) {
        cJSON_Delete(list);
        return NULL;
    }
    cJSON *objs[] = {
        descriptor_migration_job(d), descriptor_deployment(d, slot), descriptor_service(d, slot),
        descriptor_ingress(d), descriptor_hpa(d, slot),
    };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
        if (objs[i])
            cJSON_AddItemToArray(items, objs[i]);
    return list;
}

/* ---- live objects → descriptor --------------------------------------------------------------- */

static const cJSON *jget(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble <= (double)INT_MIN || v->valuedouble > (double)INT_MAX)
        return DESC_UNSET;
    return (int)v->valuedouble;
}

/* Values equal to the API server's default are left out, so a descriptor taken from a live
 * cluster reads like one written by hand. */
static int jint_nondefault(const cJSON *o, const char *k, int def)
{
    int v = jint(o, k);
    return v == def ? DESC_UNSET : v;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *jstr_nondefault(const cJSON *o, const char *k, const char *def)
{
    const char *s = jstr(o, k);
    return s && def && !strcmp(s, def) ? NULL : dup_or_null(s);
}

static void get_intstr(const cJSON *o, const char *k, desc_intstr_t *out)
{
    const cJSON *v = jget(o, k);
    if (cJSON_IsString(v))
        out->str = strdup(v->valuestring);
    else
        out->num = jint(o, k);
}

static void get_strv(const cJSON *o, const char *k, desc_strv_t *out)
{
    const cJSON *a = jget(o, k);
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
    if (n <= 0 || !(out->v = calloc((size_t)n, sizeof *out->v)))
        return;
    for (const cJSON *it = a->child; it; it = it->next)
        if (cJSON_IsString(it))
            out->v[out->n++] = strdup(it->valuestring);
}

static void note_unknown(const cJSON *o, const char *const *known, const char *path,
                         desc_problems_t *notes)
{
    for (const cJSON *it = cJSON_IsObject(o) ? o->child : NULL; it; it = it->next) {
        bool ok = !it->string;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = !strcmp(known[i], it->string);
        if (!ok) {
            char p[256];
            snprintf(p, sizeof p, "%s.%s", path, it->string);
            desc_problems_add(notes, p, "not covered by the descriptor; left out");
        }
    }
}

static void *xcalloc(size_t n, size_t size)
{
    return n ? calloc(n, size) : NULL;
}

static desc_keyref_t *get_keyref(const cJSON *r)
{
    desc_keyref_t *k = calloc(1, sizeof *k);
    if (k) {
        k->name = dup_or_null(jstr(r, "name"));
        k->key = dup_or_null(jstr(r, "key"));
    }
    return k;
}

static void get_env(const cJSON *a, desc_env_t **out, size_t *n, const char *path,
                    desc_problems_t *notes)
{
    int cnt = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
    if (cnt <= 0 || !(*out = xcalloc((size_t)cnt, sizeof **out)))
        return;
    size_t i = 0;
    for (const cJSON *it = a->child; it; it = it->next, i++) {
        const cJSON *vf = jget(it, "valueFrom");
        const cJSON *sk = jget(vf, "secretKeyRef"), *ck = jget(vf, "configMapKeyRef");
        if (vf && !sk && !ck) {
            char p[256];
            snprintf(p, sizeof p, "%s.env[%zu].valueFrom", path, i);
            desc_problems_add(notes, p, "only secretKeyRef and configMapKeyRef are covered; left out");
            continue;
        }
        desc_env_t *e = &(*out)[(*n)++];
        e->name = dup_or_null(jstr(it, "name"));
        e->value = dup_or_null(jstr(it, "value"));
        if (sk)
            e->secret_key_ref = get_keyref(sk);
        else if (ck)
            e->config_map_key_ref = get_keyref(ck);
    }
}

static desc_reslist_t *get_reslist(const cJSON *o)
{
    if (!cJSON_IsObject(o))
        return NULL;
    desc_reslist_t *r = calloc(1, sizeof *r);
    if (r) {
        r->cpu = dup_or_null(jstr(o, "cpu"));
        r->memory = dup_or_null(jstr(o, "memory"));
    }
    return r;
}

static desc_probe_t *get_probe(const cJSON *o)
{
    if (!cJSON_IsObject(o))
        return NULL;
    desc_probe_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    const cJSON *h;
    if ((h = jget(o, "httpGet")) && (p->http_get = calloc(1, sizeof *p->http_get))) {
        p->http_get->path = dup_or_null(jstr(h, "path"));
        get_intstr(h, "port", &p->http_get->port);
        p->http_get->scheme = jstr_nondefault(h, "scheme", "HTTP");
    }
    if ((h = jget(o, "tcpSocket")) && (p->tcp_socket = calloc(1, sizeof *p->tcp_socket)))
        get_intstr(h, "port", &p->tcp_socket->port);
    if ((h = jget(o, "exec")) && (p->exec = calloc(1, sizeof *p->exec)))
        get_strv(h, "command", &p->exec->command);
    p->initial_delay_seconds = jint_nondefault(o, "initialDelaySeconds", 0);
    p->timeout_seconds = jint_nondefault(o, "timeoutSeconds", 1);
    p->period_seconds = jint_nondefault(o, "periodSeconds", 10);
    p->success_threshold = jint_nondefault(o, "successThreshold", 1);
    p->failure_threshold = jint_nondefault(o, "failureThreshold", 3);
    return p;
}

/* Fields the descriptor covers, or that the API server fills in by default. */
static const char *const container_known[] = {
    "name", "image", "command", "args", "ports", "env", "resources", "livenessProbe",
    "readinessProbe", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", NULL};
static const char *const podspec_known[] = {
    "containers", "restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy", "schedulerName",
    "securityContext", NULL};

static void get_container(const cJSON *c, desc_container_t *out, const char *path,
                          desc_problems_t *notes)
{
    note_unknown(c, container_known, path, notes);
    out->name = dup_or_null(jstr(c, "name"));
    out->image = dup_or_null(jstr(c, "image"));
    get_strv(c, "command", &out->command);
    get_strv(c, "args", &out->args);
    const cJSON *ports = jget(c, "ports");
    int np = cJSON_IsArray(ports) ? cJSON_GetArraySize(ports) : 0;
    if (np > 0 && (out->ports = calloc((size_t)np, sizeof *out->ports)))
        for (const cJSON *it = ports->child; it; it = it->next) {
            desc_port_t *p = &out->ports[out->n_ports++];
            p->name = dup_or_null(jstr(it, "name"));
            p->container_port = jint(it, "containerPort");
            p->protocol = jstr_nondefault(it, "protocol", "TCP");
        }
    get_env(jget(c, "env"), &out->env, &out->n_env, path, notes);
    const cJSON *r = jget(c, "resources");
    if (cJSON_IsObject(r) && r->child && (out->resources = calloc(1, sizeof *out->resources))) {
        out->resources->requests = get_reslist(jget(r, "requests"));
        out->resources->limits = get_reslist(jget(r, "limits"));
    }
    out->readiness_probe = get_probe(jget(c, "readinessProbe"));
    out->liveness_probe = get_probe(jget(c, "livenessProbe"));
}

/* The image tag, when no version label says better: "registry:5000/app/back:1.2@sha256:…" → 1.2. */
static char *image_tag(const char *image)
{
    if (!image)
        return NULL;
    const char *end = strchr(image, '@');
    size_t n = end ? (size_t)(end - image) : strlen(image);
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (image[i] == '/')
            slash = image + i;
    const char *colon = memchr(slash ? slash : image, ':', n - (size_t)((slash ? slash : image) - image));
    if (!colon)
        return NULL;
    size_t len = n - (size_t)(colon + 1 - image);
    char *t = malloc(len + 1);
    if (t) {
        memcpy(t, colon + 1, len);
        t[len] = '\0';
    }
    return t;
}

static void get_settings(descriptor_t *d, const char *json, desc_problems_t *notes)
{
    desc_problems_t errs = {0};
    char *wrapped = NULL;
    size_t n = strlen(json) + 64;
    if (!(wrapped = malloc(n)))
        return;
    /* Parsed as a partial descriptor so the same checks apply. */
    snprintf(wrapped, n, "{\"settings\":%s}", json);
    cJSON *j = cJSON_Parse(wrapped);
    free(wrapped);
    cJSON *inner = j ? cJSON_DetachItemFromObject(j, "settings") : NULL;
    cJSON_Delete(j);
    char *text = cJSON_IsObject(inner) ? cJSON_PrintUnformatted(inner) : NULL;
    cJSON_Delete(inner);
    descriptor_t *part = text ? descriptor_parse(text, strlen(text), &errs) : NULL;
    free(text);
    if (!part) {
        desc_problems_add(notes, "metadata.annotations." DESC_ANNOTATION, "unreadable; left out");
    } else {
        d->health_check = part->health_check;
        d->migration = part->migration;
        d->rollout = part->rollout;
        part->health_check = NULL;
        part->migration = NULL;
        part->rollout = NULL;
        descriptor_free(part);
    }
    desc_problems_free(&errs);
}

static void get_service(descriptor_t *d, const cJSON *svc, desc_problems_t *notes)
{
    const cJSON *spec = jget(svc, "spec");
    const cJSON *ports = jget(spec, "ports");
    const cJSON *p = cJSON_IsArray(ports) ? ports->child : NULL;
    if (!p || !(d->service = calloc(1, sizeof *d->service)))
        return;
    if (p->next)
        desc_problems_add(notes, "service.spec.ports[1]", "only the first service port is covered");
    d->service->port_name = dup_or_null(jstr(p, "name"));
    d->service->port = jint(p, "port");
    d->service->target_port.num = DESC_UNSET;
    get_intstr(p, "targetPort", &d->service->target_port);
    d->service->type = jstr_nondefault(spec, "type", "ClusterIP");
    const char *app = jstr(jget(spec, "selector"), "app");
    if (!app || !d->name || strcmp(app, d->name))
        desc_problems_add(notes, "service.spec.selector", "does not select app=%s",
                          d->name ? d->name : "");
}

static void get_ingress(descriptor_t *d, const cJSON *ing, const char *service,
                        desc_problems_t *notes)
{
    const cJSON *spec = jget(ing, "spec");
    const cJSON *rules = jget(spec, "rules");
    for (const cJSON *r = cJSON_IsArray(rules) ? rules->child : NULL; r; r = r->next) {
        const cJSON *paths = jget(jget(r, "http"), "paths");
        for (const cJSON *p = cJSON_IsArray(paths) ? paths->child : NULL; p; p = p->next) {
            const char *svc = jstr(jget(jget(p, "backend"), "service"), "name");
            if (!svc || !service || strcmp(svc, service))
                continue;
            desc_ingress_t *in = calloc(1, sizeof *in);
            if (!in)
                return;
            d->ingress = in;
            in->host = dup_or_null(jstr(r, "host"));
            const char *path = jstr(p, "path");
            in->path = path && strcmp(path, "/") ? strdup(path) : NULL;
            in->path_type = jstr_nondefault(p, "pathType", "Prefix");
            in->ingress_class_name = dup_or_null(jstr(spec, "ingressClassName"));
            const cJSON *tls = jget(spec, "tls");
            for (const cJSON *t = cJSON_IsArray(tls) ? tls->child : NULL; t && in->host; t = t->next) {
                const cJSON *hosts = jget(t, "hosts");
                for (const cJSON *h = cJSON_IsArray(hosts) ? hosts->child : NULL; h; h = h->next)
                    if (cJSON_IsString(h) && !strcmp(h->valuestring, in->host) && !in->tls_secret)
                        in->tls_secret = dup_or_null(jstr(t, "secretName"));
            }
            const cJSON *ann = jget(jget(ing, "metadata"), "annotations");
            int n = cJSON_IsObject(ann) ? cJSON_GetArraySize(ann) : 0;
            if (n > 0 && (in->annotations.v = calloc((size_t)n, sizeof *in->annotations.v)))
                for (const cJSON *a = ann->child; a; a = a->next) {
                    if (!cJSON_IsString(a) || !a->string ||
                        !strcmp(a->string, "kubectl.kubernetes.io/last-applied-configuration"))
                        continue;
                    desc_kv_t *kv = &in->annotations.v[in->annotations.n++];
                    kv->key = strdup(a->string);
                    kv->value = strdup(a->valuestring);
                }
            return;
        }
    }
    desc_problems_add(notes, "ingress.spec.rules", "no path routes to service %s",
                      service ? service : "");
}

static void get_hpa(descriptor_t *d, const cJSON *hpa, const char *deployment,
                    desc_problems_t *notes)
{
    const cJSON *spec = jget(hpa, "spec");
    desc_autoscaler_t *a = calloc(1, sizeof *a);
    if (!a)
        return;
    d->autoscaler = a;
    a->min_replicas = jint(spec, "minReplicas");
    a->max_replicas = jint(spec, "maxReplicas");
    a->target_cpu_utilization_percentage = DESC_UNSET;
    const char *target = jstr(jget(spec, "scaleTargetRef"), "name");
    if (!target || !deployment || strcmp(target, deployment))
        desc_problems_add(notes, "hpa.spec.scaleTargetRef.name", "does not name Deployment %s",
                          deployment ? deployment : "");
    const cJSON *metrics = jget(spec, "metrics");
    for (const cJSON *m = cJSON_IsArray(metrics) ? metrics->child : NULL; m; m = m->next) {
        const cJSON *r = jget(m, "resource");
        const char *type = jstr(jget(r, "target"), "type");
        if (jstr(r, "name") && !strcmp(jstr(r, "name"), "cpu") && type && !strcmp(type, "Utilization"))
            a->target_cpu_utilization_percentage = jint(jget(r, "target"), "averageUtilization");
        else
            desc_problems_add(notes, "hpa.spec.metrics", "only a CPU utilization target is covered");
    }
}

descriptor_t *descriptor_from_objects(const cJSON *deployment, const cJSON *service,
                                      const cJSON *ingress, const cJSON *hpa,
                                      desc_problems_t *notes)
{
    const char *kind = jstr(deployment, "kind");
    if (!kind || strcmp(kind, "Deployment")) {
        desc_problems_add(notes, "kind", "must be Deployment");
        return NULL;
    }
    descriptor_t *d = descriptor_new();
    if (!d) {
        desc_problems_add(notes, "", "out of memory");
        return NULL;
    }
    const cJSON *meta = jget(deployment, "metadata");
    const cJSON *labels = jget(meta, "labels");
    const char *dep_name = jstr(meta, "name");
    const char *app = jstr(labels, "app");
    const char *slot = jstr(labels, "slot");
    d->namespace_ = dup_or_null(jstr(meta, "namespace"));
    d->name = dup_or_null(app ? app : dep_name);

    const cJSON *spec = jget(deployment, "spec");
    const cJSON *pod = jget(jget(spec, "template"), "spec");
    d->replicas = jint(spec, "replicas");
    note_unknown(pod, podspec_known, "spec.template.spec", notes);
    const cJSON *cs = jget(pod, "containers");
    int nc = cJSON_IsArray(cs) ? cJSON_GetArraySize(cs) : 0;
    if (nc > 0 && (d->containers = calloc((size_t)nc, sizeof *d->containers))) {
        size_t i = 0;
        for (const cJSON *c = cs->child; c; c = c->next, i++) {
            char path[96];
            snprintf(path, sizeof path, "spec.template.spec.containers[%zu]", i);
            desc_container_t *out = &d->containers[d->n_containers++];
            get_container(c, out, path, notes);
        }
    }

    const char *version = jstr(labels, "version");
    if (!version)
        version = jstr(labels, "app.kubernetes.io/version");
    d->version = version ? strdup(version)
                         : image_tag(d->n_containers ? d->containers[0].image : NULL);

    static const char *const ours[] = {"app", "slot", "version", "app.kubernetes.io/version",
                                       DESC_MANAGED_BY_KEY, NULL};
    int nl = cJSON_IsObject(labels) ? cJSON_GetArraySize(labels) : 0;
    if (nl > 0 && (d->labels.v = calloc((size_t)nl, sizeof *d->labels.v)))
        for (const cJSON *l = labels->child; l; l = l->next) {
            bool skip = !cJSON_IsString(l) || !l->string;
            for (size_t i = 0; ours[i] && !skip; i++)
                skip = !strcmp(ours[i], l->string);
            if (skip)
                continue;
            d->labels.v[d->labels.n].key = strdup(l->string);
            d->labels.v[d->labels.n].value = strdup(l->valuestring);
            d->labels.n++;
        }

    const char *settings = jstr(jget(meta, "annotations"), DESC_ANNOTATION);
    if (settings)
        get_settings(d, settings, notes);
    if (slot && !d->rollout && (d->rollout = calloc(1, sizeof *d->rollout))) {
        d->rollout->ready_timeout_seconds = d->rollout->health_timeout_seconds = DESC_UNSET;
        d->rollout->bake_seconds = d->rollout->scale_down_delay_seconds = DESC_UNSET;
        d->rollout->strategy = strdup("blueGreen");
    }

    if (service)
        get_service(d, service, notes);
    if (ingress)
        get_ingress(d, ingress, service ? jstr(jget(service, "metadata"), "name") : d->name, notes);
    if (hpa)
        get_hpa(d, hpa, dep_name, notes);
    /* A round trip through text drops half-built parts left by ENOMEM and normalises the rest. */
    descriptor_t *clean = descriptor_dup(d);
    descriptor_free(d);
    if (!clean)
        desc_problems_add(notes, "", "could not build a descriptor from these objects");
    return clean;
}

/* descriptor: the kdeck/v1 AppDescriptor model. One field table per struct drives parse, save,
 * free, the generic checks and the JSON Schema, so the four can never disagree. */
#include "kdeck/descriptor.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeck/fileio.h"
#include "kdeck/strutil.h"
#include "kdeck/validate.h"

/* ---- problems ---------------------------------------------------------------------------- */

void desc_problems_add(desc_problems_t *p, const char *path, const char *fmt, ...)
{
    if (!p)
        return;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        desc_problem_t *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return;
        p->v = v;
        p->cap = cap;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *ps = strdup(path ? path : ""), *ms = strdup(msg);
    if (!ps || !ms) {
        free(ps);
        free(ms);
        return;
    }
    p->v[p->n].path = ps;
    p->v[p->n].msg = ms;
    p->n++;
}

const char *desc_problems_find(const desc_problems_t *p, const char *path)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (!strcmp(p->v[i].path, path))
            return p->v[i].msg;
    return NULL;
}

char *desc_problems_format(const desc_problems_t *p)
{
    size_t len = 1;
    for (size_t i = 0; p && i < p->n; i++)
        len += strlen(p->v[i].path) + strlen(p->v[i].msg) + 3;
    char *s = malloc(len), *o = s;
    if (!s)
        return NULL;
    *o = '\0';
    for (size_t i = 0; p && i < p->n; i++)
        o += sprintf(o, "%s%s%s\n", p->v[i].path, *p->v[i].path ? ": " : "", p->v[i].msg);
    return s;
}

void desc_problems_free(desc_problems_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].path);
        free(p->v[i].msg);
    }
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

/* ---- JSON paths: a fixed buffer with push/pop by length ----------------------------------- */

typedef struct jpath { char s[768]; size_t len; } jpath_t;

static size_t path_key(jpath_t *p, const char *key)
{
    size_t old = p->len;
    bool plain = *key != '\0';
    for (const char *c = key; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            plain = false;
    int n = plain ? snprintf(p->s + old, sizeof p->s - old, "%s%s", old ? "." : "", key)
                  : snprintf(p->s + old, sizeof p->s - old, "[\"%s\"]", key);
    p->len = n < 0 ? old : old + (size_t)n >= sizeof p->s ? sizeof p->s - 1 : old + (size_t)n;
    return old;
}

static size_t path_index(jpath_t *p, size_t i)
{
    size_t old = p->len;
    int n = snprintf(p->s + old, sizeof p->s - old, "[%zu]", i);
    p->len = n < 0 ? old : old + (size_t)n >= sizeof p->s ? sizeof p->s - 1 : old + (size_t)n;
    return old;
}

static void path_pop(jpath_t *p, size_t len)
{
    p->len = len;
    p->s[len] = '\0';
}

/* ---- the field table --------------------------------------------------------------------- */

#define FS(T, k, m, ...) {.key = k, .kind = DESC_F_STR, .off = offsetof(T, m), __VA_ARGS__}
#define FI(T, k, m, lo, hi, ...) \
    {.key = k, .kind = DESC_F_INT, .off = offsetof(T, m), .min = lo, .max = hi, __VA_ARGS__}
#define FB(T, k, m, ...) {.key = k, .kind = DESC_F_BOOL, .off = offsetof(T, m), __VA_ARGS__}
#define FN(T, k, m, ...) {.key = k, .kind = DESC_F_NUM, .off = offsetof(T, m), __VA_ARGS__}
#define FIS(T, k, m, ...) {.key = k, .kind = DESC_F_INTSTR, .off = offsetof(T, m), \
                           .min = 1, .max = 65535, .check = validate_port_name, __VA_ARGS__}
#define FV(T, k, m, ...) {.key = k, .kind = DESC_F_STRV, .off = offsetof(T, m), __VA_ARGS__}
#define FM(T, k, m, ...) {.key = k, .kind = DESC_F_MAP, .off = offsetof(T, m), __VA_ARGS__}
#define FO(T, k, m, t, ...) {.key = k, .kind = DESC_F_OBJ, .off = offsetof(T, m), .sub = &t, __VA_ARGS__}
#define FL(T, k, m, t, ...) {.key = k, .kind = DESC_F_LIST, .off = offsetof(T, m), \
                             .count_off = offsetof(T, n_##m), .sub = &t, __VA_ARGS__}
#define TYPE(name_, T, f, ...) {.name = name_, .size = sizeof(T), .fields = f, \
                                .n_fields = sizeof f / sizeof f[0], __VA_ARGS__}
#define ANYINT 0, 0

static const char *const enum_api_version[] = {DESC_API_VERSION, NULL};
static const char *const enum_kind[] = {DESC_KIND, NULL};
static const char *const enum_protocol[] = {"TCP", "UDP", "SCTP", NULL};
static const char *const enum_scheme[] = {"HTTP", "HTTPS", NULL};
static const char *const enum_service_type[] = {"ClusterIP", "NodePort", "LoadBalancer", NULL};
static const char *const enum_path_type[] = {"Prefix", "Exact", "ImplementationSpecific", NULL};
static const char *const enum_strategy[] = {"rolling", "blueGreen", NULL};
static const char *const enum_phase[] = {"pre", "post", NULL};

static const desc_field_t keyref_fields[] = {
    FS(desc_keyref_t, "name", name, .required = true, .check = validate_dns_subdomain,
       .doc = "name of the Secret or ConfigMap in the app's namespace"),
    FS(desc_keyref_t, "key", key, .required = true, .check = validate_config_key,
       .doc = "key inside it"),
};
static const desc_type_t keyref_type = TYPE("keyRef", desc_keyref_t, keyref_fields,
                                            .doc = "a key of a Secret or ConfigMap");

static const char *const env_one_of[] = {"value", "secretKeyRef", "configMapKeyRef", NULL};
static const desc_field_t env_fields[] = {
    FS(desc_env_t, "name", name, .required = true, .check = validate_env_name,
       .doc = "variable name"),
    FS(desc_env_t, "value", value, .doc = "plain value"),
    FO(desc_env_t, "secretKeyRef", secret_key_ref, keyref_type, .doc = "value from a Secret key"),
    FO(desc_env_t, "configMapKeyRef", config_map_key_ref, keyref_type,
       .doc = "value from a ConfigMap key"),
};
static const desc_type_t env_type = TYPE("env", desc_env_t, env_fields, .one_of = env_one_of,
                                         .one_of_min = 0, .one_of_max = 1,
                                         .doc = "an environment variable (at most one source)");

static const desc_field_t port_fields[] = {
    FS(desc_port_t, "name", name, .check = validate_port_name,
       .doc = "port name (IANA service name), referenced by probes and the service"),
    FI(desc_port_t, "containerPort", container_port, 1, 65535, .required = true,
       .doc = "port the container listens on"),
    FS(desc_port_t, "protocol", protocol, .enums = enum_protocol, .doc = "TCP (default), UDP or SCTP"),
};
static const desc_type_t port_type = TYPE("port", desc_port_t, port_fields,
                                          .doc = "a container port");

static const desc_field_t reslist_fields[] = {
    FS(desc_reslist_t, "cpu", cpu, .check = validate_quantity, .doc = "CPU quantity, e.g. 250m or 1.5"),
    FS(desc_reslist_t, "memory", memory, .check = validate_quantity,
       .doc = "memory quantity, e.g. 512Mi or 1G"),
};
static const desc_type_t reslist_type = TYPE("resourceList", desc_reslist_t, reslist_fields,
                                             .doc = "cpu and memory quantities");

static const desc_field_t resources_fields[] = {
    FO(desc_resources_t, "requests", requests, reslist_type, .doc = "what the scheduler reserves"),
    FO(desc_resources_t, "limits", limits, reslist_type, .doc = "the most the container may use"),
};
static const desc_type_t resources_type = TYPE("resources", desc_resources_t, resources_fields,
                                               .doc = "resource requests and limits");

static const desc_field_t http_get_fields[] = {
    FS(desc_http_get_t, "path", path, .required = true, .check = validate_path, .doc = "HTTP path"),
    FIS(desc_http_get_t, "port", port, .required = true, .doc = "port number or container port name"),
    FS(desc_http_get_t, "scheme", scheme, .enums = enum_scheme, .doc = "HTTP (default) or HTTPS"),
};
static const desc_type_t http_get_type = TYPE("httpGet", desc_http_get_t, http_get_fields,
                                              .doc = "an HTTP GET; 200-399 is success");

static const desc_field_t tcp_fields[] = {
    FIS(desc_tcp_socket_t, "port", port, .required = true, .doc = "port number or container port name"),
};
static const desc_type_t tcp_type = TYPE("tcpSocket", desc_tcp_socket_t, tcp_fields,
                                         .doc = "a TCP connect");

static const desc_field_t exec_fields[] = {
    FV(desc_exec_t, "command", command, .required = true, .doc = "command run in the container"),
};
static const desc_type_t exec_type = TYPE("exec", desc_exec_t, exec_fields,
                                          .doc = "a command; exit status 0 is success");

static const char *const probe_one_of[] = {"httpGet", "tcpSocket", "exec", NULL};
static const desc_field_t probe_fields[] = {
    FO(desc_probe_t, "exec", exec, exec_type, .doc = "run a command"),
    FO(desc_probe_t, "httpGet", http_get, http_get_type, .doc = "HTTP GET"),
    FO(desc_probe_t, "tcpSocket", tcp_socket, tcp_type, .doc = "TCP connect"),
    FI(desc_probe_t, "initialDelaySeconds", initial_delay_seconds, 0, INT_MAX,
       .doc = "wait before the first probe (default 0)"),
    FI(desc_probe_t, "timeoutSeconds", timeout_seconds, 1, INT_MAX, .doc = "default 1"),
    FI(desc_probe_t, "periodSeconds", period_seconds, 1, INT_MAX, .doc = "default 10"),
    FI(desc_probe_t, "successThreshold", success_threshold, 1, INT_MAX,
       .doc = "default 1; must be 1 for liveness"),
    FI(desc_probe_t, "failureThreshold", failure_threshold, 1, INT_MAX, .doc = "default 3"),
};
static const desc_type_t probe_type = TYPE("probe", desc_probe_t, probe_fields,
                                           .one_of = probe_one_of, .one_of_min = 1, .one_of_max = 1,
                                           .doc = "a readiness or liveness probe (exactly one handler)");

static const desc_field_t container_fields[] = {
    FS(desc_container_t, "name", name, .required = true, .check = validate_dns_label,
       .doc = "container name (DNS-1123 label)"),
    FS(desc_container_t, "image", image, .required = true, .check = validate_image,
       .doc = "image reference, registry/path:tag[@sha256:digest]"),
    FV(desc_container_t, "command", command, .doc = "entrypoint override"),
    FV(desc_container_t, "args", args, .doc = "arguments"),
    FL(desc_container_t, "ports", ports, port_type, .doc = "ports the container listens on"),
    FL(desc_container_t, "env", env, env_type, .doc = "environment variables"),
    FO(desc_container_t, "resources", resources, resources_type, .doc = "requests and limits"),
    FO(desc_container_t, "livenessProbe", liveness_probe, probe_type,
       .doc = "restart the container when it fails"),
    FO(desc_container_t, "readinessProbe", readiness_probe, probe_type,
       .doc = "send traffic only when it passes"),
};
static const desc_type_t container_type = TYPE("container", desc_container_t, container_fields,
                                               .doc = "a container of the app's pods");

static const desc_field_t health_fields[] = {
    FB(desc_health_check_t, "useHealthCheck", use_health_check,
       .doc = "check every new pod before and after the switch"),
    FS(desc_health_check_t, "path", path, .check = validate_path, .doc = "HTTP path, e.g. /health"),
    FIS(desc_health_check_t, "port", port, .doc = "port number or container port name"),
    FI(desc_health_check_t, "expectedStatus", expected_status, 100, 599, .doc = "default 200"),
    FS(desc_health_check_t, "jsonField", json_field, .check = validate_nonempty,
       .doc = "top-level JSON field of the answer that must be true, e.g. healthy"),
    FI(desc_health_check_t, "timeoutSeconds", timeout_seconds, 1, INT_MAX,
       .doc = "per request (default 5)"),
};
static const desc_type_t health_type = TYPE("healthCheck", desc_health_check_t, health_fields,
                                            .doc = "kdeck's own health check through the pod proxy");

static const desc_field_t service_fields[] = {
    FS(desc_service_t, "portName", port_name, .check = validate_port_name,
       .doc = "name of the service port"),
    FI(desc_service_t, "port", port, 1, 65535, .required = true, .doc = "port the Service exposes"),
    FIS(desc_service_t, "targetPort", target_port,
        .doc = "container port number or name (default: the first container port)"),
    FS(desc_service_t, "type", type, .enums = enum_service_type,
       .doc = "ClusterIP (default), NodePort or LoadBalancer"),
};
static const desc_type_t service_type = TYPE("service", desc_service_t, service_fields,
                                             .doc = "the Service named after the app");

static const desc_field_t ingress_fields[] = {
    FS(desc_ingress_t, "host", host, .required = true, .check = validate_host,
       .doc = "host name, optionally *.domain"),
    FS(desc_ingress_t, "path", path, .check = validate_path, .doc = "path (default /)"),
    FS(desc_ingress_t, "pathType", path_type, .enums = enum_path_type, .doc = "default Prefix"),
    FS(desc_ingress_t, "tlsSecret", tls_secret, .check = validate_dns_subdomain,
       .doc = "Secret with the TLS certificate for host"),
    FS(desc_ingress_t, "ingressClassName", ingress_class_name, .check = validate_dns_subdomain,
       .doc = "ingress class, e.g. traefik"),
    FM(desc_ingress_t, "annotations", annotations, .check_key = validate_label_key,
       .doc = "annotations for the ingress controller"),
};
static const desc_type_t ingress_type = TYPE("ingress", desc_ingress_t, ingress_fields,
                                             .doc = "the Ingress routing host+path to the service");

static const desc_field_t autoscaler_fields[] = {
    FI(desc_autoscaler_t, "minReplicas", min_replicas, 1, INT_MAX, .doc = "default 1"),
    FI(desc_autoscaler_t, "maxReplicas", max_replicas, 1, INT_MAX, .required = true,
       .doc = "upper bound"),
    FI(desc_autoscaler_t, "targetCPUUtilizationPercentage", target_cpu_utilization_percentage, 1,
       INT_MAX, .doc = "average CPU use in percent of the requests (default 80)"),
};
static const desc_type_t autoscaler_type = TYPE("autoscaler", desc_autoscaler_t, autoscaler_fields,
                                                .doc = "a HorizontalPodAutoscaler on CPU");

static const desc_field_t migration_fields[] = {
    FS(desc_migration_t, "image", image, .required = true, .check = validate_image,
       .doc = "image of the migration Job"),
    FV(desc_migration_t, "command", command, .doc = "entrypoint override"),
    FV(desc_migration_t, "args", args, .doc = "arguments"),
    FL(desc_migration_t, "env", env, env_type, .doc = "environment variables"),
    FI(desc_migration_t, "backoffLimit", backoff_limit, 0, INT_MAX, .doc = "retries (default 0)"),
    FI(desc_migration_t, "timeoutSeconds", timeout_seconds, 1, INT_MAX,
       .doc = "the Job's activeDeadlineSeconds"),
};
static const desc_type_t migration_type = TYPE("migration", desc_migration_t, migration_fields,
                                               .doc = "a Job run before the new version starts");

static const char *const threshold_one_of[] = {"max", "min", NULL};
static const desc_field_t threshold_fields[] = {
    FN(desc_threshold_t, "max", max, .doc = "fail when the result is above"),
    FN(desc_threshold_t, "min", min, .doc = "fail when the result is below"),
};
static const desc_type_t threshold_type = TYPE("threshold", desc_threshold_t, threshold_fields,
                                               .one_of = threshold_one_of, .one_of_min = 1,
                                               .one_of_max = 2, .doc = "bounds for the query result");

static const desc_field_t analysis_fields[] = {
    FS(desc_analysis_t, "name", name, .required = true, .check = validate_dns_label,
       .doc = "short name shown in the rollout view"),
    FS(desc_analysis_t, "query", query, .required = true,
       .doc = "PromQL; $namespace, $app and $service are substituted"),
    FO(desc_analysis_t, "threshold", threshold, threshold_type, .required = true,
       .doc = "bounds for the result"),
    FS(desc_analysis_t, "phase", phase, .enums = enum_phase,
       .doc = "pre (before the switch, default) or post (during the bake)"),
};
static const desc_type_t analysis_type = TYPE("analysis", desc_analysis_t, analysis_fields,
                                              .doc = "a Prometheus check");

static const desc_field_t rollout_fields[] = {
    FS(desc_rollout_t, "strategy", strategy, .enums = enum_strategy,
       .doc = "rolling (default) or blueGreen"),
    FI(desc_rollout_t, "readyTimeoutSeconds", ready_timeout_seconds, 1, INT_MAX,
       .doc = "wait for all new replicas to be ready (default 300)"),
    FI(desc_rollout_t, "healthTimeoutSeconds", health_timeout_seconds, 1, INT_MAX,
       .doc = "wait for every new pod's health check (default 60)"),
    FI(desc_rollout_t, "bakeSeconds", bake_seconds, 0, INT_MAX,
       .doc = "watch the new version after the switch (default 60)"),
    FI(desc_rollout_t, "scaleDownDelaySeconds", scale_down_delay_seconds, 0, INT_MAX,
       .doc = "keep the old version for instant rollback (default 300)"),
    FL(desc_rollout_t, "analysis", analysis, analysis_type, .doc = "Prometheus checks"),
};
static const desc_type_t rollout_type = TYPE("rollout", desc_rollout_t, rollout_fields,
                                             .doc = "rollout settings");

static const desc_field_t descriptor_fields[] = {
    FS(descriptor_t, "apiVersion", api_version, .required = true, .enums = enum_api_version,
       .doc = "kdeck/v1"),
    FS(descriptor_t, "kind", kind, .required = true, .enums = enum_kind, .doc = "AppDescriptor"),
    FS(descriptor_t, "namespace", namespace_, .required = true, .check = validate_dns_label,
       .doc = "namespace of every object"),
    FS(descriptor_t, "name", name, .required = true, .check = validate_dns1035_label,
       .doc = "app name: Deployment, Service, Ingress and HPA name, label app=<name>"),
    FS(descriptor_t, "version", version, .required = true, .check = validate_label_value,
       .doc = "version (a label value), e.g. 1.0.0"),
    FI(descriptor_t, "replicas", replicas, 0, INT_MAX, .doc = "pod count (default 1)"),
    FM(descriptor_t, "labels", labels, .check_key = validate_label_key,
       .check = validate_label_value, .doc = "extra labels on the Deployment"),
    FL(descriptor_t, "containers", containers, container_type, .required = true,
       .doc = "the pod's containers"),
    FO(descriptor_t, "healthCheck", health_check, health_type, .doc = "rollout health check"),
    FO(descriptor_t, "service", service, service_type, .doc = "Service"),
    FO(descriptor_t, "ingress", ingress, ingress_type, .doc = "Ingress"),
    FO(descriptor_t, "autoscaler", autoscaler, autoscaler_type, .doc = "HorizontalPodAutoscaler"),
    FO(descriptor_t, "migration", migration, migration_type, .doc = "migration Job"),
    FO(descriptor_t, "rollout", rollout, rollout_type, .doc = "rollout settings"),
};
const desc_type_t desc_type_descriptor = TYPE("AppDescriptor", descriptor_t, descriptor_fields,
                                              .doc = "a kdeck application descriptor");

/* ---- member access ------------------------------------------------------------------------ */

#define AT(base, f, T) ((T *)(void *)((char *)(base) + (f)->off))
#define CAT(base, f, T) ((const T *)(const void *)((const char *)(base) + (f)->off))

/* Nested objects are `T *` members; memcpy moves them without aliasing them as void *. */
void *desc_get_ptr(const void *base, const desc_field_t *f)
{
    void *p;
    memcpy(&p, (const char *)base + f->off, sizeof p);
    return p;
}

void desc_set_ptr(void *base, const desc_field_t *f, void *p)
{
    memcpy((char *)base + f->off, &p, sizeof p);
}

size_t desc_get_count(const void *base, const desc_field_t *f)
{
    size_t n;
    memcpy(&n, (const char *)base + f->count_off, sizeof n);
    return n;
}

void desc_set_count(void *base, const desc_field_t *f, size_t n)
{
    memcpy((char *)base + f->count_off, &n, sizeof n);
}

void desc_init_type(const desc_type_t *t, void *base)
{
    memset(base, 0, t->size);
    for (size_t i = 0; i < t->n_fields; i++) {
        const desc_field_t *f = &t->fields[i];
        if (f->kind == DESC_F_INT)
            *AT(base, f, int) = DESC_UNSET;
        else if (f->kind == DESC_F_INTSTR)
            AT(base, f, desc_intstr_t)->num = DESC_UNSET;
        else if (f->kind == DESC_F_NUM)
            *AT(base, f, double) = NAN;
    }
}

void *desc_new_type(const desc_type_t *t)
{
    void *p = malloc(t->size);
    if (p)
        desc_init_type(t, p);
    return p;
}

static void free_strv(desc_strv_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

void desc_map_clear(desc_map_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        free(m->v[i].value);
    }
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

void desc_clear_field(const desc_field_t *f, void *base)
{
    switch (f->kind) {
    case DESC_F_STR: free(*AT(base, f, char *)); *AT(base, f, char *) = NULL; break;
    case DESC_F_INT: *AT(base, f, int) = DESC_UNSET; break;
    case DESC_F_NUM: *AT(base, f, double) = NAN; break;
    case DESC_F_BOOL: *AT(base, f, bool) = false; break;
    case DESC_F_INTSTR:
        free(AT(base, f, desc_intstr_t)->str);
        AT(base, f, desc_intstr_t)->str = NULL;
        AT(base, f, desc_intstr_t)->num = DESC_UNSET;
        break;
    case DESC_F_STRV: free_strv(AT(base, f, desc_strv_t)); break;
    case DESC_F_MAP: desc_map_clear(AT(base, f, desc_map_t)); break;
    case DESC_F_OBJ: {
        void *p = desc_get_ptr(base, f);
        if (p) {
            desc_free_fields(f->sub, p);
            free(p);
        }
        desc_set_ptr(base, f, NULL);
        break;
    }
    case DESC_F_LIST: {
        char *p = desc_get_ptr(base, f);
        size_t n = desc_get_count(base, f);
        for (size_t j = 0; j < n; j++)
            desc_free_fields(f->sub, p + j * f->sub->size);
        free(p);
        desc_set_ptr(base, f, NULL);
        desc_set_count(base, f, 0);
        break;
    }
    }
}

void desc_free_fields(const desc_type_t *t, void *base)
{
    for (size_t i = 0; i < t->n_fields; i++)
        desc_clear_field(&t->fields[i], base);
}

bool desc_field_is_set(const desc_field_t *f, const void *base)
{
    switch (f->kind) {
    case DESC_F_STR: return *CAT(base, f, char *) != NULL;
    case DESC_F_INT: return *CAT(base, f, int) != DESC_UNSET;
    case DESC_F_BOOL: return true;
    case DESC_F_NUM: return !isnan(*CAT(base, f, double));
    case DESC_F_INTSTR:
        return CAT(base, f, desc_intstr_t)->str || CAT(base, f, desc_intstr_t)->num != DESC_UNSET;
    case DESC_F_STRV: return CAT(base, f, desc_strv_t)->n > 0;
    case DESC_F_MAP: return CAT(base, f, desc_map_t)->n > 0;
    case DESC_F_OBJ: return desc_get_ptr(base, f) != NULL;
    case DESC_F_LIST: return desc_get_count(base, f) > 0;
    }
    return false;
}

static const desc_field_t *find_field(const desc_type_t *t, const char *key, bool icase)
{
    for (size_t i = 0; i < t->n_fields; i++)
        if (icase ? !strcasecmp(t->fields[i].key, key) : !strcmp(t->fields[i].key, key))
            return &t->fields[i];
    return NULL;
}

const desc_field_t *desc_find_field(const desc_type_t *t, const char *key)
{
    return find_field(t, key, false);
}

descriptor_t *descriptor_new(void)
{
    descriptor_t *d = desc_new_type(&desc_type_descriptor);
    if (!d)
        return NULL;
    d->api_version = strdup(DESC_API_VERSION);
    d->kind = strdup(DESC_KIND);
    if (!d->api_version || !d->kind) {
        descriptor_free(d);
        return NULL;
    }
    return d;
}

void descriptor_free(descriptor_t *d)
{
    if (!d)
        return;
    desc_free_fields(&desc_type_descriptor, d);
    free(d);
}

/* ---- parse --------------------------------------------------------------------------------- */

const char *desc_field_expect(const desc_field_t *f, char *buf, size_t len)
{
    switch (f->kind) {
    case DESC_F_STR: return "must be a string";
    case DESC_F_BOOL: return "must be true or false";
    case DESC_F_NUM: return "must be a number";
    case DESC_F_STRV: return "must be an array of strings";
    case DESC_F_MAP: return "must be an object of strings";
    case DESC_F_OBJ: return "must be an object";
    case DESC_F_LIST: return "must be an array of objects";
    case DESC_F_INT:
    case DESC_F_INTSTR: {
        const char *tail = f->kind == DESC_F_INTSTR ? " or a port name" : "";
        if (f->min == 0 && f->max == 0)
            snprintf(buf, len, "must be an integer%s", tail);
        else if (f->max == INT_MAX)
            snprintf(buf, len, "must be an integer >= %d%s", f->min, tail);
        else
            snprintf(buf, len, "must be an integer %d-%d%s", f->min, f->max, tail);
        return buf;
    }
    }
    return "invalid";
}

/* Integral and representable, never INT_MIN (that is DESC_UNSET). */
static bool json_int(const cJSON *j, int *out)
{
    if (!cJSON_IsNumber(j))
        return false;
    double v = j->valuedouble;
    if (!isfinite(v) || v != floor(v) || v <= (double)INT_MIN || v > (double)INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

static void type_error(const desc_field_t *f, jpath_t *p, desc_problems_t *pr)
{
    char buf[96];
    desc_problems_add(pr, p->s, "%s", desc_field_expect(f, buf, sizeof buf));
}

static void parse_type(const desc_type_t *t, const cJSON *obj, void *base, jpath_t *p,
                       desc_problems_t *pr, bool *ok);

static void parse_field(const desc_field_t *f, const cJSON *j, void *base, jpath_t *p,
                        desc_problems_t *pr, bool *ok)
{
    if (cJSON_IsNull(j))
        return;                 /* null means unset, as in Kubernetes */
    switch (f->kind) {
    case DESC_F_STR:
        if (!cJSON_IsString(j))
            goto bad;
        if (!(*AT(base, f, char *) = strdup(j->valuestring)))
            goto oom;
        return;
    case DESC_F_INT:
        if (!json_int(j, AT(base, f, int)))
            goto bad;
        return;
    case DESC_F_BOOL:
        if (!cJSON_IsBool(j))
            goto bad;
        *AT(base, f, bool) = cJSON_IsTrue(j);
        return;
    case DESC_F_NUM:
        if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
            goto bad;
        *AT(base, f, double) = j->valuedouble;
        return;
    case DESC_F_INTSTR: {
        desc_intstr_t *is = AT(base, f, desc_intstr_t);
        if (cJSON_IsString(j)) {
            if (!(is->str = strdup(j->valuestring)))
                goto oom;
        } else if (!json_int(j, &is->num))
            goto bad;
        return;
    }
    case DESC_F_STRV: {
        if (!cJSON_IsArray(j))
            goto bad;
        desc_strv_t *v = AT(base, f, desc_strv_t);
        int n = cJSON_GetArraySize(j);
        if (n == 0)
            return;
        if (!(v->v = calloc((size_t)n, sizeof *v->v)))
            goto oom;
        size_t i = 0;
        for (const cJSON *it = j->child; it; it = it->next, i++) {
            if (!cJSON_IsString(it)) {
                size_t old = path_index(p, i);
                desc_problems_add(pr, p->s, "must be a string");
                path_pop(p, old);
                *ok = false;
                continue;
            }
            if (!(v->v[v->n++] = strdup(it->valuestring)))
                goto oom;
        }
        return;
    }
    case DESC_F_MAP: {
        if (!cJSON_IsObject(j))
            goto bad;
        desc_map_t *m = AT(base, f, desc_map_t);
        int n = cJSON_GetArraySize(j);
        if (n == 0)
            return;
        if (!(m->v = calloc((size_t)n, sizeof *m->v)))
            goto oom;
        for (const cJSON *it = j->child; it; it = it->next) {
            size_t old = path_key(p, it->string ? it->string : "");
            bool dup = false;
            for (size_t k = 0; k < m->n; k++)
                dup |= !strcmp(m->v[k].key, it->string ? it->string : "");
            if (dup || !cJSON_IsString(it)) {
                desc_problems_add(pr, p->s, dup ? "duplicate key" : "must be a string");
                *ok = false;
            } else {
                m->v[m->n].key = strdup(it->string ? it->string : "");
                m->v[m->n].value = strdup(it->valuestring);
                if (!m->v[m->n].key || !m->v[m->n].value) {
                    free(m->v[m->n].key);
                    free(m->v[m->n].value);
                    path_pop(p, old);
                    goto oom;
                }
                m->n++;
            }
            path_pop(p, old);
        }
        return;
    }
    case DESC_F_OBJ: {
        if (!cJSON_IsObject(j))
            goto bad;
        void *sub = desc_new_type(f->sub);
        if (!sub)
            goto oom;
        desc_set_ptr(base, f, sub);
        parse_type(f->sub, j, sub, p, pr, ok);
        return;
    }
    case DESC_F_LIST: {
        if (!cJSON_IsArray(j))
            goto bad;
        int n = cJSON_GetArraySize(j);
        if (n == 0)
            return;
        char *arr = malloc((size_t)n * f->sub->size);
        if (!arr)
            goto oom;
        desc_set_ptr(base, f, arr);
        size_t i = 0;
        for (const cJSON *it = j->child; it; it = it->next, i++) {
            desc_init_type(f->sub, arr + i * f->sub->size);
            desc_set_count(base, f, i + 1);
            size_t old = path_index(p, i);
            if (!cJSON_IsObject(it)) {
                desc_problems_add(pr, p->s, "must be an object");
                *ok = false;
            } else {
                parse_type(f->sub, it, arr + i * f->sub->size, p, pr, ok);
            }
            path_pop(p, old);
        }
        return;
    }
    }
bad:
    type_error(f, p, pr);
    *ok = false;
    return;
oom:
    desc_problems_add(pr, p->s, "out of memory");
    *ok = false;
}

static void parse_type(const desc_type_t *t, const cJSON *obj, void *base, jpath_t *p,
                       desc_problems_t *pr, bool *ok)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *key = it->string ? it->string : "";
        size_t old = path_key(p, key);
        bool dup = false;
        for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
            dup |= prev->string && !strcmp(prev->string, key);
        const desc_field_t *f = find_field(t, key, false);
        if (dup) {
            desc_problems_add(pr, p->s, "duplicate field");
            *ok = false;
        } else if (!f) {
            const desc_field_t *near = find_field(t, key, true);
            if (near)
                desc_problems_add(pr, p->s, "unknown field (did you mean \"%s\"?)", near->key);
            else
                desc_problems_add(pr, p->s, "unknown field");
            *ok = false;
        } else {
            parse_field(f, it, base, p, pr, ok);
        }
        path_pop(p, old);
    }
}

descriptor_t *descriptor_parse(const char *text, size_t len, desc_problems_t *problems)
{
    const char *end = NULL;
    cJSON *root = text ? cJSON_ParseWithLengthOpts(text, len, &end, false) : NULL;
    if (!root) {
        int line = 1, col = 1;
        for (const char *c = text; c && end && c < end && c < text + len; c++) {
            if (*c == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        desc_problems_add(problems, "", "invalid JSON at line %d, column %d", line, col);
        return NULL;
    }
    for (const char *c = end; c && c < text + len; c++)
        if (*c && !strchr(" \t\r\n", *c)) {
            desc_problems_add(problems, "", "unexpected text after the JSON document");
            cJSON_Delete(root);
            return NULL;
        }
    if (!cJSON_IsObject(root)) {
        desc_problems_add(problems, "", "must be a JSON object");
        cJSON_Delete(root);
        return NULL;
    }
    descriptor_t *d = desc_new_type(&desc_type_descriptor);
    if (!d) {
        cJSON_Delete(root);
        desc_problems_add(problems, "", "out of memory");
        return NULL;
    }
    jpath_t p = {.len = 0};
    p.s[0] = '\0';
    bool ok = true;
    parse_type(&desc_type_descriptor, root, d, &p, problems, &ok);
    cJSON_Delete(root);
    if (!ok) {
        descriptor_free(d);
        return NULL;
    }
    return d;
}

descriptor_t *descriptor_load(const char *file, desc_problems_t *problems)
{
    size_t len;
    int err = 0;
    char *buf = file_read_all(file, 0, &len, &err);
    if (!buf) {
        desc_problems_add(problems, "", "%s: %s", file,
                          err == ENOMEM ? "out of memory" : err == EIO ? "read error" : strerror(err));
        return NULL;
    }
    descriptor_t *d = descriptor_parse(buf, len, problems);
    free(buf);
    return d;
}

/* ---- to JSON ------------------------------------------------------------------------------- */

static cJSON *strv_json(const desc_strv_t *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < v->n; i++)
        if (!cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i] ? v->v[i] : ""))) {
            cJSON_Delete(a);
            return NULL;
        }
    return a;
}

static cJSON *type_json(const desc_type_t *t, const void *base);

static cJSON *field_json(const desc_field_t *f, const void *base)
{
    switch (f->kind) {
    case DESC_F_STR: {
        const char *s = *CAT(base, f, char *);
        return s ? cJSON_CreateString(s) : NULL;
    }
    case DESC_F_INT: {
        int v = *CAT(base, f, int);
        return v == DESC_UNSET ? NULL : cJSON_CreateNumber(v);
    }
    case DESC_F_BOOL: return cJSON_CreateBool(*CAT(base, f, bool));
    case DESC_F_NUM: {
        double v = *CAT(base, f, double);
        return isnan(v) ? NULL : cJSON_CreateNumber(v);
    }
    case DESC_F_INTSTR: {
        const desc_intstr_t *is = CAT(base, f, desc_intstr_t);
        return is->str ? cJSON_CreateString(is->str)
             : is->num != DESC_UNSET ? cJSON_CreateNumber(is->num) : NULL;
    }
    case DESC_F_STRV: {
        const desc_strv_t *v = CAT(base, f, desc_strv_t);
        return v->n ? strv_json(v) : NULL;
    }
    case DESC_F_MAP: {
        const desc_map_t *m = CAT(base, f, desc_map_t);
        if (!m->n)
            return NULL;
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; o && i < m->n; i++)
            if (!cJSON_AddStringToObject(o, m->v[i].key ? m->v[i].key : "",
                                         m->v[i].value ? m->v[i].value : "")) {
                cJSON_Delete(o);
                return NULL;
            }
        return o;
    }
    case DESC_F_OBJ: {
        const void *p = desc_get_ptr(base, f);
        return p ? type_json(f->sub, p) : NULL;
    }
    case DESC_F_LIST: {
        const char *p = desc_get_ptr(base, f);
        size_t n = desc_get_count(base, f);
        if (!n)
            return NULL;
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; a && i < n; i++)
            if (!cJSON_AddItemToArray(a, type_json(f->sub, p + i * f->sub->size))) {
                cJSON_Delete(a);
                return NULL;
            }
        return a;
    }
    }
    return NULL;
}

static cJSON *type_json(const desc_type_t *t, const void *base)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < t->n_fields; i++) {
        cJSON *v = field_json(&t->fields[i], base);
        if (v)
            cJSON_AddItemToObject(o, t->fields[i].key, v);
    }
    return o;
}

cJSON *descriptor_to_json(const descriptor_t *d)
{
    return d ? type_json(&desc_type_descriptor, d) : NULL;
}

/* Two-space pretty JSON, like `jq .` and kubectl: cJSON_Print's tabs and "[{" read badly. */
static bool print_json(strbuf_t *b, const cJSON *j, int indent)
{
    static const char spaces[] = "                                                                ";
    bool obj = cJSON_IsObject(j);
    if ((!obj && !cJSON_IsArray(j)) || !j->child) {
        if (obj || cJSON_IsArray(j))
            return strbuf_add(b, obj ? "{}" : "[]", 2);
        char *s = cJSON_PrintUnformatted(j);
        bool ok = s && strbuf_add(b, s, strlen(s));
        free(s);
        return ok;
    }
    bool ok = strbuf_add(b, obj ? "{\n" : "[\n", 2);
    for (const cJSON *it = j->child; ok && it; it = it->next) {
        int in = indent + 2 < 64 ? indent + 2 : 64;
        ok = strbuf_add(b, spaces, (size_t)in);
        if (ok && obj) {
            cJSON *key = cJSON_CreateString(it->string ? it->string : "");
            char *k = key ? cJSON_PrintUnformatted(key) : NULL;
            ok = k && strbuf_add(b, k, strlen(k)) && strbuf_add(b, ": ", 2);
            free(k);
            cJSON_Delete(key);
        }
        ok = ok && print_json(b, it, indent + 2) && strbuf_add(b, it->next ? ",\n" : "\n", it->next ? 2 : 1);
    }
    return ok && strbuf_add(b, spaces, (size_t)(indent < 64 ? indent : 64)) &&
           strbuf_add(b, obj ? "}" : "]", 1);
}

char *descriptor_to_text(const descriptor_t *d)
{
    cJSON *j = descriptor_to_json(d);
    strbuf_t b = {0};
    bool ok = j && print_json(&b, j, 0) && strbuf_add(&b, "\n", 1);
    cJSON_Delete(j);
    if (!ok) {
        strbuf_free(&b);
        return NULL;
    }
    return b.s;
}

int descriptor_save(const descriptor_t *d, const char *file)
{
    char *text = descriptor_to_text(d);
    if (!text)
        return -ENOMEM;
    int rc = file_write_private(file, text, strlen(text));
    free(text);
    return rc;
}

descriptor_t *descriptor_dup(const descriptor_t *d)
{
    char *s = d ? descriptor_to_text(d) : NULL;
    descriptor_t *c = s ? descriptor_parse(s, strlen(s), NULL) : NULL;
    free(s);
    return c;
}

bool descriptor_equal(const descriptor_t *a, const descriptor_t *b)
{
    cJSON *ja = descriptor_to_json(a), *jb = descriptor_to_json(b);
    bool eq = ja && jb && cJSON_Compare(ja, jb, true);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return eq;
}

/* ---- generic checks ------------------------------------------------------------------------- */

static void check_type(const desc_type_t *t, const void *base, jpath_t *p, desc_problems_t *pr);

static void check_field(const desc_field_t *f, const void *base, jpath_t *p, desc_problems_t *pr)
{
    char buf[96];
    if (!desc_field_is_set(f, base) ||
        (f->kind == DESC_F_STR && !**CAT(base, f, char *) && f->required)) {
        if (f->required)
            desc_problems_add(pr, p->s, f->kind == DESC_F_LIST ? "at least one is required"
                                                                : "is required");
        return;
    }
    switch (f->kind) {
    case DESC_F_STR: {
        const char *s = *CAT(base, f, char *), *msg = NULL;
        if (f->enums) {
            bool found = false;
            for (size_t i = 0; f->enums[i]; i++)
                found |= !strcmp(f->enums[i], s);
            if (!found) {
                char list[160] = "";
                for (size_t i = 0; f->enums[i]; i++)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                             i ? ", " : "", f->enums[i]);
                desc_problems_add(pr, p->s, "must be one of: %s", list);
            }
        }
        if (f->check && (msg = f->check(s)))
            desc_problems_add(pr, p->s, "%s", msg);
        break;
    }
    case DESC_F_INT: {
        int v = *CAT(base, f, int);
        if ((f->min || f->max) && (v < f->min || v > f->max))
            desc_problems_add(pr, p->s, "%s", desc_field_expect(f, buf, sizeof buf));
        break;
    }
    case DESC_F_INTSTR: {
        const desc_intstr_t *is = CAT(base, f, desc_intstr_t);
        const char *msg;
        if (is->str && f->check && (msg = f->check(is->str)))
            desc_problems_add(pr, p->s, "%s", msg);
        else if (!is->str && (f->min || f->max) && (is->num < f->min || is->num > f->max))
            desc_problems_add(pr, p->s, "%s", desc_field_expect(f, buf, sizeof buf));
        break;
    }
    case DESC_F_STRV: {
        const desc_strv_t *v = CAT(base, f, desc_strv_t);
        for (size_t i = 0; i < v->n; i++) {
            const char *msg = f->check ? f->check(v->v[i]) : NULL;
            if (msg) {
                size_t old = path_index(p, i);
                desc_problems_add(pr, p->s, "%s", msg);
                path_pop(p, old);
            }
        }
        break;
    }
    case DESC_F_MAP: {
        const desc_map_t *m = CAT(base, f, desc_map_t);
        for (size_t i = 0; i < m->n; i++) {
            size_t old = path_key(p, m->v[i].key);
            const char *msg = f->check_key ? f->check_key(m->v[i].key) : NULL;
            if (msg)
                desc_problems_add(pr, p->s, "key %s", msg);
            else if (f->check && (msg = f->check(m->v[i].value)))
                desc_problems_add(pr, p->s, "%s", msg);
            path_pop(p, old);
        }
        break;
    }
    case DESC_F_OBJ:
        check_type(f->sub, desc_get_ptr(base, f), p, pr);
        break;
    case DESC_F_LIST: {
        const char *arr = desc_get_ptr(base, f);
        size_t n = desc_get_count(base, f);
        for (size_t i = 0; i < n; i++) {
            size_t old = path_index(p, i);
            check_type(f->sub, arr + i * f->sub->size, p, pr);
            path_pop(p, old);
        }
        break;
    }
    default: break;
    }
}

static void check_type(const desc_type_t *t, const void *base, jpath_t *p, desc_problems_t *pr)
{
    if (t->one_of) {
        int set = 0;
        char list[160] = "";
        for (size_t i = 0; t->one_of[i]; i++) {
            set += desc_field_is_set(find_field(t, t->one_of[i], false), base);
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     t->one_of[i]);
        }
        if (set < t->one_of_min || set > t->one_of_max)
            desc_problems_add(pr, p->s, "%s of %s",
                              t->one_of_max == 1 ? (t->one_of_min ? "exactly one" : "at most one")
                                                 : "at least one", list);
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        size_t old = path_key(p, t->fields[i].key);
        check_field(&t->fields[i], base, p, pr);
        path_pop(p, old);
    }
}

void descriptor_check_fields(const descriptor_t *d, desc_problems_t *problems)
{
    jpath_t p = {.len = 0};
    p.s[0] = '\0';
    check_type(&desc_type_descriptor, d, &p, problems);
}

/* ---- JSON Schema ----------------------------------------------------------------------------- */

/* Patterns and lengths for the schema, keyed by the check the parser runs. */
static const struct {
    desc_check_fn fn;
    const char *pattern;
    int max_length;
} schema_formats[] = {
    {validate_dns_label, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", 63},
    {validate_dns1035_label, "^[a-z]([-a-z0-9]*[a-z0-9])?$", 63},
    {validate_dns_subdomain, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", 253},
    {validate_label_value, "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", 63},
    {validate_env_name, "^[-._a-zA-Z][-._a-zA-Z0-9]*$", 0},
    {validate_config_key, "^[-._a-zA-Z0-9]+$", 253},
    {validate_port_name, "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", 15},
    {validate_quantity, "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$", 0},
    {validate_path, "^/[^\\s]*$", 0},
    {validate_host, "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", 253},
    {validate_nonempty, NULL, 0},
    {validate_image, "^[^\\sA-Z]*[^\\s]*$", 0},
    {validate_label_key, NULL, 0},
};

static void schema_string(cJSON *o, desc_check_fn fn)
{
    for (size_t i = 0; fn && i < sizeof schema_formats / sizeof schema_formats[0]; i++) {
        if (schema_formats[i].fn != fn)
            continue;
        if (fn == validate_nonempty || fn == validate_image)
            cJSON_AddNumberToObject(o, "minLength", 1);
        if (schema_formats[i].pattern && fn != validate_image)
            cJSON_AddStringToObject(o, "pattern", schema_formats[i].pattern);
        if (schema_formats[i].max_length)
            cJSON_AddNumberToObject(o, "maxLength", schema_formats[i].max_length);
    }
}

static cJSON *schema_int(const desc_field_t *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "integer");
    if (f->min || f->max) {
        cJSON_AddNumberToObject(o, "minimum", f->min);
        if (f->max != INT_MAX)
            cJSON_AddNumberToObject(o, "maximum", f->max);
    }
    return o;
}

static void schema_type(const desc_type_t *t, cJSON *defs, cJSON *into);

static cJSON *schema_field(const desc_field_t *f, cJSON *defs)
{
    cJSON *o = NULL;
    switch (f->kind) {
    case DESC_F_STR:
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "string");
        if (f->enums) {
            if (!f->enums[1]) {
                cJSON_AddStringToObject(o, "const", f->enums[0]);
            } else {
                cJSON *e = cJSON_AddArrayToObject(o, "enum");
                for (size_t i = 0; f->enums[i]; i++)
                    cJSON_AddItemToArray(e, cJSON_CreateString(f->enums[i]));
            }
        }
        schema_string(o, f->check);
        break;
    case DESC_F_INT: o = schema_int(f); break;
    case DESC_F_BOOL:
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "boolean");
        break;
    case DESC_F_NUM:
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "number");
        break;
    case DESC_F_INTSTR: {
        o = cJSON_CreateObject();
        cJSON *any = cJSON_AddArrayToObject(o, "oneOf");
        cJSON_AddItemToArray(any, schema_int(f));
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", "string");
        schema_string(s, f->check);
        cJSON_AddItemToArray(any, s);
        break;
    }
    case DESC_F_STRV: {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "array");
        cJSON *items = cJSON_AddObjectToObject(o, "items");
        cJSON_AddStringToObject(items, "type", "string");
        if (f->required)
            cJSON_AddNumberToObject(o, "minItems", 1);
        break;
    }
    case DESC_F_MAP: {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "object");
        cJSON *v = cJSON_AddObjectToObject(o, "additionalProperties");
        cJSON_AddStringToObject(v, "type", "string");
        schema_string(v, f->check);
        break;
    }
    case DESC_F_OBJ:
    case DESC_F_LIST: {
        if (!cJSON_GetObjectItemCaseSensitive(defs, f->sub->name)) {
            cJSON *def = cJSON_CreateObject();
            cJSON_AddItemToObject(defs, f->sub->name, def);
            schema_type(f->sub, defs, def);
        }
        cJSON *ref = cJSON_CreateObject();
        char buf[128];
        snprintf(buf, sizeof buf, "#/$defs/%s", f->sub->name);
        cJSON_AddStringToObject(ref, "$ref", buf);
        if (f->kind == DESC_F_OBJ) {
            o = ref;
        } else {
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "type", "array");
            cJSON_AddItemToObject(o, "items", ref);
            if (f->required)
                cJSON_AddNumberToObject(o, "minItems", 1);
        }
        break;
    }
    }
    if (o && f->doc) {
        /* $ref siblings are allowed in 2020-12. */
        cJSON_AddStringToObject(o, "description", f->doc);
    }
    return o;
}

static void schema_type(const desc_type_t *t, cJSON *defs, cJSON *into)
{
    cJSON_AddStringToObject(into, "type", "object");
    if (t->doc)
        cJSON_AddStringToObject(into, "description", t->doc);
    cJSON *props = cJSON_AddObjectToObject(into, "properties");
    cJSON *req = cJSON_CreateArray();
    for (size_t i = 0; i < t->n_fields; i++) {
        cJSON_AddItemToObject(props, t->fields[i].key, schema_field(&t->fields[i], defs));
        if (t->fields[i].required)
            cJSON_AddItemToArray(req, cJSON_CreateString(t->fields[i].key));
    }
    if (cJSON_GetArraySize(req))
        cJSON_AddItemToObject(into, "required", req);
    else
        cJSON_Delete(req);
    cJSON_AddFalseToObject(into, "additionalProperties");
    if (t->one_of) {
        cJSON *alts = cJSON_AddArrayToObject(into, t->one_of_max == 1 ? "oneOf" : "anyOf");
        cJSON *none = cJSON_CreateArray();
        for (size_t i = 0; t->one_of[i]; i++) {
            cJSON *r = cJSON_CreateObject();
            cJSON *ra = cJSON_AddArrayToObject(r, "required");
            cJSON_AddItemToArray(ra, cJSON_CreateString(t->one_of[i]));
            cJSON_AddItemToArray(alts, r);
            cJSON_AddItemToArray(none, cJSON_Duplicate(r, true));
        }
        if (t->one_of_min == 0) {
            cJSON *n = cJSON_CreateObject();
            cJSON *nn = cJSON_AddObjectToObject(n, "not");
            cJSON_AddItemToObject(nn, "anyOf", none);
            cJSON_AddItemToArray(alts, n);
        } else {
            cJSON_Delete(none);
        }
    }
}

cJSON *descriptor_schema(void)
{
    cJSON *s = cJSON_CreateObject();
    if (!s)
        return NULL;
    cJSON_AddStringToObject(s, "$schema", "https://json-schema.org/draft/2020-12/schema");
    cJSON_AddStringToObject(s, "$id", "https://kdeck.dev/schemas/descriptor-v1.json");
    cJSON_AddStringToObject(s, "title", "kdeck application descriptor (kdeck/v1 AppDescriptor)");
    cJSON *defs = cJSON_CreateObject();
    schema_type(&desc_type_descriptor, defs, s);
    cJSON_AddItemToObject(s, "$defs", defs);
    return s;
}

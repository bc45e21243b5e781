/* descriptor: an application described once (kdeck/v1 AppDescriptor) — what a form edits, what a
 * file holds, and what the rollout engine deploys. One owner: descriptor_free() frees the tree.
 *
 * Unset values: strings NULL, integers DESC_UNSET, numbers NAN, optional sections NULL, lists
 * empty. Saving writes only what is set, so load → save → load is the identity.
 * The Kubernetes side (objects built from a descriptor and back) is at the end of this header;
 * checks are in validate.h. Field reference: docs/descriptor.md. */
#ifndef KDECK_DESCRIPTOR_H
#define KDECK_DESCRIPTOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#define DESC_API_VERSION "kdeck/v1"
#define DESC_KIND "AppDescriptor"
#define DESC_UNSET INT_MIN
/* Deployment annotation holding the descriptor parts no Kubernetes object carries (healthCheck,
 * migration, rollout), so "descriptor get" on a live app gives the whole descriptor back. */
#define DESC_ANNOTATION "kdeck.dev/descriptor"
#define DESC_MANAGED_BY_KEY "app.kubernetes.io/managed-by"
#define DESC_MANAGED_BY "kdeck"

/* ---- problems: (JSON path, message) pairs, shared by parse and validate ---- */

typedef struct desc_problem {
    char *path;    /* e.g. "containers[0].ports[1].containerPort"; "" for the whole document */
    char *msg;     /* e.g. "must be an integer 1-65535" */
} desc_problem_t;

typedef struct desc_problems {
    desc_problem_t *v;
    size_t n, cap;
} desc_problems_t;

/* Appends a copy of path and the formatted message; silently drops it on ENOMEM. */
void desc_problems_add(desc_problems_t *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The first message for exactly this path, or NULL. */
const char *desc_problems_find(const desc_problems_t *p, const char *path);
/* "path: message" lines joined by '\n' (malloc'd; "" when empty). */
char *desc_problems_format(const desc_problems_t *p);
void desc_problems_free(desc_problems_t *p);

/* ---- the model ---- */

typedef struct desc_kv { char *key, *value; } desc_kv_t;
typedef struct desc_map { desc_kv_t *v; size_t n; } desc_map_t;     /* keeps insertion order */
typedef struct desc_strv { char **v; size_t n; } desc_strv_t;
/* Kubernetes IntOrString: a number, or a name (port names). Unset: num DESC_UNSET, str NULL. */
typedef struct desc_intstr { int num; char *str; } desc_intstr_t;

typedef struct desc_keyref { char *name, *key; } desc_keyref_t;

/* Exactly one of value, secret_key_ref, config_map_key_ref (validate checks). */
typedef struct desc_env {
    char *name;
    char *value;
    desc_keyref_t *secret_key_ref;
    desc_keyref_t *config_map_key_ref;
} desc_env_t;

typedef struct desc_port {
    char *name;
    int container_port;
    char *protocol;            /* TCP (default) | UDP | SCTP */
} desc_port_t;

typedef struct desc_reslist { char *cpu, *memory; } desc_reslist_t;
typedef struct desc_resources { desc_reslist_t *requests, *limits; } desc_resources_t;

typedef struct desc_http_get { char *path; desc_intstr_t port; char *scheme; } desc_http_get_t;
typedef struct desc_tcp_socket { desc_intstr_t port; } desc_tcp_socket_t;
typedef struct desc_exec { desc_strv_t command; } desc_exec_t;

/* Exactly one handler. */
typedef struct desc_probe {
    desc_http_get_t *http_get;
    desc_tcp_socket_t *tcp_socket;
    desc_exec_t *exec;
    int initial_delay_seconds, timeout_seconds, period_seconds;
    int success_threshold, failure_threshold;
} desc_probe_t;

typedef struct desc_container {
    char *name, *image;
    desc_strv_t command, args;
    desc_port_t *ports;
    size_t n_ports;
    desc_env_t *env;
    size_t n_env;
    desc_resources_t *resources;
    desc_probe_t *readiness_probe, *liveness_probe;
} desc_container_t;

/* The rollout's own check through the API server's pod proxy (blue/green issue). */
typedef struct desc_health_check {
    bool use_health_check;
    char *path;
    desc_intstr_t port;
    int expected_status;       /* default 200 */
    char *json_field;          /* a top-level JSON field that must be true, e.g. "healthy" */
    int timeout_seconds;
} desc_health_check_t;

typedef struct desc_service {
    char *port_name;
    int port;
    desc_intstr_t target_port; /* default: the first container port */
    char *type;                /* ClusterIP (default) | NodePort | LoadBalancer */
} desc_service_t;

typedef struct desc_ingress {
    char *host, *path;
    char *path_type;           /* Prefix (default) | Exact | ImplementationSpecific */
    char *tls_secret;
    char *ingress_class_name;  /* e.g. traefik */
    desc_map_t annotations;
} desc_ingress_t;

typedef struct desc_autoscaler {
    int min_replicas, max_replicas, target_cpu_utilization_percentage;
} desc_autoscaler_t;

typedef struct desc_migration {
    char *image;
    desc_strv_t command, args;
    desc_env_t *env;
    size_t n_env;
    int backoff_limit;
    int timeout_seconds;       /* becomes the Job's activeDeadlineSeconds */
} desc_migration_t;

typedef struct desc_threshold { double max, min; } desc_threshold_t;   /* exactly one set */

typedef struct desc_analysis {
    char *name;
    char *query;               /* PromQL; $namespace $app $service are substituted */
    desc_threshold_t *threshold;
    char *phase;               /* pre | post */
} desc_analysis_t;

typedef struct desc_rollout {
    char *strategy;            /* rolling (default) | blueGreen */
    int ready_timeout_seconds, health_timeout_seconds, bake_seconds, scale_down_delay_seconds;
    desc_analysis_t *analysis;
    size_t n_analysis;
} desc_rollout_t;

typedef struct descriptor {
    char *api_version, *kind;
    char *namespace_;
    char *name;                /* the app: Deployment, Service, Ingress and HPA name */
    char *version;
    int replicas;
    desc_map_t labels;         /* extra labels on the Deployment */
    desc_container_t *containers;
    size_t n_containers;
    desc_health_check_t *health_check;
    desc_service_t *service;
    desc_ingress_t *ingress;
    desc_autoscaler_t *autoscaler;
    desc_migration_t *migration;
    desc_rollout_t *rollout;
} descriptor_t;

/* ---- the field table ----
 * One table per struct drives parsing, saving, freeing, the generic checks (required, ranges,
 * enums, formats, "exactly one of") and the JSON Schema; a form can walk it for labels and help.
 * Table order is the saved key order. */

typedef enum desc_kind {
    DESC_F_STR, DESC_F_INT, DESC_F_BOOL, DESC_F_NUM, DESC_F_INTSTR,
    DESC_F_STRV,   /* array of strings (desc_strv_t) */
    DESC_F_MAP,    /* object of strings (desc_map_t) */
    DESC_F_OBJ,    /* optional nested object: a pointer, NULL when absent */
    DESC_F_LIST,   /* array of objects: pointer + size_t count at count_off */
} desc_kind_t;

/* A string check: NULL when valid, else a message (validate.h has them). */
typedef const char *(*desc_check_fn)(const char *s);

typedef struct desc_type desc_type_t;
typedef struct desc_field {
    const char *key;              /* JSON key */
    desc_kind_t kind;
    size_t off;                   /* member offset */
    size_t count_off;             /* DESC_F_LIST: offset of the size_t count */
    const desc_type_t *sub;       /* DESC_F_OBJ, DESC_F_LIST */
    bool required;
    int min, max;                 /* DESC_F_INT/INTSTR range; both 0: any integer */
    const char *const *enums;     /* DESC_F_STR: allowed values, NULL-terminated */
    desc_check_fn check;          /* STR/INTSTR strings, STRV items, MAP values */
    desc_check_fn check_key;      /* DESC_F_MAP keys */
    const char *doc;              /* one line, for the schema and forms */
} desc_field_t;

struct desc_type {
    const char *name;             /* schema $defs name */
    size_t size;
    const desc_field_t *fields;
    size_t n_fields;
    const char *const *one_of;    /* keys of which one_of_min..one_of_max must be set */
    int one_of_min, one_of_max;
    const char *doc;
};

/* The root type (descriptor_t). */
extern const desc_type_t desc_type_descriptor;

/* The table-driven checks only (required, ranges, enums, formats, one-of), as (path, message);
 * descriptor_validate() (validate.h) adds the checks between fields. */
void descriptor_check_fields(const descriptor_t *d, desc_problems_t *problems);
/* "must be an integer 1-65535" etc.: the message for a field's expected value. */
const char *desc_field_expect(const desc_field_t *f, char *buf, size_t len);

/* ---- member access through the table (for code that walks it generically: the form) ----
 * base points at a struct of the field's type. */

/* The pointer member of a DESC_F_OBJ or DESC_F_LIST field (NULL when absent), and setting it. */
void *desc_get_ptr(const void *base, const desc_field_t *f);
void desc_set_ptr(void *base, const desc_field_t *f, void *p);
/* The item count of a DESC_F_LIST field, and setting it. */
size_t desc_get_count(const void *base, const desc_field_t *f);
void desc_set_count(void *base, const desc_field_t *f, size_t n);
/* Every field of t unset (zero, DESC_UNSET, NAN). desc_new_type mallocs one: NULL on ENOMEM. */
void desc_init_type(const desc_type_t *t, void *base);
void *desc_new_type(const desc_type_t *t);
/* Frees one field's value (nested objects and lists too) and leaves it unset. */
void desc_clear_field(const desc_field_t *f, void *base);
/* desc_clear_field on every field of t; base itself is the caller's. */
void desc_free_fields(const desc_type_t *t, void *base);
/* Has the field a value (a bool always has; strings and numbers are set when not unset)? */
bool desc_field_is_set(const desc_field_t *f, const void *base);
/* The field of t with this JSON key (exact), or NULL. */
const desc_field_t *desc_find_field(const desc_type_t *t, const char *key);
/* Frees every key and value and leaves the map empty. */
void desc_map_clear(desc_map_t *m);

/* ---- life cycle, JSON ---- */

/* An empty descriptor (apiVersion and kind set, everything else unset). NULL on ENOMEM. */
descriptor_t *descriptor_new(void);
void descriptor_free(descriptor_t *d);
/* Parses a JSON descriptor. Every type error is reported with its path (unknown and duplicate
 * fields too); NULL when there is any. Values are range-checked by descriptor_validate(), not here.
 * problems may be NULL. */
descriptor_t *descriptor_parse(const char *text, size_t len, desc_problems_t *problems);
/* Reads and parses a file; an I/O error is one problem with path "". */
descriptor_t *descriptor_load(const char *file, desc_problems_t *problems);
/* The descriptor as cJSON in the documented key order; NULL on ENOMEM. */
cJSON *descriptor_to_json(const descriptor_t *d);
/* Pretty JSON text ending in '\n' (malloc'd), stable key order. */
char *descriptor_to_text(const descriptor_t *d);
/* Writes atomically (temp file + rename), mode 0600. 0 or -errno. */
int descriptor_save(const descriptor_t *d, const char *file);
/* A deep copy (NULL on ENOMEM), and equality of everything that is saved. */
descriptor_t *descriptor_dup(const descriptor_t *d);
bool descriptor_equal(const descriptor_t *a, const descriptor_t *b);
/* The JSON Schema (draft 2020-12) generated from the same field table the parser uses; the copy
 * in docs/descriptor.schema.json is checked against it by the unit tests. */
cJSON *descriptor_schema(void);

/* ---- descriptor → Kubernetes objects (descriptor_objects.c) ----
 * Objects are built as kubectl would send them, keys in the API's own order, all labelled
 * app.kubernetes.io/managed-by=kdeck. NULL on ENOMEM or when the section is absent. */

/* slot NULL: a plain rolling Deployment named <app>. slot "blue"/"green": <app>-<slot> with
 * `slot` and `version` labels, selecting app+slot. */
cJSON *descriptor_deployment(const descriptor_t *d, const char *slot);
/* Selects app=<app>, plus slot=<active_slot> when not NULL. */
cJSON *descriptor_service(const descriptor_t *d, const char *active_slot);
cJSON *descriptor_ingress(const descriptor_t *d);
/* scaleTargetRef follows the slot's Deployment. */
cJSON *descriptor_hpa(const descriptor_t *d, const char *slot);
cJSON *descriptor_migration_job(const descriptor_t *d);
/* <app>-migrate-<version> as a DNS-1123 label (lowercase, other characters → '-', ≤63). */
char *descriptor_job_name(const descriptor_t *d);
/* The same into buf (≤63 characters + NUL), without allocating: the rollout engine names it. */
void descriptor_job_name_buf(const char *app, const char *version, char *buf, size_t len);
/* A v1 List of the objects in apply order: Job (if any), Deployment, Service, Ingress, HPA. */
cJSON *descriptor_objects(const descriptor_t *d, const char *slot);

/* ---- live objects → descriptor ("descriptor get") ----
 * From a Deployment plus the optional Service, Ingress (the rule/path whose backend is the
 * service) and HPA. Shapes the descriptor cannot express (a second container port on the
 * Service, volumes, ...) are reported in notes (path = the object field, may be NULL) and left
 * out. NULL only when deployment is not a Deployment or on ENOMEM (with a problem). */
descriptor_t *descriptor_from_objects(const cJSON *deployment, const cJSON *service,
                                      const cJSON *ingress, const cJSON *hpa,
                                      desc_problems_t *notes);

#endif

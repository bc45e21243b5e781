/* model.h — compact objects decoded from the API's JSON, and the columns
 * `kubectl get -o wide` shows for each kind.
 *
 * The store keeps 10,000+ pods, so it never keeps JSON trees: kobj_decode() copies
 * the few fields the tables, filters and drill-downs need into ONE malloc'd block
 * per object (struct, arrays and strings together); kobj_free() is one free().
 * Describe fetches the full object on demand. Objects are immutable once decoded:
 * a watch MODIFIED event decodes a new object and frees the old one. */
#ifndef KDECK_MODEL_H
#define KDECK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cJSON.h>

#include "kdeck/kinds.h"

/* ---- label selectors ------------------------------------------------------ */

typedef enum ksel_op {
	KSEL_EQ,        /* a=b, a==b */
	KSEL_NE,        /* a!=b (also true when a is absent) */
	KSEL_IN,        /* a in (x,y) */
	KSEL_NOTIN,     /* a notin (x,y) (also true when a is absent) */
	KSEL_EXISTS,    /* a */
	KSEL_NOTEXISTS, /* !a */
	KSEL_GT,        /* a>5 (integer values only) */
	KSEL_LT         /* a<5 */
} ksel_op_t;

typedef struct ksel_req {
	const char *key;
	const char *const *values; /* sorted; one for EQ/NE/GT/LT, none for (NOT)EXISTS */
	uint16_t nvalues;
	uint8_t op;                /* ksel_op_t */
} ksel_req_t;

/* A parsed selector: the requirements are ANDed. n == 0 selects everything
 * unless `nothing` is set (a workload without a selector selects nothing). */
typedef struct ksel {
	const ksel_req_t *reqs;
	uint16_t n;
	bool nothing;
} ksel_t;

/* ---- the compact object --------------------------------------------------- */

typedef struct kobj_label {
	const char *key;
	const char *value;
} kobj_label_t;

typedef struct kobj_owner {
	const char *kind;
	const char *name;
	const char *uid;
	bool controller;
} kobj_owner_t;

enum {
	KCONT_INIT    = 1 << 0, /* from spec.initContainers */
	KCONT_SIDECAR = 1 << 1, /* init container with restartPolicy: Always */
	KCONT_READY   = 1 << 2,
	KCONT_STARTED = 1 << 3,
	KCONT_RUNNING = 1 << 4,
};

typedef struct kobj_container {
	const char *name;
	const char *image;
	const char *state;  /* pods: "Running", a waiting/terminated reason, or NULL */
	int32_t restarts;
	uint8_t flags;      /* KCONT_* */
} kobj_container_t;

typedef struct kobj_pod {
	const char *status;        /* STATUS exactly as kubectl prints it */
	const char *phase;
	const char *node;          /* spec.nodeName, NULL if unscheduled */
	const char *ip;            /* status.podIP */
	const char *nominated;     /* status.nominatedNodeName */
	const kobj_container_t *containers; /* init containers first, then regular */
	uint16_t ncontainers, ninit;
	uint16_t ready, total;     /* READY x/y, sidecars included */
	uint16_t gates, gates_true; /* readiness gates and how many are True */
	int32_t restarts;          /* RESTARTS as kubectl sums them */
	int64_t last_restart;      /* newest lastState.terminated.finishedAt, 0 if none */
} kobj_pod_t;

enum { /* job condition bits (type == X and status == True) */
	KJOB_COMPLETE = 1 << 0, KJOB_FAILED = 1 << 1, KJOB_SUSPENDED = 1 << 2,
	KJOB_FAILURE_TARGET = 1 << 3, KJOB_SUCCESS_CRITERIA_MET = 1 << 4,
};

/* Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs: a pod
 * template plus counters; which counters are meaningful depends on the kind. */
typedef struct kobj_workload {
	const kobj_container_t *containers; /* template's regular containers */
	uint16_t ncontainers;
	ksel_t selector;           /* spec.selector (cronjob: jobTemplate's) */
	int32_t desired;           /* spec.replicas; ds: desiredNumberScheduled; job: completions or -1 */
	int32_t current;           /* status.replicas; ds: currentNumberScheduled */
	int32_t ready;             /* readyReplicas; ds: numberReady */
	int32_t updated;           /* updatedReplicas; ds: updatedNumberScheduled */
	int32_t available;         /* availableReplicas; ds: numberAvailable */
	int32_t parallelism;       /* job: spec.parallelism or -1 */
	int32_t succeeded, failed, active; /* job; cronjob: active = len(status.active) */
	int64_t start, completion; /* job: status.startTime / completionTime */
	int64_t last_schedule;     /* cronjob */
	const char *schedule;      /* cronjob */
	const char *time_zone;     /* cronjob: spec.timeZone */
	const char *node_selector; /* ds: "k=v,..." or NULL */
	uint8_t jobconds;          /* KJOB_* */
	bool suspend;              /* cronjob */
} kobj_workload_t;

typedef struct kobj_port {
	const char *name;
	const char *protocol;
	int32_t port;
	int32_t node_port;
} kobj_port_t;

typedef struct kobj_service {
	const char *type;
	const char *cluster_ip;
	const char *external_name;
	const char *const *external_ips;  /* spec.externalIPs */
	const char *const *lb_ingress;    /* status.loadBalancer.ingress ip or hostname */
	const kobj_port_t *ports;
	const kobj_label_t *selector;     /* sorted by key */
	uint16_t nexternal_ips, nlb_ingress, nports, nselector;
} kobj_service_t;

typedef struct kobj_subset {
	const char *const *ips;   /* ready addresses */
	const kobj_port_t *ports;
	uint16_t nips, nports;
	uint16_t nnotready;
} kobj_subset_t;

typedef struct kobj_endpoints {
	const kobj_subset_t *subsets;
	uint16_t nsubsets;
} kobj_endpoints_t;

typedef struct kobj_event {
	const char *type, *reason, *message;
	const char *obj_kind, *obj_name, *obj_ns, *field_path;
	const char *source;        /* component[, host] or reportingController */
	int64_t first, last;       /* FIRST SEEN / LAST SEEN times as kubectl picks them */
	int32_t count;
} kobj_event_t;

typedef struct kobj_node {
	const char *roles;         /* "control-plane,master" or NULL */
	const char *kubelet_version, *internal_ip, *external_ip;
	const char *os_image, *kernel, *runtime;
	int8_t ready;              /* 1 Ready=True, 0 Ready condition not True, -1 no Ready condition */
	bool unschedulable;
	uint16_t ntaints;
} kobj_node_t;

typedef struct kobj_misc {   /* the small kinds share one shape */
	const char *s1;            /* ns: phase; secret: type; ingress: class; hpa: reference; lease: holder; pvc/pv: phase */
	const char *s2;            /* ingress: hosts; hpa: targets; pvc: volume; pv: claim */
	const char *s3;            /* ingress: address; pvc/pv: capacity */
	const char *s4;            /* pvc/pv: access modes */
	const char *s5;            /* pvc/pv: storage class */
	const char *s6;            /* pv: reclaim policy */
	ksel_t selector;           /* netpol: podSelector */
	int32_t n1;                /* cm/secret: data count; sa: secrets; hpa: minReplicas (-1 unset); ingress: has TLS */
	int32_t n2;                /* hpa: maxReplicas */
	int32_t n3;                /* hpa: currentReplicas */
} kobj_misc_t;

enum { KOBJ_F_PARTIAL = 1 << 0 }; /* some fields were malformed and skipped */

typedef struct kobj {
	uint8_t kind;              /* kind_id_t */
	uint8_t flags;             /* KOBJ_F_* */
	uint16_t nlabels, nowners;
	uint32_t bytes;            /* size of the whole block, for memory accounting */
	const char *ns;            /* NULL for cluster-scoped objects */
	const char *name;
	const char *uid;
	const char *rv;            /* metadata.resourceVersion */
	int64_t created;           /* creationTimestamp, 0 if absent */
	int64_t deleted;           /* deletionTimestamp, 0 if not being deleted */
	const kobj_label_t *labels; /* sorted by key */
	const kobj_owner_t *owners;
	union {
		kobj_pod_t pod;
		kobj_workload_t wl;
		kobj_service_t svc;
		kobj_endpoints_t ep;
		kobj_event_t ev;
		kobj_node_t node;
		kobj_misc_t misc;
	} u;
} kobj_t;

/* Decodes one object of `kind` (the caller knows it from the list it asked for;
 * List items often carry no "kind"). Returns NULL with a message in err when the
 * JSON is not an object or has no metadata.name. Malformed fields are skipped:
 * the object is returned with KOBJ_F_PARTIAL and the first problem in err, e.g.
 * "pod app/x: status.containerStatuses[0].restartCount is not a number".
 * err[0] == '\0' means a clean decode. Never crashes on any JSON. */
kobj_t *kobj_decode(kind_id_t kind, const cJSON *obj, char *err, size_t errlen);
void kobj_free(kobj_t *o);

/* The value of label key, or NULL. */
const char *kobj_label(const kobj_t *o, const char *key);

/* ---- selectors --------------------------------------------------------- */

/* Parses "a=b,c!=d,e in (x,y),f notin (z),g,!h" (Kubernetes label selector
 * syntax). Returns NULL with a message in err on a syntax error. "" selects all. */
ksel_t *ksel_parse(const char *text, char *err, size_t errlen);
void ksel_free(ksel_t *s);
bool ksel_matches(const ksel_t *s, const kobj_label_t *labels, size_t nlabels);
/* Formats like kubectl (requirements sorted by key): "app=x,tier in (a,b)";
 * "" when it selects everything. */
int ksel_format(const ksel_t *s, char *buf, size_t len);

/* Convenience for one-off filters: false also when selector does not parse
 * (check it with ksel_parse first to show the error). */
bool kobj_matches_labels(const kobj_t *o, const char *selector);
/* Does workload/service/netpol `sel` select object o (a pod)? Uses the object's
 * selector: wl.selector, svc.selector, misc.selector. */
bool kobj_selects(const kobj_t *sel, const kobj_t *o);

/* ---- time ------------------------------------------------------------------ */

/* RFC 3339 ("2025-09-11T15:54:39Z", fractions and offsets allowed) to Unix
 * seconds; returns false on malformed input. */
bool kobj_parse_time(const char *s, int64_t *out);
/* k8s.io/apimachinery/pkg/util/duration.HumanDuration: "45s", "2m5s", "3h10m", "5d". */
void kobj_human_duration(int64_t seconds, char *buf, size_t len);
/* translateTimestampSince: "<unknown>" for t == 0, else HumanDuration(now - t). */
void kobj_age(int64_t t, time_t now, char *buf, size_t len);

/* ---- columns ----------------------------------------------------------------- */

typedef void (*kcol_cell_fn)(const kobj_t *o, time_t now, char *buf, size_t len);
/* Orders two objects OF THE SAME KIND by the column's value: numbers numerically
 * (AGE: youngest first), ties by name. */
typedef int (*kcol_cmp_fn)(const kobj_t *a, const kobj_t *b);

enum {
	KCOL_WIDE  = 1 << 0, /* only in wide mode (kubectl -o wide) */
	KCOL_ALLNS = 1 << 1, /* only when listing all namespaces */
};
typedef enum kcol_align { KCOL_LEFT, KCOL_RIGHT } kcol_align_t;

typedef struct kcol {
	const char *title;
	uint8_t min_width, max_width; /* hints for the table layout; 0 = no limit */
	uint8_t align;                /* kcol_align_t */
	uint8_t flags;                /* KCOL_* */
	kcol_cell_fn cell;            /* formats into buf; never allocates */
	kcol_cmp_fn compare;
} kcol_t;

/* The column table for a kind (NAMESPACE first for namespaced kinds, flagged
 * KCOL_ALLNS); *n receives its length. */
const kcol_t *kcol_table(kind_id_t kind, size_t *n);
/* The column titled title (case-insensitive), or NULL. */
const kcol_t *kcol_find(kind_id_t kind, const char *title);

#endif

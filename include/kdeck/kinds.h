/* kinds.h — the resource kinds kdeck browses, as one table.
 *
 * Each row says where a kind lives in the API (group/version/plural), whether it
 * is namespaced, and which names the `:` command line accepts for it. Everything
 * else (list paths, look-ups, help text) is derived from the table. */
#ifndef KDECK_KINDS_H
#define KDECK_KINDS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum kind_id {
	KIND_NAMESPACE,
	KIND_POD,
	KIND_DEPLOYMENT,
	KIND_REPLICASET,
	KIND_STATEFULSET,
	KIND_DAEMONSET,
	KIND_SERVICE,
	KIND_ENDPOINTS,
	KIND_JOB,
	KIND_CRONJOB,
	KIND_EVENT,
	KIND_NODE,
	KIND_CONFIGMAP,
	KIND_SECRET,
	KIND_INGRESS,
	KIND_HPA,
	KIND_LEASE,
	KIND_SERVICEACCOUNT,
	KIND_NETWORKPOLICY,
	KIND_PVC,
	KIND_PV,
	KIND__COUNT
} kind_id_t;

typedef struct kind_info {
	kind_id_t id;
	const char *group;    /* "" for the core group */
	const char *version;  /* "v1" */
	const char *plural;   /* resource name in URLs: "pods" */
	const char *kind;     /* Kind in objects: "Pod" */
	bool namespaced;
	const char *const *aliases; /* NULL-terminated, lowercase: "po", "pod", "pods" */
} kind_info_t;

/* The row for id, or NULL when id is out of range. */
const kind_info_t *kind_get(kind_id_t id);

/* Looks up what the user typed after `:` — an alias, a plural, a Kind name or
 * "plural.group" ("deployments.apps"), case-insensitive. NULL when unknown. */
const kind_info_t *kind_by_alias(const char *alias);

/* Looks up the Kind field of an object ("Pod"); apiVersion may be NULL, else the
 * group must match too ("apps/v1" for Deployment). NULL when unknown. */
const kind_info_t *kind_by_kind(const char *kind, const char *api_version);

/* Writes the collection path: "/api/v1/namespaces/NS/pods", or the all-namespaces
 * form "/apis/apps/v1/deployments" when ns is NULL or "". Cluster-scoped kinds
 * ignore ns. Returns the length snprintf would write (>= len means truncated). */
int kind_list_path(const kind_info_t *k, const char *ns, char *buf, size_t len);

/* Writes the path of one object: ".../namespaces/NS/pods/NAME". */
int kind_object_path(const kind_info_t *k, const char *ns, const char *name, char *buf, size_t len);

#endif

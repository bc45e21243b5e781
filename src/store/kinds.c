/* kinds.c — the kind table and what is derived from it. */
#include "kdeck/kinds.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* One row per kind; the order follows kind_id_t so kind_get() is an index. */
static const kind_info_t kind_table[KIND__COUNT] = {
	{KIND_NAMESPACE, "", "v1", "namespaces", "Namespace", false, ALIASES("ns", "namespace", "namespaces")},
	{KIND_POD, "", "v1", "pods", "Pod", true, ALIASES("po", "pod", "pods")},
	{KIND_DEPLOYMENT, "apps", "v1", "deployments", "Deployment", true, ALIASES("deploy", "deployment", "deployments", "dp")},
	{KIND_REPLICASET, "apps", "v1", "replicasets", "ReplicaSet", true, ALIASES("rs", "replicaset", "replicasets")},
	{KIND_STATEFULSET, "apps", "v1", "statefulsets", "StatefulSet", true, ALIASES("sts", "statefulset", "statefulsets")},
	{KIND_DAEMONSET, "apps", "v1", "daemonsets", "DaemonSet", true, ALIASES("ds", "daemonset", "daemonsets")},
	{KIND_SERVICE, "", "v1", "services", "Service", true, ALIASES("svc", "service", "services")},
	{KIND_ENDPOINTS, "", "v1", "endpoints", "Endpoints", true, ALIASES("ep", "endpoint", "endpoints")},
	{KIND_JOB, "batch", "v1", "jobs", "Job", true, ALIASES("job", "jobs")},
	{KIND_CRONJOB, "batch", "v1", "cronjobs", "CronJob", true, ALIASES("cj", "cronjob", "cronjobs")},
	{KIND_EVENT, "", "v1", "events", "Event", true, ALIASES("ev", "event", "events")},
	{KIND_NODE, "", "v1", "nodes", "Node", false, ALIASES("no", "node", "nodes")},
	{KIND_CONFIGMAP, "", "v1", "configmaps", "ConfigMap", true, ALIASES("cm", "configmap", "configmaps")},
	{KIND_SECRET, "", "v1", "secrets", "Secret", true, ALIASES("secret", "secrets", "sec")},
	{KIND_INGRESS, "networking.k8s.io", "v1", "ingresses", "Ingress", true, ALIASES("ing", "ingress", "ingresses")},
	{KIND_HPA, "autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true,
	 ALIASES("hpa", "horizontalpodautoscaler", "horizontalpodautoscalers")},
	{KIND_LEASE, "coordination.k8s.io", "v1", "leases", "Lease", true, ALIASES("lease", "leases")},
	{KIND_SERVICEACCOUNT, "", "v1", "serviceaccounts", "ServiceAccount", true, ALIASES("sa", "serviceaccount", "serviceaccounts")},
	{KIND_NETWORKPOLICY, "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true,
	 ALIASES("netpol", "networkpolicy", "networkpolicies")},
	{KIND_PVC, "", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true,
	 ALIASES("pvc", "persistentvolumeclaim", "persistentvolumeclaims")},
	{KIND_PV, "", "v1", "persistentvolumes", "PersistentVolume", false, ALIASES("pv", "persistentvolume", "persistentvolumes")},
};

const kind_info_t *kind_get(kind_id_t id)
{
	if ((unsigned)id >= KIND__COUNT)
		return NULL;
	return &kind_table[id];
}

const kind_info_t *kind_by_alias(const char *alias)
{
	if (!alias || !*alias)
		return NULL;
	const char *dot = strchr(alias, '.');
	size_t n = dot ? (size_t)(dot - alias) : strlen(alias);
	for (size_t i = 0; i < KIND__COUNT; i++) {
		const kind_info_t *k = &kind_table[i];
		/* "deployments.apps" names the group too; it must match. */
		if (dot && strcasecmp(dot + 1, k->group) != 0)
			continue;
		if (strlen(k->kind) == n && strncasecmp(k->kind, alias, n) == 0)
			return k;
		for (const char *const *a = k->aliases; *a; a++)
			if (strlen(*a) == n && strncasecmp(*a, alias, n) == 0)
				return k;
	}
	return NULL;
}

const kind_info_t *kind_by_kind(const char *kind, const char *api_version)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < KIND__COUNT; i++) {
		const kind_info_t *k = &kind_table[i];
		if (strcmp(k->kind, kind) != 0)
			continue;
		if (api_version) {
			/* Compare groups only: older versions (batch/v1beta1, extensions/v1beta1
			 * Ingress...) decode with the same model. */
			const char *slash = strchr(api_version, '/');
			size_t glen = slash ? (size_t)(slash - api_version) : 0;
			bool legacy = glen == 10 && strncmp(api_version, "extensions", 10) == 0;
			if (!legacy && (strlen(k->group) != glen || strncmp(k->group, api_version, glen) != 0))
				continue;
		}
		return k;
	}
	return NULL;
}

static int kind_prefix(const kind_info_t *k, char *buf, size_t len)
{
	if (!*k->group)
		return snprintf(buf, len, "/api/%s", k->version);
	return snprintf(buf, len, "/apis/%s/%s", k->group, k->version);
}

int kind_list_path(const kind_info_t *k, const char *ns, char *buf, size_t len)
{
	char prefix[96];
	if (!k)
		return -1;
	kind_prefix(k, prefix, sizeof prefix);
	if (k->namespaced && ns && *ns)
		return snprintf(buf, len, "%s/namespaces/%s/%s", prefix, ns, k->plural);
	return snprintf(buf, len, "%s/%s", prefix, k->plural);
}

int kind_object_path(const kind_info_t *k, const char *ns, const char *name, char *buf, size_t len)
{
	char prefix[96];
	if (!k || !name)
		return -1;
	kind_prefix(k, prefix, sizeof prefix);
	if (k->namespaced && ns && *ns)
		return snprintf(buf, len, "%s/namespaces/%s/%s/%s", prefix, ns, k->plural, name);
	return snprintf(buf, len, "%s/%s/%s", prefix, k->plural, name);
}

/* model_kinds.c — decoders for every kind but pods: the fields their kubectl
 * columns and drill-downs need, with the derived strings (node roles, HPA
 * targets, ingress hosts) computed once here rather than per redraw. */
#include "kdeck/model.h"
#include "model_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool nonempty(const char *s)
{
	return s && *s;
}

static int32_t count_members(const cJSON *o)
{
	int n = o ? cJSON_GetArraySize(o) : 0;
	return n;
}

/* Small bounded string builder for derived cells. */
typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf_t;

static void sb_add(sbuf_t *s, const char *txt)
{
	size_t n = strlen(txt);
	if (s->len + n >= s->cap)
		n = s->cap - s->len - 1;
	memcpy(s->p + s->len, txt, n);
	s->len += n;
	s->p[s->len] = '\0';
}

/* ---- workloads ------------------------------------------------------------------ */

static void wl_job_conditions(kb_t *b, kobj_workload_t *w, const cJSON *st)
{
	static const struct { const char *type; uint8_t bit; } map[] = {
		{"Complete", KJOB_COMPLETE}, {"Failed", KJOB_FAILED}, {"Suspended", KJOB_SUSPENDED},
		{"FailureTarget", KJOB_FAILURE_TARGET}, {"SuccessCriteriaMet", KJOB_SUCCESS_CRITERIA_MET},
	};
	const cJSON *c;
	cJSON_ArrayForEach(c, kj_arr(b, st, "conditions", "status", 0))
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");
		if (!cJSON_IsString(t) || !cJSON_IsString(s) || !t->valuestring || !s->valuestring ||
		    strcmp(s->valuestring, "True") != 0)
			continue;
		for (size_t i = 0; i < sizeof map / sizeof *map; i++)
			if (strcmp(t->valuestring, map[i].type) == 0)
				w->jobconds |= map[i].bit;
	}
}

/* labels.FormatLabels: sorted "k=v,k2=v2"; NULL for an empty map. */
static const char *format_map(kb_t *b, const cJSON *map)
{
	uint16_t n;
	const kobj_label_t *l = kj_labels(b, map, &n, "spec.template.spec.nodeSelector");
	if (!n)
		return NULL;
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(l[i].key) + strlen(l[i].value) + 2;
	char *s = kb_alloc(b, len, 1), *p = s;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s=%s", i ? "," : "", l[i].key, l[i].value);
	return s;
}

void kdec_workload(kb_t *b, kobj_t *o, const cJSON *obj)
{
	kobj_workload_t *w = &o->u.wl;
	const cJSON *spec = kj_obj(b, obj, "spec", "", 0);
	const cJSON *st = kj_obj(b, obj, "status", "", 0);
	const cJSON *pspec_owner = spec;

	if (o->kind == KIND_CRONJOB) {
		const cJSON *jt = kj_obj(b, spec, "jobTemplate", "spec", 0);
		pspec_owner = kj_obj(b, jt, "spec", "spec.jobTemplate", 0);
		w->schedule = kb_str(b, kj_str(b, spec, "schedule", "spec", 0));
		w->time_zone = kb_str(b, kj_str(b, spec, "timeZone", "spec", 0));
		w->suspend = kj_bool(b, spec, "suspend", "spec", 0);
		w->active = count_members(kj_arr(b, st, "active", "status", 0));
		w->last_schedule = kj_time(b, st, "lastScheduleTime", "status", 0);
	}
	const cJSON *tmpl = kj_obj(b, pspec_owner, "template", "spec", 0);
	const cJSON *pspec = kj_obj(b, tmpl, "spec", "spec.template", 0);
	w->containers = kj_containers(b, pspec, &w->ncontainers, "spec.template.spec");
	const cJSON *sel = kj_obj(b, pspec_owner, "selector", "spec", 0);
	if (o->kind == KIND_CRONJOB && !sel) {
		w->selector.nothing = false; /* jobs get their selector when created */
	} else {
		kj_selector(b, sel, &w->selector, "spec.selector");
	}

	switch (o->kind) {
	case KIND_DAEMONSET:
		w->desired = kj_i32(b, st, "desiredNumberScheduled", 0, "status", 0);
		w->current = kj_i32(b, st, "currentNumberScheduled", 0, "status", 0);
		w->ready = kj_i32(b, st, "numberReady", 0, "status", 0);
		w->updated = kj_i32(b, st, "updatedNumberScheduled", 0, "status", 0);
		w->available = kj_i32(b, st, "numberAvailable", 0, "status", 0);
		w->node_selector = format_map(b, kj_obj(b, pspec, "nodeSelector", "spec.template.spec", 0));
		break;
	case KIND_JOB:
		w->desired = kj_i32(b, spec, "completions", -1, "spec", 0);
		w->parallelism = kj_i32(b, spec, "parallelism", -1, "spec", 0);
		w->succeeded = kj_i32(b, st, "succeeded", 0, "status", 0);
		w->failed = kj_i32(b, st, "failed", 0, "status", 0);
		w->active = kj_i32(b, st, "active", 0, "status", 0);
		w->start = kj_time(b, st, "startTime", "status", 0);
		w->completion = kj_time(b, st, "completionTime", "status", 0);
		wl_job_conditions(b, w, st);
		break;
	case KIND_CRONJOB:
		break;
	default: /* deployments, replicasets, statefulsets: the API defaults replicas to 1 */
		w->desired = kj_i32(b, spec, "replicas", 1, "spec", 0);
		w->current = kj_i32(b, st, "replicas", 0, "status", 0);
		w->ready = kj_i32(b, st, "readyReplicas", 0, "status", 0);
		w->updated = kj_i32(b, st, "updatedReplicas", 0, "status", 0);
		w->available = kj_i32(b, st, "availableReplicas", 0, "status", 0);
		break;
	}
}

/* ---- services and endpoints --------------------------------------------------- */

static const kobj_port_t *decode_ports(kb_t *b, const cJSON *arr, uint16_t *n, const char *ctx)
{
	int count = kj_count(arr);
	*n = 0;
	if (count <= 0)
		return NULL;
	kobj_port_t *p = KB_NEW(b, kobj_port_t, count);
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		if (i == count)
			break;
		p[i].name = kb_str(b, kj_str(b, it, "name", ctx, i));
		const char *proto = kj_str(b, it, "protocol", ctx, i);
		p[i].protocol = kb_intern(b, nonempty(proto) ? proto : "TCP"); /* the API's default */
		p[i].port = kj_i32(b, it, "port", 0, ctx, i);
		p[i].node_port = kj_i32(b, it, "nodePort", 0, ctx, i);
		i++;
	}
	*n = (uint16_t)i;
	return p;
}

static const char *const *decode_strings(kb_t *b, const cJSON *arr, const char *field, uint16_t *n)
{
	int count = kj_count(arr);
	*n = 0;
	if (count <= 0)
		return NULL;
	const char **v = KB_NEW(b, const char *, count);
	int k = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		if (k == count)
			break;
		const cJSON *s = field ? cJSON_GetObjectItemCaseSensitive(it, field) : it;
		if (cJSON_IsString(s) && s->valuestring && *s->valuestring)
			v[k++] = kb_str(b, s->valuestring);
	}
	*n = (uint16_t)k;
	return v;
}

/* status.loadBalancer.ingress: ip, else hostname — as a sorted, de-duplicated set. */
static const char *const *decode_lb(kb_t *b, const cJSON *st, uint16_t *n)
{
	const cJSON *lb = kj_obj(b, st, "loadBalancer", "status", 0);
	const cJSON *ing = kj_arr(b, lb, "ingress", "status.loadBalancer", 0);
	int count = kj_count(ing);
	*n = 0;
	if (count <= 0)
		return NULL;
	const char **v = KB_NEW(b, const char *, count);
	int k = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, ing)
	{
		if (k == count)
			break;
		const cJSON *ip = cJSON_GetObjectItemCaseSensitive(it, "ip");
		const cJSON *host = cJSON_GetObjectItemCaseSensitive(it, "hostname");
		const char *s = cJSON_IsString(ip) && ip->valuestring && *ip->valuestring ? ip->valuestring
				: cJSON_IsString(host) && host->valuestring && *host->valuestring ? host->valuestring
												    : NULL;
		if (!s)
			continue;
		int j = 0;
		while (j < k && strcmp(v[j], s) < 0)
			j++;
		if (j < k && strcmp(v[j], s) == 0)
			continue;
		memmove(v + j + 1, v + j, (size_t)(k - j) * sizeof *v);
		v[j] = kb_str(b, s);
		k++;
	}
	*n = (uint16_t)k;
	return v;
}

void kdec_service(kb_t *b, kobj_t *o, const cJSON *obj)
{
	kobj_service_t *s = &o->u.svc;
	const cJSON *spec = kj_obj(b, obj, "spec", "", 0);
	const cJSON *st = kj_obj(b, obj, "status", "", 0);
	const char *type = kj_str(b, spec, "type", "spec", 0);
	s->type = kb_intern(b, nonempty(type) ? type : "ClusterIP");
	const char *cip = kj_str(b, spec, "clusterIP", "spec", 0);
	if (!cip) /* pre-1.0 servers called it portalIP */
		cip = kj_str(b, spec, "portalIP", "spec", 0);
	s->cluster_ip = nonempty(cip) ? kb_str(b, cip) : NULL;
	s->external_name = kb_str(b, kj_str(b, spec, "externalName", "spec", 0));
	s->external_ips = decode_strings(b, kj_arr(b, spec, "externalIPs", "spec", 0), NULL, &s->nexternal_ips);
	s->lb_ingress = decode_lb(b, st, &s->nlb_ingress);
	s->ports = decode_ports(b, kj_arr(b, spec, "ports", "spec", 0), &s->nports, "spec.ports[%d]");
	s->selector = kj_labels(b, kj_obj(b, spec, "selector", "spec", 0), &s->nselector, "spec.selector");
}

void kdec_endpoints(kb_t *b, kobj_t *o, const cJSON *obj)
{
	kobj_endpoints_t *e = &o->u.ep;
	const cJSON *subsets = kj_arr(b, obj, "subsets", "", 0);
	int n = subsets ? cJSON_GetArraySize(subsets) : 0;
	if (n <= 0)
		return;
	if (n > UINT16_MAX)
		n = UINT16_MAX;
	kobj_subset_t *ss = KB_NEW(b, kobj_subset_t, n);
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, subsets)
	{
		if (i == n)
			break;
		ss[i].ips = decode_strings(b, kj_arr(b, it, "addresses", "subsets[%d]", i), "ip", &ss[i].nips);
		const cJSON *nr = kj_arr(b, it, "notReadyAddresses", "subsets[%d]", i);
		int nnr = nr ? cJSON_GetArraySize(nr) : 0;
		ss[i].nnotready = (uint16_t)(nnr > UINT16_MAX ? UINT16_MAX : nnr);
		ss[i].ports = decode_ports(b, kj_arr(b, it, "ports", "subsets[%d]", i), &ss[i].nports,
					   "subsets.ports[%d]");
		i++;
	}
	e->subsets = ss;
	e->nsubsets = (uint16_t)i;
}

/* ---- events ----------------------------------------------------------------- */

static const char *first_nonempty(const char *a, const char *b)
{
	return nonempty(a) ? a : b;
}

void kdec_event(kb_t *b, kobj_t *o, const cJSON *obj)
{
	kobj_event_t *e = &o->u.ev;
	/* core/v1 Event, with the events.k8s.io/v1 names as fallbacks. */
	const cJSON *inv = kj_obj(b, obj, "involvedObject", "", 0);
	if (!inv)
		inv = kj_obj(b, obj, "regarding", "", 0);
	e->obj_kind = kb_intern(b, kj_str(b, inv, "kind", "involvedObject", 0));
	e->obj_name = kb_str(b, kj_str(b, inv, "name", "involvedObject", 0));
	e->obj_ns = kb_str(b, kj_str(b, inv, "namespace", "involvedObject", 0));
	e->field_path = kb_str(b, kj_str(b, inv, "fieldPath", "involvedObject", 0));
	e->type = kb_intern(b, kj_str(b, obj, "type", "", 0));
	e->reason = kb_str(b, kj_str(b, obj, "reason", "", 0));
	const char *msg = kj_str(b, obj, "message", "", 0);
	if (!msg)
		msg = kj_str(b, obj, "note", "", 0);
	if (msg) { /* kubectl prints strings.TrimSpace(message) */
		while (*msg == ' ' || *msg == '\t' || *msg == '\n' || *msg == '\r' || *msg == '\v' || *msg == '\f')
			msg++;
		size_t n = strlen(msg);
		while (n && strchr(" \t\n\r\v\f", msg[n - 1]))
			n--;
		e->message = kb_strn(b, msg, n);
	}

	const cJSON *src = kj_obj(b, obj, "source", "", 0);
	const char *comp = first_nonempty(kj_str(b, src, "component", "source", 0),
					  first_nonempty(kj_str(b, obj, "reportingComponent", "", 0),
							 kj_str(b, obj, "reportingController", "", 0)));
	const char *inst = first_nonempty(kj_str(b, src, "host", "source", 0),
					  kj_str(b, obj, "reportingInstance", "", 0));
	if (nonempty(comp)) {
		size_t n = strlen(comp) + (nonempty(inst) ? strlen(inst) + 2 : 0) + 1;
		char *s = kb_alloc(b, n, 1);
		snprintf(s, n, nonempty(inst) ? "%s, %s" : "%s", comp, inst);
		e->source = s;
	}

	/* printEvent: first = firstTimestamp or eventTime; last = lastTimestamp or
	 * first; a series overrides last and count; a count of 0 shows as 1. */
	int64_t first = kj_time(b, obj, "firstTimestamp", "", 0);
	if (!first)
		first = kj_time(b, obj, "deprecatedFirstTimestamp", "", 0);
	if (!first)
		first = kj_time(b, obj, "eventTime", "", 0);
	int64_t last = kj_time(b, obj, "lastTimestamp", "", 0);
	if (!last)
		last = kj_time(b, obj, "deprecatedLastTimestamp", "", 0);
	if (!last)
		last = first;
	int32_t count = kj_i32(b, obj, "count", 0, "", 0);
	if (!count)
		count = kj_i32(b, obj, "deprecatedCount", 0, "", 0);
	const cJSON *series = kj_obj(b, obj, "series", "", 0);
	if (series) {
		last = kj_time(b, series, "lastObservedTime", "series", 0);
		count = kj_i32(b, series, "count", 0, "series", 0);
	} else if (count == 0) {
		count = 1;
	}
	e->first = first;
	e->last = last;
	e->count = count;
}

/* ---- nodes ------------------------------------------------------------------- */

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* findNodeRoles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, sorted set. */
static const char *node_roles(kb_t *b, const kobj_t *o)
{
	static const char prefix[] = "node-role.kubernetes.io/";
	const char *roles[64];
	size_t n = 0, len = 1;
	for (size_t i = 0; i < o->nlabels && n < 64; i++) {
		const kobj_label_t *l = &o->labels[i];
		const char *r = NULL;
		if (strncmp(l->key, prefix, sizeof prefix - 1) == 0 && l->key[sizeof prefix - 1])
			r = l->key + sizeof prefix - 1;
		else if (strcmp(l->key, "kubernetes.io/role") == 0 && *l->value)
			r = l->value;
		if (r)
			roles[n++] = r;
	}
	if (!n)
		return NULL;
	qsort(roles, n, sizeof *roles, cmp_str);
	for (size_t i = 0; i < n; i++)
		len += strlen(roles[i]) + 1;
	char *s = kb_alloc(b, len, 1), *p = s;
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(roles[i], roles[i - 1]) == 0)
			continue;
		p += sprintf(p, "%s%s", p == s ? "" : ",", roles[i]);
	}
	return s;
}

void kdec_node(kb_t *b, kobj_t *o, const cJSON *obj)
{
	kobj_node_t *n = &o->u.node;
	const cJSON *spec = kj_obj(b, obj, "spec", "", 0);
	const cJSON *st = kj_obj(b, obj, "status", "", 0);
	n->unschedulable = kj_bool(b, spec, "unschedulable", "spec", 0);
	n->ntaints = (uint16_t)count_members(kj_arr(b, spec, "taints", "spec", 0));
	n->ready = -1;
	const cJSON *c;
	cJSON_ArrayForEach(c, kj_arr(b, st, "conditions", "status", 0))
	{
		/* kubectl keeps the last condition of each type (a map). */
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");
		if (cJSON_IsString(t) && t->valuestring && strcmp(t->valuestring, "Ready") == 0)
			n->ready = cJSON_IsString(s) && s->valuestring && strcmp(s->valuestring, "True") == 0;
	}
	const cJSON *info = kj_obj(b, st, "nodeInfo", "status", 0);
	n->kubelet_version = kb_str(b, kj_str(b, info, "kubeletVersion", "status.nodeInfo", 0));
	n->os_image = kb_str(b, kj_str(b, info, "osImage", "status.nodeInfo", 0));
	n->kernel = kb_str(b, kj_str(b, info, "kernelVersion", "status.nodeInfo", 0));
	n->runtime = kb_str(b, kj_str(b, info, "containerRuntimeVersion", "status.nodeInfo", 0));
	cJSON_ArrayForEach(c, kj_arr(b, st, "addresses", "status", 0))
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, "address");
		if (!cJSON_IsString(t) || !cJSON_IsString(a) || !t->valuestring || !a->valuestring)
			continue;
		if (!n->internal_ip && strcmp(t->valuestring, "InternalIP") == 0)
			n->internal_ip = kb_str(b, a->valuestring);
		else if (!n->external_ip && strcmp(t->valuestring, "ExternalIP") == 0)
			n->external_ip = kb_str(b, a->valuestring);
	}
	n->roles = node_roles(b, o);
}

/* ---- the small kinds -------------------------------------------------------- */

/* formatHosts: up to 3 hosts, then " + N more..."; "*" when no rule has a host. */
static const char *ingress_hosts(kb_t *b, const cJSON *rules)
{
	char buf[512];
	sbuf_t s = {buf, 0, sizeof buf};
	int listed = 0, total = count_members(rules);
	bool more = false;
	buf[0] = '\0';
	const cJSON *r;
	cJSON_ArrayForEach(r, rules)
	{
		if (listed == 3)
			more = true;
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "host");
		if (!more && cJSON_IsString(h) && h->valuestring && *h->valuestring) {
			if (listed)
				sb_add(&s, ",");
			sb_add(&s, h->valuestring);
			listed++;
		}
	}
	if (!listed)
		return "*";
	if (more) {
		char tail[48];
		snprintf(tail, sizeof tail, " + %d more...", total - 3);
		sb_add(&s, tail);
	}
	return kb_str(b, buf);
}

static const char *join_strings(kb_t *b, const char *const *v, size_t n)
{
	if (!n)
		return NULL;
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *s = kb_alloc(b, len, 1), *p = s;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", v[i]);
	return s;
}

/* formatHPAMetrics for the metric types seen in practice; at most 2, then "+ N more...". */
static const char *hpa_targets(kb_t *b, const cJSON *spec, const cJSON *st)
{
	char buf[512], item[160];
	sbuf_t s = {buf, 0, sizeof buf};
	buf[0] = '\0';
	const cJSON *metrics = kj_arr(b, spec, "metrics", "spec", 0);
	const cJSON *cur = kj_arr(b, st, "currentMetrics", "status", 0);
	int count = 0;
	if (!metrics) {
		/* autoscaling/v1: targetCPUUtilizationPercentage */
		if (!kj_present(spec, "targetCPUUtilizationPercentage"))
			return "<none>";
		char c[24] = "<unknown>";
		if (kj_present(st, "currentCPUUtilizationPercentage"))
			snprintf(c, sizeof c, "%lld%%",
				 (long long)kj_int(b, st, "currentCPUUtilizationPercentage", 0, "status", 0));
		snprintf(item, sizeof item, "cpu: %s/%lld%%", c,
			 (long long)kj_int(b, spec, "targetCPUUtilizationPercentage", 0, "spec", 0));
		return kb_str(b, item);
	}
	int i = 0;
	const cJSON *m;
	cJSON_ArrayForEach(m, metrics)
	{
		const cJSON *cm = cur ? cJSON_GetArrayItem(cur, i) : NULL;
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "type");
		const char *type = cJSON_IsString(t) && t->valuestring ? t->valuestring : "";
		i++;
		if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
			const char *sub = type[0] == 'R' ? "resource" : "containerResource";
			const cJSON *res = cJSON_GetObjectItemCaseSensitive(m, sub);
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(res, "name");
			const cJSON *target = cJSON_GetObjectItemCaseSensitive(res, "target");
			const cJSON *cres = cJSON_GetObjectItemCaseSensitive(cm, sub);
			const cJSON *ccur = cJSON_GetObjectItemCaseSensitive(cres, "current");
			const char *nm = cJSON_IsString(name) && name->valuestring ? name->valuestring : "";
			const cJSON *av = cJSON_GetObjectItemCaseSensitive(target, "averageValue");
			char c[40] = "<unknown>", tg[40] = "<auto>";
			if (cJSON_IsString(av) && av->valuestring) {
				const cJSON *cav = cJSON_GetObjectItemCaseSensitive(ccur, "averageValue");
				if (cJSON_IsString(cav) && cav->valuestring)
					snprintf(c, sizeof c, "%s", cav->valuestring);
				snprintf(tg, sizeof tg, "%s", av->valuestring);
			} else {
				const cJSON *cu = cJSON_GetObjectItemCaseSensitive(ccur, "averageUtilization");
				const cJSON *tu = cJSON_GetObjectItemCaseSensitive(target, "averageUtilization");
				if (cJSON_IsNumber(cu))
					snprintf(c, sizeof c, "%d%%", cu->valueint);
				if (cJSON_IsNumber(tu))
					snprintf(tg, sizeof tg, "%d%%", tu->valueint);
			}
			snprintf(item, sizeof item, "%s: %s/%s", nm, c, tg);
		} else if (*type) {
			/* Pods/Object/External: current/target of the metric's first value. */
			char sub[24];
			snprintf(sub, sizeof sub, "%c%s", type[0] + ('a' - 'A') * (type[0] >= 'A' && type[0] <= 'Z'), type + 1);
			const cJSON *target = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, sub), "target");
			const cJSON *ccur = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cm, sub), "current");
			const char *keys[] = {"averageValue", "value"};
			const char *tv = NULL, *cv = NULL;
			for (size_t k = 0; k < 2 && !tv; k++) {
				const cJSON *x = cJSON_GetObjectItemCaseSensitive(target, keys[k]);
				const cJSON *y = cJSON_GetObjectItemCaseSensitive(ccur, keys[k]);
				if (cJSON_IsString(x))
					tv = x->valuestring;
				if (cJSON_IsString(y))
					cv = y->valuestring;
			}
			snprintf(item, sizeof item, "%s/%s%s", cv ? cv : "<unknown>", tv ? tv : "<unknown>",
				 strcmp(sub, "pods") == 0 || !cJSON_GetObjectItemCaseSensitive(target, "averageValue") ? "" : " (avg)");
		} else {
			snprintf(item, sizeof item, "<unknown type>");
		}
		count++;
		if (count <= 2) {
			if (count > 1)
				sb_add(&s, ", ");
			sb_add(&s, item);
		}
	}
	if (count == 0)
		return "<none>";
	if (count > 2) {
		snprintf(item, sizeof item, " + %d more...", count - 2);
		sb_add(&s, item);
	}
	return kb_str(b, buf);
}

/* GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order. */
static const char *access_modes(kb_t *b, const cJSON *modes)
{
	static const struct { const char *mode, *abbr; } map[] = {
		{"ReadWriteOnce", "RWO"}, {"ReadOnlyMany", "ROX"}, {"ReadWriteMany", "RWX"}, {"ReadWriteOncePod", "RWOP"},
	};
	char buf[32] = "";
	sbuf_t s = {buf, 0, sizeof buf};
	for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
		const cJSON *m;
		cJSON_ArrayForEach(m, modes)
		{
			if (cJSON_IsString(m) && m->valuestring && strcmp(m->valuestring, map[i].mode) == 0) {
				if (s.len)
					sb_add(&s, ",");
				sb_add(&s, map[i].abbr);
				break;
			}
		}
	}
	return s.len ? kb_str(b, buf) : NULL;
}

void kdec_misc(kb_t *b, kobj_t *o, const cJSON *obj)
{
	kobj_misc_t *m = &o->u.misc;
	const cJSON *spec = kj_obj(b, obj, "spec", "", 0);
	const cJSON *st = kj_obj(b, obj, "status", "", 0);
	switch (o->kind) {
	case KIND_NAMESPACE:
		m->s1 = kb_intern(b, kj_str(b, st, "phase", "status", 0));
		break;
	case KIND_CONFIGMAP:
		m->n1 = count_members(kj_obj(b, obj, "data", "", 0)) + count_members(kj_obj(b, obj, "binaryData", "", 0));
		break;
	case KIND_SECRET:
		m->s1 = kb_intern(b, kj_str(b, obj, "type", "", 0));
		m->n1 = count_members(kj_obj(b, obj, "data", "", 0));
		break;
	case KIND_SERVICEACCOUNT:
		m->n1 = count_members(kj_arr(b, obj, "secrets", "", 0));
		break;
	case KIND_LEASE:
		m->s1 = kb_str(b, kj_str(b, spec, "holderIdentity", "spec", 0));
		break;
	case KIND_NETWORKPOLICY: {
		const cJSON *ps = kj_obj(b, spec, "podSelector", "spec", 0);
		kj_selector(b, ps, &m->selector, "spec.podSelector");
		m->selector.nothing = false; /* an empty podSelector selects every pod */
		break;
	}
	case KIND_INGRESS: {
		const char *cls = kj_str(b, spec, "ingressClassName", "spec", 0);
		m->s1 = kb_str(b, cls);
		m->s2 = ingress_hosts(b, kj_arr(b, spec, "rules", "spec", 0));
		uint16_t n;
		const char *const *lb = decode_lb(b, st, &n);
		m->s3 = join_strings(b, lb, n);
		m->n1 = count_members(kj_arr(b, spec, "tls", "spec", 0)) > 0;
		break;
	}
	case KIND_HPA: {
		const cJSON *ref = kj_obj(b, spec, "scaleTargetRef", "spec", 0);
		const char *k = kj_str(b, ref, "kind", "spec.scaleTargetRef", 0);
		const char *n = kj_str(b, ref, "name", "spec.scaleTargetRef", 0);
		char buf[320];
		snprintf(buf, sizeof buf, "%s/%s", k ? k : "", n ? n : "");
		m->s1 = kb_str(b, buf);
		m->s2 = hpa_targets(b, spec, st);
		m->n1 = kj_i32(b, spec, "minReplicas", -1, "spec", 0);
		m->n2 = kj_i32(b, spec, "maxReplicas", 0, "spec", 0);
		m->n3 = kj_i32(b, st, "currentReplicas", 0, "status", 0);
		break;
	}
	case KIND_PVC: {
		m->s1 = kb_intern(b, kj_str(b, st, "phase", "status", 0));
		const char *vol = kj_str(b, spec, "volumeName", "spec", 0);
		m->s2 = kb_str(b, vol);
		if (nonempty(vol)) { /* capacity and modes only once bound, like kubectl */
			const cJSON *cap = kj_obj(b, st, "capacity", "status", 0);
			m->s3 = kb_str(b, kj_str(b, cap, "storage", "status.capacity", 0));
			m->s4 = access_modes(b, kj_arr(b, st, "accessModes", "status", 0));
		}
		m->s5 = kb_str(b, kj_str(b, spec, "storageClassName", "spec", 0));
		break;
	}
	case KIND_PV: {
		m->s1 = kb_intern(b, kj_str(b, st, "phase", "status", 0));
		const cJSON *claim = kj_obj(b, spec, "claimRef", "spec", 0);
		if (claim) {
			const char *cns = kj_str(b, claim, "namespace", "spec.claimRef", 0);
			const char *cn = kj_str(b, claim, "name", "spec.claimRef", 0);
			char buf[320];
			snprintf(buf, sizeof buf, "%s/%s", cns ? cns : "", cn ? cn : "");
			m->s2 = kb_str(b, buf);
		}
		const cJSON *cap = kj_obj(b, spec, "capacity", "spec", 0);
		m->s3 = kb_str(b, kj_str(b, cap, "storage", "spec.capacity", 0));
		m->s4 = access_modes(b, kj_arr(b, spec, "accessModes", "spec", 0));
		m->s5 = kb_str(b, kj_str(b, spec, "storageClassName", "spec", 0));
		m->s6 = kb_intern(b, kj_str(b, spec, "persistentVolumeReclaimPolicy", "spec", 0));
		break;
	}
	default:
		break;
	}
}

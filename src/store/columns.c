/* columns.c — per-kind column tables: the columns `kubectl get -o wide` shows,
 * each with a cell formatter (into the caller's buffer, no allocation) and a
 * sort order. Formatting follows pkg/printers/internalversion/printers.go. */
#include "kdeck/model.h"
#include "model_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- cell output ------------------------------------------------------------- */

/* Copies s like kubectl's table printer: cut at the first newline, carriage
 * return or form feed with "..." appended; other control bytes (ESC!) become
 * '?' so an object cannot drive the terminal. NULL or "" gives dflt. */
static void put(char *buf, size_t len, const char *s, const char *dflt)
{
	size_t n = 0;
	if (!len)
		return;
	if (!s || !*s)
		s = dflt ? dflt : "";
	for (; *s && n + 1 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\r' || c == '\f') {
			for (const char *d = "..."; *d && n + 1 < len; d++)
				buf[n++] = *d;
			break;
		}
		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[n] = '\0';
}

/* snprintf into the remaining space; keeps a running length. */
typedef struct out {
	char *buf;
	size_t len, n;
} out_t;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void outf(out_t *o, const char *fmt, ...)
{
	va_list ap;
	if (o->n >= o->len)
		return;
	va_start(ap, fmt);
	int w = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		o->n += (size_t)w;
	if (o->n >= o->len)
		o->n = o->len;
}

/* ---- common cells ------------------------------------------------------------ */

static void c_name(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->name, "");
}
static void c_namespace(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->ns, "");
}
static void c_age(const kobj_t *o, time_t now, char *buf, size_t len)
{
	kobj_age(o->created, now, buf, len);
}

static int cmp_int(long long a, long long b)
{
	return (a > b) - (a < b);
}
static int cmp_name(const kobj_t *a, const kobj_t *b)
{
	return kobj_strcmp(a->name, b->name);
}
static int cmp_namespace(const kobj_t *a, const kobj_t *b)
{
	int c = kobj_strcmp(a->ns, b->ns);
	return c ? c : cmp_name(a, b);
}
/* AGE ascending: youngest first; unknown creation times last. */
static int cmp_age(const kobj_t *a, const kobj_t *b)
{
	if (!a->created || !b->created)
		return cmp_int(!a->created, !b->created);
	return cmp_int(b->created, a->created);
}

/* Sorting by the text of a cell, for columns without a numeric meaning. */
#define CELL_CMP(fn)                                                   \
	static int fn##_cmp(const kobj_t *a, const kobj_t *b)          \
	{                                                              \
		char x[256], y[256];                                   \
		fn(a, 0, x, sizeof x);                                 \
		fn(b, 0, y, sizeof y);                                 \
		int c = strcmp(x, y);                                  \
		return c ? c : cmp_name(a, b);                         \
	}
#define INT_CMP(name, expr)                                            \
	static int name(const kobj_t *a, const kobj_t *b)              \
	{                                                              \
		const kobj_t *o = a;                                   \
		long long x = (expr);                                  \
		o = b;                                                 \
		long long y = (expr);                                  \
		int c = cmp_int(x, y);                                 \
		return c ? c : cmp_name(a, b);                         \
	}

/* layoutContainerCells: names and images, comma-separated. */
static void containers_cell(const kobj_container_t *c, size_t n, bool images, char *buf, size_t len)
{
	out_t o = {buf, len, 0};
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		outf(&o, "%s%s", i ? "," : "", (images ? c[i].image : c[i].name) ? (images ? c[i].image : c[i].name) : "");
	put(buf, len, buf, "");
}

static void selector_cell(const ksel_t *s, char *buf, size_t len)
{
	/* metav1.FormatLabelSelector: "<none>" for an empty or nil selector. */
	ksel_format(s, buf, len);
	if (len && !buf[0])
		put(buf, len, "<none>", NULL);
}

static void bool_ready(char *buf, size_t len, long long a, long long b)
{
	snprintf(buf, len, "%lld/%lld", a, b);
}

/* ---- pods ------------------------------------------------------------------- */

static void pod_ready(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	bool_ready(buf, len, o->u.pod.ready, o->u.pod.total);
}
static void pod_status(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.pod.status, "");
}
static void pod_restarts(const kobj_t *o, time_t now, char *buf, size_t len)
{
	/* kubectl ≥1.24: "3 (2m ago)" when a container has a last termination time. */
	const kobj_pod_t *p = &o->u.pod;
	if (p->restarts != 0 && p->last_restart) {
		char ago[32];
		kobj_age(p->last_restart, now, ago, sizeof ago);
		snprintf(buf, len, "%d (%s ago)", (int)p->restarts, ago);
	} else {
		snprintf(buf, len, "%d", (int)p->restarts);
	}
}
static void pod_ip(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.pod.ip, "<none>");
}
static void pod_node(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.pod.node, "<none>");
}
static void pod_nominated(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.pod.nominated, "<none>");
}
static void pod_gates(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	if (!o->u.pod.gates)
		put(buf, len, "<none>", NULL);
	else
		bool_ready(buf, len, o->u.pod.gates_true, o->u.pod.gates);
}
static int pod_ready_cmp(const kobj_t *a, const kobj_t *b)
{
	/* By ratio, then by size: 0/1 < 1/2 < 1/1 < 2/2. */
	long long x = (long long)a->u.pod.ready * (b->u.pod.total ? b->u.pod.total : 1);
	long long y = (long long)b->u.pod.ready * (a->u.pod.total ? a->u.pod.total : 1);
	int c = cmp_int(x, y);
	if (!c)
		c = cmp_int(a->u.pod.total, b->u.pod.total);
	return c ? c : cmp_name(a, b);
}
INT_CMP(pod_restarts_cmp, o->u.pod.restarts)
CELL_CMP(pod_status)
CELL_CMP(pod_ip)
CELL_CMP(pod_node)
CELL_CMP(pod_nominated)
CELL_CMP(pod_gates)

/* ---- workloads ----------------------------------------------------------------- */

static void wl_containers(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	containers_cell(o->u.wl.containers, o->u.wl.ncontainers, false, buf, len);
}
static void wl_images(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	containers_cell(o->u.wl.containers, o->u.wl.ncontainers, true, buf, len);
}
static void wl_selector(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	selector_cell(&o->u.wl.selector, buf, len);
}
static void wl_ready(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	bool_ready(buf, len, o->u.wl.ready, o->u.wl.desired);
}
#define WL_INT(name, field)                                                      \
	static void name(const kobj_t *o, time_t now, char *buf, size_t len)     \
	{                                                                        \
		(void)now;                                                       \
		snprintf(buf, len, "%d", (int)o->u.wl.field);                    \
	}                                                                        \
	INT_CMP(name##_cmp, o->u.wl.field)
WL_INT(wl_desired, desired)
WL_INT(wl_current, current)
WL_INT(wl_readyn, ready)
WL_INT(wl_updated, updated)
WL_INT(wl_available, available)
WL_INT(wl_active, active)
INT_CMP(wl_ready_cmp, o->u.wl.desired ? (long long)o->u.wl.ready * 1000000 / o->u.wl.desired : 0)
CELL_CMP(wl_containers)
CELL_CMP(wl_images)
CELL_CMP(wl_selector)

static void ds_node_selector(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.wl.node_selector, "<none>");
}
CELL_CMP(ds_node_selector)

static void job_status(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	uint8_t c = o->u.wl.jobconds;
	const char *s = c & KJOB_COMPLETE              ? "Complete"
			: c & KJOB_FAILED              ? "Failed"
			: o->deleted                   ? "Terminating"
			: c & KJOB_SUSPENDED           ? "Suspended"
			: c & KJOB_FAILURE_TARGET      ? "FailureTarget"
			: c & KJOB_SUCCESS_CRITERIA_MET ? "SuccessCriteriaMet"
						       : "Running";
	put(buf, len, s, NULL);
}
static void job_completions(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	const kobj_workload_t *w = &o->u.wl;
	if (w->desired >= 0)
		snprintf(buf, len, "%d/%d", (int)w->succeeded, (int)w->desired);
	else if (w->parallelism > 1)
		snprintf(buf, len, "%d/1 of %d", (int)w->succeeded, (int)w->parallelism);
	else
		snprintf(buf, len, "%d/1", (int)w->succeeded);
}
static long long job_duration_s(const kobj_t *o, time_t now)
{
	const kobj_workload_t *w = &o->u.wl;
	if (!w->start)
		return -1;
	return (w->completion ? w->completion : (long long)now) - w->start;
}
static void job_duration(const kobj_t *o, time_t now, char *buf, size_t len)
{
	long long d = job_duration_s(o, now);
	if (d == -1 && !o->u.wl.start)
		put(buf, len, "", NULL);
	else
		kobj_human_duration(d, buf, len);
}
static int job_duration_cmp(const kobj_t *a, const kobj_t *b)
{
	/* Running jobs have no fixed duration; compare as of their start. */
	time_t now = time(NULL);
	int c = cmp_int(job_duration_s(a, now), job_duration_s(b, now));
	return c ? c : cmp_name(a, b);
}
CELL_CMP(job_status)
INT_CMP(job_completions_cmp, o->u.wl.succeeded)

static void cj_schedule(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.wl.schedule, "");
}
static void cj_timezone(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.wl.time_zone, "<none>");
}
static void cj_suspend(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.wl.suspend ? "True" : "False", NULL);
}
static void cj_last(const kobj_t *o, time_t now, char *buf, size_t len)
{
	if (!o->u.wl.last_schedule)
		put(buf, len, "<none>", NULL);
	else
		kobj_age(o->u.wl.last_schedule, now, buf, len);
}
CELL_CMP(cj_schedule)
CELL_CMP(cj_timezone)
CELL_CMP(cj_suspend)
INT_CMP(cj_last_cmp, -o->u.wl.last_schedule)

/* ---- services and endpoints -------------------------------------------------- */

static void svc_type(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.svc.type, "");
}
static void svc_cluster_ip(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.svc.cluster_ip, "<none>");
}
static void join(out_t *out, const char *const *v, size_t n, bool *first)
{
	for (size_t i = 0; i < n; i++) {
		outf(out, "%s%s", *first ? "" : ",", v[i]);
		*first = false;
	}
}
/* getServiceExternalIP (the untruncated -o wide form). */
static void svc_external_ip(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	const kobj_service_t *s = &o->u.svc;
	out_t out = {buf, len, 0};
	bool first = true;
	if (len)
		buf[0] = '\0';
	if (!strcmp(s->type, "ClusterIP") || !strcmp(s->type, "NodePort")) {
		if (s->nexternal_ips)
			join(&out, s->external_ips, s->nexternal_ips, &first);
		else
			outf(&out, "<none>");
	} else if (!strcmp(s->type, "LoadBalancer")) {
		join(&out, s->lb_ingress, s->nlb_ingress, &first);
		join(&out, s->external_ips, s->nexternal_ips, &first);
		if (first)
			outf(&out, "<pending>");
	} else if (!strcmp(s->type, "ExternalName")) {
		outf(&out, "%s", s->external_name ? s->external_name : "");
	} else {
		outf(&out, "<unknown>");
	}
	put(buf, len, buf, "");
}
static void svc_ports(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	const kobj_service_t *s = &o->u.svc;
	out_t out = {buf, len, 0};
	if (!s->nports) {
		put(buf, len, "<none>", NULL);
		return;
	}
	for (size_t i = 0; i < s->nports; i++) {
		const kobj_port_t *p = &s->ports[i];
		if (p->node_port > 0)
			outf(&out, "%s%d:%d/%s", i ? "," : "", (int)p->port, (int)p->node_port, p->protocol);
		else
			outf(&out, "%s%d/%s", i ? "," : "", (int)p->port, p->protocol);
	}
}
static void svc_selector(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	const kobj_service_t *s = &o->u.svc;
	out_t out = {buf, len, 0};
	if (!s->nselector) {
		put(buf, len, "<none>", NULL);
		return;
	}
	for (size_t i = 0; i < s->nselector; i++)
		outf(&out, "%s%s=%s", i ? "," : "", s->selector[i].key, s->selector[i].value);
	put(buf, len, buf, "");
}
CELL_CMP(svc_type)
CELL_CMP(svc_cluster_ip)
CELL_CMP(svc_external_ip)
CELL_CMP(svc_ports)
CELL_CMP(svc_selector)

/* formatEndpoints: up to 3 ip:port, then " + N more..."; "<none>" without subsets. */
static void ep_endpoints(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	const kobj_endpoints_t *e = &o->u.ep;
	out_t out = {buf, len, 0};
	int listed = 0, count = 0;
	bool more = false;
	if (len)
		buf[0] = '\0';
	if (!e->nsubsets) {
		put(buf, len, "<none>", NULL);
		return;
	}
	for (size_t i = 0; i < e->nsubsets; i++) {
		const kobj_subset_t *ss = &e->subsets[i];
		if (!ss->nports) { /* headless services may have no ports */
			count += ss->nips;
			for (size_t a = 0; a < ss->nips; a++) {
				if (listed == 3) {
					more = true;
					break;
				}
				outf(&out, "%s%s", listed++ ? "," : "", ss->ips[a]);
			}
			continue;
		}
		for (size_t p = 0; p < ss->nports; p++) {
			count += ss->nips;
			for (size_t a = 0; a < ss->nips; a++) {
				if (listed == 3) {
					more = true;
					break;
				}
				bool v6 = strchr(ss->ips[a], ':') != NULL; /* net.JoinHostPort */
				outf(&out, "%s%s%s%s:%d", listed++ ? "," : "", v6 ? "[" : "", ss->ips[a], v6 ? "]" : "",
				     (int)ss->ports[p].port);
			}
		}
	}
	if (more)
		outf(&out, " + %d more...", count - 3);
}
CELL_CMP(ep_endpoints)

/* ---- events ----------------------------------------------------------------- */

static void ev_last(const kobj_t *o, time_t now, char *buf, size_t len)
{
	kobj_age(o->u.ev.last, now, buf, len);
}
static void ev_first(const kobj_t *o, time_t now, char *buf, size_t len)
{
	kobj_age(o->u.ev.first, now, buf, len);
}
static void ev_type(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.ev.type, "");
}
static void ev_reason(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.ev.reason, "");
}
static void ev_object(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	const kobj_event_t *e = &o->u.ev;
	out_t out = {buf, len, 0};
	if (len)
		buf[0] = '\0';
	for (const char *k = e->obj_kind ? e->obj_kind : ""; *k; k++) /* strings.ToLower(kind) */
		outf(&out, "%c", tolower((unsigned char)*k));
	if (e->obj_name && *e->obj_name)
		outf(&out, "/%s", e->obj_name);
	put(buf, len, buf, "");
}
static void ev_subobject(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.ev.field_path, "");
}
static void ev_source(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.ev.source, "<unknown>");
}
static void ev_message(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.ev.message, "");
}
static void ev_count(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	snprintf(buf, len, "%d", (int)o->u.ev.count);
}
INT_CMP(ev_last_cmp, -o->u.ev.last)
INT_CMP(ev_first_cmp, -o->u.ev.first)
INT_CMP(ev_count_cmp, o->u.ev.count)
CELL_CMP(ev_type)
CELL_CMP(ev_reason)
CELL_CMP(ev_object)
CELL_CMP(ev_subobject)
CELL_CMP(ev_source)
CELL_CMP(ev_message)

/* ---- nodes ------------------------------------------------------------------ */

static void node_status(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	const kobj_node_t *n = &o->u.node;
	snprintf(buf, len, "%s%s", n->ready < 0 ? "Unknown" : n->ready ? "Ready" : "NotReady",
		 n->unschedulable ? ",SchedulingDisabled" : "");
}
#define NODE_STR(name, field, dflt)                                          \
	static void name(const kobj_t *o, time_t now, char *buf, size_t len) \
	{                                                                    \
		(void)now;                                                   \
		put(buf, len, o->u.node.field, dflt);                        \
	}                                                                    \
	CELL_CMP(name)
NODE_STR(node_roles, roles, "<none>")
NODE_STR(node_version, kubelet_version, "")
NODE_STR(node_internal_ip, internal_ip, "<none>")
NODE_STR(node_external_ip, external_ip, "<none>")
NODE_STR(node_os, os_image, "<unknown>")
NODE_STR(node_kernel, kernel, "<unknown>")
NODE_STR(node_runtime, runtime, "<unknown>")
CELL_CMP(node_status)

/* ---- the small kinds --------------------------------------------------------- */

#define MISC_STR(name, field, dflt)                                          \
	static void name(const kobj_t *o, time_t now, char *buf, size_t len) \
	{                                                                    \
		(void)now;                                                   \
		put(buf, len, o->u.misc.field, dflt);                        \
	}                                                                    \
	CELL_CMP(name)
#define MISC_INT(name, field)                                                \
	static void name(const kobj_t *o, time_t now, char *buf, size_t len) \
	{                                                                    \
		(void)now;                                                   \
		snprintf(buf, len, "%d", (int)o->u.misc.field);              \
	}                                                                    \
	INT_CMP(name##_cmp, o->u.misc.field)
MISC_STR(misc_s1, s1, "")
MISC_STR(misc_s1_none, s1, "<none>")
MISC_STR(misc_s2, s2, "")
MISC_STR(misc_s3, s3, "")
MISC_STR(misc_s4, s4, "")
MISC_STR(misc_s5, s5, "")
MISC_STR(misc_s6, s6, "")
MISC_INT(misc_n1, n1)
MISC_INT(misc_n2, n2)
MISC_INT(misc_n3, n3)

static void ing_ports(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	put(buf, len, o->u.misc.n1 ? "80, 443" : "80", NULL);
}
CELL_CMP(ing_ports)
static void hpa_min(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	if (o->u.misc.n1 < 0)
		put(buf, len, "<unset>", NULL);
	else
		snprintf(buf, len, "%d", (int)o->u.misc.n1);
}
static void netpol_selector(const kobj_t *o, time_t now, char *buf, size_t len)
{
	(void)now;
	selector_cell(&o->u.misc.selector, buf, len);
}
CELL_CMP(netpol_selector)

/* ---- the tables ----------------------------------------------------------------- */

#define COL(title, minw, maxw, align, flags, fn, cmp) {title, minw, maxw, align, flags, fn, cmp}
#define NS_COL COL("NAMESPACE", 9, 40, KCOL_LEFT, KCOL_ALLNS, c_namespace, cmp_namespace)
#define NAME_COL COL("NAME", 4, 63, KCOL_LEFT, 0, c_name, cmp_name)
#define AGE_COL COL("AGE", 3, 9, KCOL_RIGHT, 0, c_age, cmp_age)
#define L KCOL_LEFT
#define R KCOL_RIGHT
#define W KCOL_WIDE

static const kcol_t cols_pod[] = {
	NS_COL, NAME_COL,
	COL("READY", 5, 7, R, 0, pod_ready, pod_ready_cmp),
	COL("STATUS", 6, 32, L, 0, pod_status, pod_status_cmp),
	COL("RESTARTS", 8, 16, R, 0, pod_restarts, pod_restarts_cmp),
	AGE_COL,
	COL("IP", 2, 39, L, W, pod_ip, pod_ip_cmp),
	COL("NODE", 4, 63, L, W, pod_node, pod_node_cmp),
	COL("NOMINATED NODE", 14, 63, L, W, pod_nominated, pod_nominated_cmp),
	COL("READINESS GATES", 15, 15, L, W, pod_gates, pod_gates_cmp),
};

static const kcol_t cols_deployment[] = {
	NS_COL, NAME_COL,
	COL("READY", 5, 11, R, 0, wl_ready, wl_ready_cmp),
	COL("UP-TO-DATE", 10, 10, R, 0, wl_updated, wl_updated_cmp),
	COL("AVAILABLE", 9, 9, R, 0, wl_available, wl_available_cmp),
	AGE_COL,
	COL("CONTAINERS", 10, 60, L, W, wl_containers, wl_containers_cmp),
	COL("IMAGES", 6, 80, L, W, wl_images, wl_images_cmp),
	COL("SELECTOR", 8, 80, L, W, wl_selector, wl_selector_cmp),
};

static const kcol_t cols_replicaset[] = {
	NS_COL, NAME_COL,
	COL("DESIRED", 7, 7, R, 0, wl_desired, wl_desired_cmp),
	COL("CURRENT", 7, 7, R, 0, wl_current, wl_current_cmp),
	COL("READY", 5, 7, R, 0, wl_readyn, wl_readyn_cmp),
	AGE_COL,
	COL("CONTAINERS", 10, 60, L, W, wl_containers, wl_containers_cmp),
	COL("IMAGES", 6, 80, L, W, wl_images, wl_images_cmp),
	COL("SELECTOR", 8, 80, L, W, wl_selector, wl_selector_cmp),
};

static const kcol_t cols_statefulset[] = {
	NS_COL, NAME_COL,
	COL("READY", 5, 11, R, 0, wl_ready, wl_ready_cmp),
	AGE_COL,
	COL("CONTAINERS", 10, 60, L, W, wl_containers, wl_containers_cmp),
	COL("IMAGES", 6, 80, L, W, wl_images, wl_images_cmp),
};

static const kcol_t cols_daemonset[] = {
	NS_COL, NAME_COL,
	COL("DESIRED", 7, 7, R, 0, wl_desired, wl_desired_cmp),
	COL("CURRENT", 7, 7, R, 0, wl_current, wl_current_cmp),
	COL("READY", 5, 7, R, 0, wl_readyn, wl_readyn_cmp),
	COL("UP-TO-DATE", 10, 10, R, 0, wl_updated, wl_updated_cmp),
	COL("AVAILABLE", 9, 9, R, 0, wl_available, wl_available_cmp),
	COL("NODE SELECTOR", 13, 60, L, 0, ds_node_selector, ds_node_selector_cmp),
	AGE_COL,
	COL("CONTAINERS", 10, 60, L, W, wl_containers, wl_containers_cmp),
	COL("IMAGES", 6, 80, L, W, wl_images, wl_images_cmp),
	COL("SELECTOR", 8, 80, L, W, wl_selector, wl_selector_cmp),
};

static const kcol_t cols_service[] = {
	NS_COL, NAME_COL,
	COL("TYPE", 4, 12, L, 0, svc_type, svc_type_cmp),
	COL("CLUSTER-IP", 10, 39, L, 0, svc_cluster_ip, svc_cluster_ip_cmp),
	COL("EXTERNAL-IP", 11, 60, L, 0, svc_external_ip, svc_external_ip_cmp),
	COL("PORT(S)", 7, 60, L, 0, svc_ports, svc_ports_cmp),
	AGE_COL,
	COL("SELECTOR", 8, 80, L, W, svc_selector, svc_selector_cmp),
};

static const kcol_t cols_endpoints[] = {
	NS_COL, NAME_COL,
	COL("ENDPOINTS", 9, 80, L, 0, ep_endpoints, ep_endpoints_cmp),
	AGE_COL,
};

static const kcol_t cols_job[] = {
	NS_COL, NAME_COL,
	COL("STATUS", 6, 18, L, 0, job_status, job_status_cmp),
	COL("COMPLETIONS", 11, 16, R, 0, job_completions, job_completions_cmp),
	COL("DURATION", 8, 9, R, 0, job_duration, job_duration_cmp),
	AGE_COL,
	COL("CONTAINERS", 10, 60, L, W, wl_containers, wl_containers_cmp),
	COL("IMAGES", 6, 80, L, W, wl_images, wl_images_cmp),
	COL("SELECTOR", 8, 80, L, W, wl_selector, wl_selector_cmp),
};

static const kcol_t cols_cronjob[] = {
	NS_COL, NAME_COL,
	COL("SCHEDULE", 8, 30, L, 0, cj_schedule, cj_schedule_cmp),
	COL("TIMEZONE", 8, 30, L, 0, cj_timezone, cj_timezone_cmp),
	COL("SUSPEND", 7, 7, L, 0, cj_suspend, cj_suspend_cmp),
	COL("ACTIVE", 6, 6, R, 0, wl_active, wl_active_cmp),
	COL("LAST SCHEDULE", 13, 13, R, 0, cj_last, cj_last_cmp),
	AGE_COL,
	COL("CONTAINERS", 10, 60, L, W, wl_containers, wl_containers_cmp),
	COL("IMAGES", 6, 80, L, W, wl_images, wl_images_cmp),
	COL("SELECTOR", 8, 80, L, W, wl_selector, wl_selector_cmp),
};

static const kcol_t cols_event[] = {
	NS_COL,
	COL("LAST SEEN", 9, 9, R, 0, ev_last, ev_last_cmp),
	COL("TYPE", 4, 8, L, 0, ev_type, ev_type_cmp),
	COL("REASON", 6, 30, L, 0, ev_reason, ev_reason_cmp),
	COL("OBJECT", 6, 80, L, 0, ev_object, ev_object_cmp),
	COL("SUBOBJECT", 9, 60, L, W, ev_subobject, ev_subobject_cmp),
	COL("SOURCE", 6, 60, L, W, ev_source, ev_source_cmp),
	COL("MESSAGE", 7, 0, L, 0, ev_message, ev_message_cmp),
	COL("FIRST SEEN", 10, 10, R, W, ev_first, ev_first_cmp),
	COL("COUNT", 5, 8, R, W, ev_count, ev_count_cmp),
	COL("NAME", 4, 80, L, W, c_name, cmp_name),
};

static const kcol_t cols_node[] = {
	NAME_COL,
	COL("STATUS", 6, 30, L, 0, node_status, node_status_cmp),
	COL("ROLES", 5, 40, L, 0, node_roles, node_roles_cmp),
	AGE_COL,
	COL("VERSION", 7, 30, L, 0, node_version, node_version_cmp),
	COL("INTERNAL-IP", 11, 39, L, W, node_internal_ip, node_internal_ip_cmp),
	COL("EXTERNAL-IP", 11, 39, L, W, node_external_ip, node_external_ip_cmp),
	COL("OS-IMAGE", 8, 60, L, W, node_os, node_os_cmp),
	COL("KERNEL-VERSION", 14, 40, L, W, node_kernel, node_kernel_cmp),
	COL("CONTAINER-RUNTIME", 17, 40, L, W, node_runtime, node_runtime_cmp),
};

static const kcol_t cols_namespace[] = {
	NAME_COL,
	COL("STATUS", 6, 12, L, 0, misc_s1, misc_s1_cmp),
	AGE_COL,
};

static const kcol_t cols_configmap[] = {
	NS_COL, NAME_COL,
	COL("DATA", 4, 6, R, 0, misc_n1, misc_n1_cmp),
	AGE_COL,
};

static const kcol_t cols_secret[] = {
	NS_COL, NAME_COL,
	COL("TYPE", 4, 40, L, 0, misc_s1, misc_s1_cmp),
	COL("DATA", 4, 6, R, 0, misc_n1, misc_n1_cmp),
	AGE_COL,
};

static const kcol_t cols_ingress[] = {
	NS_COL, NAME_COL,
	COL("CLASS", 5, 30, L, 0, misc_s1_none, misc_s1_none_cmp),
	COL("HOSTS", 5, 80, L, 0, misc_s2, misc_s2_cmp),
	COL("ADDRESS", 7, 60, L, 0, misc_s3, misc_s3_cmp),
	COL("PORTS", 5, 7, L, 0, ing_ports, ing_ports_cmp),
	AGE_COL,
};

static const kcol_t cols_hpa[] = {
	NS_COL, NAME_COL,
	COL("REFERENCE", 9, 60, L, 0, misc_s1, misc_s1_cmp),
	COL("TARGETS", 7, 60, L, 0, misc_s2, misc_s2_cmp),
	COL("MINPODS", 7, 7, R, 0, hpa_min, misc_n1_cmp),
	COL("MAXPODS", 7, 7, R, 0, misc_n2, misc_n2_cmp),
	COL("REPLICAS", 8, 8, R, 0, misc_n3, misc_n3_cmp),
	AGE_COL,
};

static const kcol_t cols_lease[] = {
	NS_COL, NAME_COL,
	COL("HOLDER", 6, 63, L, 0, misc_s1, misc_s1_cmp),
	AGE_COL,
};

static const kcol_t cols_serviceaccount[] = {
	NS_COL, NAME_COL,
	COL("SECRETS", 7, 7, R, 0, misc_n1, misc_n1_cmp),
	AGE_COL,
};

static const kcol_t cols_networkpolicy[] = {
	NS_COL, NAME_COL,
	COL("POD-SELECTOR", 12, 80, L, 0, netpol_selector, netpol_selector_cmp),
	AGE_COL,
};

static const kcol_t cols_pvc[] = {
	NS_COL, NAME_COL,
	COL("STATUS", 6, 12, L, 0, misc_s1, misc_s1_cmp),
	COL("VOLUME", 6, 63, L, 0, misc_s2, misc_s2_cmp),
	COL("CAPACITY", 8, 12, R, 0, misc_s3, misc_s3_cmp),
	COL("ACCESS MODES", 12, 20, L, 0, misc_s4, misc_s4_cmp),
	COL("STORAGECLASS", 12, 40, L, 0, misc_s5, misc_s5_cmp),
	AGE_COL,
};

static const kcol_t cols_pv[] = {
	NAME_COL,
	COL("CAPACITY", 8, 12, R, 0, misc_s3, misc_s3_cmp),
	COL("ACCESS MODES", 12, 20, L, 0, misc_s4, misc_s4_cmp),
	COL("RECLAIM POLICY", 14, 14, L, 0, misc_s6, misc_s6_cmp),
	COL("STATUS", 6, 12, L, 0, misc_s1, misc_s1_cmp),
	COL("CLAIM", 5, 80, L, 0, misc_s2, misc_s2_cmp),
	COL("STORAGECLASS", 12, 40, L, 0, misc_s5, misc_s5_cmp),
	AGE_COL,
};

#define TABLE(id, cols) [id] = {cols, sizeof cols / sizeof cols[0]}
static const struct {
	const kcol_t *cols;
	size_t n;
} col_tables[KIND__COUNT] = {
	TABLE(KIND_NAMESPACE, cols_namespace), TABLE(KIND_POD, cols_pod),
	TABLE(KIND_DEPLOYMENT, cols_deployment), TABLE(KIND_REPLICASET, cols_replicaset),
	TABLE(KIND_STATEFULSET, cols_statefulset), TABLE(KIND_DAEMONSET, cols_daemonset),
	TABLE(KIND_SERVICE, cols_service), TABLE(KIND_ENDPOINTS, cols_endpoints),
	TABLE(KIND_JOB, cols_job), TABLE(KIND_CRONJOB, cols_cronjob), TABLE(KIND_EVENT, cols_event),
	TABLE(KIND_NODE, cols_node), TABLE(KIND_CONFIGMAP, cols_configmap), TABLE(KIND_SECRET, cols_secret),
	TABLE(KIND_INGRESS, cols_ingress), TABLE(KIND_HPA, cols_hpa), TABLE(KIND_LEASE, cols_lease),
	TABLE(KIND_SERVICEACCOUNT, cols_serviceaccount), TABLE(KIND_NETWORKPOLICY, cols_networkpolicy),
	TABLE(KIND_PVC, cols_pvc), TABLE(KIND_PV, cols_pv),
};

const kcol_t *kcol_table(kind_id_t kind, size_t *n)
{
	if ((unsigned)kind >= KIND__COUNT) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = col_tables[kind].n;
	return col_tables[kind].cols;
}

const kcol_t *kcol_find(kind_id_t kind, const char *title)
{
	size_t n;
	const kcol_t *c = kcol_table(kind, &n);
	for (size_t i = 0; title && i < n; i++)
		if (strcasecmp(c[i].title, title) == 0)
			return &c[i];
	return NULL;
}

/* model.c — one-block object builder, lenient JSON readers, common metadata,
 * timestamps and kubectl's HumanDuration. */
#include "kdeck/model.h"
#include "model_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- builder ------------------------------------------------------------- */

struct kb_chunk {
	kb_chunk_t *next;
	size_t size;
	max_align_t align[]; /* payload */
};

enum { KB_CHUNK = 16384 };

static size_t kb_pad(size_t off, size_t align)
{
	return (off + align - 1) & ~(align - 1);
}

void *kb_alloc(kb_t *b, size_t n, size_t align)
{
	size_t start = kb_pad(b->off, align);
	b->off = start + n;
	if (!b->measure) {
		if (b->off > b->cap) /* cannot happen: both passes run the same code */
			abort();
		memset(b->block + start, 0, n);
		return b->block + start;
	}
	/* Measure pass: real memory too, because decoders read back what they wrote. */
	size_t need = n + align;
	if (need > b->sleft) {
		size_t size = need > KB_CHUNK ? need : KB_CHUNK;
		kb_chunk_t *c = malloc(sizeof *c + size);
		if (!c)
			abort(); /* allocation failure is fatal kdeck-wide */
		c->next = b->chunks;
		c->size = size;
		b->chunks = c;
		b->sp = (char *)c->align;
		b->sleft = size;
	}
	uintptr_t p = ((uintptr_t)b->sp + align - 1) & ~(uintptr_t)(align - 1);
	size_t used = (size_t)(p - (uintptr_t)b->sp) + n;
	b->sp += used;
	b->sleft -= used;
	memset((void *)p, 0, n);
	return (void *)p;
}

void kb_release(kb_t *b)
{
	while (b->chunks) {
		kb_chunk_t *next = b->chunks->next;
		free(b->chunks);
		b->chunks = next;
	}
	b->sp = NULL;
	b->sleft = 0;
}

const char *kb_strn(kb_t *b, const char *s, size_t n)
{
	if (!s)
		return NULL;
	if (n == 0)
		return "";
	char *d = kb_alloc(b, n + 1, 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

const char *kb_str(kb_t *b, const char *s)
{
	return s ? kb_strn(b, s, strlen(s)) : NULL;
}

/* Values that thousands of objects repeat are shared, not copied. */
static const char *const kb_common[] = {
	"Running", "Pending", "Succeeded", "Failed", "Unknown", "Completed", "Error",
	"CrashLoopBackOff", "ContainerCreating", "PodInitializing", "ImagePullBackOff",
	"ErrImagePull", "OOMKilled", "Terminating", "NotReady", "Active", "TCP", "UDP",
	"SCTP", "ClusterIP", "NodePort", "LoadBalancer", "ExternalName", "Normal",
	"Warning", "Opaque", "Pod", "ReplicaSet", "Deployment", "Job", "Node",
	"DaemonSet", "StatefulSet", "CronJob", "Service", "Init:0/1", "Init:0/2",
	"Init:1/2", "Init:Error", "Init:CrashLoopBackOff", "kubernetes.io/service-account-token",
	"kubernetes.io/dockerconfigjson", "kubernetes.io/tls", "helm.sh/release.v1",
};

const char *kb_intern(kb_t *b, const char *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < sizeof kb_common / sizeof *kb_common; i++)
		if (strcmp(kb_common[i], s) == 0)
			return kb_common[i];
	return kb_str(b, s);
}

void kb_warn(kb_t *b, const char *fmt, ...)
{
	if (b->warned || b->quiet)
		return;
	b->warned = true;
	if (!b->err || b->errlen == 0)
		return;
	int n = snprintf(b->err, b->errlen, "%s %s%s%s: ", b->what, b->ns ? b->ns : "", b->ns ? "/" : "",
			 b->name ? b->name : "?");
	if (n < 0 || (size_t)n >= b->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- lenient JSON readers -------------------------------------------------- */

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
static void kj_bad(kb_t *b, const char *ctx, int idx, const char *key, const char *what)
{
	char path[160] = "";
	if (b->warned || b->quiet)
		return;
	if (ctx && *ctx) {
		snprintf(path, sizeof path, ctx, idx);
		size_t l = strlen(path);
		snprintf(path + l, sizeof path - l, ".");
	}
	kb_warn(b, "%s%s is not %s", path, key, what);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static const cJSON *kj_member(const cJSON *o, const char *key)
{
	if (!o || !cJSON_IsObject(o))
		return NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v || cJSON_IsNull(v))
		return NULL;
	return v;
}

bool kj_present(const cJSON *o, const char *key)
{
	return kj_member(o, key) != NULL;
}

const cJSON *kj_obj(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx)
{
	const cJSON *v = kj_member(o, key);
	if (v && !cJSON_IsObject(v)) {
		kj_bad(b, ctx, idx, key, "an object");
		return NULL;
	}
	return v;
}

const cJSON *kj_arr(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx)
{
	const cJSON *v = kj_member(o, key);
	if (v && !cJSON_IsArray(v)) {
		kj_bad(b, ctx, idx, key, "an array");
		return NULL;
	}
	return v;
}

const char *kj_str(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx)
{
	const cJSON *v = kj_member(o, key);
	if (!v)
		return NULL;
	if (!cJSON_IsString(v) || !v->valuestring) {
		kj_bad(b, ctx, idx, key, "a string");
		return NULL;
	}
	return v->valuestring;
}

int64_t kj_int(kb_t *b, const cJSON *o, const char *key, int64_t dflt, const char *ctx, int idx)
{
	const cJSON *v = kj_member(o, key);
	double d;
	if (!v)
		return dflt;
	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
	} else if (cJSON_IsString(v) && v->valuestring && *v->valuestring) {
		/* Pre-1.0 servers sent some counters as strings; accept "3", nothing else. */
		char *end;
		errno = 0;
		long long ll = strtoll(v->valuestring, &end, 10);
		if (*end || errno) {
			kj_bad(b, ctx, idx, key, "a number");
			return dflt;
		}
		return ll;
	} else {
		kj_bad(b, ctx, idx, key, "a number");
		return dflt;
	}
	if (isnan(d))
		return dflt;
	if (d >= 9.2e18)
		return INT64_MAX;
	if (d <= -9.2e18)
		return INT64_MIN;
	return (int64_t)d;
}

int32_t kj_i32(kb_t *b, const cJSON *o, const char *key, int32_t dflt, const char *ctx, int idx)
{
	int64_t v = kj_int(b, o, key, dflt, ctx, idx);
	if (v > INT32_MAX)
		return INT32_MAX;
	if (v < INT32_MIN)
		return INT32_MIN;
	return (int32_t)v;
}

bool kj_bool(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx)
{
	const cJSON *v = kj_member(o, key);
	if (!v)
		return false;
	if (!cJSON_IsBool(v)) {
		kj_bad(b, ctx, idx, key, "a boolean");
		return false;
	}
	return cJSON_IsTrue(v);
}

int64_t kj_time(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx)
{
	const char *s = kj_str(b, o, key, ctx, idx);
	int64_t t;
	if (!s || !*s)
		return 0;
	if (!kobj_parse_time(s, &t)) {
		kj_bad(b, ctx, idx, key, "an RFC 3339 time");
		return 0;
	}
	return t;
}

int kobj_strcmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int kj_label_cmp(const void *x, const void *y)
{
	const kobj_label_t *a = x, *b = y;
	return strcmp(a->key, b->key);
}

const kobj_label_t *kj_labels(kb_t *b, const cJSON *map, uint16_t *n, const char *ctx)
{
	*n = 0;
	if (!map)
		return NULL;
	int count = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, map) count++;
	if (count == 0)
		return NULL;
	if (count > UINT16_MAX)
		count = UINT16_MAX;
	kobj_label_t *l = KB_NEW(b, kobj_label_t, count);
	int i = 0;
	cJSON_ArrayForEach(it, map)
	{
		if (i == count)
			break;
		if (!it->string)
			continue;
		if (!cJSON_IsString(it) || !it->valuestring) {
			if (!cJSON_IsNull(it))
				kj_bad(b, ctx, 0, it->string, "a string");
			continue;
		}
		l[i].key = kb_str(b, it->string);
		l[i].value = kb_str(b, it->valuestring);
		i++;
	}
	qsort(l, (size_t)i, sizeof *l, kj_label_cmp);
	*n = (uint16_t)i;
	return l;
}

void kj_selector(kb_t *b, const cJSON *ls, ksel_t *sel, const char *ctx)
{
	sel->reqs = NULL;
	sel->n = 0;
	sel->nothing = ls == NULL; /* a nil selector selects nothing */
	if (!ls)
		return;
	const cJSON *ml = kj_obj(b, ls, "matchLabels", ctx, 0);
	const cJSON *me = kj_arr(b, ls, "matchExpressions", ctx, 0);
	int nml = ml ? cJSON_GetArraySize(ml) : 0;
	int nme = me ? cJSON_GetArraySize(me) : 0;
	if (nml + nme == 0)
		return;
	if (nml + nme > UINT16_MAX)
		return;
	ksel_req_t *r = KB_NEW(b, ksel_req_t, nml + nme);
	int n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, ml)
	{
		if (!it->string || !cJSON_IsString(it) || !it->valuestring)
			continue;
		const char **v = KB_NEW(b, const char *, 1);
		v[0] = kb_str(b, it->valuestring);
		r[n].key = kb_str(b, it->string);
		r[n].op = KSEL_EQ;
		r[n].values = v;
		r[n].nvalues = 1;
		n++;
	}
	int i = 0;
	cJSON_ArrayForEach(it, me)
	{
		const char *key = kj_str(b, it, "key", "spec.selector.matchExpressions[%d]", i);
		const char *op = kj_str(b, it, "operator", "spec.selector.matchExpressions[%d]", i);
		const cJSON *vals = kj_arr(b, it, "values", "spec.selector.matchExpressions[%d]", i);
		i++;
		if (!key || !op)
			continue;
		if (strcmp(op, "In") == 0)
			r[n].op = KSEL_IN;
		else if (strcmp(op, "NotIn") == 0)
			r[n].op = KSEL_NOTIN;
		else if (strcmp(op, "Exists") == 0)
			r[n].op = KSEL_EXISTS;
		else if (strcmp(op, "DoesNotExist") == 0)
			r[n].op = KSEL_NOTEXISTS;
		else
			continue;
		int nv = vals ? cJSON_GetArraySize(vals) : 0;
		if (nv > UINT16_MAX)
			nv = UINT16_MAX;
		if (r[n].op == KSEL_IN || r[n].op == KSEL_NOTIN) {
			const char **v = nv ? KB_NEW(b, const char *, nv) : NULL;
			int k = 0;
			const cJSON *s;
			cJSON_ArrayForEach(s, vals)
			{
				if (k < nv && cJSON_IsString(s) && s->valuestring)
					v[k++] = kb_str(b, s->valuestring);
			}
			r[n].values = v;
			r[n].nvalues = (uint16_t)k;
		}
		r[n].key = kb_str(b, key);
		n++;
	}
	ksel_sort(r, (size_t)n);
	sel->reqs = r;
	sel->n = (uint16_t)n;
}

int kj_count(const cJSON *arr)
{
	int count = arr ? cJSON_GetArraySize(arr) : 0;
	return count > UINT16_MAX ? UINT16_MAX : count;
}

const kobj_container_t *kj_containers(kb_t *b, const cJSON *spec, uint16_t *n, const char *ctx)
{
	const cJSON *arr = kj_arr(b, spec, "containers", ctx, 0);
	int count = kj_count(arr);
	*n = 0;
	if (count <= 0)
		return NULL;
	kobj_container_t *c = KB_NEW(b, kobj_container_t, count);
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		if (i == count)
			break;
		c[i].name = kb_str(b, kj_str(b, it, "name", "spec.containers[%d]", i));
		c[i].image = kb_str(b, kj_str(b, it, "image", "spec.containers[%d]", i));
		i++;
	}
	*n = (uint16_t)i;
	return c;
}

/* ---- time ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

bool kobj_parse_time(const char *s, int64_t *out)
{
	int Y, M, D, h, m, sec;
	const char *p = s;
	if (!s)
		return false;
	if (!parse_digits(&p, 4, &Y) || *p++ != '-' || !parse_digits(&p, 2, &M) || *p++ != '-' ||
	    !parse_digits(&p, 2, &D) || (*p != 'T' && *p != 't' && *p != ' '))
		return false;
	p++;
	if (!parse_digits(&p, 2, &h) || *p++ != ':' || !parse_digits(&p, 2, &m) || *p++ != ':' ||
	    !parse_digits(&p, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return false;
	if (*p == '.' || *p == ',') { /* fractions are dropped: kubectl shows whole seconds */
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (!parse_digits(&p, 2, &oh) || *p++ != ':' || !parse_digits(&p, 2, &om))
			return false;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return false;
	}
	if (*p)
		return false;
	if (Y <= 1) { /* Go's zero time: "never" */
		*out = 0;
		return true;
	}
	*out = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec - off;
	return true;
}

void kobj_human_duration(int64_t d, char *buf, size_t len)
{
	/* The rules of k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
	if (d < -1) {
		snprintf(buf, len, "<invalid>");
		return;
	}
	if (d < 0)
		d = 0;
	if (d < 60 * 2) {
		snprintf(buf, len, "%llds", (long long)d);
		return;
	}
	long long minutes = d / 60;
	if (minutes < 10) {
		long long s = d % 60;
		if (s == 0)
			snprintf(buf, len, "%lldm", minutes);
		else
			snprintf(buf, len, "%lldm%llds", minutes, s);
		return;
	}
	if (minutes < 60 * 3) {
		snprintf(buf, len, "%lldm", minutes);
		return;
	}
	long long hours = d / 3600;
	if (hours < 8) {
		long long mm = minutes % 60;
		if (mm == 0)
			snprintf(buf, len, "%lldh", hours);
		else
			snprintf(buf, len, "%lldh%lldm", hours, mm);
	} else if (hours < 48) {
		snprintf(buf, len, "%lldh", hours);
	} else if (hours < 24 * 8) {
		long long h = hours % 24;
		if (h == 0)
			snprintf(buf, len, "%lldd", hours / 24);
		else
			snprintf(buf, len, "%lldd%lldh", hours / 24, h);
	} else if (hours < 24 * 365 * 2) {
		snprintf(buf, len, "%lldd", hours / 24);
	} else if (hours < 24 * 365 * 8) {
		long long dy = (hours / 24) % 365;
		if (dy == 0)
			snprintf(buf, len, "%lldy", hours / 24 / 365);
		else
			snprintf(buf, len, "%lldy%lldd", hours / 24 / 365, dy);
	} else {
		snprintf(buf, len, "%lldy", hours / 24 / 365);
	}
}

void kobj_age(int64_t t, time_t now, char *buf, size_t len)
{
	if (t == 0) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	kobj_human_duration((int64_t)now - t, buf, len);
}

/* ---- decode ------------------------------------------------------------------ */

static const char *const kind_words[KIND__COUNT] = {
	[KIND_NAMESPACE] = "namespace", [KIND_POD] = "pod", [KIND_DEPLOYMENT] = "deployment",
	[KIND_REPLICASET] = "replicaset", [KIND_STATEFULSET] = "statefulset", [KIND_DAEMONSET] = "daemonset",
	[KIND_SERVICE] = "service", [KIND_ENDPOINTS] = "endpoints", [KIND_JOB] = "job",
	[KIND_CRONJOB] = "cronjob", [KIND_EVENT] = "event", [KIND_NODE] = "node",
	[KIND_CONFIGMAP] = "configmap", [KIND_SECRET] = "secret", [KIND_INGRESS] = "ingress",
	[KIND_HPA] = "horizontalpodautoscaler", [KIND_LEASE] = "lease",
	[KIND_SERVICEACCOUNT] = "serviceaccount", [KIND_NETWORKPOLICY] = "networkpolicy",
	[KIND_PVC] = "persistentvolumeclaim", [KIND_PV] = "persistentvolume",
};

typedef void (*kdec_fn)(kb_t *b, kobj_t *o, const cJSON *obj);

/* Which decoder fills the union for each kind (data, not a switch). */
static const kdec_fn kind_decoders[KIND__COUNT] = {
	[KIND_NAMESPACE] = kdec_misc, [KIND_POD] = kdec_pod, [KIND_DEPLOYMENT] = kdec_workload,
	[KIND_REPLICASET] = kdec_workload, [KIND_STATEFULSET] = kdec_workload,
	[KIND_DAEMONSET] = kdec_workload, [KIND_SERVICE] = kdec_service,
	[KIND_ENDPOINTS] = kdec_endpoints, [KIND_JOB] = kdec_workload, [KIND_CRONJOB] = kdec_workload,
	[KIND_EVENT] = kdec_event, [KIND_NODE] = kdec_node, [KIND_CONFIGMAP] = kdec_misc,
	[KIND_SECRET] = kdec_misc, [KIND_INGRESS] = kdec_misc, [KIND_HPA] = kdec_misc,
	[KIND_LEASE] = kdec_misc, [KIND_SERVICEACCOUNT] = kdec_misc, [KIND_NETWORKPOLICY] = kdec_misc,
	[KIND_PVC] = kdec_misc, [KIND_PV] = kdec_misc,
};

static void kdec_owners(kb_t *b, kobj_t *o, const cJSON *refs)
{
	int n = refs ? cJSON_GetArraySize(refs) : 0;
	if (n <= 0)
		return;
	if (n > UINT16_MAX)
		n = UINT16_MAX;
	kobj_owner_t *w = KB_NEW(b, kobj_owner_t, n);
	int i = 0, k = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, refs)
	{
		if (k == n)
			break;
		const char *kind = kj_str(b, it, "kind", "metadata.ownerReferences[%d]", i);
		const char *name = kj_str(b, it, "name", "metadata.ownerReferences[%d]", i);
		const char *uid = kj_str(b, it, "uid", "metadata.ownerReferences[%d]", i);
		bool ctl = kj_bool(b, it, "controller", "metadata.ownerReferences[%d]", i);
		i++;
		if (!kind || !name)
			continue;
		w[k].kind = kb_intern(b, kind);
		w[k].name = kb_str(b, name);
		w[k].uid = kb_str(b, uid);
		w[k].controller = ctl;
		k++;
	}
	o->owners = w;
	o->nowners = (uint16_t)k;
}

static kobj_t *kdec_run(kb_t *b, kind_id_t kind, const cJSON *obj, const cJSON *meta)
{
	kobj_t *o = KB_NEW(b, kobj_t, 1);
	o->kind = (uint8_t)kind;
	const kind_info_t *ki = kind_get(kind);
	const char *ns = kj_str(b, meta, "namespace", "metadata", 0);
	o->ns = ki->namespaced && ns && *ns ? kb_str(b, ns) : NULL;
	o->name = kb_str(b, b->name);
	o->uid = kb_str(b, kj_str(b, meta, "uid", "metadata", 0));
	o->rv = kb_str(b, kj_str(b, meta, "resourceVersion", "metadata", 0));
	o->created = kj_time(b, meta, "creationTimestamp", "metadata", 0);
	o->deleted = kj_time(b, meta, "deletionTimestamp", "metadata", 0);
	o->labels = kj_labels(b, kj_obj(b, meta, "labels", "metadata", 0), &o->nlabels, "metadata.labels");
	kdec_owners(b, o, kj_arr(b, meta, "ownerReferences", "metadata", 0));
	kind_decoders[kind](b, o, obj);
	return o;
}

kobj_t *kobj_decode(kind_id_t kind, const cJSON *obj, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if ((unsigned)kind >= KIND__COUNT) {
		if (err && errlen)
			snprintf(err, errlen, "unknown kind %d", (int)kind);
		return NULL;
	}
	const char *what = kind_words[kind];
	if (!obj || !cJSON_IsObject(obj)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: not a JSON object", what);
		return NULL;
	}
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (!meta || !cJSON_IsObject(meta)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: metadata is missing or not an object", what);
		return NULL;
	}
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
	if (!name || !cJSON_IsString(name) || !name->valuestring || !*name->valuestring) {
		if (err && errlen)
			snprintf(err, errlen, "%s: metadata.name is missing or not a string", what);
		return NULL;
	}
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");

	kb_t b = {.measure = true, .err = err, .errlen = errlen, .what = what};
	b.name = name->valuestring;
	b.ns = cJSON_IsString(ns) ? ns->valuestring : NULL;
	kdec_run(&b, kind, obj, meta);
	size_t size = b.off;
	bool warned = b.warned;
	kb_release(&b);

	kb_t f = {.measure = false, .cap = size, .quiet = true, .what = what, .name = b.name, .ns = b.ns};
	f.block = malloc(size);
	if (!f.block)
		abort();
	kobj_t *o = kdec_run(&f, kind, obj, meta);
	if (f.off != size)
		abort();
	o->bytes = (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size);
	if (warned)
		o->flags |= KOBJ_F_PARTIAL;
	return o;
}

void kobj_free(kobj_t *o)
{
	free(o);
}

const char *kobj_label(const kobj_t *o, const char *key)
{
	if (!o || !key)
		return NULL;
	for (size_t i = 0; i < o->nlabels; i++)
		if (strcmp(o->labels[i].key, key) == 0)
			return o->labels[i].value;
	return NULL;
}

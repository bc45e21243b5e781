/* test_model.c — the model module on synthetic objects: kubectl's time and
 * status rules at every boundary, the kind table, label selectors, and decoding
 * that survives any JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kdeck/model.h"

/* JSON written with single quotes for readability. */
static cJSON *js(const char *text)
{
	char *t = strdup(text);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	cJSON *j = cJSON_Parse(t);
	free(t);
	if (!j)
		fail_msg("test JSON does not parse: %s", text);
	return j;
}

static kobj_t *decode(kind_id_t kind, const char *text, char *err, size_t errlen)
{
	cJSON *j = js(text);
	kobj_t *o = kobj_decode(kind, j, err, errlen);
	cJSON_Delete(j);
	return o;
}

static void cell(const kobj_t *o, const char *title, time_t now, char *buf, size_t len)
{
	const kcol_t *c = kcol_find(o->kind, title);
	assert_non_null(c);
	c->cell(o, now, buf, len);
}

/* ---- HumanDuration -------------------------------------------------------- */

static void test_human_duration(void **state)
{
	(void)state;
	static const struct { long long s; const char *want; } cases[] = {
		{-3, "<invalid>"}, {-2, "<invalid>"}, {-1, "0s"}, {0, "0s"}, {1, "1s"}, {59, "59s"}, {60, "60s"},
		{119, "119s"}, {120, "2m"}, {121, "2m1s"}, {125, "2m5s"}, {180, "3m"}, {599, "9m59s"}, {600, "10m"},
		{601, "10m"}, {659, "10m"}, {10799, "179m"}, {10800, "3h"}, {10859, "3h"}, {10860, "3h1m"},
		{28799, "7h59m"}, {28800, "8h"}, {28860, "8h"}, {172799, "47h"}, {172800, "2d"}, {176399, "2d"},
		{176400, "2d1h"}, {691199, "7d23h"}, {691200, "8d"}, {63071999, "729d"}, {63072000, "2y"},
		{63158400, "2y1d"}, {252287999, "7y364d"}, {252288000, "8y"}, {3153600000LL, "100y"},
	};
	char buf[32];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		kobj_human_duration(cases[i].s, buf, sizeof buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("HumanDuration(%llds) = %s, want %s", cases[i].s, buf, cases[i].want);
	}
	kobj_age(0, 1000, buf, sizeof buf);
	assert_string_equal(buf, "<unknown>");
	kobj_age(1000, 1125, buf, sizeof buf);
	assert_string_equal(buf, "2m5s");
}

static void test_parse_time(void **state)
{
	(void)state;
	int64_t t;
	assert_true(kobj_parse_time("2025-09-11T20:50:19Z", &t));
	assert_int_equal(t, 1757623819);
	assert_true(kobj_parse_time("2025-09-11T20:50:19.123456Z", &t));
	assert_int_equal(t, 1757623819);
	assert_true(kobj_parse_time("2015-02-09T05:39:19-05:00", &t));
	assert_int_equal(t, 1423478359);
	assert_true(kobj_parse_time("1970-01-01T00:00:00Z", &t));
	assert_int_equal(t, 0);
	assert_true(kobj_parse_time("2000-02-29T23:59:59+01:30", &t));
	assert_int_equal(t, 951868799 - 5400);
	assert_false(kobj_parse_time("2025-13-01T00:00:00Z", &t));
	assert_false(kobj_parse_time("2025-01-01T00:00:00", &t));
	assert_false(kobj_parse_time("2025-01-01", &t));
	assert_false(kobj_parse_time("", &t));
	assert_false(kobj_parse_time("garbage", &t));
	assert_false(kobj_parse_time("2025-01-01T00:00:00Zjunk", &t));
	assert_false(kobj_parse_time(NULL, &t));
}

/* ---- kinds ---------------------------------------------------------------- */

static void test_kinds(void **state)
{
	(void)state;
	static const struct { const char *alias; kind_id_t id; } aliases[] = {
		{"po", KIND_POD}, {"pod", KIND_POD}, {"pods", KIND_POD}, {"Pod", KIND_POD}, {"deploy", KIND_DEPLOYMENT},
		{"deployment", KIND_DEPLOYMENT}, {"DEPLOYMENTS", KIND_DEPLOYMENT}, {"deployments.apps", KIND_DEPLOYMENT},
		{"rs", KIND_REPLICASET}, {"svc", KIND_SERVICE}, {"ep", KIND_ENDPOINTS}, {"job", KIND_JOB},
		{"jobs", KIND_JOB}, {"ev", KIND_EVENT}, {"event", KIND_EVENT}, {"events", KIND_EVENT}, {"no", KIND_NODE},
		{"nodes", KIND_NODE}, {"ns", KIND_NAMESPACE}, {"cm", KIND_CONFIGMAP}, {"secret", KIND_SECRET},
		{"secrets", KIND_SECRET}, {"ing", KIND_INGRESS}, {"hpa", KIND_HPA}, {"lease", KIND_LEASE},
		{"leases", KIND_LEASE}, {"sa", KIND_SERVICEACCOUNT}, {"netpol", KIND_NETWORKPOLICY},
		{"sts", KIND_STATEFULSET}, {"ds", KIND_DAEMONSET}, {"cj", KIND_CRONJOB}, {"pvc", KIND_PVC}, {"pv", KIND_PV},
	};
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++) {
		const kind_info_t *k = kind_by_alias(aliases[i].alias);
		if (!k || k->id != aliases[i].id)
			fail_msg("alias %s", aliases[i].alias);
	}
	assert_null(kind_by_alias("deployments.batch"));
	assert_null(kind_by_alias("nope"));
	assert_null(kind_by_alias(""));
	assert_null(kind_by_alias(NULL));
	for (int i = 0; i < KIND__COUNT; i++) {
		const kind_info_t *k = kind_get((kind_id_t)i);
		assert_int_equal(k->id, i);
		assert_ptr_equal(kind_by_kind(k->kind, NULL), k);
		size_t n;
		assert_non_null(kcol_table(k->id, &n));
		assert_true(n >= 3);
	}
	assert_null(kind_get(KIND__COUNT));
	assert_ptr_equal(kind_by_kind("Deployment", "apps/v1"), kind_get(KIND_DEPLOYMENT));
	assert_ptr_equal(kind_by_kind("Ingress", "extensions/v1beta1"), kind_get(KIND_INGRESS));
	assert_null(kind_by_kind("ReplicaSet", "networking.k8s.io/v1"));
	assert_ptr_equal(kind_by_kind("Pod", "v1"), kind_get(KIND_POD));

	char p[128];
	kind_list_path(kind_get(KIND_POD), "app", p, sizeof p);
	assert_string_equal(p, "/api/v1/namespaces/app/pods");
	kind_list_path(kind_get(KIND_DEPLOYMENT), NULL, p, sizeof p);
	assert_string_equal(p, "/apis/apps/v1/deployments");
	kind_list_path(kind_get(KIND_DEPLOYMENT), "", p, sizeof p);
	assert_string_equal(p, "/apis/apps/v1/deployments");
	kind_list_path(kind_get(KIND_NODE), "app", p, sizeof p);
	assert_string_equal(p, "/api/v1/nodes");
	kind_list_path(kind_get(KIND_LEASE), "kube-system", p, sizeof p);
	assert_string_equal(p, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases");
	kind_object_path(kind_get(KIND_JOB), "ci", "build-1", p, sizeof p);
	assert_string_equal(p, "/apis/batch/v1/namespaces/ci/jobs/build-1");
	assert_true(kind_list_path(kind_get(KIND_POD), "app", p, 5) > 5);
}

/* ---- selectors ------------------------------------------------------------ */

static void test_selector_parse(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } ok[] = {
		{"", ""}, {"a=b", "a=b"}, {"a==b", "a=b"}, {" a = b , c != d ", "a=b,c!=d"},
		{"tier in (web, api),app", "app,tier in (api,web)"}, {"f notin (z)", "f notin (z)"}, {"!h", "!h"},
		{"a=b,c!=d,e in (x,y),f notin (z),g,!h", "a=b,c!=d,e in (x,y),f notin (z),g,!h"},
		{"app.kubernetes.io/name=traefik", "app.kubernetes.io/name=traefik"}, {"a=", "a="}, {"n>5", "n>5"},
		{"n<10", "n<10"}, {"x in (b,a,b)", "x in (a,b)"},
	};
	char buf[256], err[256];
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		ksel_t *s = ksel_parse(ok[i].in, err, sizeof err);
		if (!s)
			fail_msg("\"%s\" did not parse: %s", ok[i].in, err);
		ksel_format(s, buf, sizeof buf);
		if (strcmp(buf, ok[i].out) != 0)
			fail_msg("\"%s\" formats as \"%s\", want \"%s\"", ok[i].in, buf, ok[i].out);
		ksel_free(s);
	}
	static const char *const bad[] = {
		"a in (", "a in ()", "a in (x", "=b", "a=b,", ",a", "a b", "a>x", "-a=b", "a=b=c", "a in x", "!",
		"a=-b", "a notin", "a!b", "p/=x", "/a=b",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=b",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		ksel_t *s = ksel_parse(bad[i], err, sizeof err);
		if (s)
			fail_msg("\"%s\" parsed but is invalid", bad[i]);
		if (strncmp(err, "label selector at column ", 25) != 0)
			fail_msg("\"%s\": no message (%s)", bad[i], err);
	}
	ksel_t *s = ksel_parse("a in ()", err, sizeof err);
	assert_null(s);
	assert_non_null(strstr(err, "must not be empty"));
}

static void test_selector_match(void **state)
{
	(void)state;
	kobj_t *o = decode(KIND_POD,
			   "{'metadata':{'name':'p','namespace':'n','labels':{'app':'web','tier':'front','n':'7'}}}",
			   NULL, 0);
	assert_non_null(o);
	static const struct { const char *sel; bool want; } cases[] = {
		{"", true}, {"app=web", true}, {"app=api", false}, {"app!=api", true}, {"missing!=x", true},
		{"app in (api,web)", true}, {"app in (api)", false}, {"missing in (x)", false}, {"app notin (web)", false},
		{"missing notin (x)", true}, {"tier", true}, {"missing", false}, {"!missing", true}, {"!tier", false},
		{"app=web,tier=front", true}, {"app=web,tier=back", false}, {"n>5", true}, {"n>7", false}, {"n<8", true},
		{"app>1", false}, {"bad selector (", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (kobj_matches_labels(o, cases[i].sel) != cases[i].want)
			fail_msg("\"%s\" should %smatch", cases[i].sel, cases[i].want ? "" : "not ");
	assert_string_equal(kobj_label(o, "tier"), "front");
	assert_null(kobj_label(o, "nope"));

	kobj_t *dep = decode(KIND_DEPLOYMENT,
			     "{'metadata':{'name':'d','namespace':'n'},'spec':{'selector':{'matchLabels':{'app':'web'},"
			     "'matchExpressions':[{'key':'tier','operator':'In','values':['front','back']},"
			     "{'key':'canary','operator':'DoesNotExist'}]}}}",
			     NULL, 0);
	char buf[128];
	cell(dep, "SELECTOR", 0, buf, sizeof buf);
	assert_string_equal(buf, "app=web,!canary,tier in (back,front)"); /* sorted by key: '!' sorts by key "canary" */
	assert_true(kobj_selects(dep, o));
	kobj_t *other_ns = decode(KIND_POD, "{'metadata':{'name':'p','namespace':'m','labels':{'app':'web','tier':'front'}}}",
				  NULL, 0);
	assert_false(kobj_selects(dep, other_ns));
	kobj_t *nosel = decode(KIND_DEPLOYMENT, "{'metadata':{'name':'d','namespace':'n'}}", NULL, 0);
	assert_false(kobj_selects(nosel, o)); /* nil selector selects nothing */
	kobj_free(nosel);
	kobj_free(other_ns);
	kobj_free(dep);
	kobj_free(o);
}

/* ---- pod status ------------------------------------------------------------- */

typedef struct pod_case {
	const char *what, *json, *ready, *status, *restarts;
} pod_case_t;

#define META "'metadata':{'name':'x','namespace':'app','creationTimestamp':'2025-01-01T00:00:00Z'"
#define RUN(n) "{'name':'" n "','ready':true,'started':true,'restartCount':0,'state':{'running':{}}}"

static const pod_case_t pod_cases[] = {
	{"terminating", "{" META ",'deletionTimestamp':'2025-01-01T00:05:00Z'},'spec':{'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Running','containerStatuses':[" RUN("a") "]}}", "1/1", "Terminating", "0"},
	{"node lost", "{" META ",'deletionTimestamp':'2025-01-01T00:05:00Z'},'spec':{'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Running','reason':'NodeLost','containerStatuses':[" RUN("a") "]}}", "1/1", "Unknown", "0"},
	{"deleted but succeeded", "{" META ",'deletionTimestamp':'2025-01-01T00:05:00Z'},'spec':{'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Succeeded','containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
	 "0/1", "Completed", "0"},
	{"evicted", "{" META "},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed','reason':'Evicted'}}",
	 "0/1", "Evicted", "0"},
	{"init error", "{" META "},'spec':{'initContainers':[{'name':'i'}],'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
	 "'initContainerStatuses':[{'name':'i','restartCount':3,'state':{'terminated':{'exitCode':1,'reason':'Error'}},"
	 "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2025-01-01T00:09:00Z'}}}],"
	 "'containerStatuses':[{'name':'a','restartCount':0,'state':{'waiting':{'reason':'PodInitializing'}}}]}}",
	 "0/1", "Init:Error", "3 (60s ago)"},
	{"init signal", "{" META "},'spec':{'initContainers':[{'name':'i'}],'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
	 "'initContainerStatuses':[{'name':'i','state':{'terminated':{'exitCode':137,'signal':9}}}]}}",
	 "0/1", "Init:Signal:9", "0"},
	{"init exit code", "{" META "},'spec':{'initContainers':[{'name':'i'}],'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
	 "'initContainerStatuses':[{'name':'i','state':{'terminated':{'exitCode':2}}}]}}",
	 "0/1", "Init:ExitCode:2", "0"},
	{"init crashloop", "{" META "},'spec':{'initContainers':[{'name':'i'},{'name':'j'}],'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Pending','initContainerStatuses':[{'name':'i','state':{'terminated':{'exitCode':0}}},"
	 "{'name':'j','restartCount':7,'state':{'waiting':{'reason':'CrashLoopBackOff'}}}]}}",
	 "0/1", "Init:CrashLoopBackOff", "7"},
	/* PodInitializing is not shown: the position is. */
	{"init progress", "{" META "},'spec':{'initContainers':[{'name':'i'},{'name':'j'},{'name':'k'}],'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Pending','initContainerStatuses':[{'name':'i','state':{'terminated':{'exitCode':0}}},"
	 "{'name':'j','state':{'terminated':{'exitCode':0}}},{'name':'k','state':{'waiting':{'reason':'PodInitializing'}}}]}}",
	 "0/1", "Init:2/3", "0"},
	{"image pull backoff", "{" META "},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
	 "'containerStatuses':[{'name':'a','state':{'waiting':{'reason':'ImagePullBackOff'}}}]}}",
	 "0/1", "ImagePullBackOff", "0"},
	{"config error", "{" META "},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
	 "'containerStatuses':[{'name':'a','state':{'waiting':{'reason':'CreateContainerConfigError'}}}]}}",
	 "0/1", "CreateContainerConfigError", "0"},
	{"signal", "{" META "},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running',"
	 "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':143,'signal':15}}}]}}", "0/1", "Signal:15", "0"},
	{"exit code", "{" META "},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
	 "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':3}}}]}}", "0/1", "ExitCode:3", "0"},
	/* the first container's reason wins (the loop runs backwards) */
	{"multi container", "{" META "},'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':'Running',"
	 "'containerStatuses':[{'name':'a','restartCount':2,'state':{'waiting':{'reason':'CrashLoopBackOff'}},"
	 "'lastState':{'terminated':{'finishedAt':'2025-01-01T00:07:00Z'}}}," RUN("b") "]}}",
	 "1/2", "CrashLoopBackOff", "2 (3m ago)"},
	{"completed but running, not ready", "{" META "},'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':'Running',"
	 "'conditions':[{'type':'Ready','status':'False'}],"
	 "'containerStatuses':[" RUN("a") ",{'name':'b','state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
	 "1/2", "NotReady", "0"},
	{"completed but running, ready", "{" META "},'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':'Running',"
	 "'conditions':[{'type':'Ready','status':'True'}],"
	 "'containerStatuses':[" RUN("a") ",{'name':'b','state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
	 "1/2", "Running", "0"},
	{"scheduling gated", "{" META "},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
	 "'conditions':[{'type':'PodScheduled','status':'False','reason':'SchedulingGated'}]}}", "0/1", "SchedulingGated", "0"},
	/* a sidecar that has not started yet holds initialisation at its index */
	{"sidecar starting", "{" META "},'spec':{'initContainers':[{'name':'s','restartPolicy':'Always'}],'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Pending','initContainerStatuses':[{'name':'s','started':false,'state':{'running':{}}}]}}",
	 "0/2", "Init:0/1", "0"},
	/* sidecar restarts count once initialised; main + sidecar, newest restart time */
	{"sidecar restarts", "{" META "},'spec':{'initContainers':[{'name':'s','restartPolicy':'Always'}],'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Running','conditions':[{'type':'Initialized','status':'True'}],"
	 "'initContainerStatuses':[{'name':'s','ready':true,'started':true,'restartCount':2,'state':{'running':{}},"
	 "'lastState':{'terminated':{'finishedAt':'2025-01-01T00:08:00Z'}}}],"
	 "'containerStatuses':[{'name':'a','ready':true,'started':true,'restartCount':1,'state':{'running':{}},"
	 "'lastState':{'terminated':{'finishedAt':'2025-01-01T00:01:00Z'}}}]}}",
	 "2/2", "Running", "3 (2m ago)"},
	/* a non-sidecar init container's restarts are dropped once it is done */
	{"init restarts forgotten", "{" META "},'spec':{'initContainers':[{'name':'i'}],'containers':[{'name':'a'}]},"
	 "'status':{'phase':'Running','initContainerStatuses':[{'name':'i','restartCount':4,'state':{'terminated':{'exitCode':0}},"
	 "'lastState':{'terminated':{'finishedAt':'2025-01-01T00:01:00Z'}}}],'containerStatuses':[" RUN("a") "]}}",
	 "1/1", "Running", "0"},
	{"no status at all", "{" META "}}", "0/0", "", "0"},
};

static void test_pod_status(void **state)
{
	(void)state;
	const time_t now = 1735689600 + 600; /* 2025-01-01T00:10:00Z */
	char err[256], buf[128];
	for (size_t i = 0; i < sizeof pod_cases / sizeof *pod_cases; i++) {
		const pod_case_t *c = &pod_cases[i];
		kobj_t *o = decode(KIND_POD, c->json, err, sizeof err);
		if (!o || err[0])
			fail_msg("%s: %s", c->what, err);
		cell(o, "READY", now, buf, sizeof buf);
		if (strcmp(buf, c->ready))
			fail_msg("%s: READY %s, want %s", c->what, buf, c->ready);
		cell(o, "STATUS", now, buf, sizeof buf);
		if (strcmp(buf, c->status))
			fail_msg("%s: STATUS %s, want %s", c->what, buf, c->status);
		cell(o, "RESTARTS", now, buf, sizeof buf);
		if (strcmp(buf, c->restarts))
			fail_msg("%s: RESTARTS %s, want %s", c->what, buf, c->restarts);
		kobj_free(o);
	}
}

/* ---- robustness ------------------------------------------------------------- */

static void test_decode_errors(void **state)
{
	(void)state;
	char err[256];
	assert_null(kobj_decode(KIND_POD, NULL, err, sizeof err));
	assert_string_equal(err, "pod: not a JSON object");
	assert_null(decode(KIND_POD, "[1,2]", err, sizeof err));
	assert_null(decode(KIND_POD, "'x'", err, sizeof err));
	assert_null(decode(KIND_POD, "{}", err, sizeof err));
	assert_string_equal(err, "pod: metadata is missing or not an object");
	assert_null(decode(KIND_POD, "{'metadata':{'name':5}}", err, sizeof err));
	assert_string_equal(err, "pod: metadata.name is missing or not a string");
	assert_null(decode(KIND_POD, "{'metadata':{'name':''}}", err, sizeof err));
	assert_null(decode((kind_id_t)99, "{'metadata':{'name':'x'}}", err, sizeof err));
	kobj_t *noerr = decode(KIND_POD, "{'metadata':{'name':'x'}}", NULL, 0); /* err may be NULL */
	assert_non_null(noerr);
	kobj_free(noerr);

	kobj_t *o = decode(KIND_POD,
			   "{'metadata':{'name':'x','namespace':'app'},'spec':{'containers':[{'name':'a'}]},"
			   "'status':{'containerStatuses':[{'name':'a','restartCount':'lots'}]}}",
			   err, sizeof err);
	assert_non_null(o);
	assert_true(o->flags & KOBJ_F_PARTIAL);
	assert_string_equal(err, "pod app/x: status.containerStatuses[0].restartCount is not a number");
	kobj_free(o);

	o = decode(KIND_NODE, "{'metadata':{'name':'n','creationTimestamp':'yesterday'}}", err, sizeof err);
	assert_non_null(o);
	assert_string_equal(err, "node n: metadata.creationTimestamp is not an RFC 3339 time");
	kobj_free(o);

	/* huge, negative and string counters: clamped or taken, never UB */
	o = decode(KIND_POD,
		   "{'metadata':{'name':'x','labels':null,'ownerReferences':null},'spec':{'containers':[{'name':'a'}]},"
		   "'status':{'containerStatuses':[{'name':'a','restartCount':1e300,'ready':'yes',"
		   "'state':{'waiting':null,'terminated':{'exitCode':-1e300,'signal':1e20}}}]}}",
		   err, sizeof err);
	assert_non_null(o);
	assert_int_equal(o->u.pod.restarts, INT32_MAX);
	kobj_free(o);
	o = decode(KIND_DEPLOYMENT, "{'metadata':{'name':'d'},'spec':{'replicas':'3'}}", err, sizeof err);
	assert_int_equal(o->u.wl.desired, 3); /* pre-1.0 servers sent some numbers as strings */
	kobj_free(o);
}

/* Replace every node of a real-shaped object, in turn, by every JSON type and
 * decode the result as every kind: nothing may crash, leak or read wild. */
static const char *const shapes[] = {
	"{'metadata':{'name':'x','namespace':'n','uid':'u','creationTimestamp':'2025-01-01T00:00:00Z',"
	"'deletionTimestamp':'2025-01-01T00:00:00Z','labels':{'a':'b'},'ownerReferences':[{'kind':'ReplicaSet','name':'r','uid':'u','controller':true}]},"
	"'spec':{'nodeName':'n1','initContainers':[{'name':'i','image':'busybox','restartPolicy':'Always'}],"
	"'containers':[{'name':'a','image':'nginx'}],'readinessGates':[{'conditionType':'g'}],'replicas':2,"
	"'selector':{'matchLabels':{'a':'b'},'matchExpressions':[{'key':'k','operator':'In','values':['v']}]},"
	"'template':{'spec':{'containers':[{'name':'a','image':'nginx'}],'nodeSelector':{'x':'y'}}},"
	"'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a'}]}}}},'schedule':'* * * * *',"
	"'type':'LoadBalancer','clusterIP':'10.0.0.1','externalIPs':['1.2.3.4'],'ports':[{'port':80,'nodePort':30000,'protocol':'TCP'}],"
	"'podSelector':{},'rules':[{'host':'a'},{'host':'b'},{'host':'c'},{'host':'d'}],'tls':[{}],'ingressClassName':'nginx',"
	"'scaleTargetRef':{'kind':'Deployment','name':'d'},'minReplicas':1,'maxReplicas':3,"
	"'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'averageUtilization':80}}},"
	"{'type':'Pods','pods':{'target':{'averageValue':'1k'}}},{'type':'External'}],"
	"'holderIdentity':'h','unschedulable':true,'taints':[{}],'claimRef':{'namespace':'n','name':'c'},"
	"'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce','ReadWriteMany'],'volumeName':'v','completions':1,'parallelism':2},"
	"'status':{'phase':'Running','podIP':'1.1.1.1','podIPs':[{'ip':'::1'}],'conditions':[{'type':'Ready','status':'True'},"
	"{'type':'PodScheduled','reason':'SchedulingGated'},{'type':'Complete','status':'True'}],"
	"'initContainerStatuses':[{'name':'i','started':true,'ready':true,'restartCount':1,'state':{'running':{}},"
	"'lastState':{'terminated':{'finishedAt':'2025-01-01T00:00:00Z'}}}],"
	"'containerStatuses':[{'name':'a','ready':true,'restartCount':1,'state':{'terminated':{'exitCode':1,'signal':2,'reason':'R'}}}],"
	"'loadBalancer':{'ingress':[{'ip':'9.9.9.9'},{'hostname':'h'},{'ip':'9.9.9.9'}]},'replicas':2,'readyReplicas':1,"
	"'startTime':'2025-01-01T00:00:00Z','completionTime':'2025-01-01T00:01:00Z','active':[{}],"
	"'nodeInfo':{'kubeletVersion':'v1'},'addresses':[{'type':'InternalIP','address':'10.0.0.2'}],"
	"'currentMetrics':[{'type':'Resource','resource':{'current':{'averageUtilization':50}}}],'capacity':{'storage':'1Gi'}},"
	"'subsets':[{'addresses':[{'ip':'1.2.3.4'},{'ip':'fe80::1'}],'notReadyAddresses':[{}],'ports':[{'port':80}]},{'addresses':[{'ip':'5.6.7.8'}]}],"
	"'involvedObject':{'kind':'Pod','name':'p'},'series':{'count':3,'lastObservedTime':'2025-01-01T00:00:00.000001Z'},"
	"'source':{'component':'kubelet','host':'n1'},'message':'  hi\\nthere\\u001b[31m ','count':2,'type':'Warning','reason':'Failed',"
	"'data':{'k':'v'},'binaryData':{'b':'AA=='},'secrets':[{}]}",
};

static size_t count_nodes(const cJSON *j)
{
	size_t n = 1;
	const cJSON *c;
	for (c = j->child; c; c = c->next)
		n += count_nodes(c);
	return n;
}

/* The k-th node in document order (root is 0), and its parent. */
static cJSON *nth_node(cJSON *j, cJSON *parent, size_t *k, cJSON **parent_out)
{
	if ((*k)-- == 0) {
		*parent_out = parent;
		return j;
	}
	for (cJSON *c = j->child; c; c = c->next) {
		cJSON *r = nth_node(c, j, k, parent_out);
		if (r)
			return r;
	}
	return NULL;
}

static cJSON *make_value(int t)
{
	switch (t) {
	case 0: return cJSON_CreateNull();
	case 1: return cJSON_CreateNumber(1e308);
	case 2: return cJSON_CreateNumber(-1);
	case 3: return cJSON_CreateString("str");
	case 4: return cJSON_CreateArray();
	case 5: return cJSON_CreateObject();
	case 6: return cJSON_CreateTrue();
	default: {
		cJSON *a = cJSON_CreateArray(); /* an array of wrong things */
		cJSON_AddItemToArray(a, cJSON_CreateNumber(1));
		cJSON_AddItemToArray(a, cJSON_CreateNull());
		cJSON_AddItemToArray(a, cJSON_CreateString(""));
		return a;
	}
	}
}

static void render_everything(const kobj_t *o)
{
	size_t n;
	const kcol_t *cols = kcol_table(o->kind, &n);
	char buf[256];
	for (size_t c = 0; c < n; c++) {
		cols[c].cell(o, 1735689600, buf, sizeof buf);
		cols[c].cell(o, 1735689600, buf, 3);
		(void)cols[c].compare(o, o);
	}
}

static void test_mutations(void **state)
{
	(void)state;
	char err[256];
	size_t decodes = 0;
	for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
		cJSON *base = js(shapes[s]);
		for (int k = 0; k < KIND__COUNT; k++) {
			kobj_t *o = kobj_decode((kind_id_t)k, base, err, sizeof err);
			assert_non_null(o);
			render_everything(o);
			kobj_free(o);
		}
		size_t total = count_nodes(base);
		for (size_t i = 1; i < total; i++) {
			for (int t = 0; t < 8; t++) {
				cJSON *copy = cJSON_Duplicate(base, 1), *parent = NULL;
				size_t idx = i;
				cJSON *node = nth_node(copy, NULL, &idx, &parent);
				assert_non_null(node);
				assert_true(cJSON_ReplaceItemViaPointer(parent, node, make_value(t)));
				for (int k = 0; k < KIND__COUNT; k++) {
					kobj_t *o = kobj_decode((kind_id_t)k, copy, err, sizeof err);
					if (o) {
						render_everything(o);
						kobj_free(o);
					}
					decodes++;
				}
				cJSON_Delete(copy);
			}
		}
		cJSON_Delete(base);
	}
	printf("  %zu mutated decodes\n", decodes);
	assert_true(decodes > 10000);
}

/* ---- size and speed --------------------------------------------------------- */

/* A typical Deployment pod as a v1.33 API server sends it (managedFields cut). */
static const char typical_pod[] =
	"{'kind':'Pod','apiVersion':'v1','metadata':{'name':'checkout-7d9f8c6b5d-x2k9p','generateName':'checkout-7d9f8c6b5d-',"
	"'namespace':'shop','uid':'3f1c2a9e-8b7d-4e6f-9a1b-2c3d4e5f6a7b','resourceVersion':'48213377',"
	"'creationTimestamp':'2025-09-11T20:50:19Z','labels':{'app':'checkout','pod-template-hash':'7d9f8c6b5d'},"
	"'ownerReferences':[{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'checkout-7d9f8c6b5d',"
	"'uid':'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d','controller':true,'blockOwnerDeletion':true}]},"
	"'spec':{'volumes':[{'name':'kube-api-access-jd4wh','projected':{'sources':[{'serviceAccountToken':{'expirationSeconds':3607,'path':'token'}}]}}],"
	"'containers':[{'name':'checkout','image':'registry.example.com/shop/checkout:1.42.0','ports':[{'containerPort':8080,'protocol':'TCP'}],"
	"'resources':{'limits':{'cpu':'500m','memory':'256Mi'},'requests':{'cpu':'100m','memory':'128Mi'}},"
	"'readinessProbe':{'httpGet':{'path':'/healthz','port':8080,'scheme':'HTTP'},'periodSeconds':5},"
	"'terminationMessagePath':'/dev/termination-log','imagePullPolicy':'IfNotPresent'}],"
	"'restartPolicy':'Always','terminationGracePeriodSeconds':30,'dnsPolicy':'ClusterFirst','serviceAccountName':'default',"
	"'nodeName':'worker-3.prod.example.com','schedulerName':'default-scheduler','priority':0},"
	"'status':{'phase':'Running','conditions':[{'type':'PodReadyToStartContainers','status':'True','lastTransitionTime':'2025-09-11T20:50:21Z'},"
	"{'type':'Initialized','status':'True','lastTransitionTime':'2025-09-11T20:50:19Z'},"
	"{'type':'Ready','status':'True','lastTransitionTime':'2025-09-11T20:50:31Z'},"
	"{'type':'ContainersReady','status':'True','lastTransitionTime':'2025-09-11T20:50:31Z'},"
	"{'type':'PodScheduled','status':'True','lastTransitionTime':'2025-09-11T20:50:19Z'}],"
	"'hostIP':'10.0.3.17','hostIPs':[{'ip':'10.0.3.17'}],'podIP':'10.42.3.118','podIPs':[{'ip':'10.42.3.118'}],"
	"'startTime':'2025-09-11T20:50:19Z','containerStatuses':[{'name':'checkout','state':{'running':{'startedAt':'2025-09-11T20:50:21Z'}},"
	"'lastState':{},'ready':true,'restartCount':0,'image':'registry.example.com/shop/checkout:1.42.0',"
	"'imageID':'registry.example.com/shop/checkout@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1',"
	"'containerID':'containerd://bb308fb9398243225235b09803d1b317a9c85166bcbf5bf8aee64a2867825da9','started':true}],"
	"'qosClass':'Burstable'}}";

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_size_and_speed(void **state)
{
	(void)state;
	enum { N = 10000 };
	cJSON *j = js(typical_pod);
	char err[128], buf[256];
	kobj_t **pods = malloc(N * sizeof *pods);
	assert_non_null(pods);
	double t0 = now_ms();
	for (int i = 0; i < N; i++)
		pods[i] = kobj_decode(KIND_POD, j, err, sizeof err);
	double t1 = now_ms();
	size_t bytes = 0;
	for (int i = 0; i < N; i++)
		bytes += pods[i]->bytes;
	/* one full-width render of every row */
	size_t ncols;
	const kcol_t *cols = kcol_table(KIND_POD, &ncols);
	double t2 = now_ms();
	for (int i = 0; i < N; i++)
		for (size_t c = 0; c < ncols; c++)
			cols[c].cell(pods[i], 1757624400, buf, sizeof buf);
	double t3 = now_ms();
	printf("  typical pod: %u bytes in one block (sizeof(kobj_t) = %zu); 10k pods = %.1f MB\n", pods[0]->bytes,
	       sizeof(kobj_t), (double)bytes / 1e6);
	printf("  decode 10k pods: %.1f ms (cJSON tree -> kobj); render 10k rows x %zu columns: %.1f ms\n", t1 - t0, ncols,
	       t3 - t2);
	cell(pods[0], "STATUS", 0, buf, sizeof buf);
	assert_string_equal(buf, "Running");
	cell(pods[0], "AGE", 1757624400, buf, sizeof buf);
	assert_string_equal(buf, "9m41s");
	assert_true(pods[0]->bytes < 600);
	/* Generous (sanitizer builds run this too); valgrind is 50x slower: no limit. */
	const char *pre = getenv("LD_PRELOAD");
	if (!pre || !strstr(pre, "vgpreload"))
		assert_true(t1 - t0 < 1000);
	for (int i = 0; i < N; i++)
		kobj_free(pods[i]);
	free(pods);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human_duration), cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_kinds),          cmocka_unit_test(test_selector_parse),
		cmocka_unit_test(test_selector_match), cmocka_unit_test(test_pod_status),
		cmocka_unit_test(test_decode_errors),  cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_size_and_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

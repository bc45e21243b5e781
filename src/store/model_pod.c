/* model_pod.c — pods: the compact row, and READY/STATUS/RESTARTS computed once
 * at decode time exactly as kubectl's printPod does (pkg/printers/internalversion
 * in kubernetes/kubernetes, ≥1.28 with sidecar init containers), so rendering
 * 10,000 rows is only formatting. */
#include "kdeck/model.h"
#include "model_int.h"

#include <stdio.h>
#include <string.h>

/* A container status, read once: the fields printPod looks at. */
typedef struct pod_cs {
	const char *name;
	int32_t restarts;
	bool ready, started, has_started;
	bool running, waiting, terminated;
	const char *waiting_reason, *term_reason;
	int32_t exit_code, signal;
	int64_t last_finished; /* lastState.terminated.finishedAt; 0 when absent */
	bool has_last_term;
} pod_cs_t;

static void pod_read_cs(kb_t *b, const cJSON *cs, const char *ctx, int i, pod_cs_t *out)
{
	memset(out, 0, sizeof *out);
	out->name = kj_str(b, cs, "name", ctx, i);
	out->restarts = kj_i32(b, cs, "restartCount", 0, ctx, i);
	out->ready = kj_bool(b, cs, "ready", ctx, i);
	out->has_started = kj_present(cs, "started");
	out->started = kj_bool(b, cs, "started", ctx, i);
	const cJSON *state = kj_obj(b, cs, "state", ctx, i);
	const cJSON *w = kj_obj(b, state, "waiting", "", 0);
	const cJSON *r = kj_obj(b, state, "running", "", 0);
	const cJSON *t = kj_obj(b, state, "terminated", "", 0);
	out->waiting = w != NULL;
	out->running = r != NULL;
	out->terminated = t != NULL;
	out->waiting_reason = kj_str(b, w, "reason", "state.waiting", 0);
	out->term_reason = kj_str(b, t, "reason", "state.terminated", 0);
	out->exit_code = kj_i32(b, t, "exitCode", 0, "state.terminated", 0);
	out->signal = kj_i32(b, t, "signal", 0, "state.terminated", 0);
	const cJSON *last = kj_obj(b, kj_obj(b, cs, "lastState", ctx, i), "terminated", "lastState", 0);
	out->has_last_term = last != NULL;
	out->last_finished = kj_time(b, last, "finishedAt", "lastState.terminated", 0);
}

static bool nonempty(const char *s)
{
	return s && *s;
}

/* The short state shown per container (logs/exec pickers). */
static const char *pod_cs_state(const pod_cs_t *cs)
{
	if (cs->waiting)
		return nonempty(cs->waiting_reason) ? cs->waiting_reason : "Waiting";
	if (cs->terminated)
		return nonempty(cs->term_reason) ? cs->term_reason : "Terminated";
	if (cs->running)
		return "Running";
	return NULL;
}

static bool pod_condition(const cJSON *conds, const char *type, const char **status, const char **reason)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, conds)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
		if (!cJSON_IsString(t) || !t->valuestring || strcmp(t->valuestring, type) != 0)
			continue;
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(c, "reason");
		if (status)
			*status = cJSON_IsString(s) ? s->valuestring : NULL;
		if (reason)
			*reason = cJSON_IsString(r) ? r->valuestring : NULL;
		return true;
	}
	return false;
}

static bool pod_condition_true(const cJSON *conds, const char *type)
{
	const char *st = NULL;
	/* hasPodReadyCondition scans all; isPodInitializedConditionTrue stops at the first match. */
	return pod_condition(conds, type, &st, NULL) && st && strcmp(st, "True") == 0;
}

static bool pod_is_sidecar(const cJSON *init_specs, const char *name)
{
	const cJSON *c;
	if (!name)
		return false;
	cJSON_ArrayForEach(c, init_specs)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");
		if (!cJSON_IsString(n) || !n->valuestring || strcmp(n->valuestring, name) != 0)
			continue;
		const cJSON *rp = cJSON_GetObjectItemCaseSensitive(c, "restartPolicy");
		return cJSON_IsString(rp) && rp->valuestring && strcmp(rp->valuestring, "Always") == 0;
	}
	return false;
}

static const cJSON *pod_find_status(const cJSON *statuses, const char *name)
{
	const cJSON *s;
	if (!name)
		return NULL;
	cJSON_ArrayForEach(s, statuses)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "name");
		if (cJSON_IsString(n) && n->valuestring && strcmp(n->valuestring, name) == 0)
			return s;
	}
	return NULL;
}

/* printPod's status/ready/restarts rules, step for step. */
static void pod_status(kb_t *b, kobj_t *o, const cJSON *spec, const cJSON *st)
{
	kobj_pod_t *p = &o->u.pod;
	const cJSON *init_specs = kj_arr(b, spec, "initContainers", "spec", 0);
	const cJSON *containers = kj_arr(b, spec, "containers", "spec", 0);
	const cJSON *conds = kj_arr(b, st, "conditions", "status", 0);
	const cJSON *ics = kj_arr(b, st, "initContainerStatuses", "status", 0);
	const cJSON *cs = kj_arr(b, st, "containerStatuses", "status", 0);
	char tmp[64];

	int restarts = 0, sidecar_restarts = 0, ready = 0;
	int total = containers ? cJSON_GetArraySize(containers) : 0;
	int64_t last = 0, last_sidecar = 0;

	const char *phase = kj_str(b, st, "phase", "status", 0);
	const char *status_reason = kj_str(b, st, "reason", "status", 0);
	const char *reason = phase ? phase : ""; /* may point at tmp below: copied before return */
	if (nonempty(status_reason))
		reason = status_reason;

	const cJSON *c;
	cJSON_ArrayForEach(c, conds)
	{
		/* Any PodScheduled condition with reason SchedulingGated wins. */
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(c, "reason");
		if (cJSON_IsString(t) && t->valuestring && strcmp(t->valuestring, "PodScheduled") == 0 &&
		    cJSON_IsString(r) && r->valuestring && strcmp(r->valuestring, "SchedulingGated") == 0)
			reason = "SchedulingGated";
	}

	int ninit_spec = init_specs ? cJSON_GetArraySize(init_specs) : 0;
	cJSON_ArrayForEach(c, init_specs)
	{
		const cJSON *rp = cJSON_GetObjectItemCaseSensitive(c, "restartPolicy");
		if (cJSON_IsString(rp) && rp->valuestring && strcmp(rp->valuestring, "Always") == 0)
			total++;
	}

	bool initializing = false;
	int i = 0;
	cJSON_ArrayForEach(c, ics)
	{
		pod_cs_t s;
		pod_read_cs(b, c, "status.initContainerStatuses[%d]", i, &s);
		bool sidecar = pod_is_sidecar(init_specs, s.name);
		restarts += s.restarts;
		if (s.has_last_term && s.last_finished > last)
			last = s.last_finished;
		if (sidecar) {
			sidecar_restarts += s.restarts;
			if (s.has_last_term && s.last_finished > last_sidecar)
				last_sidecar = s.last_finished;
		}
		if (s.terminated && s.exit_code == 0) {
			i++;
			continue;
		}
		if (sidecar && s.has_started && s.started) {
			if (s.ready)
				ready++;
			i++;
			continue;
		}
		if (s.terminated) {
			if (!nonempty(s.term_reason)) {
				if (s.signal != 0)
					snprintf(tmp, sizeof tmp, "Init:Signal:%d", (int)s.signal);
				else
					snprintf(tmp, sizeof tmp, "Init:ExitCode:%d", (int)s.exit_code);
			} else {
				snprintf(tmp, sizeof tmp, "Init:%.56s", s.term_reason);
			}
			reason = tmp;
		} else if (s.waiting && nonempty(s.waiting_reason) && strcmp(s.waiting_reason, "PodInitializing") != 0) {
			snprintf(tmp, sizeof tmp, "Init:%.56s", s.waiting_reason);
			reason = tmp;
		} else {
			snprintf(tmp, sizeof tmp, "Init:%d/%d", i, ninit_spec);
			reason = tmp;
		}
		initializing = true;
		break;
	}

	if (!initializing || pod_condition_true(conds, "Initialized")) {
		restarts = sidecar_restarts;
		last = last_sidecar;
		bool has_running = false;
		int n = cs ? cJSON_GetArraySize(cs) : 0;
		for (int k = n - 1; k >= 0; k--) {
			pod_cs_t s;
			pod_read_cs(b, cJSON_GetArrayItem(cs, k), "status.containerStatuses[%d]", k, &s);
			restarts += s.restarts;
			if (s.has_last_term && s.last_finished > last)
				last = s.last_finished;
			if (s.waiting && nonempty(s.waiting_reason)) {
				reason = s.waiting_reason;
			} else if (s.terminated && nonempty(s.term_reason)) {
				reason = s.term_reason;
			} else if (s.terminated) {
				if (s.signal != 0)
					snprintf(tmp, sizeof tmp, "Signal:%d", (int)s.signal);
				else
					snprintf(tmp, sizeof tmp, "ExitCode:%d", (int)s.exit_code);
				reason = tmp;
			} else if (s.ready && s.running) {
				has_running = true;
				ready++;
			}
		}
		/* A container still running turns "Completed" back into Running/NotReady. */
		if (strcmp(reason, "Completed") == 0 && has_running) {
			reason = pod_condition_true(conds, "Ready") ? "Running" : "NotReady";
		}
	}

	if (o->deleted && status_reason && strcmp(status_reason, "NodeLost") == 0)
		reason = "Unknown";
	else if (o->deleted && !(phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)))
		reason = "Terminating";

	p->status = kb_intern(b, reason);
	p->phase = kb_intern(b, phase);
	p->ready = (uint16_t)(ready < 0 ? 0 : ready > UINT16_MAX ? UINT16_MAX : ready);
	p->total = (uint16_t)(total > UINT16_MAX ? UINT16_MAX : total);
	p->restarts = restarts;
	p->last_restart = last;
}

static void pod_containers(kb_t *b, kobj_t *o, const cJSON *spec, const cJSON *st)
{
	kobj_pod_t *p = &o->u.pod;
	const cJSON *init_specs = kj_arr(b, spec, "initContainers", "spec", 0);
	const cJSON *specs = kj_arr(b, spec, "containers", "spec", 0);
	const cJSON *ics = kj_arr(b, st, "initContainerStatuses", "status", 0);
	const cJSON *cs = kj_arr(b, st, "containerStatuses", "status", 0);
	int ni = init_specs ? cJSON_GetArraySize(init_specs) : 0;
	int nc = specs ? cJSON_GetArraySize(specs) : 0;
	if (ni > 1000)
		ni = 1000;
	if (nc > 1000)
		nc = 1000;
	if (ni + nc == 0)
		return;
	kobj_container_t *c = KB_NEW(b, kobj_container_t, ni + nc);
	int k = 0;
	for (int pass = 0; pass < 2; pass++) {
		const cJSON *arr = pass == 0 ? init_specs : specs;
		const cJSON *sts = pass == 0 ? ics : cs;
		const char *ctx = pass == 0 ? "spec.initContainers[%d]" : "spec.containers[%d]";
		int limit = pass == 0 ? ni : nc, i = 0;
		const cJSON *it;
		cJSON_ArrayForEach(it, arr)
		{
			if (i == limit)
				break;
			const char *name = kj_str(b, it, "name", ctx, i);
			const char *rp = pass == 0 ? kj_str(b, it, "restartPolicy", ctx, i) : NULL;
			c[k].name = kb_str(b, name);
			c[k].image = kb_str(b, kj_str(b, it, "image", ctx, i));
			if (pass == 0)
				c[k].flags |= KCONT_INIT;
			if (rp && strcmp(rp, "Always") == 0)
				c[k].flags |= KCONT_SIDECAR;
			const cJSON *sj = pod_find_status(sts, name);
			if (sj) {
				pod_cs_t s;
				pod_read_cs(b, sj, "containerStatus", 0, &s);
				c[k].restarts = s.restarts;
				c[k].state = kb_intern(b, pod_cs_state(&s));
				if (s.ready)
					c[k].flags |= KCONT_READY;
				if (s.started)
					c[k].flags |= KCONT_STARTED;
				if (s.running)
					c[k].flags |= KCONT_RUNNING;
			}
			i++;
			k++;
		}
	}
	p->containers = c;
	p->ninit = (uint16_t)ni;
	p->ncontainers = (uint16_t)k;
}

void kdec_pod(kb_t *b, kobj_t *o, const cJSON *obj)
{
	kobj_pod_t *p = &o->u.pod;
	const cJSON *spec = kj_obj(b, obj, "spec", "", 0);
	const cJSON *st = kj_obj(b, obj, "status", "", 0);

	const char *node = kj_str(b, spec, "nodeName", "spec", 0);
	p->node = nonempty(node) ? kb_str(b, node) : NULL;
	const char *ip = NULL;
	const cJSON *ips = kj_arr(b, st, "podIPs", "status", 0);
	if (ips && cJSON_GetArraySize(ips) > 0)
		ip = kj_str(b, cJSON_GetArrayItem(ips, 0), "ip", "status.podIPs[%d]", 0);
	if (!nonempty(ip))
		ip = kj_str(b, st, "podIP", "status", 0);
	p->ip = nonempty(ip) ? kb_str(b, ip) : NULL;
	const char *nom = kj_str(b, st, "nominatedNodeName", "status", 0);
	p->nominated = nonempty(nom) ? kb_str(b, nom) : NULL;

	/* READINESS GATES: per gate, the first condition of its type decides. */
	const cJSON *gates = kj_arr(b, spec, "readinessGates", "spec", 0);
	const cJSON *conds = kj_arr(b, st, "conditions", "status", 0);
	const cJSON *g;
	cJSON_ArrayForEach(g, gates)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(g, "conditionType");
		const char *cst = NULL;
		if (p->gates < UINT16_MAX)
			p->gates++;
		if (cJSON_IsString(t) && t->valuestring && pod_condition(conds, t->valuestring, &cst, NULL) && cst &&
		    strcmp(cst, "True") == 0)
			p->gates_true++;
	}

	pod_status(b, o, spec, st);
	pod_containers(b, o, spec, st);
}

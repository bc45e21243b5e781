/* rollout engine: every path of the blue/green state machine, driven by a tiny fake cluster in
 * this file that answers each action with the event a driver would feed back (knobs make any
 * step fail, hang, conflict or error), checks invariants on every action (the Service never
 * selects a slot whose Deployment is not ready; a failed migration never creates the Deployment;
 * nothing is deleted or scaled down while the Service selects it), and can crash the driver after
 * any recorded state and resume or abort from the recorded JSON. Plus the record: state JSON
 * round trip, the ConfigMap parser on garbage, history and log helpers, times. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/rollout.h"
#include "kdeck/rollout_driver.h"

#define T0 1779400000000LL /* 2026-05-21T21:46:40Z */
#define MAX_QUEUE 64
#define NO_KIND (-1)

/* ---- the fake cluster -------------------------------------------------------------------- */

typedef struct deploy {
    bool exists;
    int replicas, ready, polls;
} deploy_t;

typedef struct queued {
    ro_event_t ev;
    char text[RO_TEXT_MAX];
    int64_t due;
    long seq;
} queued_t;

enum { CRASH_AT_SAVE, CRASH_AFTER_BATCH };
/* How the new driver takes over: resume; abort on the parsed state (resume when that started
 * nothing); the abort flag (data.abort) then resume; resume then abort (as driver.c does). */
enum { AFTER_CRASH_RESUME, AFTER_CRASH_ABORT, AFTER_CRASH_ABORT_FLAG, AFTER_CRASH_RESUME_ABORT };

typedef struct cluster {
    /* knobs */
    ro_plan_t plan;
    const char *from_slot;      /* "blue" unless set; "" = a plain Deployment back */
    bool lock_held;
    int job_ticks;              /* seconds until the Job completes */
    bool job_fails, job_hangs;
    int ready_after_polls;      /* CHECK_READY answers until ready; -1 = never */
    int healthy_after_rounds;   /* failing pre-switch rounds first; -1 = never healthy */
    int bake_unhealthy_after;   /* good bake health rounds, then failing; -1 = never */
    bool analysis_pre_fails;
    int post_fails_after;       /* good post rounds, then failing; -1 = never */
    int conflicts;              /* 409s on the forward switch */
    int bake_health_delay_ms, post_delay_ms; /* answers of bake rounds take that long */
    bool post_fails_late;       /* a post round answering after the bake window fails */
    int switch_delay_ms;        /* the forward switch answers that late */
    bool precise_clock;         /* the clock goes to each answer as it falls due, and ticks when
                                 * ro_next_tick_ms asks too (as the driver does); else answers
                                 * wait for the next once-a-second tick */
    int err_kind, err_nth, err_times; /* err_times answers from the err_nth on fail (API error) */
    bool err_when_reverting;    /* count err_nth only among actions sent while reverting */
    bool switch_error_applied;  /* the failing switch PATCH went through nonetheless */
    int abort_in_flight_kind, abort_in_flight_nth; /* abort while that action is in flight */
    int abort_at_step;          /* abort once quiet at this step; -1 = no */
    int crash_after_save;       /* crash after the n-th recorded state (1 = LOCK); 0 = never */
    int crash_mode, after_crash;
    int64_t downtime_ms;
    /* the world */
    int64_t now;
    long seq;
    ro_state_t s;
    deploy_t d[3];              /* blue, green, plain "back" */
    char selector[8];           /* slot the Service selects, "" = app=back only */
    bool job_created, job_complete, lock_ours, released, done, aborted, crashed, crash_pending;
    int64_t job_done_at;
    int applies, health_rounds, bake_rounds, post_rounds, conflicts_left, errs_left;
    int kind_seen[RO_ACT_DONE + 1], kind_seen_reverting[RO_ACT_DONE + 1];
    int saves;
    char *saved;                /* the last recorded state JSON */
    char *history;              /* data.history */
    char trace[8192];           /* "LOCK APPLY(green) ..." without SAVE/LOG */
    char log[16384];
    queued_t q[MAX_QUEUE];
    size_t nq;
    bool abort_after_batch;
    int max_batch;
    ro_action_t deferred;       /* the action in flight while the abort is asked for */
    bool has_deferred;
    ro_phase_t crash_phase;     /* of the record the new driver read */
    ro_step_t crash_step;
} cluster_t;

static const char *kind_names[] = {
    "LOCK", "SAVE", "LOG", "CREATE_JOB", "APPLY", "CHECK_READY", "HEALTH", "ANALYZE", "SWITCH",
    "DELETE", "SCALE_DOWN", "RELEASE", "DONE",
};

static void setup_cluster(cluster_t *c)
{
    memset(c, 0, sizeof *c);
    c->plan = (ro_plan_t){
        .migrate = true, .health_check = true, .analysis_pre = true, .analysis_post = true,
        .migrate_timeout_s = 20, .ready_timeout_s = 30, .health_timeout_s = 10, .bake_s = 10,
        .scale_down_delay_s = 5, .health_interval_s = 2,
    };
    c->from_slot = "blue";
    c->job_ticks = 3;
    c->ready_after_polls = 3;
    c->healthy_after_rounds = 0;
    c->bake_unhealthy_after = -1;
    c->post_fails_after = -1;
    c->err_kind = NO_KIND;
    c->abort_in_flight_kind = NO_KIND;
    c->abort_at_step = -1;
    c->now = T0;
}

static void teardown_cluster(cluster_t *c)
{
    if (getenv("RO_TEST_VERBOSE")) /* RO_TEST_VERBOSE=1 build/tests/test_rollout_engine */
        printf("---- %s (%s)\ntrace: %s\n%s", ro_phase_name(c->s.phase), c->s.reason, c->trace,
               c->log);
    free(c->saved);
    free(c->history);
    c->saved = c->history = NULL;
}

static int slot_index(const char *slot)
{
    return !strcmp(slot, "blue") ? 0 : !strcmp(slot, "green") ? 1 : 2;
}

static void world_start(cluster_t *c)
{
    /* the serving version: ready in from_slot (or the plain Deployment) */
    deploy_t *from = &c->d[slot_index(c->from_slot)];
    *from = (deploy_t){.exists = true, .replicas = 3, .ready = 3};
    snprintf(c->selector, sizeof c->selector, "%s", c->from_slot);
    c->conflicts_left = c->conflicts;
    c->errs_left = c->err_times;
}

static void push(cluster_t *c, ro_event_kind_t kind, int64_t due, const char *text)
{
    if (c->nq >= MAX_QUEUE)
        fail_msg("event queue full");
    queued_t *e = &c->q[c->nq++];
    memset(e, 0, sizeof *e);
    e->ev.kind = kind;
    e->due = due;
    e->seq = c->seq++;
    if (text) {
        snprintf(e->text, sizeof e->text, "%s", text);
        e->ev.text = e->text;
    }
}

static queued_t *last_pushed(cluster_t *c)
{
    return &c->q[c->nq - 1];
}

/* The invariant: the Service never selects a slot whose Deployment is missing or not ready. */
static void check_invariants(cluster_t *c)
{
    int i = slot_index(c->selector);
    if (i == 2 && !c->d[2].exists)
        return; /* no plain Deployment: selecting app=back alone */
    deploy_t *d = &c->d[i];
    if (!d->exists || d->replicas == 0 || d->ready < d->replicas)
        fail_msg("Service selects slot \"%s\" whose Deployment is %s (%d/%d ready); trace: %s",
                 c->selector, d->exists ? "not ready" : "missing", d->ready, d->replicas, c->trace);
}

static void trace_add(cluster_t *c, const ro_action_t *a)
{
    size_t n = strlen(c->trace);
    if (a->kind == RO_ACT_ANALYZE)
        snprintf(c->trace + n, sizeof c->trace - n, "ANALYZE(%s) ", a->phase);
    else if (a->kind == RO_ACT_APPLY || a->kind == RO_ACT_SWITCH || a->kind == RO_ACT_DELETE ||
             a->kind == RO_ACT_SCALE_DOWN || a->kind == RO_ACT_HEALTH)
        snprintf(c->trace + n, sizeof c->trace - n, "%s(%s) ", kind_names[a->kind], a->slot);
    else
        snprintf(c->trace + n, sizeof c->trace - n, "%s ", kind_names[a->kind]);
}

/* An API error answer, when the knobs ask for one on this action. */
static bool api_error(cluster_t *c, const ro_action_t *a)
{
    if ((int)a->kind != c->err_kind || c->errs_left <= 0)
        return false;
    int seen = c->err_when_reverting ? c->kind_seen_reverting[a->kind] : c->kind_seen[a->kind];
    if (seen < c->err_nth)
        return false;
    c->errs_left--;
    char text[RO_TEXT_MAX];
    snprintf(text, sizeof text, "%s: 500 Internal Server Error", kind_names[a->kind]);
    push(c, RO_EV_ERROR, c->now, text);
    return true;
}

static void record_state(cluster_t *c)
{
    cJSON *j = ro_state_to_json(&c->s);
    assert_non_null(j);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    /* every recorded state reads back to the same JSON */
    cJSON *back = cJSON_Parse(text);
    ro_state_t s2;
    char err[200] = "";
    if (!ro_state_from_json(back, &s2, err, sizeof err))
        fail_msg("recorded state does not read back: %s\n%s", err, text);
    cJSON_Delete(back);
    cJSON *j2 = ro_state_to_json(&s2);
    char *text2 = cJSON_PrintUnformatted(j2);
    cJSON_Delete(j2);
    assert_string_equal(text, text2);
    free(text2);
    free(c->saved);
    c->saved = text;
    c->saves++;
    if (c->crash_after_save && c->saves == c->crash_after_save && !c->crashed)
        c->crash_pending = true;
}

static void take_effect(cluster_t *c, const ro_action_t *a);

static void perform_one(cluster_t *c, const ro_action_t *a)
{
    const ro_state_t *s = &c->s;
    c->kind_seen[a->kind]++;
    if (s->phase == RO_PHASE_REVERTING)
        c->kind_seen_reverting[a->kind]++;
    if (a->kind != RO_ACT_SAVE && a->kind != RO_ACT_LOG)
        trace_add(c, a);
    if ((int)a->kind == c->abort_in_flight_kind && c->kind_seen[a->kind] == c->abort_in_flight_nth &&
        !c->aborted) {
        c->abort_after_batch = true;
        if (a->kind == RO_ACT_LOCK || a->kind == RO_ACT_APPLY || a->kind == RO_ACT_SWITCH) {
            /* in flight: it takes effect only after the abort's own actions */
            c->deferred = *a;
            c->has_deferred = true;
            return;
        }
    }
    take_effect(c, a);
}

/* What the API server does with an action, and the answer queued for the driver. */
static void take_effect(cluster_t *c, const ro_action_t *a)
{
    const ro_state_t *s = &c->s;
    if (api_error(c, a)) {
        if (a->kind == RO_ACT_SWITCH && c->switch_error_applied)
            snprintf(c->selector, sizeof c->selector, "%s", a->slot);
        check_invariants(c);
        return;
    }
    deploy_t *d = &c->d[slot_index(a->slot)];
    switch (a->kind) {
    case RO_ACT_LOCK:
        record_state(c); /* the driver records the state with the Lease */
        if (c->lock_held) {
            push(c, RO_EV_LOCK_HELD, c->now, "bob@other since 2026-05-21T21:40:00Z");
        } else {
            c->lock_ours = true;
            push(c, RO_EV_LOCKED, c->now, NULL);
        }
        break;
    case RO_ACT_SAVE:
        assert_true(c->lock_ours);
        record_state(c);
        break;
    case RO_ACT_LOG:
        assert_true(a->text[0] != '\0');
        strncat(c->log, a->text, sizeof c->log - strlen(c->log) - 2);
        strcat(c->log, "\n");
        break;
    case RO_ACT_CREATE_JOB:
        assert_true(s->plan.migrate);
        if (!c->job_created) {
            c->job_created = true;
            c->job_done_at = c->now + (int64_t)c->job_ticks * 1000;
        }
        if (!c->job_hangs) {
            int64_t due = c->job_done_at > c->now ? c->job_done_at : c->now;
            push(c, c->job_fails ? RO_EV_JOB_FAILED : RO_EV_JOB_DONE, due,
                 c->job_fails ? "BackoffLimitExceeded: exit code 3" : NULL);
            if (!c->job_fails && due <= c->now)
                c->job_complete = true;
        }
        break;
    case RO_ACT_APPLY:
        assert_string_equal(a->slot, s->to_slot);
        if (s->plan.migrate && !c->job_complete)
            fail_msg("Deployment applied before the migration completed; trace: %s", c->trace);
        if (!strcmp(c->selector, a->slot))
            fail_msg("APPLY of the slot the Service selects; trace: %s", c->trace);
        if (!d->exists)
            *d = (deploy_t){.exists = true, .replicas = 3};
        c->applies++;
        push(c, RO_EV_APPLIED, c->now, NULL);
        break;
    case RO_ACT_CHECK_READY:
        assert_string_equal(a->slot, s->to_slot);
        assert_true(d->exists);
        d->polls++;
        if (c->ready_after_polls >= 0 && d->polls >= c->ready_after_polls)
            d->ready = d->replicas;
        else
            d->ready = d->polls < d->replicas - 1 ? d->polls : d->replicas - 1;
        push(c, RO_EV_READY, c->now, NULL);
        last_pushed(c)->ev.n = d->ready;
        last_pushed(c)->ev.m = d->replicas;
        break;
    case RO_ACT_HEALTH: {
        assert_true(s->plan.health_check);
        assert_true(d->exists && d->ready == d->replicas);
        bool ok;
        if (!strcmp(c->selector, a->slot)) { /* bake */
            c->bake_rounds++;
            ok = c->bake_unhealthy_after < 0 || c->bake_rounds <= c->bake_unhealthy_after;
        } else {
            c->health_rounds++;
            ok = c->healthy_after_rounds >= 0 && c->health_rounds > c->healthy_after_rounds;
        }
        push(c, RO_EV_HEALTH, c->now + (strcmp(c->selector, a->slot) ? 0 : c->bake_health_delay_ms),
             ok ? NULL : "pod back-green-7d9f-x2: health check 503");
        last_pushed(c)->ev.ok = ok;
        break;
    }
    case RO_ACT_ANALYZE: {
        bool pre = !strcmp(a->phase, "pre");
        assert_true(pre ? s->plan.analysis_pre : s->plan.analysis_post);
        assert_true(pre || !strcmp(a->phase, "post"));
        bool ok = pre ? !c->analysis_pre_fails
                      : (c->post_fails_after < 0 || ++c->post_rounds <= c->post_fails_after);
        int64_t due = c->now + (pre ? 0 : c->post_delay_ms);
        if (!pre && c->post_fails_late && due >= s->deadline_ms)
            ok = false;
        push(c, RO_EV_ANALYSIS, due, ok ? NULL : "error_rate: 0.3 > 0.05");
        last_pushed(c)->ev.ok = ok;
        break;
    }
    case RO_ACT_SWITCH:
        if (!strcmp(a->slot, s->to_slot) && c->conflicts_left > 0) {
            c->conflicts_left--;
            push(c, RO_EV_SWITCH_CONFLICT, c->now, NULL);
            break;
        }
        snprintf(c->selector, sizeof c->selector, "%s", a->slot);
        push(c, RO_EV_SWITCHED, c->now + (strcmp(a->slot, s->to_slot) ? 0 : c->switch_delay_ms), NULL);
        break;
    case RO_ACT_DELETE:
        assert_string_equal(a->slot, s->to_slot);
        if (!strcmp(c->selector, a->slot))
            fail_msg("DELETE of the slot the Service selects; trace: %s", c->trace);
        *d = (deploy_t){0};
        push(c, RO_EV_DELETED, c->now, NULL);
        break;
    case RO_ACT_SCALE_DOWN:
        assert_string_equal(a->slot, s->from_slot);
        if (!strcmp(c->selector, a->slot))
            fail_msg("SCALE_DOWN of the slot the Service selects; trace: %s", c->trace);
        d->replicas = d->ready = 0;
        push(c, RO_EV_SCALED_DOWN, c->now, NULL);
        break;
    case RO_ACT_RELEASE: {
        assert_true(c->lock_ours);
        assert_true(s->phase == RO_PHASE_SUCCEEDED || s->phase == RO_PHASE_FAILED ||
                    s->phase == RO_PHASE_ABORTED);
        assert_false(ro_finished(s)); /* not before RELEASED */
        ro_history_entry_t e;
        ro_history_entry_from_state(s, &e);
        char *h = ro_history_add(c->history, &e);
        assert_non_null(h);
        free(c->history);
        c->history = h;
        c->lock_ours = false;
        c->released = true;
        push(c, RO_EV_RELEASED, c->now, NULL);
        break;
    }
    case RO_ACT_DONE:
        c->done = true;
        break;
    }
    check_invariants(c);
}

static void perform(cluster_t *c, const ro_actions_t *out)
{
    assert_true(out->n < RO_MAX_ACTIONS); /* never full: nothing was dropped */
    if ((int)out->n > c->max_batch)
        c->max_batch = (int)out->n;
    for (size_t i = 0; i < out->n; i++) {
        perform_one(c, &out->v[i]);
        if (c->crash_pending && c->crash_mode == CRASH_AT_SAVE)
            return; /* the rest of the batch never happened */
    }
    if (c->abort_after_batch && !c->crash_pending) {
        c->abort_after_batch = false;
        c->aborted = true;
        ro_actions_t a;
        ro_abort(&c->s, "operator says stop", c->now, &a);
        perform(c, &a);
        if (c->has_deferred && !c->crash_pending) {
            c->has_deferred = false;
            take_effect(c, &c->deferred);
        }
    }
}

static void deliver(cluster_t *c, const ro_event_t *ev)
{
    ro_event_t e = *ev;
    e.now_ms = c->now;
    if (e.kind == RO_EV_JOB_DONE)
        c->job_complete = true;
    ro_actions_t out;
    ro_handle(&c->s, &e, &out);
    perform(c, &out);
}

/* The driver died: in-flight answers are lost; a new one reads the record and resumes/aborts. */
static void crash_and_restart(cluster_t *c)
{
    c->crash_pending = false;
    c->crashed = true;
    c->nq = 0;
    c->abort_after_batch = false;
    c->now += c->downtime_ms;
    if (c->s.phase == RO_PHASE_FAILED && c->s.steps[RO_STEP_LOCK] == RO_SS_FAILED) {
        c->done = true; /* lock refused: nothing of ours to resume */
        return;
    }
    cJSON *j = cJSON_Parse(c->saved);
    memset(&c->s, 0xa5, sizeof c->s); /* nothing survives but the record */
    char err[200] = "";
    if (!ro_state_from_json(j, &c->s, err, sizeof err))
        fail_msg("recorded state unreadable: %s", err);
    cJSON_Delete(j);
    c->lock_ours = !ro_finished(&c->s) || c->lock_ours; /* the new driver takes the Lease over */
    c->crash_phase = c->s.phase;
    c->crash_step = c->s.step;
    ro_actions_t out;
    if (c->after_crash == AFTER_CRASH_ABORT) {
        ro_abort(&c->s, "operator says stop", c->now, &out);
        if (c->s.awaiting == -1) { /* refused (too late), already reverting, or finished */
            perform(c, &out);
            ro_resume(&c->s, c->now, &out);
        }
    } else if (c->after_crash == AFTER_CRASH_RESUME_ABORT) {
        ro_resume(&c->s, c->now, &out);
        perform(c, &out);
        if (ro_finished(&c->s))
            return;
        ro_abort(&c->s, "operator says stop", c->now, &out);
    } else {
        if (c->after_crash == AFTER_CRASH_ABORT_FLAG && c->s.phase == RO_PHASE_RUNNING) {
            c->s.abort_requested = true; /* data.abort read by the new driver */
            snprintf(c->s.reason, sizeof c->s.reason, "operator says stop");
        }
        ro_resume(&c->s, c->now, &out);
    }
    perform(c, &out);
}

static size_t next_due(const cluster_t *c)
{
    size_t best = c->nq;
    for (size_t i = 0; i < c->nq; i++)
        if (c->q[i].due <= c->now &&
            (best == c->nq || c->q[i].due < c->q[best].due ||
             (c->q[i].due == c->q[best].due && c->q[i].seq < c->q[best].seq)))
            best = i;
    return best;
}

/* Answers events as they fall due, ticks the clock once a second when none is due, until DONE. */
static void drive(cluster_t *c)
{
    for (int iter = 0; !c->done; iter++) {
        if (iter > 5000)
            fail_msg("no DONE: phase %s step %s; trace: %s", ro_phase_name(c->s.phase),
                     ro_step_name(c->s.step), c->trace);
        if (c->crash_pending) {
            crash_and_restart(c);
            continue;
        }
        size_t i = next_due(c);
        if (i < c->nq) {
            queued_t e = c->q[i];
            memmove(&c->q[i], &c->q[i + 1], (c->nq - i - 1) * sizeof c->q[0]);
            c->nq--;
            e.ev.text = e.ev.text ? e.text : NULL;
            deliver(c, &e.ev);
            continue;
        }
        if (c->abort_at_step >= 0 && !c->aborted && c->s.phase == RO_PHASE_RUNNING &&
            (int)c->s.step == c->abort_at_step) {
            c->aborted = true;
            ro_actions_t a;
            ro_abort(&c->s, "operator says stop", c->now, &a);
            perform(c, &a);
            continue;
        }
        int64_t next_tick = c->now + 1000;
        if (c->precise_clock) {
            int64_t due = next_tick, wake = ro_next_tick_ms(&c->s);
            for (size_t k = 0; k < c->nq; k++)
                if (c->q[k].due < due)
                    due = c->q[k].due;
            if (due < next_tick && (wake <= c->now || due <= wake)) {
                c->now = due; /* an answer falls due before anything else */
                continue;
            }
            if (wake > c->now && wake < next_tick)
                next_tick = wake;
        }
        c->now = next_tick;
        ro_event_t tick = {.kind = RO_EV_TICK};
        deliver(c, &tick);
    }
    assert_true(ro_finished(&c->s));
}

static void run(cluster_t *c)
{
    world_start(c);
    ro_actions_t out;
    ro_start(&c->s, "back", "prod", "v2", "v1", c->from_slot, "alice@bastion", &c->plan, c->now,
             &out);
    perform(c, &out);
    drive(c);
}

/* ---- expectations ------------------------------------------------------------------------ */

/* Two states record the same (the bookkeeping fields are not recorded). */
static void assert_same_record(const ro_state_t *a, const ro_state_t *b)
{
    cJSON *ja = ro_state_to_json(a), *jb = ro_state_to_json(b);
    char *ta = cJSON_PrintUnformatted(ja), *tb = cJSON_PrintUnformatted(jb);
    assert_string_equal(ta, tb);
    assert_true(a->started_ms == b->started_ms && a->deadline_ms == b->deadline_ms);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(ta);
    free(tb);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void expect_before(const cluster_t *c, const char *first, const char *second)
{
    const char *a = strstr(c->trace, first), *b = strstr(c->trace, second);
    if (!a || !b || a > b)
        fail_msg("expected %s before %s in: %s", first, second, c->trace);
}

static void expect_log(const cluster_t *c, const char *text)
{
    if (!strstr(c->log, text))
        fail_msg("log lacks \"%s\":\n%s", text, c->log);
}

static void expect_last_save_final(const cluster_t *c)
{
    cJSON *j = cJSON_Parse(c->saved);
    const cJSON *ph = cJSON_GetObjectItem(j, "phase");
    assert_string_equal(ph->valuestring, ro_phase_name(c->s.phase));
    cJSON_Delete(j);
}

static void expect_success(const cluster_t *c)
{
    const ro_state_t *s = &c->s;
    if (s->phase != RO_PHASE_SUCCEEDED)
        fail_msg("expected succeeded, got %s (%s); trace: %s", ro_phase_name(s->phase), s->reason,
                 c->trace);
    for (int i = 0; i < RO_N_STEPS; i++)
        if (s->steps[i] != RO_SS_DONE && s->steps[i] != RO_SS_SKIPPED)
            fail_msg("step %s is %s", ro_step_name((ro_step_t)i), ro_step_state_name(s->steps[i]));
    assert_string_equal(c->selector, s->to_slot);
    const deploy_t *to = &c->d[slot_index(s->to_slot)], *from = &c->d[slot_index(c->from_slot)];
    assert_true(to->exists && to->ready == 3);
    assert_int_equal(from->replicas, 0);
    assert_true(c->released);
    assert_false(c->lock_ours);
    assert_string_equal(s->reason, "");
    assert_true(s->switched);
    expect_last_save_final(c);
}

/* Reverted: the Service back on the old slot, the new Deployment gone, the Lease released. */
static void expect_reverted(const cluster_t *c, ro_phase_t phase, const char *failed_step,
                            const char *reason)
{
    const ro_state_t *s = &c->s;
    if (s->phase != phase)
        fail_msg("expected %s, got %s (%s); trace: %s", ro_phase_name(phase),
                 ro_phase_name(s->phase), s->reason, c->trace);
    if (!strstr(s->reason, reason))
        fail_msg("reason \"%s\" lacks \"%s\"", s->reason, reason);
    assert_string_equal(s->failed_step, failed_step);
    assert_string_equal(c->selector, c->from_slot);
    const deploy_t *from = &c->d[slot_index(c->from_slot)];
    assert_true(from->exists && from->ready == 3);
    assert_false(c->d[slot_index(s->to_slot)].exists);
    assert_false(s->switched);
    assert_false(s->new_created);
    assert_true(c->released);
    assert_false(c->lock_ours);
    assert_int_equal(c->kind_seen[RO_ACT_SCALE_DOWN], 0);
    expect_last_save_final(c);
    /* the history got the entry */
    cJSON *h = cJSON_Parse(c->history);
    assert_true(cJSON_IsArray(h));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(h, 0), "result")->valuestring,
                        ro_phase_name(phase));
    cJSON_Delete(h);
}

/* ---- success ----------------------------------------------------------------------------- */

static void test_success_everything(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    run(&c);
    expect_success(&c);
    expect_before(&c, "LOCK", "CREATE_JOB");
    expect_before(&c, "CREATE_JOB", "APPLY(green)");
    expect_before(&c, "APPLY(green)", "CHECK_READY");
    expect_before(&c, "CHECK_READY", "HEALTH(green)");
    expect_before(&c, "HEALTH(green)", "ANALYZE(pre)");
    expect_before(&c, "ANALYZE(pre)", "SWITCH(green)");
    expect_before(&c, "SWITCH(green)", "ANALYZE(post)");
    expect_before(&c, "ANALYZE(post)", "SCALE_DOWN(blue)");
    expect_before(&c, "SCALE_DOWN(blue)", "RELEASE");
    expect_before(&c, "RELEASE", "DONE");
    assert_int_equal(count(c.trace, "SWITCH("), 1);
    assert_int_equal(count(c.trace, "DELETE("), 0);
    /* bake: rounds every 2 s for 10 s */
    assert_in_range(c.bake_rounds, 5, 7);
    assert_true(c.saves >= 8); /* lock + one per step + the outcome */
    expect_log(&c, "deploy: 2/3 replicas ready");
    expect_log(&c, "deploy: 3/3 replicas ready");
    expect_log(&c, "switch: service back now selects slot=green");
    expect_log(&c, "rollout succeeded: back v2 serves from slot=green");
    assert_string_equal(c.s.id, "back-v2-1779400000");
    assert_true(c.s.finished_ms > c.s.started_ms);
    for (int i = 0; i < RO_N_STEPS; i++)
        assert_true(c.s.step_started_ms[i] > 0 && c.s.step_finished_ms[i] >= c.s.step_started_ms[i]);
    /* the scale-down waited for its delay after the bake */
    assert_true(c.s.step_finished_ms[RO_STEP_FINISH] - c.s.step_started_ms[RO_STEP_FINISH] >= 5000);
    assert_true(c.max_batch <= 6);
    teardown_cluster(&c);
}

static void test_success_minimal(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.plan = (ro_plan_t){.bake_s = 0, .scale_down_delay_s = 0}; /* defaults for the rest */
    run(&c);
    expect_success(&c);
    assert_int_equal(c.s.steps[RO_STEP_MIGRATE], RO_SS_SKIPPED);
    assert_int_equal(c.s.steps[RO_STEP_HEALTH], RO_SS_SKIPPED);
    assert_int_equal(c.s.steps[RO_STEP_ANALYZE], RO_SS_SKIPPED);
    assert_int_equal(c.s.steps[RO_STEP_BAKE], RO_SS_SKIPPED);
    assert_int_equal(c.kind_seen[RO_ACT_CREATE_JOB] + c.kind_seen[RO_ACT_HEALTH] +
                         c.kind_seen[RO_ACT_ANALYZE], 0);
    assert_int_equal(c.s.plan.ready_timeout_s, 300);
    assert_int_equal(c.s.plan.health_interval_s, 2);
    teardown_cluster(&c);
}

static void test_success_health_only_and_bake_without_checks(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.plan.migrate = c.plan.analysis_pre = c.plan.analysis_post = false;
    c.healthy_after_rounds = 2; /* two failing rounds, then healthy */
    run(&c);
    expect_success(&c);
    expect_log(&c, "health: pod back-green-7d9f-x2: health check 503");
    assert_int_equal(count(c.log, "health: pod back-green"), 1); /* logged once, not per round */
    assert_int_equal(c.kind_seen[RO_ACT_ANALYZE], 0);
    teardown_cluster(&c);

    setup_cluster(&c);
    c.plan.health_check = c.plan.analysis_post = false;
    run(&c);
    expect_success(&c);
    assert_int_equal(c.s.steps[RO_STEP_BAKE], RO_SS_DONE);
    assert_true(c.s.step_finished_ms[RO_STEP_BAKE] - c.s.step_started_ms[RO_STEP_BAKE] >= 10000);
    teardown_cluster(&c);
}

static void test_success_from_plain_and_from_green(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.from_slot = "";
    run(&c);
    expect_success(&c);
    assert_string_equal(c.s.to_slot, "blue");
    assert_non_null(strstr(c.trace, "SCALE_DOWN() "));
    expect_log(&c, "Deployment back scaled to 0");
    teardown_cluster(&c);

    setup_cluster(&c);
    c.from_slot = "green";
    run(&c);
    expect_success(&c);
    assert_string_equal(c.s.to_slot, "blue");
    expect_before(&c, "SWITCH(blue)", "SCALE_DOWN(green)");
    teardown_cluster(&c);
}

/* ---- failures before the switch ------------------------------------------------------------ */

static void test_migration_fails(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.job_fails = true;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "migrate",
                    "migration Job back-migrate-v2 failed: BackoffLimitExceeded");
    assert_int_equal(c.applies, 0);
    assert_int_equal(c.kind_seen[RO_ACT_DELETE] + c.kind_seen[RO_ACT_SWITCH], 0);
    assert_int_equal(c.s.steps[RO_STEP_MIGRATE], RO_SS_FAILED);
    assert_int_equal(c.s.steps[RO_STEP_DEPLOY], RO_SS_PENDING);
    teardown_cluster(&c);
}

static void test_migration_times_out(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.job_hangs = true;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "migrate",
                    "migration Job back-migrate-v2 not complete after 20 s");
    assert_int_equal(c.applies, 0);
    assert_int_equal(c.kind_seen[RO_ACT_DELETE], 0);
    assert_int_equal(c.s.finished_ms - c.s.step_started_ms[RO_STEP_MIGRATE], 20000);
    teardown_cluster(&c);
}

static void test_readiness_timeout(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.ready_after_polls = -1;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "deploy",
                    "only 2/3 replicas of back-green ready after 30 s");
    assert_int_equal(c.s.steps[RO_STEP_DEPLOY], RO_SS_FAILED);
    assert_int_equal(count(c.trace, "SWITCH("), 0);
    expect_before(&c, "APPLY(green)", "DELETE(green)");
    /* polls every 2 s, not every tick */
    assert_in_range(c.kind_seen[RO_ACT_CHECK_READY], 14, 17);
    expect_log(&c, "deploy: 1/3 replicas ready");
    expect_log(&c, "deploy: failed: only 2/3 replicas of back-green ready after 30 s; reverting");
    assert_int_equal(count(c.log, "deploy: 2/3 replicas ready"), 1);
    teardown_cluster(&c);
}

static void test_unhealthy_pod(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.healthy_after_rounds = -1;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "health", "");
    assert_string_equal(c.s.reason, "pod back-green-7d9f-x2: health check 503 after 10 s");
    assert_int_equal(c.s.steps[RO_STEP_HEALTH], RO_SS_FAILED);
    assert_int_equal(c.s.steps[RO_STEP_DEPLOY], RO_SS_REVERTED);
    assert_int_equal(count(c.trace, "SWITCH("), 0);
    assert_in_range(c.health_rounds, 5, 6);
    expect_log(&c, "rollout failed: pod back-green-7d9f-x2: health check 503 after 10 s");
    teardown_cluster(&c);
}

static void test_analysis_fails_before_switch(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.analysis_pre_fails = true;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "analyze", "pre-switch analysis: error_rate: 0.3 > 0.05");
    assert_int_equal(count(c.trace, "SWITCH("), 0);
    assert_int_equal(c.s.steps[RO_STEP_HEALTH], RO_SS_DONE);
    teardown_cluster(&c);
}

/* ---- failures after the switch ------------------------------------------------------------- */

static void test_analysis_fails_after_switch(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.post_fails_after = 2;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "bake", "post-switch analysis: error_rate: 0.3 > 0.05");
    expect_before(&c, "SWITCH(green)", "SWITCH(blue)");
    expect_before(&c, "SWITCH(blue)", "DELETE(green)");
    assert_int_equal(c.s.steps[RO_STEP_SWITCH], RO_SS_REVERTED);
    assert_int_equal(c.s.steps[RO_STEP_DEPLOY], RO_SS_REVERTED);
    assert_int_equal(c.s.steps[RO_STEP_BAKE], RO_SS_FAILED);
    assert_int_equal(c.s.steps[RO_STEP_FINISH], RO_SS_PENDING);
    expect_log(&c, "switch: service back now selects slot=blue again");
    teardown_cluster(&c);
}

static void test_unhealthy_after_switch(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.plan.analysis_post = false;
    c.bake_unhealthy_after = 1;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "bake",
                    "after the switch: pod back-green-7d9f-x2: health check 503");
    expect_before(&c, "SWITCH(blue)", "DELETE(green)");
    teardown_cluster(&c);

    /* from a plain Deployment, the flip back is to slot "" (the driver drops slot=) */
    setup_cluster(&c);
    c.from_slot = "";
    c.bake_unhealthy_after = 0;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "bake", "after the switch");
    expect_before(&c, "SWITCH() ", "DELETE(blue)");
    expect_log(&c, "the plain Deployment");
    teardown_cluster(&c);
}

/* The bake ends once its window passed AND the last round answered: a late failing answer counts. */
static void test_bake_waits_for_the_last_round(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.bake_health_delay_ms = 1500;
    c.post_delay_ms = 2500;
    c.post_fails_late = true;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "bake", "post-switch analysis: error_rate");
    teardown_cluster(&c);

    /* the same answers, all good: it waits for them, then finishes */
    setup_cluster(&c);
    c.bake_health_delay_ms = 1500;
    c.post_delay_ms = 2500;
    run(&c);
    expect_success(&c);
    assert_true(c.s.step_finished_ms[RO_STEP_BAKE] - c.s.step_started_ms[RO_STEP_BAKE] >= 10000);
    teardown_cluster(&c);
}

/* A driver that ticks when ro_next_tick_ms asks ends the bake exactly at its deadline when the
 * last round answered ok, even when the bake started between two ticks. */
static void test_bake_ends_at_its_deadline(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.precise_clock = true;
    c.switch_delay_ms = 20;        /* the bake starts 20 ms after a tick */
    c.bake_health_delay_ms = 300;
    c.post_delay_ms = 300;
    c.plan.bake_s = 5;
    run(&c);
    expect_success(&c);
    assert_int_equal(c.s.step_finished_ms[RO_STEP_BAKE] - c.s.step_started_ms[RO_STEP_BAKE], 5000);
    assert_int_equal(c.bake_rounds, 3); /* at 0, 2 and 4 s: none started at the deadline */
    teardown_cluster(&c);

    /* ro_next_tick_ms: the next round, then the deadline; nothing while a round is in flight */
    ro_state_t s;
    memset(&s, 0, sizeof s);
    s.phase = RO_PHASE_RUNNING;
    s.step = RO_STEP_BAKE;
    s.steps[RO_STEP_BAKE] = RO_SS_RUNNING;
    s.awaiting = -1;
    s.deadline_ms = T0 + 5000;
    s.next_round_ms = T0 + 4000;
    assert_int_equal(ro_next_tick_ms(&s), T0 + 4000);
    s.next_round_ms = T0 + 6000;
    assert_int_equal(ro_next_tick_ms(&s), T0 + 5000);
    s.round_pending = 1u << RO_ACT_HEALTH;
    assert_int_equal(ro_next_tick_ms(&s), 0);
    s.round_pending = 0;
    s.step = RO_STEP_HEALTH;
    s.steps[RO_STEP_HEALTH] = RO_SS_RUNNING;
    assert_int_equal(ro_next_tick_ms(&s), 0); /* other waits: the regular ticks */
    s.phase = RO_PHASE_REVERTING;
    s.step = RO_STEP_BAKE;
    assert_int_equal(ro_next_tick_ms(&s), 0);
}

static void test_switch_conflict_once(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.conflicts = 1;
    run(&c);
    expect_success(&c);
    assert_int_equal(count(c.trace, "SWITCH(green)"), 2);
    assert_int_equal(c.s.switch_attempts, 1);
    expect_log(&c, "409 Conflict on Service back");
    teardown_cluster(&c);
}

static void test_switch_conflict_four_times(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.conflicts = 4;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "switch", "409 Conflict 4 times");
    assert_int_equal(count(c.trace, "SWITCH(green)"), 4);
    assert_int_equal(count(c.trace, "SWITCH(blue)"), 0); /* no PATCH applied: nothing to flip */
    assert_int_equal(c.s.steps[RO_STEP_SWITCH], RO_SS_FAILED);
    teardown_cluster(&c);
}

/* ---- lock ---------------------------------------------------------------------------------- */

static void test_lock_held(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.lock_held = true;
    run(&c);
    assert_int_equal(c.s.phase, RO_PHASE_FAILED);
    assert_string_equal(c.s.reason, "locked by bob@other since 2026-05-21T21:40:00Z");
    assert_string_equal(c.s.failed_step, "lock");
    assert_string_equal(c.trace, "LOCK DONE ");
    assert_int_equal(c.kind_seen[RO_ACT_SAVE], 0);
    assert_false(c.released);
    assert_string_equal(c.selector, "blue");
    expect_log(&c, "lock: refused: locked by bob@other");
    teardown_cluster(&c);
}

/* ---- API errors ---------------------------------------------------------------------------- */

static void test_api_error_forward(void **state)
{
    (void)state;
    static const struct { int kind; const char *step; } cases[] = {
        {RO_ACT_CREATE_JOB, "migrate"}, {RO_ACT_APPLY, "deploy"}, {RO_ACT_CHECK_READY, "deploy"},
        {RO_ACT_HEALTH, "health"}, {RO_ACT_ANALYZE, "analyze"}, {RO_ACT_SWITCH, "switch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int applied = 0; applied < 2; applied++) {
            cluster_t c;
            setup_cluster(&c);
            c.err_kind = cases[i].kind;
            c.err_nth = 1;
            c.err_times = 1;
            c.switch_error_applied = applied;
            run(&c);
            char want[64];
            snprintf(want, sizeof want, "%s: 500 Internal Server Error", kind_names[cases[i].kind]);
            expect_reverted(&c, RO_PHASE_FAILED, cases[i].step, want);
            if (cases[i].kind == RO_ACT_SWITCH) /* unknown outcome: flipped back all the same */
                expect_before(&c, "SWITCH(green)", "SWITCH(blue)");
            teardown_cluster(&c);
        }
    /* during the bake: flip back first */
    cluster_t c;
    setup_cluster(&c);
    c.err_kind = RO_ACT_HEALTH;
    c.err_nth = 3;
    c.err_times = 1;
    run(&c);
    expect_reverted(&c, RO_PHASE_FAILED, "bake", "HEALTH: 500");
    expect_before(&c, "SWITCH(blue)", "DELETE(green)");
    teardown_cluster(&c);
}

static void test_api_error_on_lock(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.err_kind = RO_ACT_LOCK;
    c.err_nth = 1;
    c.err_times = 1;
    run(&c);
    assert_int_equal(c.s.phase, RO_PHASE_FAILED);
    assert_string_equal(c.s.reason, "lock: LOCK: 500 Internal Server Error");
    assert_string_equal(c.trace, "LOCK DONE ");
    teardown_cluster(&c);
}

static void test_api_error_during_revert(void **state)
{
    (void)state;
    /* the flip back fails twice, then works; the delete fails 4 times, then works */
    for (int kind = RO_ACT_SWITCH; kind <= RO_ACT_DELETE; kind++) {
        cluster_t c;
        setup_cluster(&c);
        c.post_fails_after = 1;
        c.err_kind = kind;
        c.err_when_reverting = true;
        c.err_nth = 1;
        c.err_times = kind == RO_ACT_SWITCH ? 2 : 4;
        run(&c);
        expect_reverted(&c, RO_PHASE_FAILED, "bake", "post-switch analysis");
        assert_int_equal(c.kind_seen_reverting[kind], c.err_times + 1);
        expect_log(&c, "(error 1 of 5), retrying in 2 s");
        teardown_cluster(&c);
    }
}

static void test_revert_incomplete_then_resume(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.healthy_after_rounds = -1;
    c.err_kind = RO_ACT_DELETE;
    c.err_when_reverting = true;
    c.err_nth = 1;
    c.err_times = 5;
    run(&c);
    assert_int_equal(c.s.phase, RO_PHASE_FAILED);
    assert_string_equal(c.s.reason, "revert incomplete: Deployment back-green not deleted: "
                                    "DELETE: 500 Internal Server Error");
    assert_true(c.d[1].exists);
    assert_true(c.s.new_created);
    assert_false(c.released); /* the API is failing: the Lease expires by itself */
    assert_string_equal(c.selector, "blue");
    expect_last_save_final(&c);
    /* later, `kdeck rollout resume` completes the revert from the record */
    c.done = false;
    c.crash_pending = true;
    c.after_crash = AFTER_CRASH_RESUME;
    c.lock_ours = true;
    drive(&c);
    assert_false(c.d[1].exists);
    assert_int_equal(c.s.phase, RO_PHASE_FAILED);
    assert_true(c.released);
    assert_false(c.s.new_created);
    teardown_cluster(&c);
}

static void test_scale_down_errors(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.err_kind = RO_ACT_SCALE_DOWN;
    c.err_nth = 1;
    c.err_times = 2;
    run(&c);
    expect_success(&c);
    assert_int_equal(c.kind_seen[RO_ACT_SCALE_DOWN], 3);
    teardown_cluster(&c);

    /* never works: the new version serves (no flip back onto a half scaled-down slot) */
    setup_cluster(&c);
    c.err_kind = RO_ACT_SCALE_DOWN;
    c.err_nth = 1;
    c.err_times = 99;
    run(&c);
    assert_int_equal(c.s.phase, RO_PHASE_SUCCEEDED);
    assert_int_equal(c.s.steps[RO_STEP_FINISH], RO_SS_FAILED);
    assert_string_equal(c.s.reason, "Deployment back-blue not scaled down: "
                                    "SCALE_DOWN: 500 Internal Server Error");
    assert_string_equal(c.selector, "green");
    assert_int_equal(count(c.trace, "SWITCH(blue)"), 0);
    assert_true(c.released);
    teardown_cluster(&c);
}

/* ---- abort --------------------------------------------------------------------------------- */

static void test_abort_at_each_step(void **state)
{
    (void)state;
    static const struct { int step; const char *name; } quiet[] = {
        {RO_STEP_MIGRATE, "migrate"}, {RO_STEP_DEPLOY, "deploy"}, {RO_STEP_HEALTH, "health"},
        {RO_STEP_BAKE, "bake"}, {RO_STEP_FINISH, "finish"},
    };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        cluster_t c;
        setup_cluster(&c);
        c.healthy_after_rounds = 2;
        c.abort_at_step = quiet[i].step;
        run(&c);
        expect_reverted(&c, RO_PHASE_ABORTED, quiet[i].name, "operator says stop");
        if (quiet[i].step >= RO_STEP_BAKE)
            expect_before(&c, "SWITCH(blue)", "DELETE(green)");
        if (quiet[i].step == RO_STEP_MIGRATE)
            assert_int_equal(c.applies, 0);
        expect_log(&c, "rollout aborted: operator says stop");
        teardown_cluster(&c);
    }
    /* with the request in flight */
    static const struct { int kind; const char *name; } flying[] = {
        {RO_ACT_LOCK, "lock"}, {RO_ACT_CREATE_JOB, "migrate"}, {RO_ACT_APPLY, "deploy"},
        {RO_ACT_CHECK_READY, "deploy"}, {RO_ACT_HEALTH, "health"}, {RO_ACT_ANALYZE, "analyze"},
        {RO_ACT_SWITCH, "switch"},
    };
    for (size_t i = 0; i < sizeof flying / sizeof flying[0]; i++) {
        cluster_t c;
        setup_cluster(&c);
        c.abort_in_flight_kind = flying[i].kind;
        c.abort_in_flight_nth = 1;
        run(&c);
        expect_reverted(&c, RO_PHASE_ABORTED, flying[i].name, "operator says stop");
        if (flying[i].kind == RO_ACT_APPLY) /* waited for the apply, then deleted */
            expect_before(&c, "APPLY(green)", "DELETE(green)");
        if (flying[i].kind == RO_ACT_SWITCH) { /* the switch happened: flipped back */
            expect_before(&c, "SWITCH(green)", "SWITCH(blue)");
            assert_int_equal(c.s.steps[RO_STEP_SWITCH], RO_SS_REVERTED);
        }
        if (flying[i].kind == RO_ACT_ANALYZE || flying[i].kind == RO_ACT_HEALTH)
            expect_log(&c, "ignored a late");
        teardown_cluster(&c);
    }
    /* an abort during a bake round: the late answers are ignored */
    cluster_t c;
    setup_cluster(&c);
    c.abort_in_flight_kind = RO_ACT_ANALYZE;
    c.abort_in_flight_nth = 2; /* the first post round */
    run(&c);
    expect_reverted(&c, RO_PHASE_ABORTED, "bake", "operator says stop");
    expect_before(&c, "SWITCH(blue)", "DELETE(green)");
    teardown_cluster(&c);
}

static void test_abort_switch_in_flight_conflict(void **state)
{
    (void)state;
    /* abort while the switch is in flight, and the switch answers 409: no flip back needed */
    cluster_t c;
    setup_cluster(&c);
    c.conflicts = 1;
    c.abort_in_flight_kind = RO_ACT_SWITCH;
    c.abort_in_flight_nth = 1;
    run(&c);
    expect_reverted(&c, RO_PHASE_ABORTED, "switch", "operator says stop");
    assert_int_equal(count(c.trace, "SWITCH("), 1);
    teardown_cluster(&c);
}

static void test_abort_too_late_and_after_end(void **state)
{
    (void)state;
    cluster_t c;
    setup_cluster(&c);
    c.abort_in_flight_kind = RO_ACT_SCALE_DOWN;
    c.abort_in_flight_nth = 1;
    run(&c);
    expect_success(&c);
    expect_log(&c, "abort: too late");
    /* finished: left alone */
    ro_actions_t out;
    ro_state_t before = c.s;
    ro_abort(&c.s, "again", c.now, &out);
    assert_int_equal(out.n, 0);
    assert_same_record(&before, &c.s);
    ro_event_t ev = {.kind = RO_EV_ABORT, .now_ms = c.now};
    ro_handle(&c.s, &ev, &out);
    assert_int_equal(out.n, 0);
    ro_resume(&c.s, c.now, &out);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.v[0].kind, RO_ACT_DONE);
    teardown_cluster(&c);

    /* a second abort while the first waits for the apply */
    setup_cluster(&c);
    world_start(&c);
    c.plan.migrate = false;
    ro_start(&c.s, "back", "prod", "v2", "v1", "blue", "alice@bastion", &c.plan, c.now, &out);
    ro_event_t locked = {.kind = RO_EV_LOCKED, .now_ms = c.now};
    ro_handle(&c.s, &locked, &out);
    assert_int_equal(c.s.awaiting, RO_ACT_APPLY);
    ro_abort(&c.s, "", c.now, &out);
    assert_string_equal(c.s.reason, "aborted by the operator");
    assert_int_equal(c.s.phase, RO_PHASE_RUNNING);
    ro_abort(&c.s, "twice", c.now, &out);
    assert_int_equal(c.s.phase, RO_PHASE_RUNNING);
    assert_string_equal(c.s.reason, "aborted by the operator");
    ro_event_t applied = {.kind = RO_EV_APPLIED, .now_ms = c.now};
    ro_handle(&c.s, &applied, &out);
    assert_int_equal(c.s.phase, RO_PHASE_REVERTING);
    assert_int_equal(out.v[out.n - 1].kind, RO_ACT_DELETE);
    teardown_cluster(&c);
}

/* ---- crash and resume ---------------------------------------------------------------------- */

typedef void (*plan_fn)(cluster_t *c);
static void plan_everything(cluster_t *c) { (void)c; }
static void plan_minimal_from_plain(cluster_t *c)
{
    c->plan = (ro_plan_t){.bake_s = 4, .scale_down_delay_s = 3, .ready_timeout_s = 20};
    c->from_slot = "";
}
static void plan_failing_bake(cluster_t *c) { c->post_fails_after = 2; }

static int saves_of(plan_fn plan)
{
    cluster_t c;
    setup_cluster(&c);
    plan(&c);
    run(&c);
    int n = c.saves;
    teardown_cluster(&c);
    return n;
}

/* Crashes after every recorded state (and, separately, after every batch), with and without a
 * downtime longer than the bake window, then resumes; the outcome is what it would have been. */
static void crash_everywhere(plan_fn plan, int after_crash, bool expect_failure)
{
    int total = saves_of(plan);
    assert_true(total >= 5);
    for (int n = 1; n <= total; n++)
        for (int mode = CRASH_AT_SAVE; mode <= CRASH_AFTER_BATCH; mode++)
            for (int down = 0; down < (expect_failure ? 1 : 2); down++) {
                cluster_t c;
                setup_cluster(&c);
                plan(&c);
                c.crash_after_save = n;
                c.crash_mode = mode;
                c.after_crash = after_crash;
                c.downtime_ms = down ? 60000 : 0;
                run(&c);
                assert_true(c.crashed);
                bool recorded_final = c.crash_phase == RO_PHASE_SUCCEEDED ||
                                      c.crash_phase == RO_PHASE_FAILED;
                if (c.s.phase == RO_PHASE_SUCCEEDED) {
                    /* an abort is refused once the scale-down is due */
                    if (after_crash != AFTER_CRASH_RESUME && !recorded_final)
                        assert_int_equal(c.crash_step, RO_STEP_FINISH);
                    if (c.released) {
                        expect_success(&c);
                    } else { /* crashed between the outcome's record and RELEASE */
                        assert_true(recorded_final);
                        assert_string_equal(c.selector, c.s.to_slot);
                    }
                } else if (c.s.phase == RO_PHASE_ABORTED) {
                    assert_int_not_equal(after_crash, AFTER_CRASH_RESUME);
                    expect_reverted(&c, RO_PHASE_ABORTED, c.s.failed_step, "operator says stop");
                } else {
                    assert_int_equal(c.s.phase, RO_PHASE_FAILED);
                    assert_true(expect_failure);
                    if (c.released)
                        expect_reverted(&c, RO_PHASE_FAILED, "bake", "post-switch analysis");
                    else
                        assert_true(recorded_final);
                }
                teardown_cluster(&c);
            }
}

static void test_crash_and_resume_every_step(void **state)
{
    (void)state;
    crash_everywhere(plan_everything, AFTER_CRASH_RESUME, false);
    crash_everywhere(plan_minimal_from_plain, AFTER_CRASH_RESUME, false);
    crash_everywhere(plan_failing_bake, AFTER_CRASH_RESUME, true);
}

static void test_crash_then_abort_every_step(void **state)
{
    (void)state;
    crash_everywhere(plan_everything, AFTER_CRASH_ABORT, false);
    crash_everywhere(plan_minimal_from_plain, AFTER_CRASH_ABORT, false);
    crash_everywhere(plan_everything, AFTER_CRASH_ABORT_FLAG, false);
    crash_everywhere(plan_everything, AFTER_CRASH_RESUME_ABORT, false);
    crash_everywhere(plan_minimal_from_plain, AFTER_CRASH_RESUME_ABORT, false);
    crash_everywhere(plan_failing_bake, AFTER_CRASH_ABORT, true);
}

static void test_resume_specific_steps(void **state)
{
    (void)state;
    /* crash right after the deploy step was recorded: APPLY is issued again, once */
    cluster_t c;
    setup_cluster(&c);
    c.plan.migrate = false;
    c.crash_after_save = 2; /* 1 = lock, 2 = deploy */
    run(&c);
    expect_success(&c);
    assert_int_equal(count(c.trace, "APPLY(green)"), 1); /* AT_SAVE: the first never went out */
    expect_log(&c, "resume: picking up rollout back-v2-1779400000 at step deploy (running)");
    teardown_cluster(&c);

    setup_cluster(&c);
    c.plan.migrate = false;
    c.crash_after_save = 2;
    c.crash_mode = CRASH_AFTER_BATCH;
    run(&c);
    expect_success(&c);
    assert_int_equal(count(c.trace, "APPLY(green)"), 2); /* re-applied: idempotent */
    teardown_cluster(&c);

    /* crash during the bake, back after its end: it proceeds to the finish without a round */
    setup_cluster(&c);
    c.plan.migrate = c.plan.health_check = c.plan.analysis_pre = false;
    c.crash_after_save = 4; /* lock, deploy, switch, bake */
    c.crash_mode = CRASH_AFTER_BATCH;
    c.downtime_ms = 60000;
    run(&c);
    expect_success(&c);
    expect_log(&c, "bake: the bake window ended while no driver was watching");
    teardown_cluster(&c);
}

/* ---- robustness: any event in any state ------------------------------------------------------ */

static void test_random_events_never_break_it(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        ro_state_t s;
        ro_actions_t out;
        ro_plan_t plan = {.migrate = round & 1, .health_check = round & 2,
                          .analysis_pre = round & 4, .analysis_post = round & 8, .bake_s = 4,
                          .scale_down_delay_s = 2, .health_timeout_s = 4, .ready_timeout_s = 6,
                          .migrate_timeout_s = 6, .health_interval_s = 1};
        int64_t now = T0;
        ro_start(&s, "back", "prod", "v2", "v1", round % 3 ? "blue" : "", "alice", &plan, now, &out);
        for (int i = 0; i < 400 && !ro_finished(&s); i++) {
            seed = seed * 1103515245u + 12345u;
            ro_event_t ev = {.kind = (ro_event_kind_t)((seed >> 16) % (RO_EV_ERROR + 1)),
                             .now_ms = now += (seed >> 8) % 1500, .ok = (seed >> 4) & 1,
                             .n = (int)((seed >> 20) % 4), .m = 3,
                             .text = (seed >> 12) & 1 ? "something" : NULL};
            ro_handle(&s, &ev, &out);
            assert_true(out.n < RO_MAX_ACTIONS);
            if (i % 50 == 49) { /* and through the record */
                cJSON *j = ro_state_to_json(&s);
                char err[200];
                ro_state_t back;
                assert_true(ro_state_from_json(j, &back, err, sizeof err));
                cJSON_Delete(j);
                assert_same_record(&back, &s);
            }
        }
        /* a finished rollout stays finished */
        if (ro_finished(&s)) {
            ro_event_t ev = {.kind = RO_EV_TICK, .now_ms = now + 100000};
            ro_handle(&s, &ev, &out);
            assert_int_equal(out.n, 0);
        }
    }
}

/* ---- names ------------------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ro_step_name(RO_STEP_LOCK), "lock");
    assert_string_equal(ro_step_name(RO_STEP_FINISH), "finish");
    assert_string_equal(ro_step_name(RO_N_STEPS), "?");
    assert_string_equal(ro_step_title(RO_STEP_MIGRATE), "Migrate database");
    assert_string_equal(ro_step_state_name(RO_SS_REVERTED), "reverted");
    assert_string_equal(ro_phase_name(RO_PHASE_REVERTING), "reverting");
    assert_string_equal(ro_phase_name((ro_phase_t)99), "?");
    assert_string_equal(ro_other_slot("blue"), "green");
    assert_string_equal(ro_other_slot("green"), "blue");
    assert_string_equal(ro_other_slot(""), "blue");
    assert_string_equal(ro_other_slot(NULL), "blue");
    ro_plan_t p = {.bake_s = 0, .scale_down_delay_s = -1};
    ro_plan_defaults(&p);
    assert_int_equal(p.migrate_timeout_s, 600);
    assert_int_equal(p.ready_timeout_s, 300);
    assert_int_equal(p.health_timeout_s, 60);
    assert_int_equal(p.bake_s, 0);
    assert_int_equal(p.scale_down_delay_s, 300);
    assert_int_equal(p.health_interval_s, 2);
    p.bake_s = -1;
    ro_plan_defaults(&p);
    assert_int_equal(p.bake_s, 60);
}

/* ---- the record ---------------------------------------------------------------------------- */

static void test_time_format_and_parse(void **state)
{
    (void)state;
    char buf[40];
    ro_time_format(T0 + 250, buf, sizeof buf);
    assert_string_equal(buf, "2026-05-21T21:46:40.250Z");
    ro_time_format(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    int64_t ms;
    assert_true(ro_time_parse("2026-05-21T21:46:40.250Z", &ms));
    assert_int_equal(ms, T0 + 250);
    assert_true(ro_time_parse("2026-05-21T21:46:40Z", &ms));
    assert_int_equal(ms, T0);
    assert_true(ro_time_parse("2026-05-21T21:46:40.5Z", &ms));
    assert_int_equal(ms, T0 + 500);
    assert_true(ro_time_parse("2026-05-21T21:46:40.123456789Z", &ms));
    assert_int_equal(ms, T0 + 123);
    assert_true(ro_time_parse("2026-05-21T23:46:40+02:00", &ms));
    assert_int_equal(ms, T0);
    assert_true(ro_time_parse("2000-02-29T00:00:00Z", &ms));
    assert_int_equal(ms, 951782400000LL);
    const char *bad[] = {"", "2026", "2026-05-21 21:46:40Z", "2026-05-21T21:46:40",
                         "2026-13-21T21:46:40Z", "2026-05-21T21:46:40.Z", "2026-05-21T21:46:40Zx",
                         "2026-05-21T25:46:40Z", "yyyy-05-21T21:46:40Z", "2026-05-21T21:46:40+2:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ro_time_parse(bad[i], &ms))
            fail_msg("\"%s\" parsed", bad[i]);
    assert_false(ro_time_parse(NULL, &ms));
}

static ro_state_t sample_state(void)
{
    cluster_t c;
    setup_cluster(&c);
    c.post_fails_after = 1;
    run(&c);
    ro_state_t s = c.s;
    teardown_cluster(&c);
    return s;
}

static void test_state_json_round_trip(void **state)
{
    (void)state;
    ro_state_t s = sample_state();
    s.abort_requested = true;
    s.switch_attempts = 2;
    snprintf(s.reason, sizeof s.reason, "quote \" and unicode é and \\ backslash");
    cJSON *j = ro_state_to_json(&s);
    char *text = cJSON_PrintUnformatted(j);
    /* the documented keys, camelCase */
    const char *keys[] = {"\"id\":", "\"app\":\"back\"", "\"namespace\":\"prod\"", "\"version\":",
                          "\"fromVersion\":\"v1\"", "\"fromSlot\":\"blue\"", "\"toSlot\":\"green\"",
                          "\"who\":", "\"phase\":\"failed\"", "\"step\":\"bake\"",
                          "\"steps\":[{\"name\":\"lock\",\"state\":\"done\",\"startedAt\":\"2026-",
                          "\"startedAt\":", "\"finishedAt\":", "\"deadline\":null",
                          "\"newCreated\":false", "\"switched\":false", "\"abortRequested\":true",
                          "\"reason\":", "\"failedStep\":\"bake\"", "\"plan\":{\"migrate\":true",
                          "\"bakeSeconds\":10", "\"healthIntervalSeconds\":2"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(text, keys[i]))
            fail_msg("state JSON lacks %s:\n%s", keys[i], text);
    ro_state_t back;
    char err[200] = "";
    assert_true(ro_state_from_json(j, &back, err, sizeof err));
    assert_same_record(&back, &s);
    assert_int_equal(back.awaiting, -1);
    assert_string_equal(back.reason, s.reason);
    assert_true(back.abort_requested && back.switch_attempts == 2);
    cJSON_Delete(j);
    free(text);
}

/* Each mutation of a good state JSON must be refused with a message naming the field. */
static void test_state_json_garbage(void **state)
{
    (void)state;
    ro_state_t s = sample_state();
    static const struct { const char *key, *value, *msg; } cases[] = {
        {"id", NULL, "state.id: missing"},
        {"app", "42", "state.app: expected a string"},
        {"app", "\"\"", "state.app: must not be empty"},
        {"app", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
         "state.app: longer than 63 characters"},
        {"namespace", NULL, "state.namespace: missing"},
        {"fromSlot", "\"purple\"", "state.fromSlot"},
        {"toSlot", "\"blue\"", "state.toSlot"},
        {"toSlot", NULL, "state.toSlot: missing"},
        {"phase", "\"sleeping\"", "state.phase: expected one of running, reverting"},
        {"phase", "3", "state.phase: expected one of"},
        {"step", "\"dance\"", "state.step: expected one of lock, migrate"},
        {"steps", "{}", "state.steps: expected an array"},
        {"steps", "[]", "state.steps: step \"lock\" missing"},
        {"steps", "[1]", "state.steps[0]: expected an object"},
        {"steps", "[{\"name\":\"lock\",\"state\":\"bored\"}]", "state.steps[0].state"},
        {"steps", "[{\"name\":\"lock\",\"state\":\"done\",\"startedAt\":\"yesterday\"}]",
         "state.steps[0].startedAt: expected an RFC 3339 time"},
        {"startedAt", "\"not a time\"", "state.startedAt: expected an RFC 3339 time"},
        {"startedAt", NULL, "state.startedAt: missing"},
        {"deadline", "17", "state.deadline: expected an RFC 3339 time"},
        {"newCreated", "\"yes\"", "state.newCreated: expected true or false"},
        {"switchAttempts", "1.5", "state.switchAttempts: expected an integer"},
        {"switchAttempts", "-1", "state.switchAttempts: expected an integer"},
        {"reason", "[]", "state.reason: expected a string"},
        {"plan", "[]", "state.plan: expected an object"},
        {"plan", NULL, "state.plan: missing"},
        {"plan", "{\"bakeSeconds\":\"long\"}", "state.plan.bakeSeconds: expected an integer"},
        {"plan", "{\"healthCheck\":1}", "state.plan.healthCheck: expected true or false"},
        {"plan", "{\"readyTimeoutSeconds\":1e12}", "state.plan.readyTimeoutSeconds"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *j = ro_state_to_json(&s);
        cJSON_DeleteItemFromObject(j, cases[i].key);
        if (cases[i].value)
            cJSON_AddItemToObject(j, cases[i].key, cJSON_Parse(cases[i].value));
        ro_state_t out;
        memset(&out, 0x5a, sizeof out);
        ro_state_t untouched = out;
        char err[200] = "";
        if (ro_state_from_json(j, &out, err, sizeof err))
            fail_msg("case %zu (%s) accepted", i, cases[i].key);
        if (!strstr(err, cases[i].msg))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, cases[i].msg);
        assert_memory_equal(&out, &untouched, sizeof out); /* nothing half-written */
        cJSON_Delete(j);
    }
    char err[200];
    ro_state_t out;
    assert_false(ro_state_from_json(NULL, &out, err, sizeof err));
    cJSON *arr = cJSON_CreateArray();
    assert_false(ro_state_from_json(arr, &out, err, sizeof err));
    assert_string_equal(err, "state: expected a JSON object");
    cJSON_Delete(arr);
    /* optional fields may be absent; a minimal plan reads with defaults */
    cJSON *j = cJSON_Parse("{\"id\":\"x-1-2\",\"app\":\"x\",\"namespace\":\"n\",\"version\":\"1\","
                           "\"toSlot\":\"blue\",\"phase\":\"running\",\"step\":\"deploy\","
                           "\"startedAt\":\"2026-05-21T21:46:40Z\",\"plan\":{},\"steps\":["
                           "{\"name\":\"lock\",\"state\":\"done\"},{\"name\":\"migrate\",\"state\":\"skipped\"},"
                           "{\"name\":\"deploy\",\"state\":\"running\"},{\"name\":\"health\",\"state\":\"pending\"},"
                           "{\"name\":\"analyze\",\"state\":\"skipped\"},{\"name\":\"switch\",\"state\":\"pending\"},"
                           "{\"name\":\"bake\",\"state\":\"pending\"},{\"name\":\"finish\",\"state\":\"pending\"}]}");
    assert_true(ro_state_from_json(j, &out, err, sizeof err));
    assert_string_equal(out.from_slot, "");
    assert_int_equal(out.plan.ready_timeout_s, 300);
    assert_int_equal(out.plan.bake_s, 0);
    assert_int_equal(out.awaiting, -1);
    cJSON_Delete(j);
}

static cJSON *configmap(const char *state, const char *log, const char *history, const char *abort_req)
{
    cJSON *cm = cJSON_CreateObject();
    cJSON_AddStringToObject(cm, "kind", "ConfigMap");
    cJSON_AddStringToObject(cm, "apiVersion", "v1");
    cJSON *data = cJSON_AddObjectToObject(cm, "data");
    if (state)
        cJSON_AddStringToObject(data, "state", state);
    if (log)
        cJSON_AddStringToObject(data, "log", log);
    if (history)
        cJSON_AddStringToObject(data, "history", history);
    if (abort_req)
        cJSON_AddStringToObject(data, "abort", abort_req);
    return cm;
}

static void test_record_parse(void **state)
{
    (void)state;
    ro_state_t s = sample_state();
    cJSON *sj = ro_state_to_json(&s);
    char *st = cJSON_PrintUnformatted(sj);
    cJSON_Delete(sj);
    ro_history_entry_t e;
    ro_history_entry_from_state(&s, &e);
    char *hist = ro_history_add(NULL, &e);
    cJSON *cm = configmap(st, "21:46:40 lock: acquired\n21:46:41 deploy: 3/3 replicas ready", hist,
                          "ci says stop");
    ro_record_t r;
    char err[200] = "";
    assert_true(ro_record_parse(cm, &r, err, sizeof err));
    assert_true(r.has_state);
    assert_string_equal(r.state.id, s.id);
    assert_int_equal(r.state.phase, RO_PHASE_FAILED);
    assert_non_null(strstr(r.log, "deploy: 3/3"));
    assert_int_equal(r.n_history, 1);
    assert_string_equal(r.history[0].result, "failed");
    assert_string_equal(r.history[0].reason, s.reason);
    assert_int_equal(r.history[0].started_ms, s.started_ms);
    assert_string_equal(r.abort_request, "ci says stop");
    ro_record_free(&r);
    ro_record_free(&r); /* twice is harmless */
    cJSON_Delete(cm);

    /* an empty record */
    cm = cJSON_Parse("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"kdeck-rollout-back\"}}");
    assert_true(ro_record_parse(cm, &r, err, sizeof err));
    assert_false(r.has_state);
    assert_int_equal(r.n_history, 0);
    assert_null(r.log);
    ro_record_free(&r);
    cJSON_Delete(cm);

    /* garbage, each named */
    static const struct { const char *state, *log, *history, *msg; } bad[] = {
        {"{", NULL, NULL, "data.state: not valid JSON (at byte 1)"},
        {"[]", NULL, NULL, "data.state: expected a JSON object"},
        {"{\"id\":1}", NULL, NULL, "data.state.id: expected a string"},
        {NULL, NULL, "[{]", "data.history: not valid JSON"},
        {NULL, NULL, "{}", "data.history: expected a JSON array"},
        {NULL, NULL, "[1]", "data.history[0]: expected an object"},
        {NULL, NULL, "[{\"id\":\"a\",\"result\":\"failed\"},{\"result\":\"x\"}]",
         "data.history[1].id: missing"},
        {NULL, NULL, "[{\"id\":\"a\",\"result\":\"failed\",\"startedAt\":\"noon\"}]",
         "data.history[0].startedAt: expected an RFC 3339 time"},
        {"{} trailing", NULL, NULL, "data.state: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cm = configmap(bad[i].state, bad[i].log, bad[i].history, NULL);
        memset(&r, 0x33, sizeof r);
        if (ro_record_parse(cm, &r, err, sizeof err))
            fail_msg("bad record %zu accepted", i);
        if (!strstr(err, bad[i].msg))
            fail_msg("bad record %zu: \"%s\" lacks \"%s\"", i, err, bad[i].msg);
        assert_null(r.history); /* nothing held after false */
        assert_null(r.log);
        cJSON_Delete(cm);
    }
    static const char *bad_cm[][2] = {
        {"[]", "expected a ConfigMap object"},
        {"{\"kind\":\"Secret\"}", "kind is Secret, expected ConfigMap"},
        {"{\"kind\":7}", "kind is not a string"},
        {"{\"data\":[]}", "data: expected an object"},
        {"{\"data\":{\"state\":5}}", "data.state: expected a string"},
        {"{\"data\":{\"log\":{}}}", "data.log: expected a string"},
        {"{\"data\":{\"history\":true}}", "data.history: expected a string"},
        {"{\"data\":{\"abort\":1}}", "data.abort: expected a string"},
    };
    for (size_t i = 0; i < sizeof bad_cm / sizeof bad_cm[0]; i++) {
        cm = cJSON_Parse(bad_cm[i][0]);
        if (ro_record_parse(cm, &r, err, sizeof err))
            fail_msg("bad ConfigMap %zu accepted", i);
        if (!strstr(err, bad_cm[i][1]))
            fail_msg("bad ConfigMap %zu: \"%s\" lacks \"%s\"", i, err, bad_cm[i][1]);
        cJSON_Delete(cm);
    }
    assert_false(ro_record_parse(NULL, &r, err, sizeof err));
    free(st);
    free(hist);
}

static void test_history_and_log_helpers(void **state)
{
    (void)state;
    ro_history_entry_t e = {.started_ms = T0, .finished_ms = T0 + 1000};
    char *h = NULL;
    for (int i = 0; i < 25; i++) {
        snprintf(e.id, sizeof e.id, "back-v%d-1", i);
        snprintf(e.result, sizeof e.result, "succeeded");
        char *n = ro_history_add(h, &e);
        free(h);
        h = n;
    }
    /* the same id again (a repeated RELEASE) replaces, newest first, at most 20 */
    char *n = ro_history_add(h, &e);
    free(h);
    h = n;
    cJSON *arr = cJSON_Parse(h);
    assert_int_equal(cJSON_GetArraySize(arr), RO_HISTORY_MAX);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "id")->valuestring,
                        "back-v24-1");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "id")->valuestring,
                        "back-v23-1");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "startedAt")->valuestring,
                        "2026-05-21T21:46:40.000Z");
    ro_history_entry_t back;
    char err[100];
    assert_true(ro_history_entry_from_json(cJSON_GetArrayItem(arr, 0), &back, "h", err, sizeof err));
    assert_string_equal(back.id, e.id);
    assert_string_equal(back.result, e.result);
    assert_true(back.started_ms == e.started_ms && back.finished_ms == e.finished_ms);
    cJSON_Delete(arr);
    free(h);
    /* garbage history: starts anew */
    h = ro_history_add("][ not json", &e);
    assert_non_null(h);
    arr = cJSON_Parse(h);
    assert_int_equal(cJSON_GetArraySize(arr), 1);
    cJSON_Delete(arr);
    free(h);

    char *log = ro_log_append(NULL, "first");
    assert_string_equal(log, "first");
    char *l2 = ro_log_append(log, "second\nforged line");
    assert_string_equal(l2, "first\nsecond");
    free(log);
    log = l2;
    for (int i = 0; i < 300; i++) {
        char line[32];
        snprintf(line, sizeof line, "line %d", i);
        l2 = ro_log_append(log, line);
        free(log);
        log = l2;
    }
    int lines = 1;
    for (const char *p = log; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, RO_LOG_MAX);
    assert_non_null(strstr(log, "line 299"));
    assert_null(strstr(log, "line 99\n"));
    assert_true(!strncmp(log, "line 100\n", 9));
    free(log);
    log = ro_log_append("", "");
    assert_string_equal(log, "");
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_everything),
        cmocka_unit_test(test_success_minimal),
        cmocka_unit_test(test_success_health_only_and_bake_without_checks),
        cmocka_unit_test(test_success_from_plain_and_from_green),
        cmocka_unit_test(test_migration_fails),
        cmocka_unit_test(test_migration_times_out),
        cmocka_unit_test(test_readiness_timeout),
        cmocka_unit_test(test_unhealthy_pod),
        cmocka_unit_test(test_analysis_fails_before_switch),
        cmocka_unit_test(test_analysis_fails_after_switch),
        cmocka_unit_test(test_unhealthy_after_switch),
        cmocka_unit_test(test_bake_waits_for_the_last_round),
        cmocka_unit_test(test_bake_ends_at_its_deadline),
        cmocka_unit_test(test_switch_conflict_once),
        cmocka_unit_test(test_switch_conflict_four_times),
        cmocka_unit_test(test_lock_held),
        cmocka_unit_test(test_api_error_forward),
        cmocka_unit_test(test_api_error_on_lock),
        cmocka_unit_test(test_api_error_during_revert),
        cmocka_unit_test(test_revert_incomplete_then_resume),
        cmocka_unit_test(test_scale_down_errors),
        cmocka_unit_test(test_abort_at_each_step),
        cmocka_unit_test(test_abort_switch_in_flight_conflict),
        cmocka_unit_test(test_abort_too_late_and_after_end),
        cmocka_unit_test(test_crash_and_resume_every_step),
        cmocka_unit_test(test_crash_then_abort_every_step),
        cmocka_unit_test(test_resume_specific_steps),
        cmocka_unit_test(test_random_events_never_break_it),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_time_format_and_parse),
        cmocka_unit_test(test_state_json_round_trip),
        cmocka_unit_test(test_state_json_garbage),
        cmocka_unit_test(test_record_parse),
        cmocka_unit_test(test_history_and_log_helpers),
    };
    return cmocka_run_group_tests_name("rollout_engine", tests, NULL, NULL);
}

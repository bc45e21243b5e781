/* rollout: the blue/green rollout engine — a pure state machine. Events go in, actions come out;
 * it never does I/O, never reads the clock (times arrive in events) and never allocates, so every
 * path (success, each failure, abort at each step, crash and resume) is a unit test.
 * The driver (rollout_driver.h) performs the actions against the API server and feeds back what
 * happened. Semantics: docs/rollouts.md.
 *
 * The state (ro_state_t) is what is recorded in the cluster after every step change
 * (ConfigMap kdeck-rollout-<app>, key "state", ro_state_to_json), so a driver killed at any point
 * can be resumed or aborted by another one: ro_resume() re-issues the actions of the current step,
 * and every action is idempotent for the driver. */
#ifndef KDECK_ROLLOUT_H
#define KDECK_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#define RO_NAME_MAX 64
#define RO_TEXT_MAX 256

typedef enum ro_step {
    RO_STEP_LOCK,       /* Lease kdeck-rollout-<app> acquired, state recorded */
    RO_STEP_MIGRATE,    /* migration Job created and Complete */
    RO_STEP_DEPLOY,     /* new slot's Deployment applied, all replicas Ready */
    RO_STEP_HEALTH,     /* health check passed on every new pod */
    RO_STEP_ANALYZE,    /* pre-switch Prometheus analysis passed */
    RO_STEP_SWITCH,     /* Service selector patched to the new slot */
    RO_STEP_BAKE,       /* bake window: health check + post analysis keep passing */
    RO_STEP_FINISH,     /* old slot scaled to 0 after the scale-down delay, history, Lease released */
    RO_N_STEPS
} ro_step_t;

typedef enum ro_step_state {
    RO_SS_PENDING, RO_SS_RUNNING, RO_SS_DONE, RO_SS_SKIPPED, RO_SS_FAILED,
    RO_SS_REVERTED,    /* done, then undone by the revert (switch flipped back, deploy deleted) */
} ro_step_state_t;

typedef enum ro_phase {
    RO_PHASE_RUNNING,    /* going forward */
    RO_PHASE_REVERTING,  /* failed or aborted: flipping back / deleting the new slot */
    RO_PHASE_SUCCEEDED,
    RO_PHASE_FAILED,     /* reverted after a failure (or refused before anything changed) */
    RO_PHASE_ABORTED,    /* reverted on request */
} ro_phase_t;

/* What the rollout does, from the descriptor (fixed at start). Timeouts in seconds. */
typedef struct ro_plan {
    bool migrate;              /* descriptor has a migration */
    bool health_check;         /* healthCheck.useHealthCheck */
    bool analysis_pre, analysis_post; /* rollout.analysis has pre / post items */
    int migrate_timeout_s;     /* migration.timeoutSeconds (default 600) */
    int ready_timeout_s;       /* rollout.readyTimeoutSeconds (default 300) */
    int health_timeout_s;      /* rollout.healthTimeoutSeconds (default 60) */
    int bake_s;                /* rollout.bakeSeconds (default 60) */
    int scale_down_delay_s;    /* rollout.scaleDownDelaySeconds (default 300) */
    int health_interval_s;     /* between health/analysis rounds (default 2; bake: same) */
} ro_plan_t;

/* Everything recorded in the cluster. Strings are fixed-size, truncated to fit. */
typedef struct ro_state {
    char id[RO_NAME_MAX];          /* "<app>-<version>-<start unix time>" */
    char app[RO_NAME_MAX], ns[RO_NAME_MAX];
    char version[RO_NAME_MAX];     /* being rolled out */
    char from_version[RO_NAME_MAX];/* serving before ("" when unknown) */
    char from_slot[8];             /* "blue" | "green" | "" (a plain Deployment <app>, or none) */
    char to_slot[8];               /* "blue" | "green" */
    char who[RO_NAME_MAX * 2];     /* user@host */
    ro_plan_t plan;
    ro_phase_t phase;
    ro_step_t step;                /* the step running (or that failed / the last one) */
    ro_step_state_t steps[RO_N_STEPS];
    int64_t step_started_ms[RO_N_STEPS], step_finished_ms[RO_N_STEPS]; /* Unix ms, 0 = not yet */
    int64_t started_ms, finished_ms;
    int64_t deadline_ms;           /* of the current wait (timeouts, bake end, scale-down) */
    int64_t next_round_ms;         /* next health/analysis/readiness round */
    bool new_created;              /* the new slot's Deployment may exist: revert deletes it */
    bool switched;                 /* the Service selects to_slot: revert flips it back */
    bool abort_requested;          /* set by ro_abort (or read from the cluster) */
    int switch_attempts;           /* 409s on the switch so far */
    int awaiting;                  /* ro_action_kind_t whose answer is due, -1 = none. An abort
                                    * while APPLY or SWITCH is in flight reverts once it answers
                                    * (the engine must know whether it happened); late answers to
                                    * polling actions (READY, HEALTH, ANALYZE) are ignored. */
    char reason[RO_TEXT_MAX];      /* why it failed / was aborted, "" otherwise */
    char failed_step[16];          /* step name where it failed (or was aborted), "" otherwise */
    /* ---- appended: engine bookkeeping. Not recorded: ro_resume() starts them afresh. ---- */
    int error_count;               /* API errors on the revert (or the finish's scale-down) so
                                    * far; the engine gives up after RO_MAX_ERRORS */
    unsigned round_pending;        /* bake: answers still due this round, bit (1u << action kind) */
    int ready_n, ready_m;          /* last readiness seen (-1: none yet), to log changes only */
    char last_problem[RO_TEXT_MAX];/* last failing health/analysis answer, for the reason */
} ro_state_t;

#define RO_SWITCH_RETRIES 3        /* 409s on the switch retried; one more fails the rollout */
#define RO_MAX_ERRORS 5            /* API errors on the revert before it is "revert incomplete" */

/* ---- events in ---- */

typedef enum ro_event_kind {
    RO_EV_TICK,             /* clock advanced (the driver ticks at least once a second) */
    RO_EV_LOCKED,           /* Lease acquired and state recorded */
    RO_EV_LOCK_HELD,        /* someone else holds the Lease: text = "holder since time" */
    RO_EV_JOB_DONE,         /* migration Job Complete */
    RO_EV_JOB_FAILED,       /* migration Job Failed: text = reason */
    RO_EV_APPLIED,          /* new Deployment created or replaced */
    RO_EV_READY,            /* ready/desired replicas of the new Deployment (n, m) */
    RO_EV_HEALTH,           /* one round over every new pod: ok, else text = the first failure,
                             * "pod P: health check 503" (the reason adds " after N s") */
    RO_EV_ANALYSIS,         /* one round of analysis queries: ok, else text = "name: 0.3 > 0.05" */
    RO_EV_SWITCHED,         /* selector now points where the last RO_ACT_SWITCH asked */
    RO_EV_SWITCH_CONFLICT,  /* 409 on the switch PATCH (resourceVersion moved) */
    RO_EV_DELETED,          /* new slot's Deployment deleted (or already gone) */
    RO_EV_SCALED_DOWN,      /* old slot scaled to 0 (or it did not exist) */
    RO_EV_RELEASED,         /* history recorded, Lease released */
    RO_EV_ABORT,            /* operator asked to abort: text = reason (may be "") */
    RO_EV_ERROR,            /* the action in flight failed for good (API error): text = what */
} ro_event_kind_t;

typedef struct ro_event {
    ro_event_kind_t kind;
    int64_t now_ms;         /* Unix ms, every event */
    bool ok;                /* RO_EV_HEALTH, RO_EV_ANALYSIS */
    int n, m;               /* RO_EV_READY: ready, desired */
    const char *text;       /* see each kind; NULL = "" */
} ro_event_t;

/* ---- actions out ---- */

typedef enum ro_action_kind {
    RO_ACT_LOCK,            /* acquire the Lease, record the state → LOCKED | LOCK_HELD */
    RO_ACT_SAVE,            /* record the state in the cluster (no event back; best effort + retry) */
    RO_ACT_LOG,             /* a line for the rollout log (text) */
    RO_ACT_CREATE_JOB,      /* create the migration Job (exists: fine) and follow it → JOB_* */
    RO_ACT_APPLY,           /* create/replace Deployment <app>-<slot> (slot = to_slot) → APPLIED */
    RO_ACT_CHECK_READY,     /* read the new Deployment's ready replicas → READY */
    RO_ACT_HEALTH,          /* health-check every new pod once → HEALTH */
    RO_ACT_ANALYZE,         /* run the analysis queries of `phase` once (slot = to_slot) → ANALYSIS */
    RO_ACT_SWITCH,          /* PATCH Service selector slot=<slot> with RV precondition → SWITCHED */
    RO_ACT_DELETE,          /* delete Deployment of `slot` → DELETED */
    RO_ACT_SCALE_DOWN,      /* scale Deployment of `slot` (from_slot, "" = <app>) to 0 → SCALED_DOWN */
    RO_ACT_RELEASE,         /* append to history, release the Lease → RELEASED */
    RO_ACT_DONE,            /* finished: phase is SUCCEEDED, FAILED or ABORTED */
} ro_action_kind_t;

typedef struct ro_action {
    ro_action_kind_t kind;
    char slot[8];           /* APPLY, CHECK_READY, HEALTH, SWITCH, DELETE, SCALE_DOWN */
    char phase[8];          /* ANALYZE: "pre" | "post" */
    char text[RO_TEXT_MAX]; /* LOG */
} ro_action_t;

#define RO_MAX_ACTIONS 8
typedef struct ro_actions {
    ro_action_t v[RO_MAX_ACTIONS];
    size_t n;
} ro_actions_t;

/* ---- the engine ----
 * Every entry point overwrites *out (out->n starts at 0); perform the actions in order. */

/* Fills the plan's defaults (see ro_plan_t) for values <= 0 (bake and scale-down: < 0). */
void ro_plan_defaults(ro_plan_t *p);

/* A new rollout of app/ns to version, from the serving slot (from_slot "" = a plain Deployment or
 * nothing yet) into the other one. Emits LOCK. */
void ro_start(ro_state_t *s, const char *app, const char *ns, const char *version,
              const char *from_version, const char *from_slot, const char *who,
              const ro_plan_t *plan, int64_t now_ms, ro_actions_t *out);
/* A recorded state picked up by a new driver (after a crash; the driver holds the Lease again):
 * re-issues the current step's actions — waits (migrate, ready, health, analysis) get their whole
 * timeout again, a bake whose window ended meanwhile proceeds to the finish. Phase REVERTING
 * continues the revert; abort_requested set (data.abort read by the driver) reverts; a FAILED
 * "revert incomplete" state (switched or new_created still set) retries the revert; any other
 * finished rollout emits DONE only.
 * To abort a recorded rollout whose driver is gone: set abort_requested and reason, then
 * ro_resume() — or ro_abort() on the parsed state, then ro_resume() when it started nothing
 * (s->awaiting still -1: refused, already reverting, or finished). */
void ro_resume(ro_state_t *s, int64_t now_ms, ro_actions_t *out);
/* Asks to stop: before the switch the new slot is deleted, after it the selector flips back
 * first. With LOCK, APPLY or SWITCH in flight it waits for the answer (and reverts then). Once
 * the finish's scale-down is due it is refused (logged: use undo). A finished or reverting
 * rollout is left alone. reason "" = "aborted by the operator". */
void ro_abort(ro_state_t *s, const char *reason, int64_t now_ms, ro_actions_t *out);
/* Everything else. Events that do not fit the current step are ignored (logged). */
void ro_handle(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out);

/* True once the phase is SUCCEEDED, FAILED or ABORTED and RELEASE (if any) has answered. The
 * final phase is recorded (SAVE) just before RELEASE, which writes the history entry from it. */
bool ro_finished(const ro_state_t *s);

/* When the engine next wants a TICK to be exact (Unix ms), 0 when the driver's once-a-second
 * ticks do: the bake's next round or its end (none while a round is in flight: its answer ends
 * the bake), the end of the scale-down delay. A driver that also ticks then ends a bake of N s
 * after N s, not at the first regular tick after it. */
int64_t ro_next_tick_ms(const ro_state_t *s);

/* ---- names and the recorded form ---- */

const char *ro_step_name(ro_step_t step);            /* "lock", "migrate", ... */
const char *ro_step_title(ro_step_t step);           /* "Acquire lock", "Migrate database", ... */
const char *ro_step_state_name(ro_step_state_t st);  /* "pending", "running", ... */
const char *ro_phase_name(ro_phase_t ph);            /* "running", "reverting", "succeeded", ... */
/* "green" for "blue", "blue" for "green" and for "" (the first blue/green rollout goes to blue). */
const char *ro_other_slot(const char *slot);

/* The state as JSON (documented in docs/rollouts.md), and back. from_json returns false (with a
 * message) when a required field is missing or has the wrong type. */
cJSON *ro_state_to_json(const ro_state_t *s);
bool ro_state_from_json(const cJSON *json, ro_state_t *s, char *err, size_t errlen);

/* Recorded times: RFC 3339 UTC with milliseconds ("2026-05-01T10:00:00.250Z"); 0 gives "". */
void ro_time_format(int64_t ms, char *buf, size_t len);
/* Any RFC 3339 time (fraction and offset optional) to Unix ms; false when malformed. */
bool ro_time_parse(const char *s, int64_t *ms);

#endif

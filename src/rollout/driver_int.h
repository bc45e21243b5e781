/* Private to the rollout driver (driver.c: life cycle, engine feed, Lease, ConfigMap record,
 * following a record; driver_actions.c: the engine's Kubernetes and Prometheus actions;
 * driver_hpa.c: the app's HPA inside APPLY, SWITCH and SCALE_DOWN). */
#ifndef KDECK_ROLLOUT_DRIVER_INT_H
#define KDECK_ROLLOUT_DRIVER_INT_H

#include "kdeck/rollout_driver.h"
#include "kdeck/logstream.h"

#include <stdint.h>

/* One engine action being performed: a short chain of requests. Transient failures (no answer,
 * 5xx, 429) are retried from the driver's 1 Hz tick with a growing delay. */
typedef struct drv_op drv_op_t;
typedef void (*drv_op_cb)(drv_op_t *op, const http_result_t *res);

/* One of several requests an action makes at once (a pod's health check, an analysis query). */
typedef struct drv_sub {
    drv_op_t *op;
    size_t idx;
    http_req_t *req;
    prom_query_t *query;
    bool done, ok;
    char text[RO_TEXT_MAX];     /* the failure, "" when ok */
} drv_sub_t;

struct drv_op {
    ro_driver_t *d;
    ro_action_kind_t kind;
    char slot[8], phase[8];
    http_req_t *req;
    drv_sub_t *subs;            /* HEALTH, ANALYZE: one per pod / query */
    size_t n_subs, subs_left;
    char *method, *path, *body, *content_type; /* the request, kept for a retry */
    drv_op_cb cb;
    int attempts;
    int64_t retry_at_ms;        /* > 0: waiting to be sent again */
    int ready;                  /* CHECK_READY: ready replicas the Deployment reports */
    int desired;
    cJSON *obj;                 /* scratch object for the chain (owned) */
    int conflicts;              /* 409s re-read and retried */
    drv_op_t *next;
};

typedef enum drv_mode {
    DRV_PREPARE,     /* reading the Service / record before the engine starts */
    DRV_RUNNING,     /* the engine is driving */
    DRV_FOLLOW,      /* following a record another driver writes (status --wait, abort) */
    DRV_FINISHING,   /* DONE: last record write, then the Lease is released */
    DRV_OVER,        /* on_done called */
} drv_mode_t;

struct ro_driver {
    uv_loop_t *loop;
    http_client_t *kube;
    prom_client_t *prom;
    ro_op_t op;
    char ns[RO_NAME_MAX], app[RO_NAME_MAX], who[RO_NAME_MAX * 2], host[RO_NAME_MAX * 2];
    char abort_reason[RO_TEXT_MAX];
    void (*on_change)(void *ud, const ro_state_t *s);
    void (*on_log)(void *ud, const char *line);
    void (*on_done)(void *ud, const ro_state_t *s, int exit_status, const char *message);
    void (*on_write)(void *ud, const char *verb, const char *object, const char *result);
    void *ud;

    descriptor_t *desc;          /* being rolled out (owned) */
    char *desc_text;             /* its JSON, recorded as data.descriptor */
    char *previous_text;         /* data.previous to record, NULL = none */
    ro_state_t st;
    drv_mode_t mode;
    int prep_stage;
    http_req_t *prep_req;
    char prep_path[400];         /* the GET being made (kept for a retry) */
    int prep_attempts;
    int64_t prep_retry_at_ms;
    int prep_lock_status;        /* RESUME/ABORT: how taking the Lease went (0, 1, 3, 4) */
    bool pending_abort;          /* ro_driver_abort before the engine started */
    bool resumed;                /* the state came from the record (RESUME/ABORT) */
    char from_slot[8];
    /* APPLY: what serves now, read before the engine starts, from which `previous` is derived
     * when the record has none (owned; freed once the engine starts) */
    cJSON *live_svc, *live_dep, *live_ings;

    /* engine feed: events raised while the engine runs are queued */
    bool in_engine;
    struct { ro_event_t ev; char text[RO_TEXT_MAX]; } queue[8];
    size_t queued;

    /* the Lease */
    bool have_lock;
    char lease_rv[32];
    char acquire_time[40];
    drv_op_t *lock_op;           /* LOCK waiting for its first record write */
    http_req_t *renew_req;
    int64_t last_renew_ms;

    /* the ConfigMap record */
    bool cm_exists;
    cJSON *cm_live;              /* the ConfigMap as last read or written (owned) */
    char cm_rv[32];
    char cm_abort[RO_TEXT_MAX];  /* data.abort as last read */
    cJSON *history;              /* data.history (owned array) */
    char *log[RO_LOG_MAX];       /* ring of the last lines */
    size_t log_first, log_n;
    bool cm_dirty, log_dirty;
    bool cm_blocked;             /* the record belongs to another rollout: never written */
    http_req_t *cm_req;
    int cm_conflicts;
    int64_t cm_retry_at_ms;
    http_req_t *abort_poll_req;

    /* following a record (DRV_FOLLOW) */
    http_req_t *follow_req, *follow_lease_req;
    char *follow_last_line;
    bool follow_seen_state;
    ro_state_t follow_prev;
    bool take_over_on_dead;      /* ABORT: revert it ourselves once its driver is gone */

    /* the migration Job */
    bool job_following;
    char job_name[80];
    http_req_t *job_req;
    logstream_t *job_log;
    char job_log_pod[RO_NAME_MAX * 2];
    int job_log_linger;          /* ticks to keep the log stream after the Job ended */

    drv_op_t *ops;               /* actions in flight */
    uv_timer_t tick;             /* 1 Hz: engine clock, retries, renewals, abort polls, flushes */
    unsigned ticks;
    bool any_answer;             /* the API server answered at least once */
    bool lock_refused;
    int exit_status;
    char message[RO_TEXT_MAX * 2];
};

#define LEASE_API "/apis/coordination.k8s.io/v1/namespaces/"
#define CM_API "/api/v1/namespaces/"
#define PID_ANNOTATION "kdeck.dev/driver-pid"
#define START_RETRIES 3          /* before the API server ever answered: then exit 4 */
#define NO_DEADLINE_RETRIES 30   /* a wait without deadline retries this often (~2.5 min) */

/* ---- driver.c ---- */

int64_t drv_now_ms(void);
/* Feeds an event to the engine (queued while the engine runs) and performs its actions. */
void drv_event(ro_driver_t *d, ro_event_kind_t kind, bool ok, int n, int m, const char *text);
/* Ends: on_done with status (< 0: from the engine's final state) and the message (fmt "" keeps
 * the one set). */
void drv_finish(ro_driver_t *d, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs the actions of ro_start/ro_resume/ro_abort, then the events they raised. */
void drv_engine_actions(ro_driver_t *d, const ro_actions_t *acts);
/* on_change with the current state. */
void drv_changed(ro_driver_t *d);
drv_op_t *drv_op_new(ro_driver_t *d, ro_action_kind_t kind);
void drv_op_resend(drv_op_t *op);
void drv_lease_path(const ro_driver_t *d, char *buf, size_t len);
void drv_cm_path(const ro_driver_t *d, bool collection, char *buf, size_t len);
/* Appends a line to the log ring (no callback, no timestamp). */
void drv_log_push(ro_driver_t *d, const char *line);
/* The Lease release answered: the rollout's very end. */
void drv_lease_released(http_req_t *req, const http_result_t *res, void *ud);
/* A line for the rollout log (timestamped here). */
void drv_log(ro_driver_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "GET /path: 404 Not Found: ..." for a failed answer. */
void drv_describe(const char *method, const char *path, const http_result_t *res, char *buf, size_t len);
/* Reports a change to on_write: method POST/PUT/PATCH/DELETE, "deployments", name, the answer. */
void drv_audit(ro_driver_t *d, const char *method, const char *resource, const char *name,
               const http_result_t *res);
/* Whether a failure is worth retrying: no answer, 5xx, 429. */
bool drv_transient(const http_result_t *res);
/* Starts the op's request (kept for retries); cb gets the final answer. false on ENOMEM. */
bool drv_op_send(drv_op_t *op, const char *method, const char *path, const char *body,
                 const char *content_type, drv_op_cb cb);
/* Ends an op (unlinked, freed). */
void drv_op_end(drv_op_t *op);

/* ---- driver_record.c ---- */

/* The ConfigMap is due for a write (state, log). */
void drv_mark_dirty(ro_driver_t *d);
/* Writes the record if it is due and nothing is in flight. */
void drv_cm_flush(ro_driver_t *d);
/* DONE: once every record write is done, the Lease is released (then drv_finish). */
void drv_cm_settled(ro_driver_t *d);
/* Keeps the ConfigMap last read or written (takes o). */
void drv_cm_keep(ro_driver_t *d, cJSON *o);
/* RELEASE: a history entry for the current rollout, prepended. */
void drv_history_add(ro_driver_t *d);
/* Starts LOCK on an op: the Lease (unless held), then the record. In DRV_PREPARE the outcome goes
 * to drv_prepare_step (prep_lock_status). */
void drv_lock_start(drv_op_t *op);
/* PUT of our Lease: renewed, or released (holder cleared). */
void drv_lease_send(ro_driver_t *d, bool release, http_done_cb cb);
/* The 5-second renewal (a 409 means another driver took the Lease: we stop writing). */
void drv_lease_renew(ro_driver_t *d);
/* "holder (pid N) since T" in buf when a live driver other than us holds the Lease, else NULL. */
const char *drv_lease_holder(const ro_driver_t *d, const cJSON *lease, char *buf, size_t len);

/* ---- driver_prepare.c ---- */

/* The steps before the engine runs, one answer at a time (res NULL: a step without request). */
void drv_prepare_step(ro_driver_t *d, const http_result_t *res);
/* Follows the record (DRV_FOLLOW): one GET per tick. */
void drv_follow_start(ro_driver_t *d);
void drv_follow_poll(ro_driver_t *d);
/* A GET of the preparation due for a retry is sent again. */
void drv_prepare_tick(ro_driver_t *d, int64_t now);

/* ---- driver_actions.c ---- */

/* Performs one action (not LOCK/SAVE/LOG/DONE, which driver.c handles). */
void drv_action_start(ro_driver_t *d, const ro_action_t *a);
/* Called every tick: the migration Job follower. */
void drv_job_tick(ro_driver_t *d);
void drv_job_stop(ro_driver_t *d);
/* "/apis/apps/v1/namespaces/N/deployments/<app>-<slot>" ("" slot: <app>). */
void drv_deployment_path(const ro_driver_t *d, const char *slot, char *buf, size_t len);
/* APPLY: op->obj (the new slot's Deployment) is sized; it is written now. */
void drv_apply_sized(drv_op_t *op);
/* SWITCH (selector moved) or SCALE_DOWN (before its PATCH): the HPA is done with; carry on. */
void drv_hpa_done(drv_op_t *op);

/* ---- driver_hpa.c: the app's HorizontalPodAutoscaler ---- */

/* APPLY with an autoscaler and no descriptor replicas: op->obj gets max(the serving Deployment's
 * spec.replicas, minReplicas, 1) (logged), then drv_apply_sized(op); else drv_apply_sized at once. */
void drv_hpa_size_start(drv_op_t *op);
/* SWITCH: HPA <app> retargeted to the switch's slot (created from the descriptor on a forward
 * switch when missing; deleted on the flip back of the rollout that created it); SCALE_DOWN: an
 * HPA still scaling the slot going to 0 is retargeted to the serving one. An HPA scaling anything
 * else is left alone. Failures are logged, never fatal. Ends in drv_hpa_done(op). */
void drv_hpa_follow_start(drv_op_t *op);

/* JSON helpers */
const cJSON *drv_jget(const cJSON *o, const char *k);
const char *drv_jstr(const cJSON *o, const char *k);
long drv_jlong(const cJSON *o, const char *k, long dflt);

#endif

/* rollout_driver: performs the rollout engine's actions (rollout.h) against the API server on the
 * one libuv loop, and feeds back what happened. Used by the TUI (on the app's loop and client) and
 * by `kdeck rollout ...` (on a headless connection's loop). Cluster records: docs/rollouts.md —
 * Lease kdeck-rollout-<app>, ConfigMap kdeck-rollout-<app> (state, log, history, descriptors).
 *
 * Reading the records without driving (rollout view of a second kdeck, `rollout status|history`)
 * needs only ro_record_parse() on the ConfigMap. */
#ifndef KDECK_ROLLOUT_DRIVER_H
#define KDECK_ROLLOUT_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>
#include <uv.h>

#include "kdeck/descriptor.h"
#include "kdeck/http.h"
#include "kdeck/prom.h"
#include "kdeck/rollout.h"

#define RO_LEASE_PREFIX "kdeck-rollout-"      /* Lease and ConfigMap: kdeck-rollout-<app> */
#define RO_LEASE_SECONDS 15                   /* renewed every 5 s by a live driver */
#define RO_HISTORY_MAX 20
#define RO_LOG_MAX 200                        /* lines kept in the ConfigMap */

typedef enum ro_op {
    RO_OP_APPLY,    /* a new rollout of the descriptor */
    RO_OP_RESUME,   /* take over a recorded rollout whose driver is gone and complete it */
    RO_OP_ABORT,    /* revert a recorded rollout: ask its live driver, or take over and revert */
    RO_OP_UNDO,     /* roll back to the previous version (the recorded previous descriptor) */
    RO_OP_FOLLOW,   /* read-only: follow the recorded rollout until it finishes (status --wait);
                     * on_done with its result, or 1 when its driver is gone mid-way */
} ro_op_t;

typedef struct ro_driver ro_driver_t;

typedef struct ro_driver_opts {
    uv_loop_t *loop;
    http_client_t *kube;              /* borrowed; must outlive the driver */
    prom_client_t *prom;              /* borrowed or NULL: analysis items then fail with
                                       * "no Prometheus configured" */
    ro_op_t op;
    const char *ns, *app;             /* RESUME, ABORT, UNDO (APPLY: from the descriptor) */
    const descriptor_t *descriptor;   /* APPLY (copied) */
    const char *who;                  /* Lease holder: user@host */
    const char *abort_reason;         /* ABORT */
    /* Called on the loop. on_change after every engine step (state may be read until the next
     * loop turn); on_log per rollout log line (already timestamped "HH:MM:SS text");
     * on_done once, with the CLI exit status (0 succeeded, 1 failed/aborted and reverted,
     * 3 lock held or conflict, 4 API unreachable). After on_done the driver may be freed. */
    void (*on_change)(void *ud, const ro_state_t *s);
    void (*on_log)(void *ud, const char *line);
    void (*on_done)(void *ud, const ro_state_t *s, int exit_status, const char *message);
    /* Optional, for an audit log: each change the driver makes to the cluster — verb (create,
     * update, patch, delete), object ("deployments/NS/NAME") and result ("201 Created",
     * "409 Conflict: ..."). Lease renewals and the record's progress updates are not reported;
     * taking and releasing the Lease and the record's first write are. */
    void (*on_write)(void *ud, const char *verb, const char *object, const char *result);
    void *ud;
} ro_driver_opts_t;

/* Starts (asynchronously: the first request goes out on the loop). NULL with err on bad options. */
ro_driver_t *ro_driver_start(const ro_driver_opts_t *opts, char *err, size_t errlen);
/* Asks this driver's rollout to abort (reverts; on_done follows). */
void ro_driver_abort(ro_driver_t *d, const char *reason);
const ro_state_t *ro_driver_state(const ro_driver_t *d);
/* Cancels every request and timer; the Lease is left to expire. Not from inside a callback. */
void ro_driver_free(ro_driver_t *d);

/* ---- the ConfigMap record, for readers ---- */

typedef struct ro_history_entry {
    char id[RO_NAME_MAX], version[RO_NAME_MAX], from_version[RO_NAME_MAX];
    char who[RO_NAME_MAX * 2];
    char result[16];                  /* succeeded | failed | aborted */
    char reason[RO_TEXT_MAX];
    int64_t started_ms, finished_ms;
} ro_history_entry_t;

typedef struct ro_record {
    bool has_state;
    ro_state_t state;
    char *log;                        /* the recorded log lines, '\n'-separated (malloc'd) */
    ro_history_entry_t *history;      /* newest first (malloc'd) */
    size_t n_history;
    char abort_request[RO_TEXT_MAX];  /* data.abort: a pending abort request, "" if none */
} ro_record_t;

/* Parses ConfigMap kdeck-rollout-<app>. false with err when it is not one, or when a key holds
 * garbage (the message names it: "data.history: not valid JSON (at byte 12)"). A ConfigMap
 * without data (or without data.state) gives has_state false. r needs ro_record_free() after
 * true; after false nothing is held. */
bool ro_record_parse(const cJSON *configmap, ro_record_t *r, char *err, size_t errlen);
void ro_record_free(ro_record_t *r);

/* Whether Lease kdeck-rollout-<app> names a driver that lives: false when it has no holder, when
 * it expired (renewTime + leaseDurationSeconds before now_ms), or when its holder ran on `host`
 * (this machine's name) and its pid (annotation kdeck.dev/driver-pid) is gone. When true, holder
 * gets "user@host (pid N) since T". renewed_ms (may be NULL): its last renewal, 0 when unknown —
 * since when a driver that is gone has been silent. */
bool ro_lease_driver_live(const cJSON *lease, const char *host, int64_t now_ms, char *holder,
                          size_t len, int64_t *renewed_ms);

/* ---- writing the record (pure helpers for the driver) ---- */

/* The history entry of a finished rollout (result = its phase name). */
void ro_history_entry_from_state(const ro_state_t *s, ro_history_entry_t *e);
/* {id, version, fromVersion, who, result, reason, startedAt, finishedAt} */
cJSON *ro_history_entry_to_json(const ro_history_entry_t *e);
/* Back; `where` names the entry in err ("data.history[3]"). */
bool ro_history_entry_from_json(const cJSON *j, ro_history_entry_t *e, const char *where,
                                char *err, size_t errlen);
/* The new data.history text: e first, then the entries of history_json (NULL, "" or garbage: none)
 * except one with e's id (so a repeated RELEASE records once), at most RO_HISTORY_MAX.
 * malloc'd; NULL when out of memory. */
char *ro_history_add(const char *history_json, const ro_history_entry_t *e);
/* The new data.log text: log (NULL = "") plus one line (cut at a newline), the last RO_LOG_MAX
 * lines, '\n'-separated without a trailing newline. malloc'd; NULL when out of memory. */
char *ro_log_append(const char *log, const char *line);

#endif

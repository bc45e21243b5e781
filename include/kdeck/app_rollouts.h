/* app_rollouts: the TUI session's blue/green rollouts (src/app/rollouts.c) — the drivers this kdeck
 * runs on its loop, and the records every kdeck reads from the cluster (ConfigMap
 * kdeck-rollout-<app>, watched through the ConfigMap informer), so a second kdeck, read-only too,
 * shows the same progress. The rollout and history views read from here and never do I/O; keys
 * call the actions below. Semantics: docs/rollouts.md. */
#ifndef KDECK_APP_ROLLOUTS_H
#define KDECK_APP_ROLLOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeck/app.h"
#include "kdeck/descriptor.h"
#include "kdeck/rollout_driver.h"

/* What is known about one app's rollouts, borrowed until the next loop turn. */
typedef struct app_ro_info {
    bool loaded;                     /* the record was read at least once (or this kdeck drives) */
    bool driving;                    /* this kdeck's driver runs the rollout now */
    const ro_state_t *state;         /* the current or last rollout; NULL when none is recorded */
    const char *log;                 /* rollout log lines, '\n'-separated ("" when none) */
    const ro_history_entry_t *history; /* newest first */
    size_t n_history;
    const char *error;               /* why the record cannot be read ("" when it can) */
    const char *message;             /* the last driver's final word here, e.g. "lock held by ..." */
    bool driver_gone;                /* running, and its driver is gone (Lease expired, or same host
                                      * and pid dead): resume or abort takes it over */
    int64_t driver_gone_since_ms;    /* its Lease's last renewal (wall clock ms), 0 when unknown */
} app_ro_info_t;

/* The rollouts of app `name` in `ns`: starts following its record on first use. */
void app_rollout_info(app_t *app, const char *ns, const char *name, app_ro_info_t *out);

/* `r` on a row: a Deployment (<app>, <app>-blue or <app>-green). Its running rollout's view;
 * else (not read-only) a prompt for the new image, then a blue/green rollout of the live app. */
void app_rollout_object(app_t *app, kind_id_t kind, const kobj_t *obj);
/* `H` on a row: the history view of the row's app. */
void app_history_object(app_t *app, kind_id_t kind, const kobj_t *obj);
/* Starts a blue/green rollout of d (copied; its namespace, else the current one) and opens its
 * view; a problem (invalid descriptor, read-only, driver refused) goes to the status line. Also
 * the descriptor form's "roll out" button. */
void app_rollout_start(app_t *app, const descriptor_t *d);
/* `a` and `u` in the rollout view (after the view's confirmation); `R` resumes a rollout whose
 * driver is gone (this kdeck takes it over and completes it). */
void app_rollout_abort(app_t *app, const char *ns, const char *name);
void app_rollout_undo(app_t *app, const char *ns, const char *name);
void app_rollout_resume(app_t *app, const char *ns, const char *name);

/* The rollout view of one app: header, steps, log, events; `a` abort, `u` undo, `R` resume,
 * `H`, `l`. */
view_t *view_rollout_new(app_t *app, const char *ns, const char *name);
/* True when v is the rollout view of that app. */
bool view_rollout_shows(const view_t *v, const char *ns, const char *name);
/* Past rollouts of one app: who, when, version from → to, result, duration, reason. */
view_t *view_history_new(app_t *app, const char *ns, const char *name);

/* "web" for a Deployment named web, web-blue or web-green. */
void app_rollout_app_name(const char *deployment, char *buf, size_t len);

#endif

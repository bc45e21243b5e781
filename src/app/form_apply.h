/* form_apply: preview and apply of a descriptor from the TUI, on the session's async client.
 * What the descriptor form (and the `:apply FILE` command) calls; no HTTP knowledge needed.
 *
 *   form_apply_start()   GETs the live Job/Deployment/Service/Ingress/HPA of the app, builds the
 *                        desired objects and the diff live → desired, and pushes the preview view
 *                        (src/ui/view_diff.c: objects as YAML, coloured diff, `a` applies, Esc
 *                        goes back to the form, which stays as it was);
 *   form_apply_commit()  (or `a` in the preview) writes what was previewed: the migration Job
 *                        first (POST, then waits for it to complete), then a PUT per changed object
 *                        carrying the resourceVersion read by the preview (a 409 means someone
 *                        changed it since), a POST per missing one. Every write is recorded in the
 *                        local audit log (audit.h); a read-only session is refused by the transport
 *                        and its message shown.
 * Outcomes (callbacks below): applied (then the rollout is followed in the status line:
 * "back: 1 of 2 updated replicas are available..." → "back: successfully rolled out"), conflict
 * (the preview shows what changed on the server; `r` or form_apply_reload() re-GETs, re-diffs and
 * applies the same descriptor again), field errors (422, mapped to descriptor paths), or any other
 * failure (401/403/unreachable/read-only: a clear message). Nothing the form holds is touched: its
 * draft survives every outcome.
 *
 * Ownership: the flow belongs to the session (freed with it, e.g. on a context switch or at exit);
 * the caller only holds a handle until it calls form_apply_release(). */
#ifndef KDECK_APP_FORM_APPLY_H
#define KDECK_APP_FORM_APPLY_H

#include <stdbool.h>

#include "kdeck/descriptor.h"

struct app;
typedef struct form_apply form_apply_t;

typedef enum form_apply_state {
    FORM_APPLY_LOADING,     /* reading the live objects */
    FORM_APPLY_PREVIEW,     /* preview shown, nothing written yet */
    FORM_APPLY_WRITING,     /* writes in flight (migration Job included) */
    FORM_APPLY_APPLIED,     /* every write accepted; the rollout may still be followed */
    FORM_APPLY_CONFLICT,    /* 409: the preview shows what changed on the server */
    FORM_APPLY_INVALID,     /* 422: field errors */
    FORM_APPLY_FAILED,      /* another error; form_apply_message() says what */
} form_apply_state_t;

/* What the caller hears about. Every callback is optional and receives `ud`; strings and problems
 * are borrowed for the call. No callback is called after form_apply_release(). */
typedef struct form_apply_cbs {
    /* Every write was accepted (summary: "Deployment app/back updated, Service app/back
     * unchanged"). The preview has been closed; the rollout follows in the status line. The draft
     * may be discarded now. */
    void (*applied)(void *ud, const char *summary);
    /* 422: the API server rejected fields. problems: descriptor paths ("containers[0].image",
     * "replicas", "service.port", "ingress.host") with the API's message; causes that map to no
     * descriptor field have path "". The preview has been closed so the form shows them. */
    void (*invalid)(void *ud, const desc_problems_t *problems, const char *message);
    /* 409: the preview now shows what changed on the server and offers reload-and-reapply. */
    void (*conflict)(void *ud, const char *message);
    /* Anything else (401, 403, read-only refusal, unreachable, a failed migration Job, ...):
     * message says what and where. The preview stays open so `a` can retry. */
    void (*failed)(void *ud, const char *message);
} form_apply_cbs_t;

/* Starts a preview of d (copied: the caller keeps its own). The preview view is pushed at once
 * (showing "Loading..." until the live objects arrive). d should be valid (descriptor_validate):
 * the server is the last line of defence, not the first. cbs may be NULL. NULL on ENOMEM, when
 * there is no session, or when d has no namespace or name (with a status-line error). */
form_apply_t *form_apply_start(struct app *app, const descriptor_t *d, const form_apply_cbs_t *cbs,
                               void *ud);
/* Applies what the preview shows (the `a` key). False (with a status-line message) when there is
 * nothing to apply yet or already a write in flight. */
bool form_apply_commit(form_apply_t *fa);
/* After a conflict (or any failure): re-GET the live objects, rebuild the diff, and apply the
 * same descriptor again (when the live objects could not be read at all: only read them). */
bool form_apply_reload(form_apply_t *fa);
/* Where the flow stands, and its last message ("" when none). */
form_apply_state_t form_apply_state(const form_apply_t *fa);
const char *form_apply_message(const form_apply_t *fa);
/* The caller lets go: no more callbacks. Work already started (writes in flight, the rollout
 * follow in the status line, the open preview) goes on and frees itself when done. NULL is fine. */
void form_apply_release(form_apply_t *fa);

/* `:apply FILE`: loads and validates a descriptor file (problems go to the status line) and
 * starts its preview with no caller attached. */
void form_apply_file(struct app *app, const char *path);

/* ---- for the app (session.c) ---- */
/* Stops and frees every flow of the closing session (before its HTTP client goes). */
void form_apply_close_all(struct app *app);

#endif

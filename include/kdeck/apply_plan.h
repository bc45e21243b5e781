/* apply_plan: the pure parts of applying a descriptor, shared by the headless `kdeck apply`
 * (src/cli/apply.c, blocking) and the TUI's preview and apply (src/app/form_apply.c, async):
 * where each object lives in the API, the body of the write, what the preview says about each
 * object, the rollout status of a Deployment as `kubectl rollout status` words it, a Job's state,
 * the API's 422 field causes turned into descriptor paths, the words of a 409, and which slot of
 * a blue/green app a plain apply works on.
 * No I/O: every function works on cJSON values and buffers. */
#ifndef KDECK_APPLY_PLAN_H
#define KDECK_APPLY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "kdeck/descriptor.h"
#include "kdeck/textdiff.h"

/* ---- where objects live ---- */

/* "/apis/apps/v1/namespaces/NS/deployments" (+ "/NAME" when name is not NULL) for the kinds a
 * descriptor makes (Deployment, Service, Ingress, HorizontalPodAutoscaler, Job); NULL for any
 * other kind. */
const char *apply_object_path(const char *kind, const char *ns, const char *name, char *buf, size_t len);
/* "deployments", ... for those kinds; "?" otherwise. */
const char *apply_resource_name(const char *kind);

/* ---- finding an app's objects in lists ---- */

/* The first Ingress of a list with a rule path whose backend is service `app`; NULL if none. */
const cJSON *apply_find_ingress(const cJSON *list, const char *app);
/* The first HPA of a list whose scaleTargetRef is Deployment `app`; NULL if none. */
const cJSON *apply_find_hpa(const cJSON *list, const char *app);
/* List items carry no kind/apiVersion: a copy with them put back (NULL when o is NULL or ENOMEM). */
cJSON *apply_typed_copy(const cJSON *o, const char *api_version, const char *kind);
/* "back-blue" / "back-green" → "back" (copied into buf); any other name as it is. */
const char *apply_app_of_deployment(const char *deployment, char *buf, size_t len);

/* ---- blue/green apps (docs/rollouts.md) ----
 * A plain apply of an app a blue/green rollout made works on its active slot: the objects are
 * built with descriptor_objects(d, slot), so Deployment <app>-<slot> is updated in place, the
 * Service keeps slot=<slot> and the HPA targets <app>-<slot>; the other slot is not touched. And
 * it is refused while a rollout of the app runs. */

/* "blue" or "green" when the live Service <app> selects slot=blue|green (the app is deployed
 * blue/green); NULL for any other Service or none (service NULL). */
const char *apply_active_slot(const cJSON *service);
/* "web is deployed blue/green: applying to the active slot blue as a rolling update; ship new
 * versions with kdeck rollout apply / r". Returns buf. */
const char *apply_bluegreen_note(const char *app, const char *slot, char *buf, size_t len);
/* "/apis/coordination.k8s.io/v1/namespaces/NS/leases/kdeck-rollout-APP": the rollout's Lease. */
const char *apply_rollout_lease_path(const char *ns, const char *app, char *buf, size_t len);
/* Whether a rollout of app is running: its Lease (NULL: there is none) held by a live driver, by
 * ro_lease_driver_live()'s rule (host: this machine's name, now_ms: the wall clock). Then buf gets
 * "a rollout of web is running (root@vm (pid 42) since 2026-...): wait for it or abort it". */
bool apply_rollout_running(const cJSON *lease, const char *app, const char *host, int64_t now_ms,
                           char *buf, size_t len);

/* ---- the write ---- */

/* The body of the write as JSON text (malloc'd; NULL on ENOMEM). live NULL: the desired object
 * (a POST). Otherwise the live object with the desired fields merged in (a PUT): keys desired
 * has take its values (objects key by key, arrays of the same length item by item, the rest
 * replaced); keys only live has are kept when they are server-populated (what
 * textdiff_live_prepare drops, so the diff does not show them) and removed otherwise — what the
 * diff shows as removed is removed. metadata.resourceVersion is kept: the PUT is conditional. */
char *apply_write_body(const cJSON *live, const cJSON *desired);
/* The same merge as a cJSON tree (NULL on ENOMEM), for tests and callers that add to it. */
cJSON *apply_merge_for_put(const cJSON *live, const cJSON *desired);

/* ---- what the preview says ---- */

/* "Complete", "Failed" or NULL (still running) from a Job's conditions; *msg its message or
 * reason (NULL when none). */
const char *apply_job_state(const cJSON *job, const char **msg);
/* One object's line in a preview, after "Deployment app/back: ": "will be created", "will be
 * updated (+3 -1)", "unchanged", or for an existing Job "exists, completed (not run again)",
 * "exists, failed", "exists, running". live NULL: missing. diff may be NULL when live is NULL
 * or the object is a Job. Returns buf. */
const char *apply_object_summary(const char *kind, const cJSON *live, const textdiff_t *diff,
                                 char *buf, size_t len);
/* Whether an object must be written: missing, or its diff has hunks (a Job only when missing). */
bool apply_object_changed(const char *kind, const cJSON *live, const textdiff_t *diff);

/* ---- rollout status ---- */

typedef enum apply_rollout {
    APPLY_ROLLOUT_PROGRESSING,
    APPLY_ROLLOUT_DONE,
    APPLY_ROLLOUT_FAILED,         /* ProgressDeadlineExceeded */
} apply_rollout_t;

/* `kubectl rollout status` for a Deployment, word for word in msg:
 *   Waiting for deployment spec update to be observed...
 *   Waiting for deployment "back" rollout to finish: 1 out of 2 new replicas have been updated...
 *   Waiting for deployment "back" rollout to finish: 1 old replicas are pending termination...
 *   Waiting for deployment "back" rollout to finish: 1 of 2 updated replicas are available...
 *   deployment "back" successfully rolled out
 *   deployment "back" exceeded its progress deadline
 * brief (may be NULL): the same for a status line after "back: " — "1 of 2 updated replicas are
 * available...", "successfully rolled out", "exceeded its progress deadline". */
apply_rollout_t apply_rollout_status(const cJSON *deployment, char *msg, size_t len, char *brief,
                                     size_t brief_len);

/* ---- 422: field causes → descriptor paths ---- */

/* The descriptor path of an API field of an object of `kind` built from a descriptor:
 * Deployment "spec.template.spec.containers[0].resources.requests.cpu" →
 * "containers[0].resources.requests.cpu", "spec.replicas" → "replicas", Service
 * "spec.ports[0].port" → "service.port", Ingress "spec.rules[0].host" → "ingress.host", HPA
 * "spec.maxReplicas" → "autoscaler.maxReplicas", Job "spec.template.spec.containers[0].image" →
 * "migration.image". "" (returns false) when the field maps to no descriptor field. */
bool apply_cause_path(const char *kind, const char *field, char *buf, size_t len);
/* The causes of a 422 Status body (details.causes) as problems with descriptor paths (path ""
 * for the unmapped ones, their API field then leads the message). A body without causes adds
 * one problem with path "" and the Status message. Returns how many were added. */
size_t apply_status_causes(const char *kind, const char *status_body, size_t len, desc_problems_t *out);

/* ---- 409 ---- */

/* "conflict: Deployment app/back was changed on the server after kdeck read it (resourceVersion
 * 1234); nothing of it was overwritten." Returns buf. */
const char *apply_conflict_text(const char *kind, const char *ns, const char *name, const cJSON *read,
                                char *buf, size_t len);
/* What changed on the server between `read` (what kdeck read) and `now` (the object now), both
 * prepared against desired as the preview is (server fields left out). NULL on ENOMEM. */
textdiff_t *apply_conflict_diff(const cJSON *read, const cJSON *now, const cJSON *desired);

#endif

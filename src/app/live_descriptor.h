/* live_descriptor: the descriptor of a live app, fetched asynchronously on the session's client —
 * its Deployment plus the Service, Ingress and HPA of the same name (missing ones are fine), turned
 * into a descriptor by descriptor_from_objects(). Used by the form's `e` and the rollout's `r`. */
#ifndef KDECK_APP_LIVE_DESCRIPTOR_H
#define KDECK_APP_LIVE_DESCRIPTOR_H

#include "kdeck/descriptor.h"

struct app;
typedef struct live_load live_load_t;

/* d: owned by the callee (free with descriptor_free), NULL on failure with error set ("deployment
 * app/back: not found", "API unreachable: ..."). notes: shapes left out (may be empty), borrowed
 * for the call. deployment_json: the live Deployment (borrowed for the call; NULL on failure) so a
 * caller can keep its resourceVersion or read its image. The load is freed after the callback. */
typedef void (*live_load_cb)(void *ud, descriptor_t *d, const desc_problems_t *notes,
                             const cJSON *deployment_json, const char *error);

/* Starts the GETs; NULL on ENOMEM. A deployment named <app>-blue or <app>-green loads app <app>
 * (its Service, Ingress, HPA are named <app>). */
live_load_t *live_descriptor_load(struct app *app, const char *ns, const char *deployment,
                                  live_load_cb cb, void *ud);
/* Stops it; the callback is not called. */
void live_descriptor_cancel(live_load_t *l);

#endif

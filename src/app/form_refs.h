/* form_refs: the keys of a Secret or ConfigMap, for the form's reference pickers (env
 * secretKeyRef / configMapKeyRef). One GET on the session's client; only the key names leave this
 * file — a Secret's values are dropped with the response and never shown, kept or logged. */
#ifndef KDECK_APP_FORM_REFS_H
#define KDECK_APP_FORM_REFS_H

#include <stdbool.h>
#include <stddef.h>

struct app;
typedef struct form_refs_req form_refs_req_t;

/* keys: sorted, borrowed for the call (NULL, n 0 with error set on failure: "secret app/x: 404
 * Not Found ..."). The request is freed after the callback. */
typedef void (*form_refs_cb)(void *ud, const char *const *keys, size_t n, const char *error);

/* NULL on ENOMEM or when there is no session. */
form_refs_req_t *form_refs_keys(struct app *app, bool config_map, const char *ns, const char *name,
                                form_refs_cb cb, void *ud);
/* Stops it; the callback is not called. NULL is fine. */
void form_refs_cancel(form_refs_req_t *r);

#endif

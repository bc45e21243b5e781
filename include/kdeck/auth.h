/* Credentials for the API server: static token, token file (re-read, as projected service-account
 * tokens rotate), or an exec credential plugin run with uv_spawn on the loop, its token cached until
 * expirationTimestamp and refreshed on a 401. Plugs into the HTTP client as an http_auth_t. */
#ifndef KDECK_AUTH_H
#define KDECK_AUTH_H

#include <stdbool.h>
#include <uv.h>

#include "kdeck/http.h"
#include "kdeck/kubeconfig.h"

typedef struct kube_auth kube_auth_t;

/* The target must outlive the provider. `client` is told when a plugin run finishes. */
kube_auth_t *kube_auth_new(uv_loop_t *loop, const kube_target_t *target, http_client_t *client);
/* The http_auth_t to pass to http_client_set_auth. */
const http_auth_t *kube_auth_hooks(kube_auth_t *a);
/* Kills a running plugin; memory is released once its handles have closed. */
void kube_auth_free(kube_auth_t *a);
/* The last plugin error, "" when none. */
const char *kube_auth_error(const kube_auth_t *a);

#endif

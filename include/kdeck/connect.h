/* connect: from kubeconfig options to a ready HTTP client, shared by the TUI's session
 * (src/app/session.c) and the headless subcommands (src/cli/). A headless command also gets a
 * blocking call on its own loop (kube_conn_call), which is fine there: nothing else runs. */
#ifndef KDECK_CONNECT_H
#define KDECK_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "kdeck/auth.h"
#include "kdeck/http.h"
#include "kdeck/kubeconfig.h"

/* The endpoint for a resolved target: every pointer borrowed from t (and user_agent). */
http_endpoint_t kube_endpoint(const kube_target_t *t, const char *user_agent);

/* An HTTP client for ep with the target's credentials plugged in (*auth may come back NULL when
 * the target needs none). NULL when the client cannot be created. ep and t must outlive it. */
http_client_t *kube_client_new(uv_loop_t *loop, const kube_target_t *t, const http_endpoint_t *ep,
                               bool read_only, kube_auth_t **auth);

/* ---- headless connections ---- */

typedef struct kube_conn {
    uv_loop_t loop;
    kubeconfig_t *kc;
    kube_target_t *target;
    http_endpoint_t ep;
    http_client_t *http;
    kube_auth_t *auth;
    bool read_only;
    char user_agent[64];
} kube_conn_t;

/* A response kept after the loop turn: status 0 = no response (error says why). */
typedef struct kube_resp {
    long status;
    int curl_code;
    bool refused;         /* the read-only choke point refused the request */
    char *error;          /* transport error or refusal, NULL otherwise */
    char *body;           /* NUL-terminated, "" when none */
    size_t body_len;
} kube_resp_t;

/* kubeconfig_load + kubeconfig_resolve (context NULL = current, ns NULL = the context's) and a
 * client on a loop of its own. NULL with err on failure. */
kube_conn_t *kube_conn_open(const char *kubeconfig, const char *context, const char *ns,
                            bool read_only, char *err, size_t errlen);
/* Frees the client and runs the loop until its handles are closed. NULL is fine. */
void kube_conn_close(kube_conn_t *c);
/* Sends one request and runs the loop until it is done (timeout_ms 0 = 30 s). content_type NULL
 * = application/json when there is a body. 0, or -1 on ENOMEM. */
int kube_conn_call(kube_conn_t *c, const char *method, const char *path, const char *body,
                   const char *content_type, long timeout_ms, kube_resp_t *out);
/* The response as an http_result_t (for api_error_describe). */
void kube_resp_result(const kube_resp_t *r, http_result_t *res);
void kube_resp_free(kube_resp_t *r);
/* Runs the loop for ms milliseconds (timers and auth plugins keep working). */
void kube_conn_sleep(kube_conn_t *c, unsigned ms);

#endif

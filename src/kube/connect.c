/* From kubeconfig to an HTTP client: the endpoint, the credentials, and for headless commands a
 * blocking call on a private loop. */
#include "kdeck/connect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KDECK_VERSION
#define KDECK_VERSION "dev"
#endif

http_endpoint_t kube_endpoint(const kube_target_t *t, const char *user_agent)
{
    return (http_endpoint_t){
        .server = t->server,
        .ca_pem = (const char *)t->ca_pem, .ca_pem_len = t->ca_pem_len,
        .cert_pem = (const char *)t->cert_pem, .cert_pem_len = t->cert_pem_len,
        .key_pem = (const char *)t->key_pem, .key_pem_len = t->key_pem_len,
        .username = t->username, .password = t->password,
        .tls_server_name = t->tls_server_name, .proxy_url = t->proxy_url,
        .insecure_skip_tls_verify = t->insecure_skip_tls_verify,
        .user_agent = user_agent,
    };
}

http_client_t *kube_client_new(uv_loop_t *loop, const kube_target_t *t, const http_endpoint_t *ep,
                               bool read_only, kube_auth_t **auth)
{
    *auth = NULL;
    http_client_t *http = http_client_new(loop, ep, read_only);
    if (!http)
        return NULL;
    *auth = kube_auth_new(loop, t, http);
    if (*auth)
        http_client_set_auth(http, kube_auth_hooks(*auth));
    return http;
}

kube_conn_t *kube_conn_open(const char *kubeconfig, const char *context, const char *ns,
                            bool read_only, char *err, size_t errlen)
{
    kube_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (uv_loop_init(&c->loop) != 0) {
        snprintf(err, errlen, "cannot create the event loop");
        free(c);
        return NULL;
    }
    kubeconfig_opts_t ko = { .kubeconfig_path = kubeconfig };
    kc_error_t kerr;
    c->kc = kubeconfig_load(&ko, &kerr);
    if (c->kc)
        c->target = kubeconfig_resolve(c->kc, context, ns, &kerr);
    if (!c->kc || !c->target) {
        snprintf(err, errlen, "%s", kerr.msg);
        kube_conn_close(c);
        return NULL;
    }
    c->read_only = read_only;
    snprintf(c->user_agent, sizeof c->user_agent, "kdeck/%s", KDECK_VERSION);
    c->ep = kube_endpoint(c->target, c->user_agent);
    c->http = kube_client_new(&c->loop, c->target, &c->ep, read_only, &c->auth);
    if (!c->http) {
        snprintf(err, errlen, "cannot create the HTTP client");
        kube_conn_close(c);
        return NULL;
    }
    return c;
}

void kube_conn_close(kube_conn_t *c)
{
    if (!c)
        return;
    if (c->http)
        http_client_free(c->http);
    if (c->auth)
        kube_auth_free(c->auth);
    uv_run(&c->loop, UV_RUN_DEFAULT);   /* the close callbacks */
    uv_loop_close(&c->loop);
    kube_target_free(c->target);
    kubeconfig_free(c->kc);
    free(c);
}

typedef struct call_state {
    bool done;
    kube_resp_t *out;
    bool nomem;
} call_state_t;

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void on_call_done(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    call_state_t *st = ud;
    kube_resp_t *o = st->out;
    o->status = res->status;
    o->curl_code = res->curl_code;
    o->refused = res->status == 0 && res->curl_code == 0 && res->error &&
                 strstr(res->error, "read-only session") != NULL;
    o->error = res->error ? dup_n(res->error, strlen(res->error)) : NULL;
    o->body_len = res->body ? res->body_len : 0;
    o->body = dup_n(res->body ? res->body : "", o->body_len);
    if (!o->body || (res->error && !o->error))
        st->nomem = true;
    st->done = true;
}

int kube_conn_call(kube_conn_t *c, const char *method, const char *path, const char *body,
                   const char *content_type, long timeout_ms, kube_resp_t *out)
{
    memset(out, 0, sizeof *out);
    call_state_t st = { .out = out };
    http_req_opts_t o = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .content_type = body ? (content_type ? content_type : "application/json") : NULL,
        .accept = "application/json",
        .timeout_ms = timeout_ms > 0 ? timeout_ms : 30000,
        .on_done = on_call_done,
        .ud = &st,
    };
    if (!http_request(c->http, &o))
        return -1;
    while (!st.done)
        uv_run(&c->loop, UV_RUN_ONCE);
    if (st.nomem) {
        kube_resp_free(out);
        return -1;
    }
    return 0;
}

void kube_resp_result(const kube_resp_t *r, http_result_t *res)
{
    *res = (http_result_t){
        .status = r->status, .curl_code = r->curl_code, .error = r->error,
        .body = r->body, .body_len = r->body_len,
    };
}

void kube_resp_free(kube_resp_t *r)
{
    free(r->error);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static void on_sleep_timer(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

static void on_timer_closed(uv_handle_t *h)
{
    *(bool *)h->data = true;
}

void kube_conn_sleep(kube_conn_t *c, unsigned ms)
{
    uv_timer_t t;
    bool fired = false;
    uv_timer_init(&c->loop, &t);
    t.data = &fired;
    uv_timer_start(&t, on_sleep_timer, ms, 0);
    while (!fired)
        uv_run(&c->loop, UV_RUN_ONCE);
    bool closed = false;
    t.data = &closed;
    uv_close((uv_handle_t *)&t, on_timer_closed);
    while (!closed)
        uv_run(&c->loop, UV_RUN_ONCE);
}

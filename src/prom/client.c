/* The Prometheus HTTP API client: /api/v1/query and /api/v1/query_range as GET requests on the one
 * libuv loop (http.h), straight to Prometheus or through the API server's service proxy. GET only,
 * so a read-only session may use it, and the query travels in the URL (percent-encoded). */
#include "kdeck/prom.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_TIMEOUT_DEFAULT_MS 10000L
#define CURLE_OPERATION_TIMEDOUT_ 28 /* curl's code for a transfer timeout */

struct prom_query {
    prom_client_t *c;
    http_req_t *req;
    prom_done_cb cb;
    void *ud;
    prom_query_t *prev, *next;
};

struct prom_client {
    http_client_t *http;
    bool owns_http;
    char *url;           /* direct: base URL without a trailing slash */
    char *proxy_base;    /* proxy: "/api/v1/namespaces/NS/services/NAME:PORT/proxy" */
    char *username, *password, *token, *ca_file;
    http_endpoint_t ep;
    http_auth_t auth;
    long timeout_ms;
    char desc[512];
    prom_query_t *queries;
    int in_flight;
};

static char *dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

char *prom_urlencode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* A path segment for the service proxy: names are DNS labels, but never trust them into a path. */
static bool path_safe(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '.' || *s == '_' || *s == ':'))
            return false;
    return true;
}

static int bearer_header(void *ud, char *buf, size_t len)
{
    const prom_client_t *c = ud;
    snprintf(buf, len, "Authorization: Bearer %s", c->token);
    return 0;
}

prom_client_t *prom_client_new(uv_loop_t *loop, const prom_client_opts_t *o, char *err, size_t errlen)
{
    if (!o) {
        snprintf(err, errlen, "no Prometheus options");
        return NULL;
    }
    prom_client_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : PROM_TIMEOUT_DEFAULT_MS;
    if (o->url && *o->url) {
        if (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8)) {
            snprintf(err, errlen, "Prometheus URL must start with http:// or https://: %.200s", o->url);
            free(c);
            return NULL;
        }
        c->url = dup(o->url);
        if (c->url) {
            size_t n = strlen(c->url);
            while (n > 0 && c->url[n - 1] == '/')
                c->url[--n] = '\0';
        }
        c->username = dup(o->username);
        c->password = dup(o->password);
        c->token = dup(o->bearer_token);
        c->ca_file = dup(o->ca_file);
        c->ep.server = c->url;
        c->ep.username = c->username;
        c->ep.password = c->password;
        c->ep.ca_file = c->ca_file;
        c->ep.insecure_skip_tls_verify = o->insecure_skip_tls_verify;
        c->ep.user_agent = "kdeck";
        if (!c->url || (o->username && !c->username) || (o->password && !c->password) ||
            (o->bearer_token && !c->token) || (o->ca_file && !c->ca_file)) {
            snprintf(err, errlen, "out of memory");
            prom_client_free(c);
            return NULL;
        }
        c->http = http_client_new(loop, &c->ep, o->read_only);
        if (!c->http) {
            snprintf(err, errlen, "cannot create an HTTP client");
            prom_client_free(c);
            return NULL;
        }
        c->owns_http = true;
        if (c->token) {
            c->auth.header = bearer_header;
            c->auth.ud = c;
            http_client_set_auth(c->http, &c->auth);
        }
        snprintf(c->desc, sizeof c->desc, "%s", c->url);
        return c;
    }
    if (!o->kube) {
        snprintf(err, errlen, "no Prometheus URL and no cluster connection for the service proxy");
        free(c);
        return NULL;
    }
    if (!path_safe(o->proxy_namespace) || !path_safe(o->proxy_service) ||
        (o->proxy_port && *o->proxy_port && !path_safe(o->proxy_port))) {
        snprintf(err, errlen, "service proxy needs a namespace and a service name (letters, digits, - . _ :)");
        free(c);
        return NULL;
    }
    char base[512];
    bool port = o->proxy_port && *o->proxy_port;
    snprintf(base, sizeof base, "/api/v1/namespaces/%s/services/%s%s%s/proxy", o->proxy_namespace,
             o->proxy_service, port ? ":" : "", port ? o->proxy_port : "");
    c->proxy_base = dup(base);
    if (!c->proxy_base) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    c->http = o->kube;
    snprintf(c->desc, sizeof c->desc, "service proxy %s/%s%s%s", o->proxy_namespace, o->proxy_service,
             port ? ":" : "", port ? o->proxy_port : "");
    return c;
}

static void unlink_query(prom_query_t *q)
{
    prom_client_t *c = q->c;
    if (q->prev)
        q->prev->next = q->next;
    else
        c->queries = q->next;
    if (q->next)
        q->next->prev = q->prev;
    c->in_flight--;
}

void prom_query_cancel(prom_query_t *q)
{
    if (!q)
        return;
    if (q->req)
        http_cancel(q->req);
    unlink_query(q);
    free(q);
}

void prom_client_free(prom_client_t *c)
{
    if (!c)
        return;
    while (c->queries)
        prom_query_cancel(c->queries);
    if (c->owns_http)
        http_client_free(c->http); /* released on the loop, after its close callbacks */
    free(c->url);
    free(c->proxy_base);
    free(c->username);
    free(c->password);
    if (c->token) {
        memset(c->token, 0, strlen(c->token));
        free(c->token);
    }
    free(c->ca_file);
    free(c);
}

const char *prom_client_describe(const prom_client_t *c)
{
    return c ? c->desc : "";
}

int prom_client_in_flight(const prom_client_t *c)
{
    return c ? c->in_flight : 0;
}

char *prom_client_path(const prom_client_t *c, const char *api, const char *params)
{
    if (!c || !api)
        return NULL;
    const char *base = c->url ? c->url : c->proxy_base;
    size_t n = strlen(base) + strlen(api) + (params ? strlen(params) : 0) + 16;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/api/v1/%s%s%s", base, api, params && *params ? "?" : "", params ? params : "");
    return p;
}

static void on_done(http_req_t *req, const http_result_t *res, void *ud)
{
    (void)req;
    prom_query_t *q = ud;
    prom_client_t *c = q->c;
    prom_result_t *r;
    if (res->curl_code == CURLE_OPERATION_TIMEDOUT_)
        r = prom_result_error(PROM_TIMEOUT, res->status, "no answer within %.3g s from %s", c->timeout_ms / 1000.0,
                              c->desc);
    else if (res->curl_code != 0 || res->status == 0)
        r = prom_result_error(PROM_TRANSPORT, res->status, "%s (%s)", res->error ? res->error : "no answer", c->desc);
    else
        r = prom_decode(res->body, res->body_len, res->status);
    q->req = NULL;
    unlink_query(q); /* a prom_client_free from the callback no longer sees it */
    if (r) {
        q->cb(q, r, q->ud);
        prom_result_free(r);
    } else {
        prom_result_t oom = { .status = PROM_MALFORMED, .error = (char *)"out of memory" };
        q->cb(q, &oom, q->ud);
    }
    free(q);
}

static prom_query_t *start(prom_client_t *c, const char *api, const char *params, prom_done_cb cb, void *ud)
{
    prom_query_t *q = calloc(1, sizeof *q);
    char *target = prom_client_path(c, api, params);
    if (!q || !target) {
        free(q);
        free(target);
        return NULL;
    }
    q->c = c;
    q->cb = cb;
    q->ud = ud;
    q->next = c->queries;
    if (c->queries)
        c->queries->prev = q;
    c->queries = q;
    c->in_flight++;
    http_req_opts_t ro = {
        .method = "GET",
        .accept = "application/json",
        .timeout_ms = c->timeout_ms,
        .connect_timeout_ms = c->timeout_ms < 10000 ? c->timeout_ms : 10000,
        .on_done = on_done,
        .ud = q,
    };
    if (c->url)
        ro.url = target;
    else
        ro.path = target;
    q->req = http_request(c->http, &ro);
    free(target);
    if (!q->req) {
        unlink_query(q);
        free(q);
        return NULL;
    }
    return q;
}

prom_query_t *prom_query(prom_client_t *c, const char *promql, double time, prom_done_cb cb, void *ud)
{
    if (!c || !promql || !cb)
        return NULL;
    char *enc = prom_urlencode(promql);
    if (!enc)
        return NULL;
    size_t n = strlen(enc) + 64;
    char *params = malloc(n);
    if (!params) {
        free(enc);
        return NULL;
    }
    if (time > 0)
        snprintf(params, n, "query=%s&time=%.3f", enc, time);
    else
        snprintf(params, n, "query=%s", enc);
    free(enc);
    prom_query_t *q = start(c, "query", params, cb, ud);
    free(params);
    return q;
}

prom_query_t *prom_query_range(prom_client_t *c, const char *promql, double start_t, double end_t, double step,
                               prom_done_cb cb, void *ud)
{
    if (!c || !promql || !cb || !(step > 0))
        return NULL;
    char *enc = prom_urlencode(promql);
    if (!enc)
        return NULL;
    size_t n = strlen(enc) + 128;
    char *params = malloc(n);
    if (!params) {
        free(enc);
        return NULL;
    }
    snprintf(params, n, "query=%s&start=%.3f&end=%.3f&step=%g", enc, start_t, end_t, step);
    free(enc);
    prom_query_t *q = start(c, "query_range", params, cb, ud);
    free(params);
    return q;
}

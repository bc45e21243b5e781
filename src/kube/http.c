/* libcurl multi on libuv (see ../shared/LOOP.md "curl multi <-> libuv mapping").
 * One multi handle per client; each request owns one easy handle. Curl tells us which sockets to
 * watch (sock_cb) and when to wake it (timer_cb); we map those onto uv_poll_t and a uv_timer_t. */
#include "kdeck/http.h"
#include "kdeck/readonly.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;          /* curl's timeout */
    http_endpoint_t ep;
    bool read_only;
    http_auth_t auth;
    bool has_auth;
    bool auth_pending;         /* provider is fetching a credential; requests wait in `queued` */
    http_req_t *reqs;          /* every live request (doubly linked) */
    int in_flight;
    unsigned long bytes_rx;
    bool closing;
    int open_handles;          /* uv handles whose close callback has not run yet */
};

struct http_req {
    http_client_t *client;
    http_req_t *prev, *next;
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *connect_to; /* tls-server-name: where to really connect */
    char *url;
    char *method;
    char *body;                /* request body copy */
    size_t body_len;
    char *content_type;
    char *accept;
    long timeout_ms, connect_timeout_ms;
    http_data_cb on_data;
    http_done_cb on_done;
    void *ud;
    char *resp;                /* buffered response body */
    size_t resp_len, resp_cap;
    char errbuf[CURL_ERROR_SIZE];
    char msg[512];
    bool queued;               /* waiting for the auth provider */
    bool retried_401;
    bool counts_in_flight;
    bool refused;              /* read-only refusal, reported on the next loop turn */
    bool in_data;              /* inside on_data, i.e. inside curl's write callback */
    bool cancelled;            /* cancelled from on_data: aborted by on_write, released by check_done */
    uv_timer_t defer;          /* used to report refusals/auth errors asynchronously */
    bool defer_open;
};

/* A uv_poll_t per socket curl asks us to watch. Freed in its close callback only. */
typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    http_client_t *client;
} sock_ctx_t;

static void check_done(http_client_t *c);
static void req_start(http_req_t *r);
static void req_finish(http_req_t *r, const http_result_t *res);

/* ---- handle bookkeeping: the client struct is freed when its last handle has closed ---- */

static void client_maybe_free(http_client_t *c)
{
    if (c->closing && c->open_handles == 0)
        free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    http_client_t *c = h->data;
    c->open_handles--;
    client_maybe_free(c);
}

static void on_sock_closed(uv_handle_t *h)
{
    sock_ctx_t *s = h->data;
    http_client_t *c = s->client;
    free(s);
    c->open_handles--;
    client_maybe_free(c);
}

static void on_defer_closed(uv_handle_t *h)
{
    http_req_t *r = h->data;
    http_client_t *c = r->client;
    free(r);
    c->open_handles--;
    client_maybe_free(c);
}

/* ---- curl -> libuv ---- */

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_ctx_t *s = p->data;
    http_client_t *c = s->client;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    }
    int running = 0;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    check_done(c);
}

static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    http_client_t *c = userp;
    sock_ctx_t *s = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->fd = fd;
        s->client = c;
        s->poll.data = s;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        c->open_handles++;
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) ev |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) ev |= UV_WRITABLE;
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static void on_curl_timeout(uv_timer_t *t)
{
    http_client_t *c = t->data;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    http_client_t *c = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else /* 0 means "as soon as possible": the next loop turn, never from inside this callback */
        uv_timer_start(&c->timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- responses ---- */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    http_req_t *r = ud;
    size_t n = size * nmemb;
    r->client->bytes_rx += n;
    if (r->cancelled)
        return 0;
    if (r->on_data) {
        r->in_data = true;
        r->on_data(r, ptr, n, r->ud);
        r->in_data = false;
        return r->cancelled ? 0 : n; /* 0 aborts a transfer cancelled from its own callback */
    }
    if (r->resp_len + n + 1 > r->resp_cap) {
        size_t cap = r->resp_cap ? r->resp_cap : 16384;
        while (cap < r->resp_len + n + 1)
            cap *= 2;
        char *p = realloc(r->resp, cap);
        if (!p)
            return 0; /* makes curl fail the transfer with a write error */
        r->resp = p;
        r->resp_cap = cap;
    }
    memcpy(r->resp + r->resp_len, ptr, n);
    r->resp_len += n;
    r->resp[r->resp_len] = '\0';
    return n;
}

/* Turns curl's error into words an operator understands, naming the host and the CA. */
static void describe_error(http_req_t *r, CURLcode code)
{
    const http_endpoint_t *ep = &r->client->ep;
    const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(code);
    /* Name the server (scheme://host:port), not the whole URL with its query string. */
    char host[300];
    const char *hs = strstr(r->url, "://");
    size_t hl = hs ? (size_t)(hs + 3 - r->url) + strcspn(hs + 3, "/?#") : strcspn(r->url, "/?#");
    snprintf(host, sizeof host, "%.*s", (int)hl, r->url);
    switch (code) {
    case CURLE_COULDNT_CONNECT:
        snprintf(r->msg, sizeof r->msg, "cannot connect to %s: %s", host, detail);
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        snprintf(r->msg, sizeof r->msg, "connection to %s lost: %s", host, detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(r->msg, sizeof r->msg, "timed out talking to %s: %s", host, detail);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        snprintf(r->msg, sizeof r->msg, "cannot resolve host for %s: %s", host, detail);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        snprintf(r->msg, sizeof r->msg, "TLS failure with %s (CA: %s%s): %s", host,
                 ep->ca_pem ? "certificate-authority-data from kubeconfig"
                 : ep->ca_file ? ep->ca_file : "system CA store",
                 ep->tls_server_name ? ", tls-server-name set" : "", detail);
        break;
    default:
        snprintf(r->msg, sizeof r->msg, "request to %s failed: %s", host, detail);
    }
}

static void req_unlink(http_req_t *r)
{
    http_client_t *c = r->client;
    if (r->prev) r->prev->next = r->next; else if (c->reqs == r) c->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void req_release(http_req_t *r)
{
    http_client_t *c = r->client;
    if (r->easy) {
        curl_multi_remove_handle(c->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    if (r->counts_in_flight) {
        r->counts_in_flight = false;
        c->in_flight--;
    }
    curl_slist_free_all(r->headers);
    curl_slist_free_all(r->connect_to);
    r->headers = r->connect_to = NULL;
    free(r->url); free(r->method); free(r->body); free(r->content_type); free(r->accept); free(r->resp);
    r->url = r->method = r->body = r->content_type = r->accept = r->resp = NULL;
    req_unlink(r);
    /* The defer timer is embedded: the struct lives until its close callback. */
    uv_close((uv_handle_t *)&r->defer, on_defer_closed);
}

static void req_finish(http_req_t *r, const http_result_t *res)
{
    http_done_cb cb = r->on_done;
    void *ud = r->ud;
    r->on_done = NULL;
    if (cb)
        cb(r, res, ud);
    req_release(r);
}

static void check_done(http_client_t *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        http_req_t *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (!r)
            continue;
        CURLcode code = m->data.result;
        http_result_t res = {0};
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
        char *ct = NULL;
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
        res.content_type = ct;
        res.curl_code = (int)code;
        if (code != CURLE_OK) {
            describe_error(r, code);
            res.error = r->msg;
        }
        res.body = r->resp ? r->resp : "";
        res.body_len = r->resp_len;
        /* A 401 may mean an expired exec-plugin token: let the provider refresh, retry once. */
        if (res.status == 401 && !r->retried_401 && c->has_auth && c->auth.invalidate &&
            c->auth.invalidate(c->auth.ud)) {
            r->retried_401 = true;
            curl_multi_remove_handle(c->multi, r->easy);
            curl_easy_cleanup(r->easy);
            r->easy = NULL;
            curl_slist_free_all(r->headers);
            r->headers = NULL;
            r->resp_len = 0;
            req_start(r);
            continue;
        }
        req_finish(r, &res);
    }
}

/* ---- requests ---- */

static void on_defer(uv_timer_t *t)
{
    http_req_t *r = t->data;
    http_result_t res = { .error = r->msg, .body = "", .status = 0 };
    req_finish(r, &res);
}

static void req_fail_later(http_req_t *r, const char *msg)
{
    snprintf(r->msg, sizeof r->msg, "%.500s", msg);
    r->refused = true;
    uv_timer_start(&r->defer, on_defer, 0, 0);
}

/* curl refuses curl_multi_add_handle from inside its own callbacks (a request started from an
 * on_data callback, e.g. an informer re-listing on a 410 watch event): add it on the next turn. */
static void on_defer_add(uv_timer_t *t)
{
    http_req_t *r = t->data;
    if (r->easy && curl_multi_add_handle(r->client->multi, r->easy) != CURLM_OK)
        req_fail_later(r, "cannot start the transfer");
}

static void set_tls(CURL *e, const http_endpoint_t *ep)
{
    if (ep->insecure_skip_tls_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (ep->ca_pem) {
        struct curl_blob b = { (void *)ep->ca_pem, ep->ca_pem_len, CURL_BLOB_NOCOPY };
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    } else if (ep->ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, ep->ca_file);
    }
    if (ep->cert_pem) {
        struct curl_blob b = { (void *)ep->cert_pem, ep->cert_pem_len, CURL_BLOB_NOCOPY };
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (ep->cert_file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, ep->cert_file);
    }
    if (ep->key_pem) {
        struct curl_blob b = { (void *)ep->key_pem, ep->key_pem_len, CURL_BLOB_NOCOPY };
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (ep->key_file) {
        curl_easy_setopt(e, CURLOPT_SSLKEY, ep->key_file);
    }
    if (ep->proxy_url)
        curl_easy_setopt(e, CURLOPT_PROXY, ep->proxy_url);
    if (ep->username) {
        curl_easy_setopt(e, CURLOPT_USERNAME, ep->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, ep->password ? ep->password : "");
    }
}

/* Builds the URL; with tls-server-name the URL names that host (so curl verifies and sends SNI
 * for it) and CURLOPT_CONNECT_TO sends the connection to the real server. */
static char *build_url(const http_endpoint_t *ep, const char *path, char *connect_to, size_t ctlen)
{
    const char *server = ep->server ? ep->server : "";
    size_t sl = strlen(server);
    while (sl && server[sl - 1] == '/')
        sl--;
    connect_to[0] = '\0';
    if (ep->tls_server_name && *ep->tls_server_name) {
        const char *hs = strstr(server, "://");
        hs = hs ? hs + 3 : server;
        size_t hl = strcspn(hs, "/");
        /* The port is after the last ':' that follows any IPv6 literal's closing bracket. */
        const char *bracket = hs[0] == '[' ? memchr(hs, ']', hl) : NULL;
        const char *from = bracket ? bracket : hs;
        const char *colon = memchr(from, ':', hl - (size_t)(from - hs));
        const char *port = colon ? colon + 1 : (strncmp(server, "http://", 7) ? "443" : "80");
        int plen = colon ? (int)(hl - (size_t)(colon + 1 - hs)) : (int)strlen(port);
        int host_len = colon ? (int)(colon - hs) : (int)hl;
        snprintf(connect_to, ctlen, "%s:%.*s:%.*s:%.*s", ep->tls_server_name, plen, port, host_len, hs, plen, port);
        size_t need = (size_t)(hs - server) + strlen(ep->tls_server_name) + 1 + (size_t)plen + strlen(path) + 1;
        char *u = malloc(need);
        if (u)
            snprintf(u, need, "%.*s%s:%.*s%s", (int)(hs - server), server, ep->tls_server_name, plen, port, path);
        return u;
    }
    size_t need = sl + strlen(path) + 2;
    char *u = malloc(need);
    if (u)
        snprintf(u, need, "%.*s%s%s", (int)sl, server, path[0] == '/' || !path[0] ? "" : "/", path);
    return u;
}

static void req_start(http_req_t *r)
{
    http_client_t *c = r->client;
    if (c->auth_pending) {
        r->queued = true;
        return;
    }
    r->queued = false;
    CURL *e = curl_easy_init();
    if (!e) {
        req_fail_later(r, "out of memory creating a transfer");
        return;
    }
    r->easy = e;
    r->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->ep.user_agent ? c->ep.user_agent : "kdeck");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms ? r->connect_timeout_ms : 10000L);
    if (r->timeout_ms)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    else
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Redirects are not followed: the Kubernetes API never redirects a client, and a redirect
     * would carry the bearer token to whatever host it names. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    set_tls(e, &c->ep);

    char hdr[8192];
    if (r->accept) {
        snprintf(hdr, sizeof hdr, "Accept: %s", r->accept);
        r->headers = curl_slist_append(r->headers, hdr);
    }
    if (r->content_type) {
        snprintf(hdr, sizeof hdr, "Content-Type: %s", r->content_type);
        r->headers = curl_slist_append(r->headers, hdr);
    }
    if (c->has_auth) {
        int rc = c->auth.header(c->auth.ud, hdr, sizeof hdr);
        if (rc == 1) { /* provider is fetching a credential: wait for http_client_auth_ready */
            curl_easy_cleanup(e);
            r->easy = NULL;
            curl_slist_free_all(r->headers);
            r->headers = NULL;
            c->auth_pending = true;
            r->queued = true;
            return;
        }
        if (rc < 0) {
            curl_easy_cleanup(e);
            r->easy = NULL;
            req_fail_later(r, hdr);
            return;
        }
        if (hdr[0])
            r->headers = curl_slist_append(r->headers, hdr);
    }
    r->headers = curl_slist_append(r->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
        if (r->body || strcmp(r->method, "HEAD")) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
        }
        if (!strcmp(r->method, "HEAD"))
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    }
    if (r->connect_to)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, r->connect_to);
    CURLMcode mc = curl_multi_add_handle(c->multi, e);
    if (mc == CURLM_RECURSIVE_API_CALL)
        uv_timer_start(&r->defer, on_defer_add, 0, 0);
    else if (mc != CURLM_OK)
        req_fail_later(r, curl_multi_strerror(mc));
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

http_req_t *http_request(http_client_t *c, const http_req_opts_t *o)
{
    http_req_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->client = c;
    r->defer.data = r;
    uv_timer_init(c->loop, &r->defer);
    c->open_handles++;
    r->method = strdup(o->method ? o->method : "GET");
    char connect_to[600] = "";
    if (o->url) {
        r->url = strdup(o->url);
    } else {
        r->url = build_url(&c->ep, o->path ? o->path : "/", connect_to, sizeof connect_to);
    }
    r->content_type = dup_or_null(o->content_type);
    r->accept = dup_or_null(o->accept);
    if (o->body) {
        r->body = malloc(o->body_len + 1);
        if (r->body) {
            memcpy(r->body, o->body, o->body_len);
            r->body[o->body_len] = '\0';
            r->body_len = o->body_len;
        }
    }
    r->timeout_ms = o->timeout_ms;
    r->connect_timeout_ms = o->connect_timeout_ms;
    r->on_data = o->on_data;
    r->on_done = o->on_done;
    r->ud = o->ud;
    r->counts_in_flight = true;
    c->in_flight++;
    r->next = c->reqs;
    if (c->reqs) c->reqs->prev = r;
    c->reqs = r;
    if (!r->method || !r->url || (o->body && !r->body)) {
        req_fail_later(r, "out of memory preparing a request");
        return r;
    }
    const char *path = o->url ? o->url : (o->path ? o->path : "/");
    if (c->read_only && !o->url && !kube_request_allowed_read_only(r->method, path)) {
        char msg[512];
        kube_read_only_refusal(r->method, path, msg, sizeof msg);
        req_fail_later(r, msg);
        return r;
    }
    if (c->read_only && o->url && strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        char msg[512];
        kube_read_only_refusal(r->method, o->url, msg, sizeof msg);
        req_fail_later(r, msg);
        return r;
    }
    if (connect_to[0])
        r->connect_to = curl_slist_append(NULL, connect_to);
    req_start(r);
    return r;
}

void http_cancel(http_req_t *r)
{
    if (!r)
        return;
    r->on_done = NULL;
    uv_timer_stop(&r->defer);
    if (r->in_data && r->easy) {
        /* Called from this request's own on_data, i.e. inside curl's write callback, where curl
         * refuses to remove the handle: on_write aborts the transfer, check_done releases it. */
        r->cancelled = true;
        r->on_data = NULL;
        if (r->counts_in_flight) {
            r->counts_in_flight = false;
            r->client->in_flight--;
        }
        return;
    }
    req_release(r);
}

void http_req_mark_stream(http_req_t *r, bool is_stream)
{
    http_client_t *c = r->client;
    if (is_stream && r->counts_in_flight) {
        r->counts_in_flight = false;
        c->in_flight--;
    } else if (!is_stream && !r->counts_in_flight) {
        r->counts_in_flight = true;
        c->in_flight++;
    }
}

long http_req_status(http_req_t *r)
{
    long status = 0;
    if (r && r->easy)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

int http_client_in_flight(const http_client_t *c)
{
    return c->in_flight;
}

unsigned long http_client_bytes_received(const http_client_t *c)
{
    return c->bytes_rx;
}

void http_client_set_auth(http_client_t *c, const http_auth_t *auth)
{
    if (auth) {
        c->auth = *auth;
        c->has_auth = true;
    } else {
        c->has_auth = false;
    }
}

void http_client_auth_ready(http_client_t *c, bool ok, const char *error)
{
    c->auth_pending = false;
    /* Restart every queued request; collect first, as starting may queue again. */
    for (http_req_t *r = c->reqs, *next; r; r = next) {
        next = r->next;
        if (!r->queued)
            continue;
        if (ok)
            req_start(r);
        else
            req_fail_later(r, error ? error : "credential plugin failed");
        if (c->auth_pending)
            break;
    }
}

http_client_t *http_client_new(uv_loop_t *loop, const http_endpoint_t *ep, bool read_only)
{
    static bool global_done;
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = true;
    }
    http_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->ep = *ep;
    c->read_only = read_only;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* Many watches share one server: let them multiplex instead of opening a socket each. */
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles++;
    return c;
}

void http_client_free(http_client_t *c)
{
    if (!c)
        return;
    while (c->reqs)
        http_cancel(c->reqs);
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    c->closing = true;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

/* HTTP client on the one libuv loop: libcurl's multi socket API mapped onto uv_poll_t/uv_timer_t.
 * Every request to the Kubernetes API and to Prometheus goes through here, so this is also where
 * the read-only guarantee is enforced (see kube_request_allowed in readonly.h). */
#ifndef KDECK_HTTP_H
#define KDECK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct http_client http_client_t;
typedef struct http_req http_req_t;

/* Where and how to connect. Pointers are borrowed: they must outlive the client. */
typedef struct http_endpoint {
    const char *server;          /* "https://127.0.0.1:6443" (no trailing slash needed) */
    const char *ca_pem;          /* CA bundle in memory, or NULL */
    size_t ca_pem_len;
    const char *ca_file;         /* CA bundle file, or NULL (both NULL: system CAs) */
    const char *cert_pem, *key_pem; /* client certificate + key in memory, or NULL */
    size_t cert_pem_len, key_pem_len;
    const char *cert_file, *key_file;
    const char *username, *password; /* basic auth, or NULL */
    const char *tls_server_name; /* name to verify the server certificate against, or NULL */
    const char *proxy_url;       /* or NULL */
    bool insecure_skip_tls_verify;
    const char *user_agent;
} http_endpoint_t;

typedef struct http_result {
    long status;              /* HTTP status, 0 when no response arrived */
    int curl_code;            /* CURLcode, 0 = transfer completed */
    const char *error;        /* human message when the transfer failed (NULL otherwise) */
    const char *body;         /* whole body (NUL-terminated) unless the request streamed */
    size_t body_len;
    const char *content_type; /* may be NULL */
} http_result_t;

typedef void (*http_data_cb)(http_req_t *req, const char *buf, size_t len, void *ud);
typedef void (*http_done_cb)(http_req_t *req, const http_result_t *res, void *ud);

typedef struct http_req_opts {
    const char *method;       /* "GET" when NULL */
    const char *path;         /* appended to the endpoint's server; may carry a query string */
    const char *url;          /* absolute URL instead of server+path (Prometheus direct) */
    const char *body;
    size_t body_len;
    const char *content_type;
    const char *accept;
    long timeout_ms;          /* whole transfer; 0 = none (watches, log streams) */
    long connect_timeout_ms;  /* 0 = 10 s */
    http_data_cb on_data;     /* set: body delivered as it arrives and not kept */
    http_done_cb on_done;     /* always called exactly once, unless the request is cancelled */
    void *ud;
} http_req_opts_t;

/* Supplies the Authorization header. A provider that has no valid credential yet (exec plugin
 * running) returns 1 and later calls http_client_auth_ready(); 0 = header written (may be empty);
 * -1 = error written to header buffer. */
typedef struct http_auth {
    int (*header)(void *ud, char *buf, size_t len);
    /* Called on a 401: the provider should drop its cached credential; return true when a fresh
     * one can be obtained (the request is then retried once). */
    bool (*invalidate)(void *ud);
    void *ud;
} http_auth_t;

http_client_t *http_client_new(uv_loop_t *loop, const http_endpoint_t *ep, bool read_only);
/* Cancels every request (no callbacks) and closes the handles; the memory is released once the
 * loop has run the close callbacks (free happens in the last one). */
void http_client_free(http_client_t *c);
void http_client_set_auth(http_client_t *c, const http_auth_t *auth);
/* The auth provider finished (ok=false: error text); queued requests proceed or fail. */
void http_client_auth_ready(http_client_t *c, bool ok, const char *error);

/* Starts a request; the result arrives through opts->on_done on a later loop turn.
 * Returns NULL only on allocation failure. */
http_req_t *http_request(http_client_t *c, const http_req_opts_t *opts);
/* Stops a request; its on_done is not called. */
void http_cancel(http_req_t *req);

/* Requests started and not yet done (the script mode waits for 0). */
int http_client_in_flight(const http_client_t *c);
/* Requests that hold a long-lived stream (watches, logs) are not "in flight" for the script mode. */
void http_req_mark_stream(http_req_t *req, bool is_stream);
/* The HTTP status of a request whose headers have arrived (0 before): lets a streaming reader
 * tell a Status error body from stream data. */
long http_req_status(http_req_t *req);
/* Totals, for the header and for benchmarks. */
unsigned long http_client_bytes_received(const http_client_t *c);

#endif

/* libwebsockets 4.1.6 as a client on our libuv loop. The facts this relies on are measured in
 * ../shared/LOOP.md: foreign loop options, numeric addresses (lws resolves synchronously), the
 * subprotocol read in FILTER_PRE_ESTABLISH, lws_cancel_service after arming lws timers from outside
 * lws callbacks, and the two-phase context destruction. */
#include "kdeck/ws.h"
#include "kdeck/readonly.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WS_MESSAGE_MAX (16u * 1024 * 1024) /* a larger message is a protocol error, not a buffer */

typedef struct outmsg {
    struct outmsg *next;
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes of headroom, then the payload */
} outmsg_t;

struct ws_conn {
    ws_client_t *wc;
    struct lws *wsi;
    ws_conn_opts_t o;
    char *path, *protocols, *auth;
    char protocol[64];
    unsigned char *rx;
    size_t rx_len, rx_cap;
    outmsg_t *q_head, *q_tail;
    bool closed_by_user; /* no more callbacks */
    bool want_close;     /* close from the next WRITEABLE */
    bool ended;          /* on_close delivered */
    ws_conn_t *prev, *next;
};

struct ws_client {
    uv_loop_t *loop;
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    http_endpoint_t ep;
    bool read_only;
    char host[256];       /* for Host:, SNI and certificate checks */
    char address[64];     /* numeric */
    int port;
    bool tls;
    ws_conn_t *conns;
};

static void conn_unlink(ws_conn_t *c)
{
    if (!c->wc)
        return;
    if (c->prev) c->prev->next = c->next; else if (c->wc->conns == c) c->wc->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void conn_free(ws_conn_t *c)
{
    conn_unlink(c);
    for (outmsg_t *m = c->q_head, *n; m; m = n) {
        n = m->next;
        free(m);
    }
    free(c->rx);
    free(c->path);
    free(c->protocols);
    if (c->auth) {
        memset(c->auth, 0, strlen(c->auth));
        free(c->auth);
    }
    free(c);
}

static void conn_end(ws_conn_t *c, int status, const char *reason)
{
    if (c->ended)
        return;
    c->ended = true;
    if (!c->closed_by_user && c->o.on_close)
        c->o.on_close(c, status, reason, c->o.ud);
}

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    ws_conn_t *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (c && c->auth) {
            unsigned char **p = in, *end = *p + len;
            const char *v = strchr(c->auth, ':');
            if (v && lws_add_http_header_by_name(wsi, (const unsigned char *)"authorization:",
                                                 (const unsigned char *)(v + 2), (int)strlen(v + 2), p, end))
                return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        /* The negotiated subprotocol is only readable here (LOOP.md). */
        if (c && lws_hdr_copy(wsi, c->protocol, sizeof c->protocol, WSI_TOKEN_PROTOCOL) < 0)
            c->protocol[0] = '\0';
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c && !c->closed_by_user && c->o.on_open)
            c->o.on_open(c, c->protocol, c->o.ud);
        if (c && c->q_head)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!c || c->closed_by_user)
            break;
        if (lws_is_first_fragment(wsi))
            c->rx_len = 0;
        if (c->rx_len + len > WS_MESSAGE_MAX)
            return -1;
        if (c->rx_len + len + 1 > c->rx_cap) {
            size_t cap = c->rx_cap ? c->rx_cap : 4096;
            while (cap < c->rx_len + len + 1)
                cap *= 2;
            unsigned char *p = realloc(c->rx, cap);
            if (!p)
                return -1;
            c->rx = p;
            c->rx_cap = cap;
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            c->rx[c->rx_len] = '\0';
            if (c->o.on_message)
                c->o.on_message(c, c->rx, c->rx_len, c->o.ud);
            c->rx_len = 0;
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!c || c->want_close || c->closed_by_user) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        if (c->q_head) {
            outmsg_t *m = c->q_head;
            if (lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_BINARY) < (int)m->len)
                return -1;
            c->q_head = m->next;
            if (!c->q_head)
                c->q_tail = NULL;
            free(m);
            if (c->q_head)
                lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        if (!c)
            break;
        int status = (int)lws_http_client_http_response(wsi);
        char msg[300];
        snprintf(msg, sizeof msg, "%s", in && len ? (const char *)in : "connection failed");
        c->wsi = NULL;
        conn_end(c, status, msg);
        conn_free(c);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c) {
            c->wsi = NULL;
            conn_end(c, 0, "stream closed");
            conn_free(c);
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    { "kdeck-k8s", on_lws, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Splits "https://host:port/..." into host, port and TLS; false when it is not a URL we can use. */
static bool parse_server(ws_client_t *wc, const char *server)
{
    const char *p = server;
    if (!strncmp(p, "https://", 8)) {
        wc->tls = true;
        p += 8;
        wc->port = 443;
    } else if (!strncmp(p, "http://", 7)) {
        wc->tls = false;
        p += 7;
        wc->port = 80;
    } else {
        return false;
    }
    size_t hl = strcspn(p, "/");
    const char *end = p + hl;
    const char *colon = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', hl);
        if (!rb)
            return false;
        snprintf(wc->host, sizeof wc->host, "%.*s", (int)(rb - p - 1), p + 1);
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', hl);
        snprintf(wc->host, sizeof wc->host, "%.*s", (int)((colon ? colon : end) - p), p);
    }
    if (colon)
        wc->port = atoi(colon + 1);
    return wc->port > 0 && wc->port < 65536 && wc->host[0];
}

/* lws must never write to the curses screen; KDECK_LWS_LOG=FILE sends its log to a file. */
static FILE *lws_log_file;

static void lws_log_to_file(int level, const char *line)
{
    (void)level;
    if (lws_log_file) {
        fputs(line, lws_log_file);
        fflush(lws_log_file);
    }
}

ws_client_t *ws_client_new(uv_loop_t *loop, const http_endpoint_t *ep, bool read_only, char *err, size_t errlen)
{
    ws_client_t *wc = calloc(1, sizeof *wc);
    if (!wc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    wc->loop = loop;
    wc->ep = *ep;
    wc->read_only = read_only;
    if (!parse_server(wc, ep->server ? ep->server : "")) {
        snprintf(err, errlen, "cannot use server URL %s for WebSocket streams", ep->server ? ep->server : "");
        free(wc);
        return NULL;
    }
    /* lws resolves names synchronously, which would block the loop: only numeric addresses are
     * handed to it; a name is resolved (once) before. */
    struct in6_addr a6;
    struct in_addr a4;
    if (inet_pton(AF_INET, wc->host, &a4) == 1 || inet_pton(AF_INET6, wc->host, &a6) == 1) {
        snprintf(wc->address, sizeof wc->address, "%s", wc->host);
    } else {
        uv_getaddrinfo_t req;
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        if (uv_getaddrinfo(loop, &req, NULL, wc->host, NULL, &hints) != 0 || !req.addrinfo) {
            snprintf(err, errlen, "cannot resolve %s for WebSocket streams", wc->host);
            free(wc);
            return NULL;
        }
        const struct addrinfo *ai = req.addrinfo;
        void *addr = ai->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                               : (void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, addr, wc->address, sizeof wc->address);
        uv_freeaddrinfo(req.addrinfo);
    }
    const char *log = getenv("KDECK_LWS_LOG");
    if (log && *log && !lws_log_file)
        lws_log_file = fopen(log, "a");
    lws_set_log_level(lws_log_file ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO | LLL_CLIENT : 0, lws_log_to_file);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = { loop };
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.foreign_loops = loops;
    info.pcontext = &wc->ctx;
    info.fd_limit_per_thread = 128;
    wc->ctx = lws_create_context(&info);
    if (!wc->ctx) {
        snprintf(err, errlen, "cannot create the WebSocket context");
        free(wc);
        return NULL;
    }
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.port = CONTEXT_PORT_NO_LISTEN;
    vi.protocols = protocols;
    vi.vhost_name = "k8s";
    vi.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (ep->ca_pem) {
        vi.client_ssl_ca_mem = ep->ca_pem;
        vi.client_ssl_ca_mem_len = (unsigned)ep->ca_pem_len;
    } else if (ep->ca_file) {
        vi.client_ssl_ca_filepath = ep->ca_file;
    }
    if (ep->cert_pem && ep->key_pem) {
        vi.client_ssl_cert_mem = ep->cert_pem;
        vi.client_ssl_cert_mem_len = (unsigned)ep->cert_pem_len;
        vi.client_ssl_key_mem = ep->key_pem;
        vi.client_ssl_key_mem_len = (unsigned)ep->key_pem_len;
    }
    wc->vhost = lws_create_vhost(wc->ctx, &vi);
    if (!wc->vhost) {
        snprintf(err, errlen, "cannot set up TLS for WebSocket streams (CA or client certificate rejected)");
        lws_context_destroy(wc->ctx);
        free(wc); /* the caller runs the loop before exit, as for ws_client_close */
        return NULL;
    }
    return wc;
}

ws_conn_t *ws_connect(ws_client_t *wc, const ws_conn_opts_t *o, char *err, size_t errlen)
{
    if (wc->read_only && !kube_request_allowed_read_only("GET", o->path)) {
        kube_read_only_refusal("GET", o->path, err, errlen);
        return NULL;
    }
    ws_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->wc = wc;
    c->o = *o;
    c->path = strdup(o->path);
    c->protocols = strdup(o->protocols ? o->protocols : "");
    c->auth = o->auth_header ? strdup(o->auth_header) : NULL;
    c->next = wc->conns;
    if (wc->conns)
        wc->conns->prev = c;
    wc->conns = c;
    const char *sni = wc->ep.tls_server_name && *wc->ep.tls_server_name ? wc->ep.tls_server_name : wc->host;
    struct lws_client_connect_info cc;
    memset(&cc, 0, sizeof cc);
    cc.context = wc->ctx;
    cc.vhost = wc->vhost;
    cc.address = wc->address;
    cc.port = wc->port;
    cc.path = c->path;
    cc.host = sni;
    cc.origin = sni;
    cc.protocol = c->protocols;
    cc.local_protocol_name = "kdeck-k8s";
    cc.opaque_user_data = c;
    cc.pwsi = &c->wsi;
    if (wc->tls) {
        cc.ssl_connection = LCCSCF_USE_SSL;
        if (wc->ep.insecure_skip_tls_verify)
            cc.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    if (!lws_client_connect_via_info(&cc)) {
        /* lws may already have reported CONNECTION_ERROR (and freed c) during the call */
        bool still = false;
        for (ws_conn_t *x = wc->conns; x; x = x->next)
            still |= x == c;
        if (still) {
            conn_free(c);
        }
        snprintf(err, errlen, "cannot start a WebSocket connection to %s:%d", wc->address, wc->port);
        return NULL;
    }
    lws_cancel_service(wc->ctx); /* arm lws's timers from outside its callbacks (LOOP.md) */
    return c;
}

bool ws_send(ws_conn_t *c, const void *data, size_t len)
{
    if (!c || c->closed_by_user || c->ended)
        return false;
    outmsg_t *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return false;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, data, len);
    if (c->q_tail)
        c->q_tail->next = m;
    else
        c->q_head = m;
    c->q_tail = m;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return true;
}

void ws_conn_close(ws_conn_t *c)
{
    if (!c)
        return;
    c->closed_by_user = true; /* (after on_close the connection is gone: never called then) */
    if (c->wsi) {
        c->want_close = true;
        lws_callback_on_writable(c->wsi); /* closes from the WRITEABLE callback */
        lws_cancel_service(c->wc->ctx);
    }
}

const char *ws_conn_protocol(const ws_conn_t *c)
{
    return c->protocol;
}

void ws_client_close(ws_client_t *wc)
{
    if (!wc || !wc->ctx)
        return;
    for (ws_conn_t *c = wc->conns; c; c = c->next)
        c->closed_by_user = true;
    lws_context_destroy(wc->ctx); /* phase 1: starts closing every wsi and lws's own handles */
}

void ws_client_finish(ws_client_t *wc)
{
    if (!wc)
        return;
    if (wc->ctx)
        lws_context_destroy(wc->ctx); /* phase 2, after the loop has run: frees the context */
    while (wc->conns)
        conn_free(wc->conns);
    free(wc);
}

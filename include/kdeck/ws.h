/* WebSocket client for the Kubernetes API (log streams, exec), libwebsockets on the same libuv
 * loop as everything else (a "foreign" loop, see ../shared/LOOP.md). Read-only sessions refuse
 * exec/attach/portforward upgrades here, whatever code asks. */
#ifndef KDECK_WS_H
#define KDECK_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "kdeck/http.h"

typedef struct ws_client ws_client_t;
typedef struct ws_conn ws_conn_t;

typedef struct ws_conn_opts {
    const char *path;         /* "/api/v1/namespaces/NS/pods/P/log?follow=true" */
    const char *protocols;    /* offered, comma-separated: "v5.channel.k8s.io,v4.channel.k8s.io" */
    const char *auth_header;  /* "Authorization: Bearer ..." or NULL */
    /* Connected; `protocol` is the subprotocol the server chose. */
    void (*on_open)(ws_conn_t *c, const char *protocol, void *ud);
    /* One whole message (fragments reassembled). */
    void (*on_message)(ws_conn_t *c, const unsigned char *data, size_t len, void *ud);
    /* The end, exactly once (unless ws_conn_close was called first): `http_status` is the
     * server's answer when the upgrade was refused (e.g. 400, 403), 0 otherwise; `reason` says
     * what happened in words. After this the connection is gone. */
    void (*on_close)(ws_conn_t *c, int http_status, const char *reason, void *ud);
    void *ud;
} ws_conn_opts_t;

/* One per process; `ep` is borrowed and must outlive the client (vhost per endpoint). */
ws_client_t *ws_client_new(uv_loop_t *loop, const http_endpoint_t *ep, bool read_only, char *err, size_t errlen);
/* Starts closing every connection and the lws context (phase 1). The loop must then run until
 * it is idle, and ws_client_finish() completes the destruction (phase 2), as LOOP.md requires. */
void ws_client_close(ws_client_t *wc);
void ws_client_finish(ws_client_t *wc);

/* Starts a connection; NULL with *err set when refused at once (read-only, bad URL). */
ws_conn_t *ws_connect(ws_client_t *wc, const ws_conn_opts_t *o, char *err, size_t errlen);
/* Queues a binary message. */
bool ws_send(ws_conn_t *c, const void *data, size_t len);
/* Closes; no callback is called after this returns. */
void ws_conn_close(ws_conn_t *c);
/* The subprotocol the server chose ("" before open). */
const char *ws_conn_protocol(const ws_conn_t *c);

#endif

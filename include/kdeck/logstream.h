/* Follows the log of one container: over WebSocket (base64.binary.k8s.io / binary.k8s.io) when the
 * server accepts the upgrade, else over chunked HTTP; after a dropped stream it reconnects with
 * sinceTime and skips the lines it already has, and says so with marker lines — never a silent gap. */
#ifndef KDECK_LOGSTREAM_H
#define KDECK_LOGSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "kdeck/http.h"
#include "kdeck/ws.h"

typedef struct logstream logstream_t;

typedef enum { LOG_LINE, LOG_MARKER } log_kind_t;

/* One line (without its newline). `ts` is the server's RFC 3339 timestamp ("" when unknown). */
typedef void (*log_line_cb)(logstream_t *s, log_kind_t kind, const char *ts, const char *text, size_t len, void *ud);

typedef struct logstream_opts {
    uv_loop_t *loop;
    http_client_t *http;
    ws_client_t *ws;          /* NULL: HTTP only */
    const char *auth_header;  /* for the WebSocket handshake; NULL: HTTP only */
    const char *ns, *pod, *container;
    long tail_lines;          /* -1: all */
    long since_seconds;       /* 0: no limit */
    bool previous;            /* the last terminated instance (no follow) */
    log_line_cb on_line;
    void *ud;
} logstream_opts_t;

logstream_t *logstream_new(const logstream_opts_t *o);
/* Stops; no callback after this. */
void logstream_free(logstream_t *s);
/* The container is gone for good (pod deleted): stop reconnecting and say so. */
void logstream_end(logstream_t *s, const char *why);
/* "websocket", "http" or "" before the first connection: for the pane's title and tests. */
const char *logstream_transport(const logstream_t *s);
bool logstream_active(const logstream_t *s);

/* Exposed for tests: splits "2024-05-01T10:00:00.123456789Z text" into timestamp and text;
 * false when the line has no timestamp. */
bool logstream_split_timestamp(const char *line, size_t len, const char **text, size_t *text_len,
                               char *ts, size_t tslen);

#endif

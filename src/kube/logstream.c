/* One container's log, followed. Lines are always requested with timestamps: the timestamp of the
 * last line is where a reconnect resumes (sinceTime), and lines at or before it are skipped, so a
 * dropped stream neither loses nor repeats lines. */
#include "kdeck/logstream.h"
#include "kdeck/apierror.h"
#include "kdeck/channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES (64 * 1024)  /* longer lines are delivered in pieces, never buffered whole */
#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 10000

struct logstream {
    uv_loop_t *loop;
    http_client_t *http;
    ws_client_t *ws;
    char *auth;
    char *ns, *pod, *container;
    long tail_lines, since_seconds;
    bool previous;
    log_line_cb on_line;
    void *ud;

    http_req_t *req;
    ws_conn_t *conn;
    bool use_http;          /* the WebSocket upgrade was refused once: HTTP from now on */
    bool ws_opened;         /* the current WebSocket connection got past the upgrade */
    const char *transport;
    char last_ts[40];       /* timestamp of the last line delivered */
    unsigned same_ts;       /* lines delivered with exactly last_ts */
    unsigned skip_same;     /* after a reconnect: lines at last_ts still to skip */
    bool reconnecting;      /* a marker "reconnected" is due with the first new line */
    bool got_data;
    bool ended;
    unsigned failures;
    char *line;
    size_t line_len;
    char errbody[2048];     /* the body of a non-200 answer (a Status), not log data */
    size_t errbody_len;
    uv_timer_t retry;
};

static void connect_stream(logstream_t *s);

/* ---- lines ---- */

bool logstream_split_timestamp(const char *line, size_t len, const char **text, size_t *text_len,
                               char *ts, size_t tslen)
{
    /* RFC 3339 with a 'T' at 10 and a space after the timestamp: "2024-05-01T10:00:00.1Z text" */
    if (len < 20 || line[4] != '-' || line[7] != '-' || line[10] != 'T')
        return false;
    const char *sp = memchr(line, ' ', len < 40 ? len : 40);
    size_t tl = sp ? (size_t)(sp - line) : len;
    if (tl < 20 || tl >= tslen)
        return false;
    memcpy(ts, line, tl);
    ts[tl] = '\0';
    *text = sp ? sp + 1 : line + len;
    *text_len = sp ? len - tl - 1 : 0;
    return true;
}

/* Orders RFC 3339 UTC timestamps with fractions of any length ("...:05Z" < "...:05.5Z"). */
static int ts_compare(const char *a, const char *b)
{
    int c = strncmp(a, b, 19);
    if (c)
        return c;
    double fa = 0, fb = 0;
    if (a[19] == '.')
        fa = strtod(a + 19, NULL);
    if (b[19] == '.')
        fb = strtod(b + 19, NULL);
    return fa < fb ? -1 : fa > fb;
}

/* kdeck's own line in the stream: "--- <text> ---". */
static void marker(logstream_t *s, const char *a, const char *b, const char *c)
{
    char msg[700];
    snprintf(msg, sizeof msg, "--- %s%s%s ---", a, b ? b : "", c ? c : "");
    s->on_line(s, LOG_MARKER, "", msg, strlen(msg), s->ud);
}

static void deliver(logstream_t *s, const char *line, size_t len)
{
    char ts[40] = "";
    const char *text = line;
    size_t tlen = len;
    if (logstream_split_timestamp(line, len, &text, &tlen, ts, sizeof ts)) {
        if (s->last_ts[0]) {
            int c = ts_compare(ts, s->last_ts);
            if (c < 0)
                return; /* already shown before the reconnect */
            if (c == 0 && s->skip_same) {
                s->skip_same--;
                return;
            }
        }
        if (!strcmp(ts, s->last_ts)) {
            s->same_ts++;
        } else {
            snprintf(s->last_ts, sizeof s->last_ts, "%s", ts);
            s->same_ts = 1;
            s->skip_same = 0;
        }
    }
    if (s->reconnecting) {
        s->reconnecting = false;
        marker(s, "stream reconnected (", s->transport, ")");
    }
    s->on_line(s, LOG_LINE, ts, text, tlen, s->ud);
}

static void feed(logstream_t *s, const char *buf, size_t len)
{
    s->got_data = true;
    while (len) {
        const char *nl = memchr(buf, '\n', len);
        size_t take = nl ? (size_t)(nl - buf) : len;
        if (s->line_len + take > LINE_MAX_BYTES) {
            size_t room = LINE_MAX_BYTES - s->line_len;
            memcpy(s->line + s->line_len, buf, room);
            deliver(s, s->line, LINE_MAX_BYTES);
            s->line_len = 0;
            buf += room;
            len -= room;
            continue;
        }
        memcpy(s->line + s->line_len, buf, take);
        s->line_len += take;
        if (!nl)
            return;
        if (s->line_len && s->line[s->line_len - 1] == '\r')
            s->line_len--;
        deliver(s, s->line, s->line_len);
        s->line_len = 0;
        buf = nl + 1;
        len -= take + 1;
    }
}

static void flush_partial(logstream_t *s)
{
    if (s->line_len)
        deliver(s, s->line, s->line_len);
    s->line_len = 0;
}

/* ---- reconnecting ---- */

static void on_retry(uv_timer_t *t)
{
    logstream_t *s = t->data;
    if (!s->ended)
        connect_stream(s);
}

static void stream_ended(logstream_t *s, const char *why)
{
    flush_partial(s);
    if (s->ended)
        return;
    if (s->previous) { /* a previous log is read once */
        s->ended = true;
        return;
    }
    unsigned shift = s->failures > 5 ? 5 : s->failures;
    uint64_t delay = (uint64_t)RETRY_MIN_MS << shift;
    if (delay > RETRY_MAX_MS)
        delay = RETRY_MAX_MS;
    if (s->got_data)
        s->failures = 0;
    else
        s->failures++;
    if (!s->reconnecting)
        marker(s, "stream disconnected: ", why, "; reconnecting");
    s->reconnecting = true;
    s->skip_same = s->same_ts; /* resume at last_ts: skip what we already showed at that instant */
    uv_timer_start(&s->retry, on_retry, delay, 0);
}

/* ---- HTTP ---- */

static void on_http_data(http_req_t *r, const char *buf, size_t len, void *ud)
{
    logstream_t *s = ud;
    if (http_req_status(r) != 200) { /* an error's Status body: keep it for the message */
        size_t room = sizeof s->errbody - 1 - s->errbody_len;
        size_t n = len < room ? len : room;
        memcpy(s->errbody + s->errbody_len, buf, n);
        s->errbody_len += n;
        s->errbody[s->errbody_len] = '\0';
        return;
    }
    feed(s, buf, len);
}

static void on_http_done(http_req_t *r, const http_result_t *res, void *ud)
{
    logstream_t *s = ud;
    (void)r;
    s->req = NULL;
    char msg[600];
    if (res->error || (res->status && res->status != 200)) {
        http_result_t with_body = *res;
        with_body.body = s->errbody;
        with_body.body_len = s->errbody_len;
        s->errbody_len = 0;
        stream_ended(s, api_error_describe(NULL, &with_body, msg, sizeof msg));
        return;
    }
    stream_ended(s, "the server ended the stream");
}

static void build_path(logstream_t *s, char *path, size_t len)
{
    int n = snprintf(path, len, "/api/v1/namespaces/%s/pods/%s/log?timestamps=true", s->ns, s->pod);
    if (s->container && *s->container)
        n += snprintf(path + n, len - (size_t)n, "&container=%s", s->container);
    if (s->previous) {
        n += snprintf(path + n, len - (size_t)n, "&previous=true");
    } else {
        n += snprintf(path + n, len - (size_t)n, "&follow=true");
    }
    if (s->last_ts[0]) {
        /* sinceTime has second precision: ask from the start of that second; deliver() skips. */
        char sec[32];
        snprintf(sec, sizeof sec, "%.19sZ", s->last_ts);
        n += snprintf(path + n, len - (size_t)n, "&sinceTime=%s", sec);
    } else {
        if (s->tail_lines >= 0)
            n += snprintf(path + n, len - (size_t)n, "&tailLines=%ld", s->tail_lines);
        if (s->since_seconds > 0)
            snprintf(path + n, len - (size_t)n, "&sinceSeconds=%ld", s->since_seconds);
    }
}

static void connect_http(logstream_t *s, const char *path)
{
    s->transport = "http";
    http_req_opts_t o = { .path = path, .accept = "*/*", .on_data = on_http_data, .on_done = on_http_done, .ud = s };
    s->req = http_request(s->http, &o);
    if (s->req)
        http_req_mark_stream(s->req, true);
}

/* ---- WebSocket ---- */

static void on_ws_open(ws_conn_t *c, const char *protocol, void *ud)
{
    logstream_t *s = ud;
    (void)c;
    (void)protocol;
    s->transport = "websocket";
    s->ws_opened = true;
}

static void on_ws_message(ws_conn_t *c, const unsigned char *data, size_t len, void *ud)
{
    logstream_t *s = ud;
    unsigned char *buf = malloc(len + 1);
    if (!buf)
        return;
    long n = log_frame_bytes(ws_conn_protocol(c), data, len, buf, len + 1);
    if (n > 0)
        feed(s, (const char *)buf, (size_t)n);
    free(buf);
}

static void on_ws_close(ws_conn_t *c, int http_status, const char *reason, void *ud)
{
    logstream_t *s = ud;
    (void)c;
    s->conn = NULL;
    if (!s->ws_opened) {
        /* The upgrade was refused (lws says "upgrade response not 101", the status when it has
         * one) or never happened: chunked HTTP from now on, at once; HTTP reports its own errors. */
        (void)http_status;
        s->use_http = true;
        char path[2048];
        build_path(s, path, sizeof path);
        connect_http(s, path);
        return;
    }
    stream_ended(s, reason && *reason ? reason : "connection closed");
}

static void connect_stream(logstream_t *s)
{
    char path[2048];
    build_path(s, path, sizeof path);
    s->got_data = false;
    if (!s->use_http && s->ws && s->auth) {
        s->ws_opened = false;
        ws_conn_opts_t o = {
            .path = path, .protocols = "base64.binary.k8s.io,binary.k8s.io", .auth_header = s->auth,
            .on_open = on_ws_open, .on_message = on_ws_message, .on_close = on_ws_close, .ud = s,
        };
        char err[300];
        s->conn = ws_connect(s->ws, &o, err, sizeof err);
        if (s->conn)
            return; /* the transport is named once the upgrade is accepted */
        s->use_http = true;
    }
    connect_http(s, path);
}

/* ---- lifecycle ---- */

static char *dup(const char *x)
{
    return x ? strdup(x) : NULL;
}

logstream_t *logstream_new(const logstream_opts_t *o)
{
    logstream_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->line = malloc(LINE_MAX_BYTES + 1);
    if (!s->line) {
        free(s);
        return NULL;
    }
    s->loop = o->loop;
    s->http = o->http;
    s->ws = o->ws;
    s->auth = dup(o->auth_header);
    s->ns = dup(o->ns);
    s->pod = dup(o->pod);
    s->container = dup(o->container);
    s->tail_lines = o->tail_lines;
    s->since_seconds = o->since_seconds;
    s->previous = o->previous;
    s->on_line = o->on_line;
    s->ud = o->ud;
    s->transport = "";
    uv_timer_init(o->loop, &s->retry);
    s->retry.data = s;
    connect_stream(s);
    return s;
}

static void on_closed(uv_handle_t *h)
{
    logstream_t *s = h->data;
    free(s->line);
    free(s);
}

void logstream_end(logstream_t *s, const char *why)
{
    if (s->ended)
        return;
    flush_partial(s);
    s->ended = true;
    uv_timer_stop(&s->retry);
    if (s->req) {
        http_cancel(s->req);
        s->req = NULL;
    }
    if (s->conn) {
        ws_conn_close(s->conn);
        s->conn = NULL;
    }
    marker(s, why, NULL, NULL);
}

void logstream_free(logstream_t *s)
{
    if (!s)
        return;
    s->ended = true;
    if (s->req)
        http_cancel(s->req);
    if (s->conn)
        ws_conn_close(s->conn);
    if (s->auth) {
        memset(s->auth, 0, strlen(s->auth));
        free(s->auth);
    }
    free(s->ns);
    free(s->pod);
    free(s->container);
    uv_timer_stop(&s->retry);
    uv_close((uv_handle_t *)&s->retry, on_closed);
}

const char *logstream_transport(const logstream_t *s) { return s->transport; }
bool logstream_active(const logstream_t *s) { return !s->ended; }

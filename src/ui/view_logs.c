/* Log pane: follows one pod (every container) or every pod a workload or service selects, in one
 * bounded ring of lines, each prefixed with its pod (and container when several) in a stable
 * colour. Pods that appear later join; pods that go away are marked as ended. The pane only reads
 * the pods informer and its streams' lines: streams are owned here and closed with the view. */
#include "kdeck/app.h"
#include "kdeck/logstream.h"
#include "kdeck/ringbuf.h"
#include "kdeck/screen.h"
#include "kdeck/statedir.h"
#include "kdeck/strutil.h"
#include "kdeck/theme.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOURCES 256
#define DEFAULT_RING 10000
#define MAX_LINE 8192
#define SEP '\x1f' /* between the timestamp and the text inside a ring line */

typedef struct logview logview_t;

typedef struct source {
    logview_t *lv;     /* the pane it feeds */
    char pod[254], container[254];
    logstream_t *stream;
    uint8_t colour;    /* 0..7: log.pod1..log.pod8 */
    bool ended;
    bool seen;         /* still selected at the last sync */
} source_t;

struct logview {
    app_t *app;
    kind_id_t kind;
    char ns[254], name[254];
    ksel_t *sel;             /* pods of a workload/service; NULL = the one pod `name` */
    source_t *src[MAX_SOURCES];
    int nsrc;
    ringbuf_t *ring;
    uint64_t built_gen;
    uint64_t ring_seen;      /* ringbuf_total at the last draw */
    bool follow, timestamps, wrap, previous;
    int container_pick;      /* -1 = all containers; else index into the pod's containers */
    long tail, since;
    size_t top;              /* first line shown when not following */
    char search[256];
    size_t match;
    bool multi_container;
};

static const long tails[] = { 100, 1000, -1 };
static const long sinces[] = { 0, 60, 300, 3600 };

/* ---- streams ---- */

static uint8_t colour_of(const char *pod)
{
    uint32_t h = 2166136261u;
    for (const char *p = pod; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return (uint8_t)(h % 8);
}

/* Drops ANSI escape sequences (colours from the application) so they never reach the terminal
 * as garbage; returns the new length. */
static size_t strip_ansi(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\x1b') {
            if (i + 1 < len && s[i + 1] == '[') {
                i += 2;
                while (i < len && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
                    i++;
            } else if (i + 1 < len && s[i + 1] == ']') { /* OSC ... BEL or ST */
                i += 2;
                while (i < len && s[i] != '\a' && !(s[i] == '\x1b' && i + 1 < len && s[i + 1] == '\\'))
                    i++;
                if (i < len && s[i] == '\x1b')
                    i++;
            } else {
                i++;
            }
            continue;
        }
        s[o++] = s[i] == '\t' ? ' ' : s[i];
    }
    return o;
}

static void on_line(logstream_t *st, log_kind_t kind, const char *ts, const char *text, size_t len, void *ud)
{
    source_t *src = ud;
    logview_t *lv = src->lv;
    (void)st;
    char buf[MAX_LINE + 64];
    size_t tl = strlen(ts);
    if (tl > 40)
        tl = 40;
    memcpy(buf, ts, tl);
    buf[tl] = SEP;
    size_t n = len > MAX_LINE ? MAX_LINE : len;
    memcpy(buf + tl + 1, text, n);
    n = tl + 1 + strip_ansi(buf + tl + 1, n);
    int idx = 0;
    for (int i = 0; i < lv->nsrc; i++)
        if (lv->src[i] == src)
            idx = i;
    ringbuf_push(lv->ring, buf, n, (uint16_t)idx, kind == LOG_MARKER);
    app_dirty(lv->app);
}

static void start_source(logview_t *lv, source_t *s)
{
    char auth[8192];
    bool have_auth = app_auth_header(lv->app, auth, sizeof auth);
    logstream_opts_t o = {
        .loop = app_loop(lv->app), .http = app_http(lv->app),
        .ws = have_auth ? app_ws(lv->app) : NULL, .auth_header = have_auth && auth[0] ? auth : NULL,
        .ns = lv->ns, .pod = s->pod, .container = s->container, .tail_lines = lv->tail,
        .since_seconds = lv->since, .previous = lv->previous, .on_line = on_line, .ud = s,
    };
    s->stream = logstream_new(&o);
    memset(auth, 0, sizeof auth);
}

static source_t *find_source(logview_t *lv, const char *pod, const char *container)
{
    for (int i = 0; i < lv->nsrc; i++)
        if (!strcmp(lv->src[i]->pod, pod) && !strcmp(lv->src[i]->container, container))
            return lv->src[i];
    return NULL;
}

static bool wanted(const logview_t *lv, const kobj_t *pod)
{
    if (lv->sel)
        return pod->ns && !strcmp(pod->ns, lv->ns) && ksel_matches(lv->sel, pod->labels, pod->nlabels);
    return pod->ns && !strcmp(pod->ns, lv->ns) && !strcmp(pod->name, lv->name);
}

/* Brings the set of streams in line with the pods the pane follows. */
static void sync_sources(logview_t *lv)
{
    informer_t *inf = app_informer(lv->app, KIND_POD, lv->ns);
    if (!inf || !informer_status(inf)->synced)
        return;
    uint64_t gen = informer_generation(inf);
    if (gen == lv->built_gen)
        return;
    lv->built_gen = gen;
    for (int i = 0; i < lv->nsrc; i++)
        lv->src[i]->seen = false;
    size_t n = informer_count(inf);
    const kobj_t **pods = malloc((n ? n : 1) * sizeof *pods);
    if (!pods)
        return;
    n = informer_snapshot(inf, pods, n);
    lv->multi_container = false;
    for (size_t p = 0; p < n; p++) {
        const kobj_t *pod = pods[p];
        if (!wanted(lv, pod))
            continue;
        int regular = pod->u.pod.ncontainers - pod->u.pod.ninit;
        if (regular > 1 || lv->container_pick >= 0)
            lv->multi_container = true;
        for (int c = 0; c < pod->u.pod.ncontainers; c++) {
            const kobj_container_t *ct = &pod->u.pod.containers[c];
            bool is_init = ct->flags & KCONT_INIT;
            if (lv->container_pick >= 0 ? c != lv->container_pick : is_init)
                continue;
            source_t *s = find_source(lv, pod->name, ct->name);
            if (s) {
                s->seen = true;
                continue;
            }
            if (lv->nsrc == MAX_SOURCES)
                break;
            s = calloc(1, sizeof *s);
            if (!s)
                break;
            s->lv = lv;
            snprintf(s->pod, sizeof s->pod, "%s", pod->name);
            snprintf(s->container, sizeof s->container, "%s", ct->name);
            s->colour = colour_of(pod->name);
            s->seen = true;
            lv->src[lv->nsrc++] = s;
            start_source(lv, s);
        }
    }
    free(pods);
    for (int i = 0; i < lv->nsrc; i++) {
        source_t *s = lv->src[i];
        if (!s->seen && !s->ended) {
            s->ended = true;
            char why[600];
            snprintf(why, sizeof why, "pod %s is gone: stream ended", s->pod);
            if (s->stream)
                logstream_end(s->stream, why);
        }
    }
}

static void stop_sources(logview_t *lv)
{
    for (int i = 0; i < lv->nsrc; i++) {
        logstream_free(lv->src[i]->stream);
        free(lv->src[i]);
    }
    lv->nsrc = 0;
    lv->built_gen = 0;
}

static void restart(logview_t *lv, const char *what)
{
    stop_sources(lv);
    ringbuf_clear(lv->ring);
    lv->follow = true;
    app_info(lv->app, "%s", what);
    sync_sources(lv);
}

/* ---- drawing ---- */

static const char *line_text(const ring_line_t *l, bool with_ts, char *tsbuf, size_t tslen)
{
    const char *sep = memchr(l->text, SEP, l->len);
    tsbuf[0] = '\0';
    if (!sep)
        return l->text;
    if (with_ts && sep > l->text)
        snprintf(tsbuf, tslen, "%.*s ", (int)(sep - l->text), l->text);
    return sep + 1;
}

static int prefix_of(const logview_t *lv, const ring_line_t *l, char *buf, size_t len)
{
    if ((lv->sel || lv->multi_container) && l->source < lv->nsrc && !l->marker) {
        const source_t *s = lv->src[l->source];
        if (lv->multi_container)
            return snprintf(buf, len, "%s/%s ", s->pod, s->container);
        return snprintf(buf, len, "%s ", s->pod);
    }
    buf[0] = '\0';
    return 0;
}

/* Rows a line takes at this width. */
static int rows_of(const logview_t *lv, const ring_line_t *l, int cols)
{
    if (!lv->wrap || cols <= 0)
        return 1;
    char ts[48], pre[600];
    const char *text = line_text(l, lv->timestamps, ts, sizeof ts);
    prefix_of(lv, l, pre, sizeof pre);
    int w = screen_text_width(ts) + screen_text_width(pre) + screen_text_width(text);
    return w <= cols ? 1 : (w + cols - 1) / cols;
}

static void draw_one(const logview_t *lv, const ring_line_t *l, int y, int left, int rows, int cols, bool hit)
{
    char ts[48], pre[600];
    const char *text = line_text(l, lv->timestamps, ts, sizeof ts);
    prefix_of(lv, l, pre, sizeof pre);
    int x = 0;
    if (l->marker) {
        attrset(theme_attr(THEME_LOG_MARKER));
        screen_put(y, left, text, cols, true, false);
        return;
    }
    if (ts[0]) {
        attrset(theme_attr(THEME_LOG_TIMESTAMP));
        x += screen_put(y, left + x, ts, cols - x, true, false);
    }
    if (pre[0] && x < cols) {
        const source_t *s = l->source < lv->nsrc ? lv->src[l->source] : NULL;
        attrset(theme_attr((theme_elem_t)(THEME_LOG_POD1 + (s ? s->colour : 0))));
        x += screen_put(y, left + x, pre, cols - x, true, false);
    }
    attrset(theme_attr(hit ? THEME_SEARCH_MATCH : THEME_DEFAULT));
    if (!lv->wrap || rows <= 1) {
        if (x < cols)
            screen_put(y, left + x, text, cols - x, true, false);
        return;
    }
    /* Wrapped: fill the first row after the prefix, then whole rows. */
    const char *p = text;
    for (int r = 0; r < rows && *p; r++) {
        int room = r == 0 ? cols - x : cols;
        int used = 0;
        const char *q = p;
        while (*q && used < room) {
            q++;
            while (((unsigned char)*q & 0xC0) == 0x80)
                q++;
            used++;
        }
        char piece[MAX_LINE + 8];
        snprintf(piece, sizeof piece, "%.*s", (int)(q - p), p);
        screen_put(y + r, left + (r == 0 ? x : 0), piece, room, false, false);
        p = q;
    }
}

static void logs_draw(view_t *v, int top, int rows, int cols)
{
    logview_t *lv = v->priv;
    int left = v->left;
    sync_sources(lv);
    attrset(theme_attr(THEME_DEFAULT));
    for (int y = top; y < top + rows; y++) {
        move(y, left);
        hline(' ', cols);
    }
    size_t n = ringbuf_count(lv->ring);
    lv->ring_seen = ringbuf_total(lv->ring);
    if (!n) {
        attrset(theme_attr(THEME_TABLE_DIM));
        screen_put(top + 1, left + 1, lv->nsrc ? "Waiting for log lines..." : "Waiting for pods to follow...", cols - 2, true, false);
        return;
    }
    if (lv->top >= n)
        lv->top = n - 1;
    /* Following: the last lines that fit, bottom-aligned. Paused: from `top` down. */
    size_t first = lv->top;
    if (lv->follow) {
        int used = 0;
        first = n;
        while (first > 0) {
            int h = rows_of(lv, ringbuf_at(lv->ring, first - 1), cols);
            if (used + h > rows)
                break;
            used += h;
            first--;
        }
        lv->top = first;
    }
    int y = top;
    for (size_t i = first; i < n && y < top + rows; i++) {
        const ring_line_t *l = ringbuf_at(lv->ring, i);
        int h = rows_of(lv, l, cols);
        if (y + h > top + rows)
            h = top + rows - y;
        bool hit = lv->search[0] && str_ifind(l->text, lv->search);
        draw_one(lv, l, y, left, h, cols, hit && i == lv->match);
        y += h;
    }
}

/* ---- actions ---- */

static bool find_match(logview_t *lv, size_t from, int dir)
{
    size_t n = ringbuf_count(lv->ring);
    if (!lv->search[0] || !n)
        return false;
    for (size_t k = 0; k < n; k++) {
        size_t i = (from + n + (size_t)((long)dir * (long)k)) % n;
        if (str_ifind(ringbuf_at(lv->ring, i)->text, lv->search)) {
            lv->match = i;
            lv->top = i > 3 ? i - 3 : 0;
            lv->follow = false;
            return true;
        }
    }
    return false;
}

static void save(logview_t *lv)
{
    char dir[1024], path[1300], stamp[32];
    if (!state_dir("logs", dir, sizeof dir)) {
        app_error(lv->app, "cannot create the log directory under $XDG_STATE_HOME/kdeck");
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(path, sizeof path, "%s/%s-%s-%s.log", dir, lv->ns, lv->name, stamp);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        app_error(lv->app, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    size_t n = ringbuf_count(lv->ring);
    for (size_t i = 0; i < n; i++) {
        const ring_line_t *l = ringbuf_at(lv->ring, i);
        char ts[48], pre[600];
        const char *text = line_text(l, true, ts, sizeof ts);
        prefix_of(lv, l, pre, sizeof pre);
        fprintf(f, "%s%s%s\n", ts, pre, text);
    }
    if (fclose(f) != 0)
        app_error(lv->app, "writing %s failed: %s", path, strerror(errno));
    else
        app_info(lv->app, "saved %zu lines to %s", n, path);
}

static bool logs_action(view_t *v, action_t a)
{
    logview_t *lv = v->priv;
    size_t n = ringbuf_count(lv->ring);
    size_t page = LINES > 6 ? (size_t)LINES - 6 : 1;
    char msg[200];
    switch (a) {
    case ACT_UP:
        lv->follow = false;
        if (lv->top)
            lv->top--;
        return true;
    case ACT_DOWN:
        if (lv->top + 1 < n)
            lv->top++;
        return true;
    case ACT_PAGE_UP:
        lv->follow = false;
        lv->top = lv->top > page ? lv->top - page : 0;
        return true;
    case ACT_PAGE_DOWN:
        lv->top = lv->top + page < n ? lv->top + page : (n ? n - 1 : 0);
        return true;
    case ACT_HOME:
        lv->follow = false;
        lv->top = 0;
        return true;
    case ACT_END:
        lv->follow = true;
        return true;
    case ACT_PAUSE:
        lv->follow = !lv->follow;
        app_info(lv->app, lv->follow ? "following" : "paused (p or End to follow again)");
        return true;
    case ACT_SPLIT:
        v->split = !v->split;
        return true;
    case ACT_TIMESTAMPS: lv->timestamps = !lv->timestamps; return true;
    case ACT_WRAP: lv->wrap = !lv->wrap; return true;
    case ACT_CLEAR: ringbuf_clear(lv->ring); lv->top = 0; return true;
    case ACT_SAVE: save(lv); return true;
    case ACT_SINCE: {
        size_t i = 0;
        while (i < sizeof sinces / sizeof *sinces && sinces[i] != lv->since)
            i++;
        lv->since = sinces[(i + 1) % (sizeof sinces / sizeof *sinces)];
        snprintf(msg, sizeof msg, lv->since ? "since %lds ago" : "since the start", lv->since);
        restart(lv, msg);
        return true;
    }
    case ACT_TAIL: {
        size_t i = 0;
        while (i < sizeof tails / sizeof *tails && tails[i] != lv->tail)
            i++;
        lv->tail = tails[(i + 1) % (sizeof tails / sizeof *tails)];
        snprintf(msg, sizeof msg, lv->tail < 0 ? "tail: all lines" : "tail: last %ld lines", lv->tail);
        restart(lv, msg);
        return true;
    }
    case ACT_PREVIOUS:
        lv->previous = !lv->previous;
        restart(lv, lv->previous ? "previous container instance (after a crash)" : "running containers");
        return true;
    case ACT_CONTAINER:
        lv->container_pick = lv->container_pick >= 7 ? -1 : lv->container_pick + 1;
        snprintf(msg, sizeof msg, lv->container_pick < 0 ? "all containers" : "container #%d", lv->container_pick + 1);
        restart(lv, msg);
        return true;
    case ACT_SEARCH_NEXT:
        if (!find_match(lv, lv->match + 1, 1))
            app_error(lv->app, "'%s' not found", lv->search);
        return true;
    case ACT_SEARCH_PREV:
        if (!find_match(lv, lv->match + n - 1, -1))
            app_error(lv->app, "'%s' not found", lv->search);
        return true;
    default:
        return false;
    }
}

static void logs_filter(view_t *v, const char *text)
{
    logview_t *lv = v->priv;
    snprintf(lv->search, sizeof lv->search, "%s", text);
    v->filter[0] = '\0';
    if (text[0] && !find_match(lv, lv->top, 1))
        app_error(v->app, "'%s' not found", text);
}

static void logs_title(view_t *v, char *buf, size_t len)
{
    logview_t *lv = v->priv;
    int live = 0;
    const char *transport = "";
    for (int i = 0; i < lv->nsrc; i++) {
        if (!lv->src[i]->ended)
            live++;
        if (lv->src[i]->stream && logstream_transport(lv->src[i]->stream)[0])
            transport = logstream_transport(lv->src[i]->stream);
    }
    char opts[200];
    snprintf(opts, sizeof opts, "%s%s%s%s", lv->follow ? "following" : "PAUSED",
             lv->previous ? " previous" : "", lv->timestamps ? " ts" : "", lv->wrap ? " wrap" : "");
    snprintf(buf, len, " Logs %s/%s (%s) [%d stream%s, %s] %s", kind_get(lv->kind)->plural, lv->name, lv->ns,
             live, live == 1 ? "" : "s", transport[0] ? transport : "connecting", opts);
}

static bool logs_stale(view_t *v)
{
    logview_t *lv = v->priv;
    informer_t *inf = app_informer(v->app, KIND_POD, lv->ns);
    return ringbuf_total(lv->ring) != lv->ring_seen || (inf && informer_generation(inf) != lv->built_gen);
}

static char *logs_yank(view_t *v)
{
    logview_t *lv = v->priv;
    strbuf_t b = {0};
    size_t n = ringbuf_count(lv->ring);
    size_t rows = LINES > 4 ? (size_t)LINES - 4 : 1;
    for (size_t i = lv->top; i < n && i < lv->top + rows; i++) {
        char ts[48];
        const char *text = line_text(ringbuf_at(lv->ring, i), lv->timestamps, ts, sizeof ts);
        strbuf_addf(&b, "%s%s\n", ts, text);
    }
    return b.s;
}

static void logs_free(view_t *v)
{
    logview_t *lv = v->priv;
    stop_sources(lv);
    ringbuf_free(lv->ring);
    ksel_free(lv->sel);
    free(lv);
}

static const view_ops_t logs_ops = {
    .name = "logs", .keyctx = KEYCTX_LOGS, .draw = logs_draw, .action = logs_action, .filter = logs_filter,
    .title = logs_title, .stale = logs_stale, .yank = logs_yank, .free = logs_free,
};

view_t *view_logs_new(app_t *app, kind_id_t kind, const kobj_t *obj)
{
    if (!obj->ns) {
        app_error(app, "logs: %s has no namespace", obj->name);
        return NULL;
    }
    char sel[1024] = "";
    switch (kind) {
    case KIND_POD:
        break;
    case KIND_SERVICE:
        for (size_t i = 0, o = 0; i < obj->u.svc.nselector && o < sizeof sel - 1; i++)
            o += (size_t)snprintf(sel + o, sizeof sel - o, "%s%s=%s", i ? "," : "", obj->u.svc.selector[i].key,
                                  obj->u.svc.selector[i].value);
        if (!sel[0]) {
            app_error(app, "logs: service %s has no selector, so no pods", obj->name);
            return NULL;
        }
        break;
    case KIND_DEPLOYMENT: case KIND_REPLICASET: case KIND_STATEFULSET: case KIND_DAEMONSET: case KIND_JOB:
        if (obj->u.wl.selector.nothing || ksel_format(&obj->u.wl.selector, sel, sizeof sel) <= 0) {
            app_error(app, "logs: %s has no pod selector", obj->name);
            return NULL;
        }
        break;
    default:
        app_error(app, "logs: %s objects have no logs (pods, workloads and services do)", kind_get(kind)->kind);
        return NULL;
    }
    view_t *v = calloc(1, sizeof *v);
    logview_t *lv = calloc(1, sizeof *lv);
    if (!v || !lv) {
        free(v);
        free(lv);
        return NULL;
    }
    char err[256];
    if (sel[0] && !(lv->sel = ksel_parse(sel, err, sizeof err))) {
        app_error(app, "logs: %s", err);
        free(v);
        free(lv);
        return NULL;
    }
    const char *ring_env = getenv("KDECK_LOG_LINES");
    long ring = ring_env && atol(ring_env) > 0 ? atol(ring_env) : DEFAULT_RING;
    lv->ring = ringbuf_new((size_t)ring, MAX_LINE);
    lv->app = app;
    lv->kind = kind;
    snprintf(lv->ns, sizeof lv->ns, "%s", obj->ns);
    snprintf(lv->name, sizeof lv->name, "%s", obj->name);
    lv->follow = true;
    lv->tail = 100;
    lv->container_pick = -1;
    v->ops = &logs_ops;
    v->app = app;
    v->priv = lv;
    sync_sources(lv);
    return v;
}

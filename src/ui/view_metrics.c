/* Metrics panels: the panel definitions (panels.h) asked of Prometheus (prom.h) with query_range
 * and drawn as terminal charts (chart.h) in a grid that fits the terminal. Every query is a GET on
 * the one loop through the session's Prometheus client; nothing here blocks. The refresh timer runs
 * only while the view is on top: when it fires under another view it is not re-armed, and the next
 * draw (the view is back on top) refreshes and re-arms it. Each panel keeps its own result, so a
 * failure (unreachable, timeout, HTTP error, PromQL error, malformed answer, no data) stays in the
 * panel that had it. User-facing documentation: docs/metrics.md and docs/user-guide.md. */
#include "kdeck/app.h"
#include "kdeck/builtin.h"
#include "kdeck/chart.h"
#include "kdeck/model.h"
#include "kdeck/panels.h"
#include "kdeck/prom.h"
#include "kdeck/screen.h"
#include "kdeck/theme.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AXIS_W 12        /* y labels ("1.23k req/s"), right-aligned, then the axis line */
#define CHART_ROWS 5     /* rows of a line chart */
#define LEGEND_LINES 3   /* at most, under a line chart */
#define REFRESH_MIN_MS 5000
#define REFRESH_MAX_MS 60000

static const double range_secs[] = { 300, 900, 3600, 21600, 86400 };
static const char *const range_names[] = { "5m", "15m", "1h", "6h", "24h" };
#define N_RANGES (int)(sizeof range_secs / sizeof *range_secs)

typedef struct mseries {
    char legend[160];
    prom_point_t *pts;
    size_t n;
} mseries_t;

struct mpanel;

typedef struct mquery {
    struct mpanel *mp;
    int qi;
    prom_query_t *q;       /* in flight, or NULL */
    bool answered;         /* at least one answer (or a failure to start) */
    bool failed;
    char msg[600];         /* the failure, one line */
    char warning[300];     /* Prometheus' first warning, verbatim */
    mseries_t *series;
    size_t nseries;
} mquery_t;

typedef struct mpanel {
    struct metrics *mv;
    const panel_t *p;
    mquery_t q[PANEL_MAX_QUERIES];
} mpanel_t;

typedef struct metrics {
    uv_timer_t timer;      /* data = this struct; freed in the timer's close callback */
    app_t *app;
    view_t *view;
    panel_set_t *set;
    mpanel_t *panels;
    size_t npanels;
    char group[128];
    char ns[254], appname[254], service[254];
    bool has_ns, has_app, has_svc;
    int range;             /* index into range_secs */
    double step;
    int chart_w;           /* width the step was chosen for */
    bool started;          /* a first refresh happened */
    bool paused;           /* the timer fired while the view was hidden: refresh on the next draw */
    bool changed;          /* answers since the last draw */
    int top;               /* first content row shown */
    int content_h, page;
    char client_err[600];  /* no Prometheus client could be made */
    /* `m` on a workload: its Service is looked up once the services informer has synced. */
    bool svc_pending;
    char wl_sel[16][320];  /* the workload's matchLabels, "key=value" */
    int n_wl_sel;
    uint64_t created_ms;
    char source[512];
} metrics_t;

/* ---- queries ---- */

static void clear_series(mquery_t *mq)
{
    for (size_t i = 0; i < mq->nseries; i++)
        free(mq->series[i].pts);
    free(mq->series);
    mq->series = NULL;
    mq->nseries = 0;
}

static void on_result(prom_query_t *q, const prom_result_t *res, void *ud)
{
    (void)q;
    mquery_t *mq = ud;
    metrics_t *mv = mq->mp->mv;
    mq->q = NULL;
    mq->answered = true;
    mq->warning[0] = '\0';
    clear_series(mq);
    if (res->status != PROM_OK) {
        mq->failed = true;
        prom_result_message(res, mq->msg, sizeof mq->msg);
    } else {
        mq->failed = false;
        mq->msg[0] = '\0';
        if (res->n_warnings && res->warnings[0])
            snprintf(mq->warning, sizeof mq->warning, "%s", res->warnings[0]);
        mq->series = res->n_series ? calloc(res->n_series, sizeof *mq->series) : NULL;
        for (size_t i = 0; mq->series && i < res->n_series; i++) {
            const prom_series_t *s = &res->series[i];
            mseries_t *ms = &mq->series[mq->nseries];
            ms->pts = s->n_points ? malloc(s->n_points * sizeof *ms->pts) : NULL;
            if (s->n_points && !ms->pts)
                break;
            if (s->n_points)
                memcpy(ms->pts, s->points, s->n_points * sizeof *ms->pts);
            ms->n = s->n_points;
            panels_legend(mq->mp->p->queries[mq->qi].legend, s, ms->legend, sizeof ms->legend);
            mq->nseries++;
        }
    }
    mv->changed = true;
    app_dirty(mv->app);
}

static void cancel_all(metrics_t *mv)
{
    for (size_t i = 0; i < mv->npanels; i++)
        for (int k = 0; k < mv->panels[i].p->n_queries; k++)
            if (mv->panels[i].q[k].q) {
                prom_query_cancel(mv->panels[i].q[k].q);
                mv->panels[i].q[k].q = NULL;
            }
}

static int grid_cols(int cols)
{
    return cols >= 160 ? 2 : 1;
}

static int chart_width_for(int cols)
{
    int w = cols / grid_cols(cols) - AXIS_W - 2;
    return w < 10 ? 10 : w;
}

static uint64_t refresh_ms(const metrics_t *mv)
{
    double ms = mv->step * 1000;
    if (ms < REFRESH_MIN_MS)
        ms = REFRESH_MIN_MS;
    if (ms > REFRESH_MAX_MS)
        ms = REFRESH_MAX_MS;
    return (uint64_t)ms;
}

static void on_timer(uv_timer_t *t);

/* The Service in front of a workload: one in its namespace whose selector is part of the workload's
 * matchLabels. False while the services informer has not synced yet. Without one, $service is the
 * workload's name (the usual convention). */
static bool resolve_service(metrics_t *mv)
{
    informer_t *inf = app_informer(mv->app, KIND_SERVICE, mv->ns);
    if (!inf || !informer_status(inf)->synced)
        return false;
    size_t n = informer_count(inf);
    const kobj_t **svcs = malloc((n ? n : 1) * sizeof *svcs);
    if (!svcs)
        return false;
    n = informer_snapshot(inf, svcs, n);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        const kobj_t *s = svcs[i];
        if (!s->ns || strcmp(s->ns, mv->ns) || !s->u.svc.nselector)
            continue;
        bool all = true;
        for (size_t k = 0; k < s->u.svc.nselector && all; k++) {
            char kv[320];
            snprintf(kv, sizeof kv, "%s=%s", s->u.svc.selector[k].key, s->u.svc.selector[k].value);
            bool hit = false;
            for (int r = 0; r < mv->n_wl_sel && !hit; r++)
                hit = !strcmp(mv->wl_sel[r], kv);
            all = hit;
        }
        if (all) {
            snprintf(mv->service, sizeof mv->service, "%s", s->name);
            found = true;
        }
    }
    free(svcs);
    if (!found)
        snprintf(mv->service, sizeof mv->service, "%s", mv->appname);
    mv->has_svc = true;
    mv->svc_pending = false;
    return true;
}

/* Asks every panel's queries again. `force` (range changed, r): queries still in flight are
 * cancelled and asked anew; otherwise (the timer) a slow query is left to finish. */
static void query_all(metrics_t *mv, bool force)
{
    char err[600];
    prom_client_t *pc = app_prom(mv->app, err, sizeof err);
    mv->started = true;
    mv->paused = false;
    if (mv->svc_pending && !resolve_service(mv)) {
        if (uv_now(app_loop(mv->app)) - mv->created_ms < 5000) {
            uv_timer_start(&mv->timer, on_timer, 200, 0); /* the services informer is listing */
            return;
        }
        snprintf(mv->service, sizeof mv->service, "%s", mv->appname);
        mv->has_svc = true;
        mv->svc_pending = false;
    }
    if (!pc) {
        snprintf(mv->client_err, sizeof mv->client_err, "%s", err);
        return;
    }
    mv->client_err[0] = '\0';
    snprintf(mv->source, sizeof mv->source, "%s", prom_client_describe(pc));
    mv->chart_w = chart_width_for(COLS);
    double range = range_secs[mv->range];
    mv->step = prom_step_for(range, mv->chart_w);
    double end = (double)time(NULL), start = end - range;
    char interval[32];
    prom_duration(prom_rate_interval(mv->step, PROM_SCRAPE_INTERVAL_DEFAULT), interval, sizeof interval);
    panel_vars_t vars = {
        .ns = mv->has_ns ? mv->ns : NULL, .app = mv->has_app ? mv->appname : NULL,
        .service = mv->has_svc ? mv->service : NULL, .interval = interval,
    };
    for (size_t i = 0; i < mv->npanels; i++) {
        mpanel_t *mp = &mv->panels[i];
        for (int k = 0; k < mp->p->n_queries; k++) {
            mquery_t *mq = &mp->q[k];
            if (mq->q && !force)
                continue;
            if (mq->q) {
                prom_query_cancel(mq->q);
                mq->q = NULL;
            }
            char xerr[300];
            char *expr = panels_expand(mp->p->queries[k].expr, &vars, xerr, sizeof xerr);
            if (!expr) {
                clear_series(mq);
                mq->answered = mq->failed = true;
                snprintf(mq->msg, sizeof mq->msg, "%s", xerr);
                continue;
            }
            mq->q = prom_query_range(pc, expr, start, end, mv->step, on_result, mq);
            free(expr);
            if (!mq->q) {
                clear_series(mq);
                mq->answered = mq->failed = true;
                snprintf(mq->msg, sizeof mq->msg, "cannot start the query");
            }
        }
    }
    uv_timer_start(&mv->timer, on_timer, refresh_ms(mv), 0);
    mv->changed = true;
    app_dirty(mv->app);
}

static void on_timer(uv_timer_t *t)
{
    metrics_t *mv = t->data;
    if (app_top_view(mv->app) != mv->view) {
        mv->paused = true; /* hidden: no more wake-ups until it is drawn again */
        return;
    }
    query_all(mv, false);
}

/* ---- drawing ---- */

typedef struct stats {
    size_t nseries;
    bool have_min;
    double min, max;
    const mseries_t *only;   /* the one series, when there is exactly one */
    const char *msg;         /* the first failure */
    const char *warning;
    bool answered;           /* every query answered at least once */
} stats_t;

static void panel_stats(const mpanel_t *mp, stats_t *st)
{
    memset(st, 0, sizeof *st);
    st->answered = true;
    for (int k = 0; k < mp->p->n_queries; k++) {
        const mquery_t *mq = &mp->q[k];
        if (!mq->answered)
            st->answered = false;
        if (mq->failed && !st->msg)
            st->msg = mq->msg;
        if (mq->warning[0] && !st->warning)
            st->warning = mq->warning;
        for (size_t i = 0; i < mq->nseries; i++) {
            st->nseries++;
            st->only = &mq->series[i];
            for (size_t j = 0; j < mq->series[i].n; j++) {
                double v = mq->series[i].pts[j].v;
                if (!isfinite(v))
                    continue;
                if (!st->have_min || v < st->min)
                    st->min = v;
                if (!st->have_min || v > st->max)
                    st->max = v;
                st->have_min = true;
            }
        }
    }
    if (st->nseries != 1)
        st->only = NULL;
}

/* The last value of a series: the last point, NaN and ±Inf included (they are what Prometheus
 * says now); NAN when the series has no point. */
static double last_value(const mseries_t *s)
{
    return s->n ? s->pts[s->n - 1].v : NAN;
}

static theme_elem_t level_elem(const panel_t *p, double v)
{
    switch (panel_level(p, v)) {
    case PANEL_LEVEL_OK: return THEME_CHART_OK;
    case PANEL_LEVEL_WARN: return THEME_CHART_WARN;
    case PANEL_LEVEL_CRIT: return THEME_CHART_CRIT;
    default: return THEME_DEFAULT;
    }
}

/* One legend entry per series, packed into at most `max_lines` lines of width w. */
typedef struct entry {
    char text[220];
    theme_elem_t elem;
} entry_t;

static size_t collect_entries(const mpanel_t *mp, entry_t *out, size_t max)
{
    size_t n = 0;
    for (int k = 0; k < mp->p->n_queries; k++)
        for (size_t i = 0; i < mp->q[k].nseries && n < max; i++) {
            const mseries_t *s = &mp->q[k].series[i];
            char val[64];
            double v = last_value(s);
            prom_format(v, mp->p->unit, val, sizeof val);
            snprintf(out[n].text, sizeof out[n].text, "%s: %s", s->legend, val);
            out[n].elem = mp->p->has_warn || mp->p->has_crit ? level_elem(mp->p, v)
                          : n == 0 ? THEME_CHART_LINE : (theme_elem_t)(THEME_LOG_POD1 + (n - 1) % 8);
            n++;
        }
    return n;
}

static int legend_lines(const entry_t *e, size_t n, int w, int max_lines)
{
    int lines = n ? 1 : 0, x = 0;
    for (size_t i = 0; i < n; i++) {
        int tw = screen_text_width(e[i].text);
        if (x && x + 2 + tw > w) {
            if (lines == max_lines)
                break;
            lines++;
            x = 0;
        }
        x += (x ? 2 : 0) + tw;
    }
    return lines;
}

typedef struct clip {
    int top, bottom; /* screen rows [top, bottom) belong to the view */
    int off;         /* content row shown at `top` */
} clip_t;

/* Screen row of content row r, or -1 when it is scrolled out. */
static int row_at(const clip_t *c, int r)
{
    int y = c->top + r - c->off;
    return y >= c->top && y < c->bottom ? y : -1;
}

static void put_at(const clip_t *c, int r, int x, const char *text, int w, theme_elem_t e)
{
    int y = row_at(c, r);
    if (y < 0 || w <= 0)
        return;
    attrset(theme_attr(e));
    screen_put(y, x, text, w, true, false);
}

/* A message over at most `lines` rows of width w, broken at spaces where possible; the last row
 * ends with an ellipsis when it does not fit. */
static void put_wrapped(const clip_t *c, int r, int x, int w, const char *text, int lines, theme_elem_t e)
{
    const char *p = text;
    for (int line = 0; line < lines && *p && w > 0; line++) {
        if (line == lines - 1) {
            put_at(c, r + line, x, p, w, e);
            return;
        }
        const char *q = p, *brk = NULL;
        int used = 0;
        while (*q && used < w) {
            if (*q == ' ')
                brk = q;
            q++;
            while (((unsigned char)*q & 0xC0) == 0x80)
                q++;
            used++;
        }
        if (*q && brk && brk > p)
            q = brk;
        char piece[700];
        snprintf(piece, sizeof piece, "%.*s", (int)(q - p), p);
        put_at(c, r + line, x, piece, w, e);
        p = q;
        while (*p == ' ')
            p++;
    }
}

static int draw_legend(const clip_t *c, int r, int x, int w, const entry_t *e, size_t n, int max_lines)
{
    int line = 0, cx = 0;
    for (size_t i = 0; i < n; i++) {
        int tw = screen_text_width(e[i].text);
        if (cx && cx + 2 + tw > w) {
            if (line + 1 == max_lines) {
                put_at(c, r + line, x + cx, "  …", w - cx, THEME_TABLE_DIM);
                break;
            }
            line++;
            cx = 0;
        }
        if (cx)
            cx += 2;
        put_at(c, r + line, x + cx, e[i].text, w - cx, e[i].elem);
        cx += tw;
    }
    return n ? line + 1 : 0;
}

/* Rows a panel takes at width w (its last row is a gap). */
static int panel_height(const mpanel_t *mp, int w)
{
    entry_t e[64];
    size_t n = collect_entries(mp, e, 64);
    int legend = legend_lines(e, n, w, LEGEND_LINES);
    switch (mp->p->chart) {
    case PANEL_CHART_STAT: return 1 + (legend ? legend : 1) + 1;
    case PANEL_CHART_SPARKLINE: return 1 + 1 + (legend ? legend : 1) + 1;
    default: return 1 + CHART_ROWS + (legend ? legend : 1) + 1;
    }
}

static void draw_chart(const metrics_t *mv, const mpanel_t *mp, const clip_t *c, int r, int x, int w)
{
    const panel_t *p = mp->p;
    chart_series_t cs[255];
    size_t ncs = 0;
    for (int k = 0; k < p->n_queries; k++)
        for (size_t i = 0; i < mp->q[k].nseries && ncs < 255; i++)
            cs[ncs++] = (chart_series_t){ mp->q[k].series[i].pts, mp->q[k].series[i].n };
    int cw = w - AXIS_W - 1;
    if (cw < 4)
        return;
    double end = (double)time(NULL);
    chart_opts_t o = {
        .style = screen_utf8() ? (p->chart == PANEL_CHART_SPARKLINE ? CHART_BLOCK : CHART_BRAILLE) : CHART_ASCII,
        .width = cw, .height = p->chart == PANEL_CHART_SPARKLINE ? 1 : CHART_ROWS,
        .t_start = end - range_secs[mv->range], .t_end = end, .step = mv->step,
        .has_min = p->has_min, .has_max = p->has_max, .min = p->min, .max = p->max,
        .has_warn = p->has_warn, .has_crit = p->has_crit, .warn = p->warn, .crit = p->crit,
        .below = p->direction == PANEL_BELOW,
    };
    chart_t *ch = chart_render(cs, ncs, &o);
    if (!ch)
        return;
    const char *vline = screen_glyphs()->vline;
    for (int row = 0; row < ch->height; row++) {
        int y = row_at(c, r + row);
        if (y < 0)
            continue;
        char label[64] = "";
        if (row == 0 || row == ch->height - 1)
            prom_format(row == 0 ? ch->y_max : ch->y_min, p->unit, label, sizeof label);
        char lab[AXIS_W + 1];
        snprintf(lab, sizeof lab, "%*.*s", AXIS_W - 1, AXIS_W - 1, label);
        attrset(theme_attr(THEME_CHART_AXIS));
        screen_put(y, x, lab, AXIS_W - 1, false, true);
        screen_put(y, x + AXIS_W - 1, vline, 1, false, false);
        const char *s = ch->rows[row];
        for (int cx = 0; cx < ch->width && *s; cx++) {
            int len = 1;
            unsigned char b = (unsigned char)*s;
            if (b >= 0xF0) len = 4;
            else if (b >= 0xE0) len = 3;
            else if (b >= 0xC0) len = 2;
            char cell[8];
            snprintf(cell, sizeof cell, "%.*s", len, s);
            s += strnlen(s, (size_t)len);
            attrset(theme_attr(chart_cell_elem(ch, cx, row)));
            screen_put(y, x + AXIS_W + cx, cell, 1, false, false);
        }
    }
    chart_free(ch);
}

static void draw_panel(const metrics_t *mv, const mpanel_t *mp, const clip_t *c, int r, int x, int w)
{
    const panel_t *p = mp->p;
    stats_t st;
    panel_stats(mp, &st);
    /* Header: the title, then now / min / max on the right. */
    char right[200] = "", a[64], b[64], now[64];
    theme_elem_t now_elem = THEME_DEFAULT;
    if (st.have_min) {
        prom_format(st.min, p->unit, a, sizeof a);
        prom_format(st.max, p->unit, b, sizeof b);
        if (st.only) {
            double v = last_value(st.only);
            prom_format(v, p->unit, now, sizeof now);
            now_elem = level_elem(p, v);
            snprintf(right, sizeof right, "min %s  max %s", a, b);
        } else {
            snprintf(right, sizeof right, "%zu series  min %s  max %s", st.nseries, a, b);
        }
    }
    int rw = screen_text_width(right);
    int nw = st.only && st.have_min ? screen_text_width(now) + 6 : 0; /* "now X  " */
    int tw = w - rw - nw - 1;
    put_at(c, r, x, p->title, tw > 8 ? tw : 8, THEME_DESCRIBE_SECTION);
    if (nw && w - rw - nw > 8) {
        put_at(c, r, x + w - rw - nw - 1, "now ", 4, THEME_TABLE_DIM);
        put_at(c, r, x + w - rw - nw + 3, now, nw - 6, now_elem);
    }
    if (rw && w - rw > 8)
        put_at(c, r, x + w - rw - 1, right, rw, THEME_TABLE_DIM);
    r++;

    entry_t e[64];
    size_t n = collect_entries(mp, e, 64);
    int body = p->chart == PANEL_CHART_STAT ? 0 : p->chart == PANEL_CHART_SPARKLINE ? 1 : CHART_ROWS;
    /* Without data: the message (or loading / no data) where the chart would be. */
    const char *msg = mv->client_err[0] ? mv->client_err : st.msg;
    if (!n) {
        char line[700];
        theme_elem_t e2 = THEME_STATUS_ERROR;
        if (msg) {
            put_wrapped(c, r, x + 2, w - 3, msg, body > 1 ? body : 1, e2);
            return;
        }
        if (!st.answered)
            snprintf(line, sizeof line, "loading…"), e2 = THEME_TABLE_DIM;
        else
            snprintf(line, sizeof line, "no data"), e2 = THEME_TABLE_DIM;
        put_at(c, r + (body > 2 ? body / 2 : 0), x + 2, line, w - 3, e2);
        return;
    }
    if (p->chart != PANEL_CHART_STAT) {
        draw_chart(mv, mp, c, r, x, w);
        r += body;
    }
    if (msg) { /* some queries answered, another failed: say so under the chart */
        put_at(c, r, x + 2, msg, w - 3, THEME_STATUS_ERROR);
        return;
    }
    if (p->chart == PANEL_CHART_STAT) {
        draw_legend(c, r, x + 2, w - 3, e, n, LEGEND_LINES);
        return;
    }
    int lines = draw_legend(c, r, x + AXIS_W, w - AXIS_W - 1, e, n, LEGEND_LINES);
    (void)lines;
    if (st.warning && lines < LEGEND_LINES)
        put_at(c, r + lines, x + AXIS_W, st.warning, w - AXIS_W - 1, THEME_STATUS_WARNING);
}

static void metrics_draw(view_t *v, int top, int rows, int cols)
{
    metrics_t *mv = v->priv;
    if (!mv->started || mv->paused || (mv->chart_w && chart_width_for(COLS) != mv->chart_w))
        query_all(mv, mv->chart_w && chart_width_for(COLS) != mv->chart_w);
    mv->changed = false;
    attrset(theme_attr(THEME_DEFAULT));
    for (int y = top; y < top + rows; y++) {
        move(y, v->left);
        hline(' ', cols);
    }
    int gc = grid_cols(cols), pw = cols / gc;
    /* Content height first, so the scroll offset can be kept in range. */
    int h = 0;
    for (size_t i = 0; i < mv->npanels; i += (size_t)gc) {
        int rh = 0;
        for (int j = 0; j < gc && i + (size_t)j < mv->npanels; j++) {
            int ph = panel_height(&mv->panels[i + (size_t)j], pw - 1);
            rh = ph > rh ? ph : rh;
        }
        h += rh;
    }
    mv->content_h = h;
    mv->page = rows;
    if (mv->top > h - rows)
        mv->top = h - rows;
    if (mv->top < 0)
        mv->top = 0;
    clip_t c = { top, top + rows, mv->top };
    if (!mv->npanels) {
        put_at(&c, mv->top + 1, v->left + 1, "No panels (see docs/metrics.md: panel files)", cols - 2, THEME_TABLE_DIM);
        return;
    }
    int r = 0;
    for (size_t i = 0; i < mv->npanels; i += (size_t)gc) {
        int rh = 0;
        for (int j = 0; j < gc && i + (size_t)j < mv->npanels; j++) {
            const mpanel_t *mp = &mv->panels[i + (size_t)j];
            int ph = panel_height(mp, pw - 1);
            rh = ph > rh ? ph : rh;
            if (r + ph > mv->top && r < mv->top + rows)
                draw_panel(mv, mp, &c, r, v->left + j * pw, pw - 1);
        }
        r += rh;
    }
}

/* ---- actions ---- */

static void set_range(metrics_t *mv, int i)
{
    if (i < 0 || i >= N_RANGES)
        return;
    mv->range = i;
    query_all(mv, true);
    app_info(mv->app, "range %s (step %gs)", range_names[i], mv->step);
}

static bool metrics_action(view_t *v, action_t a)
{
    metrics_t *mv = v->priv;
    int page = mv->page > 2 ? mv->page - 1 : 1;
    switch (a) {
    case ACT_UP: mv->top--; break;
    case ACT_DOWN: mv->top++; break;
    case ACT_PAGE_UP: mv->top -= page; break;
    case ACT_PAGE_DOWN: mv->top += page; break;
    case ACT_HOME: mv->top = 0; break;
    case ACT_END: mv->top = mv->content_h; break;
    case ACT_RANGE_NEXT: set_range(mv, mv->range + 1 < N_RANGES ? mv->range + 1 : mv->range); break;
    case ACT_RANGE_PREV: set_range(mv, mv->range > 0 ? mv->range - 1 : 0); break;
    case ACT_REFRESH: query_all(mv, true); break;
    default: return false;
    }
    if (mv->top > mv->content_h - mv->page)
        mv->top = mv->content_h - mv->page;
    if (mv->top < 0)
        mv->top = 0;
    app_dirty(mv->app);
    return true;
}

static bool metrics_command(view_t *v, const char *cmd, const char *arg)
{
    metrics_t *mv = v->priv;
    if (!strcmp(cmd, "range")) {
        for (int i = 0; arg && i < N_RANGES; i++)
            if (!strcmp(arg, range_names[i])) {
                set_range(mv, i);
                return true;
            }
        app_error(mv->app, ":range takes 5m, 15m, 1h, 6h or 24h");
        return true;
    }
    if (!strcmp(cmd, "refresh")) {
        query_all(mv, true);
        return true;
    }
    return false;
}

static void metrics_title(view_t *v, char *buf, size_t len)
{
    metrics_t *mv = v->priv;
    char what[600];
    if (mv->has_app || mv->has_svc)
        snprintf(what, sizeof what, "%s/%s", mv->has_ns ? mv->ns : "*",
                 mv->has_app ? mv->appname : mv->service);
    else if (mv->has_ns)
        snprintf(what, sizeof what, "namespace %s", mv->ns);
    else
        snprintf(what, sizeof what, "all namespaces");
    snprintf(buf, len, " Metrics%s%s: %s [%s] via %s", mv->group[0] ? " " : "", mv->group, what,
             range_names[mv->range], mv->source[0] ? mv->source : "Prometheus");
}

static bool metrics_stale(view_t *v)
{
    metrics_t *mv = v->priv;
    return mv->changed;
}

static char *metrics_yank(view_t *v)
{
    /* The current values, one "title: legend: value" line each, for a ticket. */
    metrics_t *mv = v->priv;
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < mv->npanels; i++) {
        entry_t e[64];
        size_t n = collect_entries(&mv->panels[i], e, 64);
        for (size_t k = 0; k < n; k++) {
            size_t need = strlen(mv->panels[i].p->title) + strlen(e[k].text) + 4;
            if (len + need >= cap) {
                char *p = realloc(out, cap * 2 + need);
                if (!p)
                    return out;
                out = p;
                cap = cap * 2 + need;
            }
            len += (size_t)snprintf(out + len, cap - len, "%s: %s\n", mv->panels[i].p->title, e[k].text);
        }
    }
    return out;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void metrics_free(view_t *v)
{
    metrics_t *mv = v->priv;
    cancel_all(mv);
    for (size_t i = 0; i < mv->npanels; i++)
        for (int k = 0; k < PANEL_MAX_QUERIES; k++)
            clear_series(&mv->panels[i].q[k]);
    free(mv->panels);
    panel_set_free(mv->set);
    mv->panels = NULL;
    mv->set = NULL;
    uv_timer_stop(&mv->timer);
    uv_close((uv_handle_t *)&mv->timer, on_timer_closed); /* frees mv */
}

static const view_ops_t metrics_ops = {
    .name = "metrics", .keyctx = KEYCTX_METRICS, .draw = metrics_draw, .action = metrics_action,
    .title = metrics_title, .stale = metrics_stale, .yank = metrics_yank, .command = metrics_command,
    .free = metrics_free,
};

static panel_set_t *load_panels(app_t *app)
{
    char err[1024];
    panel_set_t *s = panels_load(err, sizeof err);
    if (s)
        return s;
    app_error(app, "panels: %s (using the built-in panels)", err);
    s = panel_set_new();
    const char *builtin = builtin_file("src/prom/default.panels");
    if (s && builtin && !panels_parse(s, builtin, "(built-in)", err, sizeof err)) {
        panel_set_free(s);
        return NULL;
    }
    return s;
}

view_t *view_metrics_new(app_t *app, const char *group, const char *ns, const char *app_name,
                         const char *service)
{
    panel_set_t *set = load_panels(app);
    if (!set) {
        app_error(app, "metrics: no panels");
        return NULL;
    }
    if (group && !panels_group(set, group)) {
        char known[400] = "";
        for (size_t i = 0, o = 0; i < set->n_groups && o < sizeof known - 1; i++)
            o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "", set->groups[i].id);
        app_error(app, "metrics: unknown group '%s' (known: %s)", group, known);
        panel_set_free(set);
        return NULL;
    }
    view_t *v = calloc(1, sizeof *v);
    metrics_t *mv = calloc(1, sizeof *mv);
    size_t n = 0;
    for (size_t i = 0; i < set->n_panels; i++)
        if (!group || !strcmp(set->panels[i].group, group))
            n++;
    mpanel_t *panels = calloc(n ? n : 1, sizeof *panels);
    if (!v || !mv || !panels) {
        free(v);
        free(mv);
        free(panels);
        panel_set_free(set);
        return NULL;
    }
    /* Group order, then panel order within a group, as the file defines them. */
    size_t k = 0;
    for (size_t g = 0; g < set->n_groups; g++)
        for (size_t i = 0; i < set->n_panels; i++) {
            const panel_t *p = &set->panels[i];
            if (strcmp(p->group, set->groups[g].id) || (group && strcmp(p->group, group)))
                continue;
            panels[k].mv = mv;
            panels[k].p = p;
            for (int q = 0; q < PANEL_MAX_QUERIES; q++) {
                panels[k].q[q].mp = &panels[k];
                panels[k].q[q].qi = q;
            }
            k++;
        }
    mv->app = app;
    mv->view = v;
    mv->set = set;
    mv->panels = panels;
    mv->npanels = k;
    mv->range = 2; /* 1h */
    snprintf(mv->group, sizeof mv->group, "%s", group ? group : "");
    if (ns && *ns) {
        snprintf(mv->ns, sizeof mv->ns, "%s", ns);
        mv->has_ns = true;
    }
    if (app_name && *app_name) {
        snprintf(mv->appname, sizeof mv->appname, "%s", app_name);
        mv->has_app = true;
    }
    if (service && *service) {
        snprintf(mv->service, sizeof mv->service, "%s", service);
        mv->has_svc = true;
    }
    uv_timer_init(app_loop(app), &mv->timer);
    mv->created_ms = uv_now(app_loop(app));
    mv->timer.data = mv;
    v->ops = &metrics_ops;
    v->app = app;
    v->priv = mv;
    return v;
}

/* ---- from a table row ---- */

static const char *label_of(const kobj_label_t *labels, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(labels[i].key, key))
            return labels[i].value;
    return NULL;
}

view_t *view_metrics_for_object(app_t *app, kind_id_t kind, const kobj_t *obj)
{
    char sel[16][320];
    int n_sel = 0;
    bool pending = false;
    const char *appname = NULL, *service = NULL;
    switch (kind) {
    case KIND_DEPLOYMENT: case KIND_STATEFULSET: case KIND_DAEMONSET: case KIND_REPLICASET:
        appname = obj->name;
        for (size_t r = 0; r < obj->u.wl.selector.n && n_sel < 16; r++)
            if (obj->u.wl.selector.reqs[r].op == KSEL_EQ && obj->u.wl.selector.reqs[r].nvalues == 1)
                snprintf(sel[n_sel++], sizeof sel[0], "%s=%s", obj->u.wl.selector.reqs[r].key,
                         obj->u.wl.selector.reqs[r].values[0]);
        pending = true;
        break;
    case KIND_SERVICE:
        service = obj->name;
        for (size_t i = 0; i < obj->u.svc.nselector && !appname; i++)
            if (!strcmp(obj->u.svc.selector[i].key, "app") ||
                !strcmp(obj->u.svc.selector[i].key, "app.kubernetes.io/name"))
                appname = obj->u.svc.selector[i].value;
        if (!appname)
            appname = obj->name;
        break;
    case KIND_POD:
        appname = label_of(obj->labels, obj->nlabels, "app");
        if (!appname)
            appname = label_of(obj->labels, obj->nlabels, "app.kubernetes.io/name");
        if (!appname) {
            app_error(app, "metrics: pod %s has no app label; try :metrics", obj->name);
            return NULL;
        }
        break;
    default:
        app_error(app, "metrics: select a deployment, service or pod (or use :metrics for every panel)");
        return NULL;
    }
    view_t *v = view_metrics_new(app, NULL, obj->ns, appname, service);
    if (v && pending) {
        metrics_t *mv = v->priv;
        memcpy(mv->wl_sel, sel, sizeof sel);
        mv->n_wl_sel = n_sel;
        mv->svc_pending = true;
    }
    return v;
}

/* The resource table: any kind, one namespace or all, optionally limited to what a workload,
 * service or node selects (drill-down), filtered and sorted. Columns come from the kind's column
 * table (model.h); this file only lays them out and draws the visible rows. */
#include "kdeck/app.h"
#include "kdeck/app_rollouts.h"
#include "kdeck/model.h"
#include "kdeck/screen.h"
#include "kdeck/strutil.h"
#include "kdeck/theme.h"
#include "kdeck/view_form.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COLS 24
#define ALIGN_LIKE_KUBECTL 1
#define WIDTH_SAMPLE 2000   /* rows measured to size columns on a full layout */

typedef enum { LIMIT_NONE, LIMIT_SELECTOR, LIMIT_NODE, LIMIT_OWNER } limit_t;

typedef struct table {
    kind_id_t kind;
    char ns[254];            /* "" = all namespaces */
    limit_t limit;
    ksel_t *limit_sel;       /* LIMIT_SELECTOR */
    char limit_value[254];   /* LIMIT_NODE: node name; LIMIT_OWNER: owner uid */
    char limit_title[300];   /* "of deployment back" */

    /* filter */
    char filter_text[256];
    ksel_t *filter_sel;      /* "-l ..." */
    bool filter_negate;
    bool filter_bad;

    /* sorting and layout */
    int sort_col;            /* index into the kind's column table, -1 = by name */
    bool sort_desc;
    bool wide;

    /* rows */
    const kobj_t **rows;
    size_t nrows, cap;
    uint64_t built_gen;      /* informer generation the rows were built from */
    bool need_rebuild;
    size_t selected, top;
    bool pinned;             /* the operator moved the cursor: it follows that object from then on */
    char sel_ns[254], sel_name[254];
    int widths[MAX_COLS];
    bool layout_done;        /* widths measured for this kind/filter/sort/wide: later rebuilds
                                only widen them from the visible rows (cheap under churn) */
    int hscroll;
} table_t;

static const kcol_t *columns(const table_t *t, size_t *n)
{
    return kcol_table(t->kind, n);
}

static bool column_visible(const table_t *t, const kcol_t *c)
{
    if ((c->flags & KCOL_WIDE) && !t->wide)
        return false;
    if ((c->flags & KCOL_ALLNS) && t->ns[0])
        return false;
    return true;
}

static informer_t *table_informer(view_t *v)
{
    table_t *t = v->priv;
    return app_informer(v->app, t->kind, t->ns);
}

/* ---- filtering ---- */

static bool row_matches_text(const table_t *t, const kobj_t *o, const char *text, time_t now)
{
    if (str_ifind(o->name, text) || (o->ns && str_ifind(o->ns, text)))
        return true;
    size_t n;
    const kcol_t *cols = columns(t, &n);
    char cell[512];
    for (size_t i = 0; i < n; i++) {
        if (!column_visible(t, &cols[i]))
            continue;
        cols[i].cell(o, now, cell, sizeof cell);
        if (str_ifind(cell, text))
            return true;
    }
    return false;
}

static bool passes(const table_t *t, const kobj_t *o, time_t now)
{
    switch (t->limit) {
    case LIMIT_SELECTOR:
        if (!t->limit_sel || !ksel_matches(t->limit_sel, o->labels, o->nlabels))
            return false;
        break;
    case LIMIT_NODE:
        if (o->kind != KIND_POD || !o->u.pod.node || strcmp(o->u.pod.node, t->limit_value))
            return false;
        break;
    case LIMIT_OWNER: {
        bool owned = false;
        for (size_t i = 0; i < o->nowners && !owned; i++)
            owned = o->owners[i].uid && !strcmp(o->owners[i].uid, t->limit_value);
        if (!owned)
            return false;
        break;
    }
    case LIMIT_NONE:
        break;
    }
    if (t->filter_sel)
        return ksel_matches(t->filter_sel, o->labels, o->nlabels);
    if (t->filter_text[0]) {
        bool m = row_matches_text(t, o, t->filter_text, now);
        return t->filter_negate ? !m : m;
    }
    return true;
}

/* ---- sorting ---- */

static const table_t *sort_ctx; /* qsort has no user pointer in C11 */

static int cmp_name(const kobj_t *a, const kobj_t *b)
{
    int c = strcmp(a->ns ? a->ns : "", b->ns ? b->ns : "");
    return c ? c : strcmp(a->name, b->name);
}

static int cmp_rows(const void *pa, const void *pb)
{
    const kobj_t *a = *(const kobj_t *const *)pa, *b = *(const kobj_t *const *)pb;
    const table_t *t = sort_ctx;
    int c = 0;
    if (t->sort_col >= 0) {
        size_t n;
        const kcol_t *cols = columns(t, &n);
        if ((size_t)t->sort_col < n && cols[t->sort_col].compare)
            c = cols[t->sort_col].compare(a, b);
    }
    if (t->sort_desc)
        c = -c;
    return c ? c : cmp_name(a, b);
}

/* ---- rebuilding the visible set ---- */

static void remember_selection(table_t *t)
{
    /* Until the operator moves, the cursor stays on the first row while the list fills in. */
    if (t->pinned && t->selected < t->nrows) {
        const kobj_t *o = t->rows[t->selected];
        snprintf(t->sel_ns, sizeof t->sel_ns, "%s", o->ns ? o->ns : "");
        snprintf(t->sel_name, sizeof t->sel_name, "%s", o->name);
    }
}

static void measure(table_t *t, time_t now)
{
    size_t n;
    const kcol_t *cols = columns(t, &n);
    char cell[512];
    bool full = !t->layout_done;
    if (full) {
        for (size_t c = 0; c < n && c < MAX_COLS; c++) {
            int w = screen_text_width(cols[c].title) + ((int)c == t->sort_col); /* room for the arrow */
            if (cols[c].min_width > w)
                w = cols[c].min_width;
            t->widths[c] = w;
        }
    }
    /* Columns only widen between full layouts, so rows do not jump while the data churns. */
    size_t limit = full ? (t->nrows < WIDTH_SAMPLE ? t->nrows : WIDTH_SAMPLE) : 0;
    t->layout_done = true;
    for (size_t pass = 0; pass < 2; pass++) {
        size_t from = pass ? t->top : 0;
        size_t to = pass ? t->top + 200 : limit;
        if (to > t->nrows)
            to = t->nrows;
        for (size_t r = from; r < to; r++)
            for (size_t c = 0; c < n && c < MAX_COLS; c++) {
                if (!column_visible(t, &cols[c]))
                    continue;
                cols[c].cell(t->rows[r], now, cell, sizeof cell);
                int w = screen_text_width(cell);
                if (cols[c].max_width && w > cols[c].max_width)
                    w = cols[c].max_width;
                if (w > t->widths[c])
                    t->widths[c] = w;
            }
    }
}

static void rebuild(view_t *v)
{
    table_t *t = v->priv;
    informer_t *inf = table_informer(v);
    remember_selection(t);
    size_t count = inf ? informer_count(inf) : 0;
    if (count > t->cap) {
        const kobj_t **p = realloc(t->rows, count * sizeof *p);
        if (!p)
            return;
        t->rows = p;
        t->cap = count;
    }
    size_t all = inf ? informer_snapshot(inf, t->rows, count) : 0;
    time_t now = app_now(v->app);
    size_t kept = 0;
    for (size_t i = 0; i < all; i++)
        if (passes(t, t->rows[i], now))
            t->rows[kept++] = t->rows[i];
    t->nrows = kept;
    sort_ctx = t;
    if (t->nrows > 1)
        qsort(t->rows, t->nrows, sizeof *t->rows, cmp_rows);
    /* Keep the cursor on the same object when it is still there. */
    if (t->sel_name[0]) {
        for (size_t i = 0; i < t->nrows; i++)
            if (!strcmp(t->rows[i]->name, t->sel_name) &&
                !strcmp(t->rows[i]->ns ? t->rows[i]->ns : "", t->sel_ns)) {
                t->selected = i;
                break;
            }
    }
    if (t->selected >= t->nrows)
        t->selected = t->nrows ? t->nrows - 1 : 0;
    t->built_gen = inf ? informer_generation(inf) : 0;
    t->need_rebuild = false;
    measure(t, now);
}

static void ensure_built(view_t *v)
{
    table_t *t = v->priv;
    informer_t *inf = table_informer(v);
    if (t->need_rebuild || !inf || informer_generation(inf) != t->built_gen)
        rebuild(v);
}

/* ---- drawing ---- */

static theme_elem_t status_elem(const char *s)
{
    static const struct { const char *word; theme_elem_t e; } map[] = {
        { "CrashLoopBackOff", THEME_STATUS_ERROR }, { "Error", THEME_STATUS_ERROR },
        { "Failed", THEME_STATUS_ERROR }, { "BackOff", THEME_STATUS_ERROR },
        { "ErrImage", THEME_STATUS_ERROR }, { "OOMKilled", THEME_STATUS_ERROR },
        { "Evicted", THEME_STATUS_ERROR }, { "Invalid", THEME_STATUS_ERROR },
        { "OutOf", THEME_STATUS_ERROR }, { "Unknown", THEME_STATUS_WARNING },
        { "NotReady", THEME_STATUS_WARNING }, { "Warning", THEME_STATUS_WARNING },
        { "SchedulingDisabled", THEME_STATUS_WARNING },
        { "Terminating", THEME_STATUS_PENDING }, { "Pending", THEME_STATUS_PENDING },
        { "Creating", THEME_STATUS_PENDING }, { "Init:", THEME_STATUS_PENDING },
        { "PodInitializing", THEME_STATUS_PENDING },
        { "Completed", THEME_STATUS_COMPLETED }, { "Succeeded", THEME_STATUS_COMPLETED },
        { "Complete", THEME_STATUS_OK }, { "Running", THEME_STATUS_OK }, { "Ready", THEME_STATUS_OK },
        { "Active", THEME_STATUS_OK }, { "Bound", THEME_STATUS_OK }, { "Normal", THEME_TABLE_ROW },
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strstr(s, map[i].word))
            return map[i].e;
    return THEME_TABLE_ROW;
}

static bool is_status_column(kind_id_t kind, const char *title)
{
    return !strcmp(title, "STATUS") || (kind == KIND_EVENT && !strcmp(title, "TYPE"));
}

static void draw_message(int top, int rows, int cols, const char *msg, theme_elem_t e)
{
    attrset(theme_attr(e));
    screen_put(top + (rows > 2 ? 1 : 0), 1, msg, cols - 2, true, false);
}

static void table_draw(view_t *v, int top, int rows, int cols)
{
    table_t *t = v->priv;
    ensure_built(v);
    attrset(theme_attr(THEME_TABLE_ROW));
    for (int y = top; y < top + rows; y++) {
        move(y, 0);
        hline(' ', cols);
    }
    size_t n;
    const kcol_t *kc = columns(t, &n);
    const glyphs_t *g = screen_glyphs();

    /* Header row. */
    int x = -t->hscroll;
    int body = rows - 1;
    for (size_t c = 0; c < n && c < MAX_COLS; c++) {
        if (!column_visible(t, &kc[c]))
            continue;
        int w = t->widths[c];
        char title[64];
        bool sorted = (int)c == t->sort_col;
        snprintf(title, sizeof title, "%s%s", kc[c].title, sorted ? (t->sort_desc ? g->down : g->up) : "");
        if (x + w + 2 > 0 && x < cols) {
            attrset(theme_attr(sorted ? THEME_TABLE_SORT : THEME_TABLE_HEADER));
            int cx = x < 0 ? 0 : x;
            screen_put(top, cx, title, (x + w + 1 < cols ? x + w + 1 : cols) - cx, true, false);
        }
        x += w + 2;
    }

    informer_t *inf = table_informer(v);
    const informer_status_t *st = inf ? informer_status(inf) : NULL;
    if (!t->nrows) {
        char msg[700];
        const kind_info_t *ki = kind_get(t->kind);
        if (st && st->error[0])
            snprintf(msg, sizeof msg, "%s", st->error);
        else if (st && !st->synced)
            snprintf(msg, sizeof msg, "Loading %s%s", ki->plural, g->ellipsis);
        else if (t->filter_bad)
            snprintf(msg, sizeof msg, "Invalid label selector in the filter: %s", t->filter_text);
        else if (t->filter_text[0] || t->filter_sel)
            snprintf(msg, sizeof msg, "No %s match the filter '%s'.", ki->plural, v->filter);
        else if (t->limit != LIMIT_NONE)
            snprintf(msg, sizeof msg, "No %s %s.", ki->plural, t->limit_title);
        else if (ki->namespaced && t->ns[0])
            snprintf(msg, sizeof msg, "No %s in namespace %s.", ki->plural, t->ns);
        else
            snprintf(msg, sizeof msg, "No %s.", ki->plural);
        draw_message(top + 1, body, cols, msg, st && st->error[0] ? THEME_STATUS_ERROR : THEME_TABLE_DIM);
        return;
    }

    /* Keep the selection visible. */
    if (t->selected < t->top)
        t->top = t->selected;
    if (body > 0 && t->selected >= t->top + (size_t)body)
        t->top = t->selected - (size_t)body + 1;
    if (t->top + (size_t)body > t->nrows)
        t->top = t->nrows > (size_t)body ? t->nrows - (size_t)body : 0;

    time_t now = app_now(v->app);
    char cell[512];
    for (int r = 0; r < body && t->top + (size_t)r < t->nrows; r++) {
        size_t idx = t->top + (size_t)r;
        const kobj_t *o = t->rows[idx];
        int y = top + 1 + r;
        bool sel = idx == t->selected;
        theme_elem_t base = sel ? THEME_TABLE_SELECTED : (o->deleted ? THEME_TABLE_DIM : THEME_TABLE_ROW);
        if (sel) {
            attrset(theme_attr(base));
            move(y, 0);
            hline(' ', cols);
        }
        x = -t->hscroll;
        for (size_t c = 0; c < n && c < MAX_COLS; c++) {
            if (!column_visible(t, &kc[c]))
                continue;
            int w = t->widths[c];
            if (x + w > 0 && x < cols) {
                kc[c].cell(o, now, cell, sizeof cell);
                theme_elem_t e = base;
                if (!sel && is_status_column(t->kind, kc[c].title))
                    e = status_elem(cell);
                attrset(theme_attr(e));
                int cx = x < 0 ? 0 : x;
                int room = (x + w < cols ? x + w : cols) - cx;
                /* Left-aligned like kubectl, whatever the column's hint: operators compare. */
                if (kc[c].align == KCOL_RIGHT && !ALIGN_LIKE_KUBECTL) {
                    int cw = screen_text_width(cell);
                    int pad = w - cw;
                    if (pad > 0 && x + pad >= 0) {
                        cx = x + pad;
                        room = (x + w < cols ? x + w : cols) - cx;
                    }
                }
                if (room > 0)
                    screen_put(y, cx, cell, room, true, false);
            }
            x += w + 2;
        }
    }
}

/* ---- title, actions, commands ---- */

static const char *kind_title(kind_id_t k)
{
    static const char *const titles[KIND__COUNT] = {
        [KIND_NAMESPACE] = "Namespaces", [KIND_POD] = "Pods", [KIND_DEPLOYMENT] = "Deployments",
        [KIND_REPLICASET] = "ReplicaSets", [KIND_STATEFULSET] = "StatefulSets",
        [KIND_DAEMONSET] = "DaemonSets", [KIND_SERVICE] = "Services", [KIND_ENDPOINTS] = "Endpoints",
        [KIND_JOB] = "Jobs", [KIND_CRONJOB] = "CronJobs", [KIND_EVENT] = "Events", [KIND_NODE] = "Nodes",
        [KIND_CONFIGMAP] = "ConfigMaps", [KIND_SECRET] = "Secrets", [KIND_INGRESS] = "Ingresses",
        [KIND_HPA] = "HorizontalPodAutoscalers", [KIND_LEASE] = "Leases",
        [KIND_SERVICEACCOUNT] = "ServiceAccounts", [KIND_NETWORKPOLICY] = "NetworkPolicies",
        [KIND_PVC] = "PersistentVolumeClaims", [KIND_PV] = "PersistentVolumes",
    };
    return (unsigned)k < KIND__COUNT && titles[k] ? titles[k] : "Objects";
}

static void table_title(view_t *v, char *buf, size_t len)
{
    table_t *t = v->priv;
    ensure_built(v);
    const kind_info_t *ki = kind_get(t->kind);
    informer_t *inf = table_informer(v);
    size_t total = inf ? informer_count(inf) : 0;
    char scope[300] = "";
    if (ki->namespaced)
        snprintf(scope, sizeof scope, " (%s)", t->ns[0] ? t->ns : "all");
    char count[64];
    if (t->nrows != total || t->limit != LIMIT_NONE)
        snprintf(count, sizeof count, "[%zu/%zu]", t->nrows, total);
    else
        snprintf(count, sizeof count, "[%zu]", t->nrows);
    snprintf(buf, len, " %s%s%s%s %s", kind_title(t->kind), t->limit_title[0] ? " " : "", t->limit_title,
             scope, count);
}

static bool table_stale(view_t *v)
{
    table_t *t = v->priv;
    informer_t *inf = table_informer(v);
    return t->need_rebuild || !inf || informer_generation(inf) != t->built_gen || !informer_status(inf)->synced ||
           informer_status(inf)->error[0];
}

static void table_filter(view_t *v, const char *text)
{
    table_t *t = v->priv;
    ksel_free(t->filter_sel);
    t->filter_sel = NULL;
    t->filter_bad = false;
    t->filter_negate = false;
    t->filter_text[0] = '\0';
    while (isspace((unsigned char)*text))
        text++;
    if (!strncmp(text, "-l", 2) && (text[2] == ' ' || text[2] == '\0')) {
        char err[256];
        const char *sel = text + 2;
        while (*sel == ' ')
            sel++;
        t->filter_sel = ksel_parse(sel, err, sizeof err);
        if (!t->filter_sel) {
            t->filter_bad = true;
            snprintf(t->filter_text, sizeof t->filter_text, "%s", sel);
            app_error(v->app, "filter: %s", err);
        }
    } else if (text[0] == '!') {
        t->filter_negate = true;
        snprintf(t->filter_text, sizeof t->filter_text, "%s", text + 1);
    } else {
        snprintf(t->filter_text, sizeof t->filter_text, "%s", text);
    }
    t->need_rebuild = true;
    t->layout_done = false;
    t->selected = 0;
    t->top = 0;
    t->sel_name[0] = '\0';
    app_dirty(v->app);
}

static const kobj_t *selected_obj(view_t *v)
{
    table_t *t = v->priv;
    ensure_built(v);
    return t->selected < t->nrows ? t->rows[t->selected] : NULL;
}

static void drill_down(view_t *v)
{
    table_t *t = v->priv;
    const kobj_t *o = selected_obj(v);
    if (!o)
        return;
    app_t *app = v->app;
    char title[300];
    switch (t->kind) {
    case KIND_NAMESPACE:
        app_set_namespace(app, o->name);
        app_push_view(app, view_table_new(app, KIND_POD, o->name));
        return;
    case KIND_DEPLOYMENT: case KIND_REPLICASET: case KIND_STATEFULSET: case KIND_DAEMONSET:
    case KIND_JOB: case KIND_SERVICE: case KIND_NODE: {
        snprintf(title, sizeof title, "of %s %s", kind_get(t->kind)->kind, o->name);
        for (char *p = title + 3; *p && *p != ' '; p++)
            *p = (char)tolower((unsigned char)*p);
        app_push_view(app, view_table_new_selected(app, KIND_POD, o->ns, o, title));
        return;
    }
    case KIND_CRONJOB:
        snprintf(title, sizeof title, "of cronjob %s", o->name);
        app_push_view(app, view_table_new_selected(app, KIND_JOB, o->ns, o, title));
        return;
    default:
        app_push_view(app, view_describe_new(app, t->kind, o->ns, o->name));
        return;
    }
}

static void move_to(table_t *t, long pos)
{
    if (pos < 0)
        pos = 0;
    if (t->nrows && (size_t)pos >= t->nrows)
        pos = (long)t->nrows - 1;
    t->selected = (size_t)pos;
    t->pinned = true;
    remember_selection(t);
}

static int visible_columns(const table_t *t)
{
    size_t n;
    const kcol_t *c = columns(t, &n);
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += column_visible(t, &c[i]);
    return k;
}

static void cycle_sort(table_t *t, int dir)
{
    size_t n;
    const kcol_t *c = columns(t, &n);
    if (!n)
        return;
    int i = t->sort_col;
    for (size_t tries = 0; tries <= n; tries++) {
        i += dir;
        if (i < -1) i = (int)n - 1;
        if (i >= (int)n) i = -1;
        if (i == -1 || (column_visible(t, &c[i]) && c[i].compare))
            break;
    }
    t->sort_col = i;
    t->sort_desc = false;
    t->need_rebuild = true;
    t->layout_done = false;
}

static bool table_action(view_t *v, action_t a)
{
    table_t *t = v->priv;
    ensure_built(v);
    long page = LINES > 6 ? LINES - 6 : 1;
    const kobj_t *o;
    switch (a) {
    case ACT_UP: move_to(t, (long)t->selected - 1); return true;
    case ACT_DOWN: move_to(t, (long)t->selected + 1); return true;
    case ACT_PAGE_UP: move_to(t, (long)t->selected - page); return true;
    case ACT_PAGE_DOWN: move_to(t, (long)t->selected + page); return true;
    case ACT_HOME: move_to(t, 0); return true;
    case ACT_END: move_to(t, (long)t->nrows - 1); return true;
    case ACT_LEFT: t->hscroll = t->hscroll > 8 ? t->hscroll - 8 : 0; return true;
    case ACT_RIGHT: if (visible_columns(t) > 1) t->hscroll += 8; return true;
    case ACT_ENTER: drill_down(v); return true;
    case ACT_DESCRIBE:
        o = selected_obj(v);
        if (o)
            app_push_view(v->app, view_describe_new(v->app, t->kind, o->ns, o->name));
        return true;
    case ACT_SHELL:
        o = selected_obj(v);
        if (o && t->kind == KIND_POD)
            app_open_shell(v->app, o);
        else if (o)
            app_error(v->app, "a shell runs in a pod: open the pods (Enter) first");
        return true;
    case ACT_LOGS_BESIDE:
        o = selected_obj(v);
        if (o) {
            view_t *pane = view_logs_new(v->app, t->kind, o);
            if (pane) {
                pane->split = true;
                app_push_view(v->app, pane);
            }
        }
        return true;
    case ACT_LOGS:
        o = selected_obj(v);
        if (o) {
            /* From the table of a split screen: the pane below switches to this object. */
            bool split = app_focus_under(v->app);
            view_t *pane = view_logs_new(v->app, t->kind, o);
            if (pane && split)
                app_pop_view(v->app);
            if (pane) {
                pane->split = split;
                app_push_view(v->app, pane);
            }
        }
        return true;
    case ACT_ROLLOUT: /* its rollout view, or a new rollout (app_rollouts.h) */
        o = selected_obj(v);
        if (o)
            app_rollout_object(v->app, t->kind, o);
        return true;
    case ACT_HISTORY:
        o = selected_obj(v);
        if (o)
            app_history_object(v->app, t->kind, o);
        return true;
    case ACT_METRICS: /* that app's panels: $namespace/$app/$service from the row */
        o = selected_obj(v);
        if (o)
            app_push_view(v->app, view_metrics_for_object(v->app, t->kind, o));
        return true;
    case ACT_NEW: /* the descriptor form (view_form.c) */
    case ACT_EDIT:
        o = selected_obj(v);
        if (t->kind != KIND_DEPLOYMENT)
            app_error(v->app, "%s: the descriptor form opens from the deployments (:deploy)",
                      action_name(a));
        else if (a == ACT_NEW)
            view_form_open_new(v->app);
        else if (o)
            view_form_open_edit(v->app, o->ns, o->name);
        return true;
    case ACT_SORT_NEXT: cycle_sort(t, 1); return true;
    case ACT_SORT_PREV: cycle_sort(t, -1); return true;
    case ACT_SORT_REVERSE: t->sort_desc = !t->sort_desc; t->need_rebuild = true; return true;
    case ACT_WIDE: t->wide = !t->wide; t->need_rebuild = true; t->layout_done = false; return true;
    case ACT_ALL_NS:
        if (!kind_get(t->kind)->namespaced || t->limit != LIMIT_NONE)
            return true;
        app_command(v->app, t->ns[0] ? "ns all" : "all");
        return true;
    default:
        return false;
    }
}

static char *table_yank(view_t *v)
{
    const kobj_t *o = selected_obj(v);
    return o ? strdup(o->name) : NULL;
}

static bool table_command(view_t *v, const char *cmd, const char *arg)
{
    table_t *t = v->priv;
    if (!strcmp(cmd, "sort")) {
        if (!arg || !*arg) {
            app_error(v->app, ":sort needs a column name");
            return true;
        }
        char col[64];
        snprintf(col, sizeof col, "%s", arg);
        char *sp = strchr(col, ' ');
        bool desc = false;
        if (sp) {
            *sp = '\0';
            desc = !strcmp(sp + 1, "desc");
        }
        const kcol_t *c = kcol_find(t->kind, col);
        size_t n;
        const kcol_t *all = columns(t, &n);
        if (!c) {
            app_error(v->app, "no column '%s' in this view", col);
            return true;
        }
        t->sort_col = (int)(c - all);
        t->sort_desc = desc;
        t->need_rebuild = true;
        t->layout_done = false;
        app_dirty(v->app);
        return true;
    }
    if (!strcmp(cmd, "rollout") && (!arg || !*arg)) { /* :rollout alone is r on the row */
        const kobj_t *o = selected_obj(v);
        if (o)
            app_rollout_object(v->app, t->kind, o);
        else
            app_error(v->app, ":rollout needs a selected deployment (or a file: :rollout FILE)");
        return true;
    }
    if (!strcmp(cmd, "wide")) {
        t->wide = !t->wide;
        t->need_rebuild = true;
        t->layout_done = false;
        app_dirty(v->app);
        return true;
    }
    return false;
}

static void table_free(view_t *v)
{
    table_t *t = v->priv;
    ksel_free(t->limit_sel);
    ksel_free(t->filter_sel);
    free(t->rows);
    free(t);
}

static const view_ops_t table_ops = {
    .name = "table", .keyctx = KEYCTX_TABLE, .draw = table_draw, .action = table_action,
    .filter = table_filter, .title = table_title, .stale = table_stale, .yank = table_yank,
    .command = table_command, .free = table_free,
};

view_t *view_table_new(app_t *app, kind_id_t kind, const char *ns)
{
    view_t *v = calloc(1, sizeof *v);
    table_t *t = calloc(1, sizeof *t);
    if (!v || !t) {
        free(v);
        free(t);
        return NULL;
    }
    v->ops = &table_ops;
    v->app = app;
    v->priv = t;
    t->kind = kind;
    t->sort_col = -1;
    t->need_rebuild = true;
    if (kind_get(kind)->namespaced && ns)
        snprintf(t->ns, sizeof t->ns, "%s", ns);
    /* Views are named after their kind so ":ns X" can reopen the same kind. */
    static const view_ops_t *named[KIND__COUNT];
    static view_ops_t named_ops[KIND__COUNT];
    if (!named[kind]) {
        named_ops[kind] = table_ops;
        named_ops[kind].name = kind_get(kind)->plural;
        named[kind] = &named_ops[kind];
    }
    v->ops = named[kind];
    if (kind == KIND_EVENT) { /* events read best newest first, as an operator scans them */
        const kcol_t *c = kcol_find(kind, "LAST SEEN");
        size_t n;
        if (c) {
            t->sort_col = (int)(c - columns(t, &n));
        }
    }
    return v;
}

view_t *view_table_new_selected(app_t *app, kind_id_t kind, const char *ns, const kobj_t *by,
                                const char *title)
{
    view_t *v = view_table_new(app, kind, ns);
    if (!v)
        return NULL;
    table_t *t = v->priv;
    snprintf(t->limit_title, sizeof t->limit_title, "%s", title ? title : "");
    char sel[1024] = "";
    switch (by->kind) {
    case KIND_NODE:
        t->limit = LIMIT_NODE;
        snprintf(t->limit_value, sizeof t->limit_value, "%s", by->name);
        t->ns[0] = '\0'; /* a node runs pods of every namespace */
        return v;
    case KIND_CRONJOB:
        t->limit = LIMIT_OWNER;
        snprintf(t->limit_value, sizeof t->limit_value, "%s", by->uid ? by->uid : "");
        return v;
    case KIND_SERVICE: {
        size_t o = 0;
        for (size_t i = 0; i < by->u.svc.nselector && o < sizeof sel - 1; i++)
            o += (size_t)snprintf(sel + o, sizeof sel - o, "%s%s=%s", i ? "," : "",
                                  by->u.svc.selector[i].key, by->u.svc.selector[i].value);
        if (!by->u.svc.nselector) { /* a Service without selector selects no pods */
            t->limit = LIMIT_OWNER;
            t->limit_value[0] = '\0';
            return v;
        }
        break;
    }
    default:
        if (by->u.wl.selector.nothing) {
            t->limit = LIMIT_OWNER;
            t->limit_value[0] = '\0';
            return v;
        }
        ksel_format(&by->u.wl.selector, sel, sizeof sel);
        break;
    }
    char err[256];
    t->limit = LIMIT_SELECTOR;
    t->limit_sel = ksel_parse(sel, err, sizeof err);
    return v;
}

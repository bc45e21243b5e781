/* The rollout history of one app: who, when, version from → to, result, duration and reason of
 * each recorded rollout (newest first; a running one on top), from the app's rollout record in
 * the cluster (app_rollouts.h). Enter shows the selected row's whole reason; `a`, `u` and `l`
 * open the rollout view and act there. */
#include "kdeck/app_rollouts.h"
#include "kdeck/screen.h"
#include "kdeck/theme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

typedef struct history {
    char ns[254], name[RO_NAME_MAX];
    size_t selected, top;
} history_t;

/* One row, whether from the history or the rollout running now. */
typedef struct hrow {
    const char *who, *version, *from, *result, *reason, *id;
    int64_t started_ms, finished_ms;
} hrow_t;

/* The rows, newest first: the running rollout (not in the history yet) then the history. */
static size_t collect(const app_ro_info_t *info, hrow_t *rows, size_t max)
{
    size_t n = 0;
    const ro_state_t *s = info->state;
    bool listed = false;
    for (size_t i = 0; s && i < info->n_history; i++)
        listed |= !strcmp(info->history[i].id, s->id);
    if (s && !listed && n < max)
        rows[n++] = (hrow_t){ s->who, s->version, s->from_version, ro_phase_name(s->phase), s->reason, s->id,
                              s->started_ms, s->finished_ms };
    for (size_t i = 0; i < info->n_history && n < max; i++) {
        const ro_history_entry_t *h = &info->history[i];
        rows[n++] = (hrow_t){ h->who, h->version, h->from_version, h->result, h->reason, h->id,
                              h->started_ms, h->finished_ms };
    }
    return n;
}

static theme_elem_t result_elem(const char *result)
{
    if (!strcmp(result, "succeeded"))
        return THEME_STATUS_OK;
    if (!strcmp(result, "failed") || !strcmp(result, "aborted"))
        return THEME_STATUS_ERROR;
    return THEME_STATUS_PENDING;
}

static void fmt_when(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

static void fmt_took(int64_t ms, char *buf, size_t len)
{
    int64_t s = ms / 1000;
    if (ms <= 0)
        snprintf(buf, len, "-");
    else if (s < 60)
        snprintf(buf, len, "%ds", (int)s);
    else if (s < 3600)
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)(s % 60));
    else
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60 % 60));
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

#define MAX_ROWS (RO_HISTORY_MAX + 1)

static void history_draw(view_t *v, int top, int rows, int cols)
{
    history_t *h = v->priv;
    app_ro_info_t info;
    app_rollout_info(v->app, h->ns, h->name, &info);
    attrset(theme_attr(THEME_TABLE_ROW));
    for (int y = top; y < top + rows; y++) {
        move(y, 0);
        hline(' ', cols);
    }
    hrow_t r[MAX_ROWS];
    size_t n = collect(&info, r, MAX_ROWS);
    if (!n) {
        char msg[600];
        if (!info.loaded)
            snprintf(msg, sizeof msg, "reading the rollout record of %s...", h->name);
        else if (info.error[0])
            snprintf(msg, sizeof msg, "%s", info.error);
        else
            snprintf(msg, sizeof msg, "no rollouts of %s recorded in namespace %s", h->name, h->ns);
        attrset(theme_attr(info.error[0] ? THEME_STATUS_ERROR : THEME_TABLE_DIM));
        screen_put(top, 1, msg, cols - 1, true, false);
        return;
    }
    if (h->selected >= n)
        h->selected = n - 1;
    /* Columns shrink with the terminal; REASON takes what is left. */
    int who_w = cols >= 120 ? 22 : 14, ver_w = cols >= 120 ? 24 : 16;
    char line[1400];
    snprintf(line, sizeof line, " %-16s  %-*s  %-*s  %-9s  %-7s  %s", "WHEN", who_w, "WHO", ver_w, "VERSION",
             "RESULT", "TOOK", "REASON");
    attrset(theme_attr(THEME_TABLE_HEADER));
    move(top, 0);
    hline(' ', cols);
    screen_put(top, 0, line, cols, true, false);
    int body = rows - 1;
    if (h->selected < h->top)
        h->top = h->selected;
    if (body > 0 && h->selected >= h->top + (size_t)body)
        h->top = h->selected - (size_t)body + 1;
    const char *arrow = screen_utf8() ? " → " : " -> ";
    int64_t now = now_ms();
    for (int i = 0; i < body && h->top + (size_t)i < n; i++) {
        const hrow_t *x = &r[h->top + (size_t)i];
        char when[32], took[32], ver[200], who[200];
        fmt_when(x->started_ms, when, sizeof when);
        fmt_took((x->finished_ms ? x->finished_ms : now) - x->started_ms, took, sizeof took);
        snprintf(ver, sizeof ver, "%s%s%s", x->from[0] ? x->from : "(none)", arrow, x->version);
        snprintf(who, sizeof who, "%s", x->who); /* cut at its end: the user stays, the host goes */
        int y = top + 1 + i;
        bool sel = h->top + (size_t)i == h->selected;
        attrset(theme_attr(sel ? THEME_TABLE_SELECTED : THEME_TABLE_ROW));
        move(y, 0);
        hline(' ', cols);
        /* Padded by display width (the arrow is one column but three bytes), not printf's bytes. */
        int x0 = 1;
        x0 += screen_put(y, x0, when, 16, true, true) + 2;
        x0 += screen_put(y, x0, who, who_w, true, true) + 2;
        x0 += screen_put(y, x0, ver, ver_w, true, true) + 2;
        if (x0 >= cols)
            continue;
        if (!sel)
            attrset(theme_attr(result_elem(x->result)));
        x0 += screen_put(y, x0, x->result, cols - x0 < 9 ? cols - x0 : 9, true, true) + 2;
        if (!sel)
            attrset(theme_attr(THEME_TABLE_ROW));
        if (x0 < cols)
            x0 += screen_put(y, x0, took, cols - x0 < 7 ? cols - x0 : 7, true, true) + 2;
        if (x0 < cols)
            screen_put(y, x0, x->reason, cols - x0, true, false);
    }
}

static void history_title(view_t *v, char *buf, size_t len)
{
    history_t *h = v->priv;
    app_ro_info_t info;
    app_rollout_info(v->app, h->ns, h->name, &info);
    hrow_t r[MAX_ROWS];
    snprintf(buf, len, " Rollout history: %s (%s) [%zu]", h->name, h->ns, collect(&info, r, MAX_ROWS));
}

/* `a`, `u`, `l`: the rollout view does them (with its confirmation and its panes). */
static bool forward(view_t *v, action_t a)
{
    history_t *h = v->priv;
    view_t *rv = view_rollout_new(v->app, h->ns, h->name);
    if (!rv)
        return true;
    app_push_view(v->app, rv);
    rv->ops->action(rv, a);
    return true;
}

static bool history_action(view_t *v, action_t a)
{
    history_t *h = v->priv;
    switch (a) {
    case ACT_UP: if (h->selected) h->selected--; return true;
    case ACT_DOWN: h->selected++; return true; /* clamped when drawn */
    case ACT_PAGE_UP: h->selected = h->selected > 10 ? h->selected - 10 : 0; return true;
    case ACT_PAGE_DOWN: h->selected += 10; return true;
    case ACT_HOME: h->selected = 0; return true;
    case ACT_END: h->selected = MAX_ROWS; return true;
    case ACT_HISTORY: return true; /* here already */
    case ACT_ABORT: case ACT_UNDO: case ACT_LOGS: return forward(v, a);
    default: return false;
    }
}

/* Enter: the whole row in the status line (the reason is often cut). */
static bool history_key(view_t *v, int key)
{
    history_t *h = v->priv;
    if (key != '\n' && key != '\r' && key != KEY_ENTER) /* '\r': the terminal's Enter (nonl) */
        return false;
    app_ro_info_t info;
    app_rollout_info(v->app, h->ns, h->name, &info);
    hrow_t r[MAX_ROWS];
    size_t n = collect(&info, r, MAX_ROWS);
    if (h->selected < n) {
        const hrow_t *x = &r[h->selected];
        app_info(v->app, "%s: %s by %s%s%s", x->id, x->result, x->who, x->reason[0] ? ": " : "", x->reason);
    }
    return true;
}

static char *history_yank(view_t *v)
{
    history_t *h = v->priv;
    app_ro_info_t info;
    app_rollout_info(v->app, h->ns, h->name, &info);
    hrow_t r[MAX_ROWS];
    size_t n = collect(&info, r, MAX_ROWS);
    return h->selected < n ? strdup(r[h->selected].id) : NULL;
}

static void history_free(view_t *v)
{
    free(v->priv);
}

static const view_ops_t history_ops = {
    .name = "history", .keyctx = KEYCTX_ROLLOUT, .draw = history_draw, .action = history_action,
    .key = history_key, .title = history_title, .yank = history_yank, .free = history_free,
};

view_t *view_history_new(app_t *app, const char *ns, const char *name)
{
    view_t *v = calloc(1, sizeof *v);
    history_t *h = calloc(1, sizeof *h);
    if (!v || !h) {
        free(v);
        free(h);
        app_error(app, "out of memory");
        return NULL;
    }
    snprintf(h->ns, sizeof h->ns, "%s", ns);
    snprintf(h->name, sizeof h->name, "%s", name);
    v->ops = &history_ops;
    v->app = app;
    v->priv = h;
    return v;
}

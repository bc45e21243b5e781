/* The rollout view of one app: a header (app, version from → to, slots, who, phase, elapsed), the
 * step list with state marks and timings, the rollout log (tail, scrollable) and the Kubernetes
 * events of the objects involved. Everything comes from the session's rollout records and
 * driver (app_rollouts.h) and the events informer, so a read-only kdeck shows the same. Sections
 * shrink to fit 80x24. Keys: `a` abort and `u` undo (each confirmed with y/n), `R` resume (a
 * rollout whose driver is gone), `H` history, `l` log panes of the migration Job and the new
 * slot's pods. */
#include "kdeck/app_rollouts.h"
#include "kdeck/screen.h"
#include "kdeck/strutil.h"
#include "kdeck/theme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define MAX_LOG_LINES 400

typedef enum { CONFIRM_NONE, CONFIRM_ABORT, CONFIRM_UNDO } confirm_t;

typedef struct rollview {
    char ns[254], name[RO_NAME_MAX];
    int log_back;        /* lines scrolled back from the newest; 0 = following */
    confirm_t confirm;   /* a y/n question in the status line */
} rollview_t;

static const view_ops_t rollout_ops;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* "850ms", "4.2s", "12s", "3m05s", "1h02m". */
static theme_elem_t phase_elem(ro_phase_t ph)
{
    switch (ph) {
    case RO_PHASE_SUCCEEDED: return THEME_STATUS_OK;
    case RO_PHASE_FAILED: case RO_PHASE_ABORTED: return THEME_STATUS_ERROR;
    default: return THEME_STATUS_PENDING;
    }
}

static void step_look(ro_step_state_t st, const char **mark, theme_elem_t *e)
{
    bool u = screen_utf8();
    switch (st) {
    case RO_SS_DONE: *mark = u ? "✓" : "+"; *e = THEME_ROLLOUT_STEP_DONE; return;
    case RO_SS_RUNNING: *mark = u ? "▶" : ">"; *e = THEME_ROLLOUT_STEP_ACTIVE; return;
    case RO_SS_FAILED: *mark = u ? "✗" : "x"; *e = THEME_ROLLOUT_STEP_FAILED; return;
    case RO_SS_REVERTED: *mark = u ? "↺" : "<"; *e = THEME_STATUS_WARNING; return;
    case RO_SS_SKIPPED: *mark = "-"; *e = THEME_TABLE_DIM; return;
    default: *mark = u ? "·" : "."; *e = THEME_ROLLOUT_STEP_PENDING; return;
    }
}

/* Draws text at (y, x) in elem, at most w columns; returns the columns used. */
static int put(int y, int x, int w, theme_elem_t elem, const char *text)
{
    if (w <= 0)
        return 0;
    attrset(theme_attr(elem));
    return screen_put(y, x, text, w, true, false);
}

static void section_title(int y, int cols, const char *text)
{
    attrset(theme_attr(THEME_DESCRIBE_SECTION));
    move(y, 0);
    hline(' ', cols);
    screen_put(y, 0, text, cols, true, false);
}

/* ---- header and steps ---- */

static void draw_header(int y, int cols, const ro_state_t *s, int64_t now)
{
    const char *arrow = screen_utf8() ? " → " : " -> ";
    char left[600], right[120], el[32];
    snprintf(left, sizeof left, "%s  %s%s%s  %s%s%s  by %s", s->app, s->from_version[0] ? s->from_version : "(none)",
             arrow, s->version, s->from_slot[0] ? s->from_slot : "-", arrow, s->to_slot, s->who);
    int64_t end = s->finished_ms ? s->finished_ms : now;
    str_format_duration_ms(end - s->started_ms, el, sizeof el);
    snprintf(right, sizeof right, " %s  %s", ro_phase_name(s->phase), el);
    int rw = screen_text_width(right);
    int x = put(y, 0, cols - rw - 1, THEME_TITLE, left);
    int rx = cols - rw > x ? cols - rw : x;
    put(y, rx, cols - rx, phase_elem(s->phase), right);
}

/* One step: mark, title, state, timing ("3.2s", "12s, 8 s left"). */
static void draw_step(int y, int cols, const ro_state_t *s, ro_step_t i, int64_t now)
{
    const char *mark;
    theme_elem_t e;
    step_look(s->steps[i], &mark, &e);
    char timing[80] = "", d[32];
    int64_t st = s->step_started_ms[i], fin = s->step_finished_ms[i];
    if (st && fin) {
        str_format_duration_ms(fin - st, d, sizeof d);
        snprintf(timing, sizeof timing, "%s", d);
    } else if (st && s->steps[i] == RO_SS_RUNNING) {
        str_format_duration_ms(now - st, d, sizeof d);
        if (i == s->step && s->deadline_ms > now)
            snprintf(timing, sizeof timing, "%s, %d s left", d, (int)((s->deadline_ms - now + 999) / 1000));
        else
            snprintf(timing, sizeof timing, "%s", d);
    }
    char line[300];
    snprintf(line, sizeof line, " %s %-22s %-9s %s", mark, ro_step_title(i), ro_step_state_name(s->steps[i]),
             timing);
    put(y, 0, cols, e, line);
}

/* ---- log and events ---- */

static void draw_log(int y, int rows, int cols, const char *log, rollview_t *rv)
{
    const char *lines[MAX_LOG_LINES];
    size_t n = 0;
    for (const char *p = log; *p && n < MAX_LOG_LINES;) {
        lines[n++] = p;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    int body = rows - 1;
    int max_back = (int)n > body ? (int)n - body : 0;
    if (rv->log_back > max_back)
        rv->log_back = max_back;
    if (rv->log_back < 0)
        rv->log_back = 0;
    char title[120];
    if (rv->log_back)
        snprintf(title, sizeof title, "Log (%zu lines, %d back; G follows)", n, rv->log_back);
    else
        snprintf(title, sizeof title, "Log (%zu lines)", n);
    section_title(y, cols, title);
    size_t first = n > (size_t)body ? n - (size_t)body - (size_t)rv->log_back : 0;
    for (int r = 0; r < body && first + (size_t)r < n; r++) {
        const char *l = lines[first + (size_t)r];
        const char *nl = strchr(l, '\n');
        char text[1024];
        snprintf(text, sizeof text, "%.*s", nl ? (int)(nl - l) : (int)strlen(l), l);
        theme_elem_t e = strstr(text, "fail") || strstr(text, "error") ? THEME_STATUS_ERROR : THEME_TABLE_ROW;
        put(y + 1 + r, 1, cols - 1, e, text);
    }
}

static int cmp_event_newest(const void *a, const void *b)
{
    const kobj_t *x = *(const kobj_t *const *)a, *y = *(const kobj_t *const *)b;
    return x->u.ev.last < y->u.ev.last ? 1 : x->u.ev.last > y->u.ev.last ? -1 : strcmp(x->name, y->name);
}

/* Events of the app's objects (Deployments, ReplicaSets, pods, Job, Service: names <app> or
 * <app>-...) since the rollout started, newest first. */
static void draw_events(app_t *app, int y, int rows, int cols, const rollview_t *rv, const ro_state_t *s)
{
    informer_t *inf = app_informer(app, KIND_EVENT, rv->ns);
    size_t total = inf ? informer_count(inf) : 0;
    const kobj_t **all = total ? malloc(total * sizeof *all) : NULL;
    size_t n = all ? informer_snapshot(inf, all, total) : 0, kept = 0;
    size_t nl = strlen(rv->name);
    int64_t since = s && s->started_ms ? s->started_ms / 1000 - 2 : 0;
    for (size_t i = 0; i < n; i++) {
        const kobj_event_t *ev = &all[i]->u.ev;
        const char *on = ev->obj_name ? ev->obj_name : "";
        if (strncmp(on, rv->name, nl) || (on[nl] && on[nl] != '-') || ev->last < since)
            continue;
        all[kept++] = all[i];
    }
    if (kept > 1)
        qsort(all, kept, sizeof *all, cmp_event_newest);
    char title[80];
    snprintf(title, sizeof title, "Events (%zu)", kept);
    section_title(y, cols, title);
    time_t now = time(NULL);
    for (int r = 0; r + 1 < rows && (size_t)r < kept; r++) {
        const kobj_event_t *ev = &all[r]->u.ev;
        char age[16], line[1200];
        kobj_age(ev->last, now, age, sizeof age);
        snprintf(line, sizeof line, "%-4s %-7s %-17s %s/%s: %s", age, ev->type ? ev->type : "", ev->reason ? ev->reason : "",
                 ev->obj_kind ? ev->obj_kind : "", ev->obj_name ? ev->obj_name : "", ev->message ? ev->message : "");
        bool warn = ev->type && strcmp(ev->type, "Normal");
        put(y + 1 + r, 1, cols - 1, warn ? THEME_STATUS_WARNING : THEME_TABLE_ROW, line);
    }
    if (!inf)
        put(y + 1, 1, cols - 1, THEME_TABLE_DIM, "(events unavailable)");
    else if (!informer_status(inf)->synced && rows > 1)
        put(y + 1, 1, cols - 1, THEME_TABLE_DIM, "(loading events...)");
    free(all);
}

/* ---- the view ---- */

static void rollout_draw(view_t *v, int top, int rows, int cols)
{
    rollview_t *rv = v->priv;
    app_ro_info_t info;
    app_rollout_info(v->app, rv->ns, rv->name, &info);
    attrset(theme_attr(THEME_DEFAULT));
    for (int y = top; y < top + rows; y++) {
        move(y, 0);
        hline(' ', cols);
    }
    const ro_state_t *s = info.state;
    int y = top, end = top + rows;
    if (!s) {
        char msg[700];
        if (!info.loaded)
            snprintf(msg, sizeof msg, "reading the rollout record of %s...", rv->name);
        else if (info.error[0])
            snprintf(msg, sizeof msg, "%s", info.error);
        else if (info.message[0])
            snprintf(msg, sizeof msg, "%s", info.message);
        else
            snprintf(msg, sizeof msg, "no rollout of %s recorded in namespace %s", rv->name, rv->ns);
        put(y++, 1, cols - 1, info.error[0] || info.message[0] ? THEME_STATUS_ERROR : THEME_TABLE_DIM, msg);
        if (y + 2 < end)
            draw_events(v->app, y + 1, end - y - 1, cols, rv, NULL);
        return;
    }
    /* Warm what `l` looks up, so its panes open at once. */
    app_informer(v->app, KIND_DEPLOYMENT, rv->ns);
    if (s->plan.migrate)
        app_informer(v->app, KIND_JOB, rv->ns);
    int64_t now = now_ms();
    draw_header(y++, cols, s, now);
    if (s->reason[0] && y < end) {
        char why[600];
        snprintf(why, sizeof why, "%s%s%s: %s", s->phase == RO_PHASE_ABORTED ? "aborted" : "failed",
                 s->failed_step[0] ? " at " : "", s->failed_step, s->reason);
        put(y++, 1, cols - 1, THEME_STATUS_ERROR, why);
    } else if (info.driver_gone && y < end) {
        char gone[300], since[24] = "";
        if (info.driver_gone_since_ms) {
            time_t t = (time_t)(info.driver_gone_since_ms / 1000);
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(since, sizeof since, " since %H:%M:%S", &tm);
        }
        snprintf(gone, sizeof gone, "driver gone%s %s %s", since, screen_utf8() ? "—" : "-",
                 app_read_only(v->app) ? "resume or abort it from a read-write kdeck" : "R resumes, a aborts");
        put(y++, 1, cols - 1, THEME_STATUS_WARNING, gone);
    } else if (info.error[0] && y < end) {
        put(y++, 1, cols - 1, THEME_STATUS_WARNING, info.error);
    }
    /* Steps: skipped ones only when there is room; at least the running one. */
    int nsteps = 0, nshown = 0;
    for (int i = 0; i < RO_N_STEPS; i++)
        nsteps += s->steps[i] != RO_SS_SKIPPED;
    bool show_skipped = end - y >= RO_N_STEPS + 14; /* at 80x24 the log gets those rows */
    int room = end - y - 4; /* leave the log a title and a few lines */
    int want = show_skipped ? RO_N_STEPS : nsteps;
    int first = 0;
    if (want > room && room > 0) { /* a window of steps around the current one */
        first = (int)s->step - room / 2;
        if (first < 0)
            first = 0;
    }
    for (int i = first; i < RO_N_STEPS && y < end; i++) {
        if (s->steps[i] == RO_SS_SKIPPED && !show_skipped)
            continue;
        if (want > room && room > 0 && nshown >= room)
            break;
        draw_step(y++, cols, s, (ro_step_t)i, now);
        nshown++;
    }
    int left = end - y;
    if (left < 2)
        return;
    y++; /* a blank line between the steps and the log when it fits */
    left--;
    if (left < 2)
        return;
    int ev_rows = left >= 6 ? left * 2 / 5 : 0;
    int log_want = 1; /* its title, then its lines: the events get what a short log leaves */
    for (const char *p = info.log; *p; p++)
        log_want += *p == '\n' && p[1];
    log_want += *info.log != '\0';
    if (ev_rows && left - ev_rows > log_want)
        ev_rows = left - log_want;
    draw_log(y, left - ev_rows, cols, info.log, rv);
    if (ev_rows >= 2)
        draw_events(v->app, y + left - ev_rows, ev_rows, cols, rv, s);
}

static void rollout_title(view_t *v, char *buf, size_t len)
{
    rollview_t *rv = v->priv;
    snprintf(buf, len, " Rollout: %s (%s)", rv->name, rv->ns);
}

/* `l`: log panes of the migration Job (when there is one) and of the new slot's pods. */
static void open_logs(view_t *v, const ro_state_t *s)
{
    rollview_t *rv = v->priv;
    app_t *app = v->app;
    const kobj_t *job = NULL, *dep = NULL;
    char prefix[RO_NAME_MAX + 16], depname[RO_NAME_MAX + 16];
    snprintf(prefix, sizeof prefix, "%s-migrate-", rv->name);
    informer_t *jobs = s->plan.migrate ? app_informer(app, KIND_JOB, rv->ns) : NULL;
    size_t n = jobs ? informer_count(jobs) : 0;
    const kobj_t **all = n ? malloc(n * sizeof *all) : NULL;
    n = all ? informer_snapshot(jobs, all, n) : 0;
    for (size_t i = 0; i < n; i++)
        if (!strncmp(all[i]->name, prefix, strlen(prefix)) && (!job || all[i]->created > job->created))
            job = all[i];
    informer_t *deps = app_informer(app, KIND_DEPLOYMENT, rv->ns);
    snprintf(depname, sizeof depname, "%s-%s", rv->name, s->to_slot);
    dep = deps ? informer_get(deps, rv->ns, depname) : NULL;
    if (!job && !dep) {
        if (!deps || !informer_status(deps)->synced || (jobs && !informer_status(jobs)->synced))
            app_info(app, "%s: still loading the deployments and jobs: press l again in a moment", rv->name);
        else
            app_error(app, "%s: no migration Job and no Deployment %s (yet) to follow", rv->name, depname);
        free(all);
        return;
    }
    /* The new pods' pane last: it is the one shown when only one fits. */
    const struct { kind_id_t kind; const kobj_t *o; } panes[] = { { KIND_JOB, job }, { KIND_DEPLOYMENT, dep } };
    for (size_t i = 0; i < 2; i++) {
        if (!panes[i].o)
            continue;
        view_t *pane = view_logs_new(app, panes[i].kind, panes[i].o);
        if (pane) {
            pane->split = true;
            app_push_view(app, pane);
        }
    }
    free(all);
}

static void ask(view_t *v, confirm_t what, const ro_state_t *s)
{
    rollview_t *rv = v->priv;
    rv->confirm = what;
    if (what == CONFIRM_ABORT)
        app_info(v->app, "abort the rollout of %s %s and go back to %s? (y/n)", rv->name, s->version,
                 s->from_version[0] ? s->from_version : "the old version");
    else
        app_info(v->app, "undo: roll %s back to %s? (y/n)", rv->name,
                 s && s->from_version[0] ? s->from_version : "the previous version");
}

static bool rollout_action(view_t *v, action_t a)
{
    rollview_t *rv = v->priv;
    if (rv->confirm != CONFIRM_NONE) { /* any key but y answers no */
        rv->confirm = CONFIRM_NONE;
        app_info(v->app, "cancelled");
        if (a == ACT_BACK)
            return true;
    }
    app_ro_info_t info;
    app_rollout_info(v->app, rv->ns, rv->name, &info);
    const ro_state_t *s = info.state;
    switch (a) {
    case ACT_UP: rv->log_back++; return true;
    case ACT_DOWN: rv->log_back--; return true;
    case ACT_PAGE_UP: rv->log_back += 10; return true;
    case ACT_PAGE_DOWN: rv->log_back -= 10; return true;
    case ACT_HOME: rv->log_back = MAX_LOG_LINES; return true;
    case ACT_END: rv->log_back = 0; return true;
    case ACT_ABORT:
        if (!s || ro_finished(s))
            app_error(v->app, "%s: no rollout is running: nothing to abort", rv->name);
        else
            ask(v, CONFIRM_ABORT, s);
        return true;
    case ACT_UNDO:
        if (s && !ro_finished(s))
            app_error(v->app, "%s: a rollout is running: abort it (a) instead", rv->name);
        else
            ask(v, CONFIRM_UNDO, s);
        return true;
    case ACT_RESUME:
        if (!s || ro_finished(s))
            app_error(v->app, "%s: no rollout is running: nothing to resume", rv->name);
        else if (info.driving)
            app_error(v->app, "%s: this kdeck drives the rollout already", rv->name);
        else
            app_rollout_resume(v->app, rv->ns, rv->name); /* a live driver elsewhere: refused, naming it */
        return true;
    case ACT_HISTORY:
        app_push_view(v->app, view_history_new(v->app, rv->ns, rv->name));
        return true;
    case ACT_LOGS:
        if (s)
            open_logs(v, s);
        else
            app_error(v->app, "%s: no rollout recorded: no logs to follow", rv->name);
        return true;
    default:
        return false;
    }
}

static bool rollout_key(view_t *v, int key)
{
    rollview_t *rv = v->priv;
    if (rv->confirm == CONFIRM_NONE)
        return false; /* in a read-only session `a` and `u` arrive here: nothing to do */
    confirm_t what = rv->confirm;
    rv->confirm = CONFIRM_NONE;
    if (key != 'y' && key != 'Y') {
        app_info(v->app, "cancelled");
        return true;
    }
    if (what == CONFIRM_ABORT)
        app_rollout_abort(v->app, rv->ns, rv->name);
    else
        app_rollout_undo(v->app, rv->ns, rv->name);
    return true;
}

static void rollout_free(view_t *v)
{
    free(v->priv);
}

static const view_ops_t rollout_ops = {
    .name = "rollout", .keyctx = KEYCTX_ROLLOUT, .draw = rollout_draw, .action = rollout_action,
    .key = rollout_key, .title = rollout_title, .free = rollout_free,
};

bool view_rollout_shows(const view_t *v, const char *ns, const char *name)
{
    if (!v || v->ops != &rollout_ops)
        return false;
    const rollview_t *rv = v->priv;
    return !strcmp(rv->ns, ns) && !strcmp(rv->name, name);
}

view_t *view_rollout_new(app_t *app, const char *ns, const char *name)
{
    view_t *v = calloc(1, sizeof *v);
    rollview_t *rv = calloc(1, sizeof *rv);
    if (!v || !rv) {
        free(v);
        free(rv);
        app_error(app, "out of memory");
        return NULL;
    }
    snprintf(rv->ns, sizeof rv->ns, "%s", ns);
    snprintf(rv->name, sizeof rv->name, "%s", name);
    v->ops = &rollout_ops;
    v->app = app;
    v->priv = rv;
    return v;
}

/* The TUI's event loop: terminal input, signals, redraw coalescing and the view stack, all on one
 * libuv loop (see ../shared/LOOP.md for why each handle is set up the way it is). */
#include "kdeck/app.h"
#include "app_int.h"
#include "kdeck/screen.h"
#include "kdeck/theme.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REDRAW_MIN_INTERVAL_MS 100 /* at most ~10 frames/s under churn: slow links stay usable */

/* ---- accessors for views ---- */

uv_loop_t *app_loop(app_t *app) { return &app->loop; }
http_client_t *app_http(app_t *app) { return app->s ? app->s->http : NULL; }
session_t *app_session(app_t *app) { return app->s; }
const kube_target_t *app_target(app_t *app) { return app->s ? app->s->target : NULL; }
const kubeconfig_t *app_kubeconfig(app_t *app) { return app->kc; }
bool app_read_only(app_t *app) { return app->opts.read_only || (app->s && app->s->read_only); }
const char *app_namespace(app_t *app) { return app->all_ns ? "" : app->ns; }
bool app_all_namespaces(app_t *app) { return app->all_ns; }
time_t app_now(app_t *app) { (void)app; return time(NULL); }

void app_set_namespace(app_t *app, const char *ns)
{
    if (!ns || !*ns) {
        app->all_ns = true;
    } else {
        app->all_ns = false;
        snprintf(app->ns, sizeof app->ns, "%s", ns);
    }
    app_rbac_prefetch(app); /* entering a namespace: learn what may be done there */
    app_dirty(app);
}

void app_dirty(app_t *app)
{
    app->dirty = true;
}

bool app_focus_under(app_t *app)
{
    view_t *v = app_top_view(app);
    return v && v->split && app->nviews >= 2 && app->focus_under;
}

/* The view under the split panes on top of the stack (the table they belong to). */
view_t *app_under_view(app_t *app)
{
    int i = app->nviews - 1;
    while (i > 0 && app->views[i]->split)
        i--;
    return app->views[i];
}

static void set_status(app_t *app, bool error, const char *fmt, va_list ap)
{
    vsnprintf(app->status, sizeof app->status, fmt, ap);
    app->status_error = error;
    app_dirty(app);
}

void app_info(app_t *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_status(app, false, fmt, ap);
    va_end(ap);
}

void app_error(app_t *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_status(app, true, fmt, ap);
    va_end(ap);
}

/* ---- views ---- */

view_t *app_top_view(app_t *app)
{
    return app->nviews ? app->views[app->nviews - 1] : NULL;
}

static void view_free(view_t *v)
{
    if (!v)
        return;
    if (v->ops->free)
        v->ops->free(v);
    free(v);
}

void app_push_view(app_t *app, view_t *v)
{
    if (!v)
        return;
    if (app->nviews == APP_MAX_VIEWS) { /* drop the oldest: Esc history is bounded */
        view_free(app->views[0]);
        memmove(app->views, app->views + 1, sizeof app->views[0] * (APP_MAX_VIEWS - 1));
        app->nviews--;
    }
    app->views[app->nviews++] = v;
    app->focus_under = false;
    app->urgent = true;
    app_dirty(app);
}

void app_pop_view(app_t *app)
{
    if (app->nviews <= 1)
        return;
    app->focus_under = false;
    view_free(app->views[--app->nviews]);
    app->urgent = true;
    app_dirty(app);
}

void app_replace_view(app_t *app, view_t *v)
{
    if (!v)
        return;
    while (app->nviews)
        view_free(app->views[--app->nviews]);
    app_push_view(app, v);
}

static void free_views(app_t *app)
{
    while (app->nviews)
        view_free(app->views[--app->nviews]);
}

/* ---- informers ---- */

static void on_informer_changed(informer_t *inf, void *ud)
{
    app_t *app = ud;
    app->data_changed = true;
    if (informer_take_synced(inf))
        app->urgent = true;
}

informer_t *app_informer(app_t *app, kind_id_t kind, const char *ns)
{
    session_t *s = app->s;
    if (!s)
        return NULL;
    const kind_info_t *k = kind_get(kind);
    if (!k)
        return NULL;
    if (!k->namespaced || (ns && !*ns))
        ns = NULL;
    for (int i = 0; i < s->ninformers; i++) {
        informer_t *inf = s->informers[i];
        const char *ins = informer_namespace(inf);
        if (informer_kind(inf) == kind && ((!ns && !ins) || (ns && ins && !strcmp(ns, ins))))
            return inf;
    }
    if (s->ninformers == APP_MAX_INFORMERS) { /* evict the oldest; views re-ask every draw */
        informer_free(s->informers[0]);
        memmove(s->informers, s->informers + 1, sizeof s->informers[0] * (APP_MAX_INFORMERS - 1));
        s->ninformers--;
    }
    informer_opts_t o = {
        .loop = &app->loop, .http = s->http, .kind = kind, .ns = ns,
        .page_size = app->page_size, .changed = on_informer_changed, .ud = app,
    };
    informer_t *inf = informer_new(&o);
    if (!inf)
        return NULL;
    s->informers[s->ninformers++] = inf;
    informer_start(inf);
    return inf;
}

/* ---- the tty, signals and redraw ---- */

static void quit(app_t *app, int code)
{
    if (app->quitting)
        return;
    app->quitting = true;
    app->exit_code = code;
    uv_stop(&app->loop);
}

void app_quit(app_t *app, int code)
{
    quit(app, code);
}

static void suspend(app_t *app)
{
    if (screen_is_virtual())
        return;
    /* ncurses' own SIGTSTP handler leaves curses mode, stops, and restores the screen on fg. */
    raise(SIGTSTP);
    app->urgent = true;
    app_dirty(app);
}

void app_handle_key(app_t *app, int key)
{
    if (key == '\r')
        key = '\n'; /* nonl(): a terminal's Enter arrives as CR; bindings and scripts use '\n' */
    if (key == KEY_RESIZE) {
        app->urgent = true;
        app_dirty(app);
        return;
    }
    if (app_prompt_key(app, key))
        return;
    view_t *v = app_top_view(app);
    if (app_focus_under(app))
        v = app_under_view(app); /* split screen, keyboard on the table */
    if (v && v->ops->key_first && v->ops->key_first(v, key)) {
        app->urgent = true;
        app_dirty(app);
        return;
    }
    keyctx_t ctx = v ? v->ops->keyctx : KEYCTX_GLOBAL;
    action_t a = keymap_lookup(ctx, key, app_read_only(app));
    app->urgent = true;
    app_dirty(app);
    char why[400];
    if (a != ACT_NONE && app_action_denied(app, a, why, sizeof why)) {
        app_error(app, "%s: %s", action_name(a), why);
        return;
    }
    if (a == ACT_FOCUS) {
        view_t *top = app_top_view(app);
        if (top && top->split && app->nviews >= 2) {
            app->focus_under = !app->focus_under;
            return;
        }
        /* No split screen: the view may use Tab (the apply preview toggles its pages). */
    }
    /* The view gets the first say (a text view's own `/`), then the global actions. */
    if (a != ACT_NONE && v && v->ops->action && v->ops->action(v, a))
        return;
    switch (a) {
    case ACT_QUIT:
        if (app_rollouts_may_quit(app)) /* a rollout this kdeck drives: q twice */
            quit(app, 0);
        return;
    case ACT_HELP:
        app_push_view(app, view_help_new(app, ctx));
        return;
    case ACT_COMMAND:
        app_prompt_open(app, PROMPT_COMMAND);
        return;
    case ACT_FILTER:
        app_prompt_open(app, PROMPT_FILTER);
        return;
    case ACT_BACK:
        if (v && v->filter[0] && v->ops->filter) { /* Esc first clears a filter, then goes back */
            v->filter[0] = '\0';
            v->ops->filter(v, "");
            return;
        }
        app_pop_view(app);
        return;
    case ACT_REDRAW:
        clearok(curscr, TRUE);
        return;
    case ACT_SUSPEND:
        suspend(app);
        return;
    case ACT_YANK:
        if (v && v->ops->yank) {
            char *text = v->ops->yank(v);
            if (text) {
                app_clipboard(app, text);
                free(text);
            }
        }
        return;
    case ACT_NONE:
        if (v && v->ops->key && v->ops->key(v, key))
            return;
        return;
    default:
        return;
    }
}

static void on_tty(uv_poll_t *p, int status, int events)
{
    app_t *app = p->data;
    (void)status;
    (void)events;
    if (app->shell) { /* the container's shell owns the keyboard */
        app_shell_input(app);
        return;
    }
    int key;
    /* ncurses may have buffered several keys from one read(); drain them all (LOOP.md). */
    while (!app->quitting && (key = getch()) != ERR)
        app_handle_key(app, key);
}

static void on_signal(uv_signal_t *s, int signum)
{
    app_t *app = s->data;
    if (signum == SIGWINCH && app->shell) {
        app_shell_resize(app); /* curses catches up when the shell ends */
        return;
    }
    if (signum == SIGWINCH) {
        screen_resize(0, 0);
        int key;
        while ((key = getch()) != ERR) /* swallow the KEY_RESIZE ncurses queued */
            if (key != KEY_RESIZE)
                app_handle_key(app, key);
        clear();
        app->urgent = true;
        app_dirty(app);
        return;
    }
    if (signum == SIGCONT) {
        clearok(curscr, TRUE);
        app->urgent = true;
        app_dirty(app);
        return;
    }
    quit(app, signum == SIGINT ? 130 : 128 + signum);
}

static void on_redraw_timer(uv_timer_t *t)
{
    (void)t; /* waking the loop is enough: the prepare handle draws */
}

static void on_prepare(uv_prepare_t *p)
{
    app_t *app = p->data;
    if (app->quitting || app->shell) /* no drawing while a shell owns the terminal */
        return;
    if (app->data_changed) {
        app->data_changed = false;
        view_t *v = app_top_view(app);
        if (!v || !v->ops->stale || v->ops->stale(v))
            app->dirty = true;
        app_update_api_status(app);
    }
    if (app->dirty) {
        uint64_t now = uv_now(&app->loop);
        if (!app->urgent && now - app->last_draw_ms < REDRAW_MIN_INTERVAL_MS) {
            if (!uv_is_active((uv_handle_t *)&app->redraw_timer))
                uv_timer_start(&app->redraw_timer, on_redraw_timer,
                               REDRAW_MIN_INTERVAL_MS - (now - app->last_draw_ms), 0);
        } else {
            app->dirty = app->urgent = false;
            app->last_draw_ms = now;
            app_draw(app);
        }
    }
    app_script_prepare(app);
}

/* The header clock shows minutes, so it wakes the loop once a minute, aligned to the minute. */
static void on_clock(uv_timer_t *t)
{
    app_t *app = t->data;
    app_dirty(app);
    time_t now = time(NULL);
    uv_timer_start(t, on_clock, (uint64_t)(60 - now % 60) * 1000, 0);
}

static void on_countdown(uv_timer_t *t)
{
    app_t *app = t->data;
    app_update_api_status(app);
    app_dirty(app);
}

void app_countdown(app_t *app, bool on)
{
    bool active = uv_is_active((uv_handle_t *)&app->countdown);
    if (on && !active)
        uv_timer_start(&app->countdown, on_countdown, 1000, 1000);
    else if (!on && active)
        uv_timer_stop(&app->countdown);
}

/* ---- clipboard ---- */

void app_clipboard(app_t *app, const char *text)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(text);
    if (n > 100000) { /* terminals cap OSC 52 payloads; say so rather than copy half */
        app_error(app, "selection too large to copy (%zu bytes, limit 100000)", n);
        return;
    }
    size_t olen = 4 * ((n + 2) / 3);
    char *out = malloc(olen + 16);
    if (!out)
        return;
    size_t o = 0;
    memcpy(out, "\033]52;c;", 7);
    o = 7;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)text[i] << 16;
        if (i + 1 < n) v |= (unsigned char)text[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)text[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o++] = '\a';
    screen_write_raw(out, o);
    free(out);
    snprintf(app->last_yank, sizeof app->last_yank, "%s", text);
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n' && p[1];
    if (lines > 1)
        app_info(app, "copied %zu lines to the clipboard", lines);
    else
        app_info(app, "copied '%.200s' to the clipboard", text);
}

/* ---- start-up and shutdown ---- */

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    close_handle(h);
}

static bool start_tty(app_t *app)
{
    if (screen_is_virtual())
        return true;
    /* uv_poll_init sets O_NONBLOCK on the tty, which the parent shell shares: restore it. */
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    if (uv_poll_init(&app->loop, &app->tty, STDIN_FILENO) != 0)
        return false;
    if (flags >= 0)
        fcntl(STDIN_FILENO, F_SETFL, flags);
    app->tty.data = app;
    uv_poll_start(&app->tty, UV_READABLE, on_tty);
    return true;
}

/* Closes the handles app_run itself started (informers, HTTP and lws close their own). */
static void close_own_handles(app_t *app)
{
    uv_handle_t *hs[] = {
        (uv_handle_t *)&app->sig_winch, (uv_handle_t *)&app->sig_term, (uv_handle_t *)&app->sig_int,
        (uv_handle_t *)&app->sig_hup, (uv_handle_t *)&app->sig_cont,
    };
    if (app->signals_ready)
        for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
            close_handle(hs[i]);
    if (app->tty_ready)
        close_handle((uv_handle_t *)&app->tty);
    if (app->loop_ready) {
        close_handle((uv_handle_t *)&app->prepare);
        close_handle((uv_handle_t *)&app->redraw_timer);
        close_handle((uv_handle_t *)&app->clock);
        close_handle((uv_handle_t *)&app->countdown);
    }
    app_script_close(app);
}

static void start_signal(app_t *app, uv_signal_t *s, int signum)
{
    uv_signal_init(&app->loop, s);
    s->data = app;
    uv_signal_start(s, on_signal, signum);
}

int app_run(const app_options_t *opts)
{
    app_t *app = calloc(1, sizeof *app);
    if (!app) {
        fputs("kdeck: out of memory\n", stderr);
        return 1;
    }
    app->opts = *opts;
    app->page_size = 500;
    const char *ps = getenv("KDECK_PAGE_SIZE");
    if (ps && atoi(ps) > 0)
        app->page_size = (unsigned)atoi(ps);
    uv_loop_init(&app->loop);
    int rc = 1;
    char err[1024];

    if (opts->script && !app_script_load(app, opts->script, err, sizeof err)) {
        fprintf(stderr, "kdeck: %s\n", err);
        goto out_loop;
    }
    if (!app_session_open(app, opts->context, opts->ns, err, sizeof err)) {
        fprintf(stderr, "kdeck: %s\n", err);
        rc = 1;
        goto out_loop;
    }
    /* Signals before newterm: ncurses only installs its own handlers where none exist (LOOP.md). */
    start_signal(app, &app->sig_winch, SIGWINCH);
    start_signal(app, &app->sig_term, SIGTERM);
    start_signal(app, &app->sig_int, SIGINT);
    start_signal(app, &app->sig_hup, SIGHUP);
    start_signal(app, &app->sig_cont, SIGCONT);
    app->signals_ready = true;
    if (!screen_init(opts->no_display, err, sizeof err)) {
        fprintf(stderr, "kdeck: %s\n", err);
        goto out_session;
    }
    if (!app_theme_load(app, opts->theme, err, sizeof err)) {
        screen_end();
        fprintf(stderr, "kdeck: %s\n", err);
        goto out_session;
    }
    if (!start_tty(app)) {
        screen_end();
        fprintf(stderr, "kdeck: cannot watch the terminal for input\n");
        goto out_session;
    }
    app->tty_ready = !screen_is_virtual();
    uv_prepare_init(&app->loop, &app->prepare);
    app->prepare.data = app;
    uv_prepare_start(&app->prepare, on_prepare);
    uv_timer_init(&app->loop, &app->redraw_timer);
    app->redraw_timer.data = app;
    uv_timer_init(&app->loop, &app->clock);
    app->clock.data = app;
    uv_timer_init(&app->loop, &app->countdown);
    app->countdown.data = app;
    app->loop_ready = true;
    on_clock(&app->clock);
    app_script_init(app);

    app->all_ns = opts->all_namespaces;
    app_rbac_prefetch(app);
    app_command(app, opts->start_view ? opts->start_view : "pods");
    app_warn_target(app);
    app->urgent = true;
    app_dirty(app);

    uv_run(&app->loop, UV_RUN_DEFAULT);
    rc = app->exit_code;

    /* Shutdown order from LOOP.md: leave curses, close our handles, cancel transfers and start
     * lws's destruction, let the loop run every close callback, then lws's second phase, and
     * only then free what the handles pointed into. */
    screen_end();
    free_views(app);
out_session:
    close_own_handles(app);
    app_session_close(app);
out_loop:
    uv_run(&app->loop, UV_RUN_DEFAULT);
    app_streams_finish(app);
    uv_run(&app->loop, UV_RUN_NOWAIT);
    uv_walk(&app->loop, walk_close, NULL); /* nothing should be left; never leave a handle open */
    uv_run(&app->loop, UV_RUN_DEFAULT);
    app_script_free(app);
    uv_loop_close(&app->loop);
    free(app->script); /* its handles' close callbacks have run */
    app_theme_free(app);
    if (app->kc)
        kubeconfig_free(app->kc);
    free(app);
    return rc;
}

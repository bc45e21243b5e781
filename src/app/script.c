/* The unattended mode (KDECK_SCRIPT=FILE or --script FILE): one key or command per line, each step
 * run only once no request is in flight and nothing is waiting to be drawn, so tests never sleep.
 *
 *   <Down>  j  <C-d>        one key (names as in docs/keys.md)
 *   :pods   :ns app         a command, as typed after ':'
 *   /text                   types '/', the text and <Enter> (the live filter)
 *   :save-display PATH      the screen as text;  :save-colors PATH  a grid of theme letters
 *   :wait-for TEXT          waits until TEXT is on screen (KDECK_SCRIPT_TIMEOUT seconds, default 20)
 *   :wait-gone TEXT         waits until TEXT is no longer on screen
 *   :wait-match ERE         waits until a screen line matches the extended regular expression
 *   :wait-nomatch ERE       waits until no screen line matches it
 *   :resize COLSxROWS       resizes the virtual screen
 *   :quit                   ends (so does the end of the file)
 *   # comment, blank lines  ignored
 *   anything else           typed character by character (form fields)
 *
 * A step that cannot run within the timeout ends kdeck with exit status 3 and the screen on stderr.
 * KDECK_SCRIPT_LOG=FILE records, per step, when it started and when its effects had settled (drawn,
 * no request in flight), in milliseconds since start: benchmarks read latencies from it. */
#include "app_int.h"
#include "kdeck/prom.h"
#include "kdeck/screen.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

struct script {
    char **lines;
    size_t n, next;
    char *path;
    uv_idle_t idle;
    uv_timer_t watchdog;
    char wait_text[256];
    bool wait_gone;
    bool wait_regex;
    regex_t re;
    bool re_valid;
    bool waiting;
    bool step_scheduled;
    unsigned timeout_s;
    FILE *log;
    uint64_t t0;
    bool handles_ready;
};

bool app_script_load(app_t *app, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read script %s", path);
        return false;
    }
    script_t *s = calloc(1, sizeof *s);
    char line[4096];
    size_t cap = 0;
    while (s && fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = '\0';
        if (!l || line[0] == '#')
            continue;
        if (s->n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(s->lines, cap * sizeof *p);
            if (!p)
                break;
            s->lines = p;
        }
        s->lines[s->n++] = strdup(line);
    }
    fclose(f);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    s->path = strdup(path);
    const char *log = getenv("KDECK_SCRIPT_LOG");
    if (log && *log)
        s->log = fopen(log, "w");
    s->t0 = uv_hrtime();
    const char *t = getenv("KDECK_SCRIPT_TIMEOUT");
    s->timeout_s = t && atoi(t) > 0 ? (unsigned)atoi(t) : 20;
    app->script = s;
    return true;
}

static void fail(app_t *app, const char *why)
{
    script_t *s = app->script;
    char *text = screen_text();
    fprintf(stderr, "kdeck: script %s, step %zu (%s): %s\n--- screen ---\n%s--- end ---\n", s->path,
            s->next, s->next && s->next <= s->n ? s->lines[s->next - 1] : "", why, text ? text : "");
    free(text);
    app_quit(app, 3);
}

static void on_watchdog(uv_timer_t *t)
{
    app_t *app = t->data;
    script_t *s = app->script;
    if (s->waiting) {
        char why[400];
        snprintf(why, sizeof why, "'%s' %s after %us", s->wait_text,
                 s->wait_gone ? "still on screen" : "not on screen", s->timeout_s);
        fail(app, why);
    } else {
        fail(app, "timed out waiting for requests to finish");
    }
}

static void arm_watchdog(app_t *app)
{
    uv_timer_start(&app->script->watchdog, on_watchdog, (uint64_t)app->script->timeout_s * 1000, 0);
}

static void type_text(app_t *app, const char *text)
{
    for (const char *p = text; *p && !app->quitting; p++)
        app_handle_key(app, (unsigned char)*p);
}

static void run_step(app_t *app, const char *line)
{
    script_t *s = app->script;
    if (line[0] == ':') {
        const char *cmd = line + 1;
        if (!strncmp(cmd, "wait-for ", 9) || !strncmp(cmd, "wait-gone ", 10)) {
            s->wait_gone = cmd[5] == 'g';
            s->wait_regex = false;
            snprintf(s->wait_text, sizeof s->wait_text, "%s", cmd + (s->wait_gone ? 10 : 9));
            s->waiting = true;
            return;
        }
        if (!strncmp(cmd, "wait-match ", 11) || !strncmp(cmd, "wait-nomatch ", 13)) {
            s->wait_gone = cmd[5] == 'n';
            snprintf(s->wait_text, sizeof s->wait_text, "%s", cmd + (s->wait_gone ? 13 : 11));
            if (s->re_valid)
                regfree(&s->re);
            s->re_valid = regcomp(&s->re, s->wait_text, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) == 0;
            if (!s->re_valid) {
                fail(app, "invalid regular expression");
                return;
            }
            s->wait_regex = true;
            s->waiting = true;
            return;
        }
        if (!strncmp(cmd, "resize ", 7)) {
            int c = 0, r = 0;
            if (sscanf(cmd + 7, "%dx%d", &c, &r) == 2 && c > 0 && r > 0) {
                screen_resize(r, c);
                app->urgent = true;
                app_dirty(app);
            }
            return;
        }
        if (!strcmp(cmd, "quit") || !strcmp(cmd, "q")) {
            app_quit(app, 0);
            return;
        }
        app_command(app, cmd);
        return;
    }
    if (line[0] == '/' && line[1]) {
        app_handle_key(app, '/');
        type_text(app, line + 1);
        app_handle_key(app, '\n');
        return;
    }
    int key = keymap_parse_key(line);
    if (key >= 0)
        app_handle_key(app, key);
    else
        type_text(app, line);
}

static void on_idle(uv_idle_t *h)
{
    app_t *app = h->data;
    script_t *s = app->script;
    uv_idle_stop(h);
    s->step_scheduled = false;
    if (app->quitting)
        return;
    if (s->next >= s->n) {
        app_quit(app, 0);
        return;
    }
    const char *line = s->lines[s->next++];
    if (s->log)
        fprintf(s->log, "%.3f start %zu %s\n", (double)(uv_hrtime() - s->t0) / 1e6, s->next, line);
    run_step(app, line);
    arm_watchdog(app);
}

static bool screen_has(script_t *s)
{
    char *screen = screen_text();
    bool found = screen && (s->wait_regex ? regexec(&s->re, screen, 0, NULL, 0) == 0
                                          : strstr(screen, s->wait_text) != NULL);
    free(screen);
    return found;
}

/* Called just before the loop blocks, after drawing: decides whether the next step may run. */
void app_script_prepare(app_t *app)
{
    script_t *s = app->script;
    if (!s || app->quitting || s->step_scheduled)
        return;
    if (app->dirty)
        return; /* a redraw is pending (coalescing timer): the step must see the final screen */
    if (app->s && http_client_in_flight(app->s->http) > 0)
        return;
    if (app->s && prom_client_in_flight(app->s->prom) > 0)
        return; /* metrics queries, also those of a direct --prometheus client */
    if (s->waiting) {
        if (screen_has(s) == s->wait_gone)
            return; /* keep waiting: a watch event or timer will wake the loop */
        s->waiting = false;
    }
    s->step_scheduled = true;
    if (s->log) {
        fprintf(s->log, "%.3f settled %zu\n", (double)(uv_hrtime() - s->t0) / 1e6, s->next);
        fflush(s->log);
    }
    uv_idle_start(&s->idle, on_idle);
}

void app_script_init(app_t *app)
{
    script_t *s = app->script;
    if (!s)
        return;
    uv_idle_init(&app->loop, &s->idle);
    s->idle.data = app;
    uv_timer_init(&app->loop, &s->watchdog);
    s->watchdog.data = app;
    s->handles_ready = true;
    arm_watchdog(app);
}

void app_script_close(app_t *app)
{
    script_t *s = app->script;
    if (!s || !s->handles_ready)
        return;
    if (!uv_is_closing((uv_handle_t *)&s->idle))
        uv_close((uv_handle_t *)&s->idle, NULL);
    if (!uv_is_closing((uv_handle_t *)&s->watchdog))
        uv_close((uv_handle_t *)&s->watchdog, NULL);
}

void app_script_free(app_t *app)
{
    script_t *s = app->script;
    if (!s)
        return;
    /* The handles are closed by the shutdown walk; the struct must outlive their close callbacks,
     * so it is freed by the caller after the loop has run (see app_run). */
    for (size_t i = 0; i < s->n; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->path);
    if (s->re_valid)
        regfree(&s->re);
    s->re_valid = false;
    if (s->log)
        fclose(s->log);
    s->log = NULL;
    s->lines = NULL;
    s->n = 0;
}

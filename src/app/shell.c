/* A shell in a container over the exec WebSocket (v5.channel.k8s.io, else v4): kdeck leaves curses
 * mode, puts the terminal in raw mode and forwards bytes both ways, sends the terminal size on the
 * resize channel, reports the exit status from the error channel, and restores the TUI as it was.
 * The loop keeps running meanwhile, so watches and log panes stay live underneath. */
#include "app_int.h"
#include "kdeck/audit.h"
#include "kdeck/channel.h"
#include "kdeck/screen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

struct shell {
    app_t *app;
    ws_conn_t *conn;
    struct termios saved;
    bool raw;
    bool v5;
    int exit_status;       /* -1 unknown */
    char error[300];
    char what[600];
};

static void term_size(int *cols, int *rows)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
    } else {
        *cols = 80;
        *rows = 24;
    }
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void app_shell_resize(app_t *app)
{
    shell_t *sh = app->shell;
    if (!sh || !sh->conn)
        return;
    int cols, rows;
    term_size(&cols, &rows);
    unsigned char msg[80];
    size_t n = channel_resize(cols, rows, msg, sizeof msg);
    if (n)
        ws_send(sh->conn, msg, n);
}

/* Bytes typed while the shell runs go to the container's stdin. */
void app_shell_input(app_t *app)
{
    shell_t *sh = app->shell;
    unsigned char buf[4096 + 1];
    ssize_t n = read(STDIN_FILENO, buf + 1, sizeof buf - 1);
    if (n <= 0 || !sh->conn)
        return;
    buf[0] = CH_STDIN;
    ws_send(sh->conn, buf, (size_t)n + 1);
}

/* The operator's own record of the exec (kdeck's local audit log). */
static void audit_shell(app_t *app, const shell_t *sh, const char *result)
{
    const kube_target_t *t = app_target(app);
    char object[700];
    snprintf(object, sizeof object, "pods/exec/%s", sh->what);
    audit_entry_t e = { .context = t ? t->context : "", .user = t ? t->user_name : "", .verb = "create",
                        .object = object, .result = result };
    audit_record(&e);
}

static void restore(app_t *app)
{
    shell_t *sh = app->shell;
    char result[400];
    if (sh->error[0])
        snprintf(result, sizeof result, "failed: %s", sh->error);
    else
        snprintf(result, sizeof result, "exit status %d", sh->exit_status < 0 ? 0 : sh->exit_status);
    audit_shell(app, sh, result);
    if (sh->raw)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &sh->saved);
    fputs("\r\n", stdout);
    fflush(stdout);
    screen_resume();
    screen_resize(0, 0); /* the terminal may have been resized meanwhile */
    clearok(curscr, TRUE);
    app->shell = NULL;
    if (sh->error[0])
        app_error(app, "shell in %s: %s", sh->what, sh->error);
    else if (sh->exit_status > 0)
        app_error(app, "shell in %s exited with status %d", sh->what, sh->exit_status);
    else
        app_info(app, "shell in %s exited with status %d", sh->what, sh->exit_status < 0 ? 0 : sh->exit_status);
    free(sh);
    app->urgent = true;
    app_dirty(app);
}

static void on_open(ws_conn_t *c, const char *protocol, void *ud)
{
    app_t *app = ud;
    (void)c;
    app->shell->v5 = !strcmp(protocol, "v5.channel.k8s.io");
    app_shell_resize(app);
}

static void on_message(ws_conn_t *c, const unsigned char *data, size_t len, void *ud)
{
    app_t *app = ud;
    shell_t *sh = app->shell;
    (void)c;
    int ch;
    const unsigned char *p;
    size_t pl;
    if (!channel_decode(data, len, &ch, &p, &pl))
        return;
    if (ch == CH_STDOUT || ch == CH_STDERR)
        write_all(STDOUT_FILENO, p, pl);
    else if (ch == CH_ERROR)
        sh->exit_status = channel_exit_status(p, pl, sh->error, sizeof sh->error);
}

static void on_close(ws_conn_t *c, int http_status, const char *reason, void *ud)
{
    app_t *app = ud;
    shell_t *sh = app->shell;
    (void)c;
    sh->conn = NULL;
    if (sh->exit_status < 0 && !sh->error[0])
        snprintf(sh->error, sizeof sh->error, "%s%s%d)", reason && *reason ? reason : "connection closed",
                 http_status ? " (HTTP " : "", http_status);
    if (sh->exit_status < 0 && !http_status && sh->error[0] && !strncmp(sh->error, "stream closed", 13))
        sh->error[0] = '\0';
    restore(app);
}

/* Percent-encodes a command word for the exec query string. */
static void add_command(char *q, size_t len, const char *word)
{
    size_t o = strlen(q);
    o += (size_t)snprintf(q + o, len - o, "&command=");
    for (const unsigned char *p = (const unsigned char *)word; *p && o + 4 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~/", *p))
            q[o++] = (char)*p;
        else
            o += (size_t)snprintf(q + o, len - o, "%%%02X", *p);
    }
    q[o] = '\0';
}

bool app_shell_start(app_t *app, const char *ns, const char *pod, const char *container)
{
    if (app->shell)
        return false;
    if (screen_is_virtual()) {
        app_error(app, "a shell needs a real terminal");
        return false;
    }
    ws_client_t *ws = app_ws(app);
    char auth[8192];
    if (!ws || !app_auth_header(app, auth, sizeof auth)) {
        app_error(app, "shell: %s", ws ? "credentials are not ready yet, try again" : "WebSocket streams are unavailable");
        return false;
    }
    shell_t *sh = calloc(1, sizeof *sh);
    if (!sh)
        return false;
    sh->app = app;
    sh->exit_status = -1;
    snprintf(sh->what, sizeof sh->what, "%s/%s/%s", ns, pod, container);
    char path[4096];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/%s/exec?container=%s&stdin=true&stdout=true&tty=true",
             ns, pod, container);
    /* bash when the image has it, else sh: what an operator expects (k9s does the same). */
    const char *cmd = getenv("KDECK_SHELL");
    if (cmd && *cmd) {
        add_command(path, sizeof path, "/bin/sh");
        add_command(path, sizeof path, "-c");
        add_command(path, sizeof path, cmd);
    } else {
        add_command(path, sizeof path, "/bin/sh");
        add_command(path, sizeof path, "-c");
        add_command(path, sizeof path, "command -v bash >/dev/null 2>&1 && exec bash || exec sh");
    }
    app->shell = sh;
    ws_conn_opts_t o = {
        .path = path, .protocols = "v5.channel.k8s.io,v4.channel.k8s.io", .auth_header = auth[0] ? auth : NULL,
        .on_open = on_open, .on_message = on_message, .on_close = on_close, .ud = app,
    };
    char err[512];
    screen_suspend();
    printf("kdeck: shell in %s (exit the shell to return)\r\n", sh->what);
    fflush(stdout);
    if (tcgetattr(STDIN_FILENO, &sh->saved) == 0) {
        struct termios raw = sh->saved;
        cfmakeraw(&raw);
        sh->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    sh->conn = ws_connect(ws, &o, err, sizeof err);
    memset(auth, 0, sizeof auth);
    if (!sh->conn) {
        snprintf(sh->error, sizeof sh->error, "%s", err);
        restore(app);
        return false;
    }
    return true;
}

/* ---- choosing the container ---- */

typedef struct pick_ctx {
    char ns[254], pod[254];
    char **names;
    size_t n;
} pick_ctx_t;

static void pick_free(void *ud)
{
    pick_ctx_t *p = ud;
    for (size_t i = 0; i < p->n; i++)
        free(p->names[i]);
    free(p->names);
    free(p);
}

static void picked(app_t *app, int index, void *ud)
{
    pick_ctx_t *p = ud;
    if (index >= 0 && (size_t)index < p->n)
        app_shell_start(app, p->ns, p->pod, p->names[index]);
}

void app_open_shell(app_t *app, const kobj_t *pod)
{
    if (app_read_only(app))
        return; /* the action does not exist in a read-only session; the transport refuses too */
    const kobj_pod_t *pp = &pod->u.pod;
    pick_ctx_t *p = calloc(1, sizeof *p);
    if (!p)
        return;
    p->names = calloc(pp->ncontainers ? pp->ncontainers : 1, sizeof *p->names);
    snprintf(p->ns, sizeof p->ns, "%s", pod->ns ? pod->ns : "");
    snprintf(p->pod, sizeof p->pod, "%s", pod->name);
    for (int i = 0; p->names && i < pp->ncontainers; i++)
        if (!(pp->containers[i].flags & KCONT_INIT) || (pp->containers[i].flags & KCONT_SIDECAR))
            p->names[p->n++] = strdup(pp->containers[i].name);
    if (p->n == 0) {
        app_error(app, "pod %s has no containers to open a shell in", pod->name);
        pick_free(p);
        return;
    }
    if (p->n == 1) {
        app_shell_start(app, p->ns, p->pod, p->names[0]);
        pick_free(p);
        return;
    }
    char title[400];
    snprintf(title, sizeof title, "Shell in which container of %s?", pod->name);
    app_push_view(app, view_pick_new(app, title, (const char *const *)p->names, p->n, picked, p, pick_free));
}

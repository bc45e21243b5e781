/* Bearer credentials: static token, token file, or an exec plugin (client.authentication.k8s.io). */
#include "kdeck/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PLUGIN_OUTPUT_MAX (1024 * 1024)
#define PLUGIN_TIMEOUT_MS 60000
#define TOKEN_FILE_REREAD_S 60

typedef struct plugin_run plugin_run_t;

struct kube_auth {
    uv_loop_t *loop;
    const kube_target_t *t;
    http_client_t *client;
    http_auth_t hooks;
    char *token;               /* current bearer token (exec or file) */
    time_t expires;            /* exec: expirationTimestamp; 0 = none */
    time_t token_read_at;      /* token file: when it was last read */
    plugin_run_t *run;         /* plugin in progress, or NULL */
    uv_timer_t timeout;
    int open_handles;
    bool freeing;
    char error[512];
};

/* One run of the plugin. Its handles are closed asynchronously, so each run has its own memory,
 * freed when both handles have closed, even if the provider is gone by then. */
struct plugin_run {
    kube_auth_t *auth;         /* NULL once the provider no longer waits for this run */
    uv_process_t proc;
    uv_pipe_t out;
    int open_handles;
    char *buf;
    size_t buf_len;
    int64_t exit_status;
    bool exited, out_closed;
};

static void wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}

static void maybe_free(kube_auth_t *a)
{
    if (a->freeing && a->open_handles == 0) {
        wipe_free(a->token);
        free(a);
    }
}

static void on_closed(uv_handle_t *h)
{
    kube_auth_t *a = h->data;
    a->open_handles--;
    maybe_free(a);
}

static void run_free(plugin_run_t *r)
{
    if (r->buf) {
        memset(r->buf, 0, r->buf_len);
        free(r->buf);
    }
    free(r);
}

static void on_run_closed(uv_handle_t *h)
{
    plugin_run_t *r = h->data;
    if (--r->open_handles == 0)
        run_free(r);
}

static void finish_plugin(plugin_run_t *r)
{
    if (!r->exited || !r->out_closed)
        return;
    kube_auth_t *a = r->auth;
    if (!a)
        return; /* the provider was freed meanwhile */
    a->run = NULL;
    r->auth = NULL;
    uv_timer_stop(&a->timeout);
    bool ok = false;
    if (r->exit_status != 0) {
        snprintf(a->error, sizeof a->error, "credential plugin %s exited with status %lld%s%s",
                 a->t->exec->command, (long long)r->exit_status,
                 a->t->exec->install_hint ? "; " : "", a->t->exec->install_hint ? a->t->exec->install_hint : "");
    } else {
        kc_exec_credential_t cred;
        kc_error_t err;
        memset(&cred, 0, sizeof cred);
        if (!kc_exec_credential_parse(r->buf ? r->buf : "", r->buf_len, a->t->exec->api_version, &cred, &err)) {
            snprintf(a->error, sizeof a->error, "credential plugin %s: %s", a->t->exec->command, err.msg);
        } else if (!cred.token) {
            snprintf(a->error, sizeof a->error,
                     "credential plugin %s returned a client certificate; kdeck supports plugin tokens only",
                     a->t->exec->command);
            kc_exec_credential_clear(&cred);
        } else {
            wipe_free(a->token);
            a->token = cred.token;
            cred.token = NULL;
            a->expires = cred.expiration;
            /* A plugin that hands out an already expired token would otherwise be re-run for
             * ever by the very requests waiting for it: let them use it, and ask again later. */
            if (a->expires && a->expires <= time(NULL) + 10)
                a->expires = time(NULL) + 15;
            kc_exec_credential_clear(&cred);
            a->error[0] = '\0';
            ok = true;
        }
    }
    http_client_auth_ready(a->client, ok, a->error);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    b->base = malloc(suggested);
    b->len = b->base ? suggested : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    plugin_run_t *r = s->data;
    if (n > 0 && r->buf_len + (size_t)n <= PLUGIN_OUTPUT_MAX) {
        char *p = realloc(r->buf, r->buf_len + (size_t)n + 1);
        if (p) {
            memcpy(p + r->buf_len, b->base, (size_t)n);
            r->buf = p;
            r->buf_len += (size_t)n;
            r->buf[r->buf_len] = '\0';
        }
    }
    free(b->base);
    if (n < 0 && !r->out_closed) {
        r->out_closed = true;
        uv_close((uv_handle_t *)&r->out, on_run_closed);
        finish_plugin(r);
    }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    plugin_run_t *r = p->data;
    r->exit_status = sig ? 128 + sig : status;
    r->exited = true;
    uv_close((uv_handle_t *)p, on_run_closed);
    finish_plugin(r);
}

static void on_plugin_timeout(uv_timer_t *t)
{
    kube_auth_t *a = t->data;
    if (a->run && !a->run->exited)
        uv_process_kill(&a->run->proc, SIGKILL);
}

static bool start_plugin(kube_auth_t *a)
{
    const kc_exec_t *ex = a->t->exec;
    size_t nargs = ex->nargs;
    char **argv = calloc(nargs + 2, sizeof *argv);
    extern char **environ;
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char **env = calloc(nenv + ex->nenv + 2, sizeof *env);
    char *info = kc_exec_info_json(a->t, false);
    if (!argv || !env) {
        free(argv); free(env); free(info);
        snprintf(a->error, sizeof a->error, "out of memory starting the credential plugin");
        return false;
    }
    argv[0] = ex->command;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = ex->args[i];
    size_t e = 0;
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21))
            env[e++] = environ[i];
    char **extra = calloc(ex->nenv + 1, sizeof *extra);
    for (size_t i = 0; extra && i < ex->nenv; i++) {
        size_t l = strlen(ex->env_names[i]) + strlen(ex->env_values[i]) + 2;
        extra[i] = malloc(l);
        if (extra[i]) {
            snprintf(extra[i], l, "%s=%s", ex->env_names[i], ex->env_values[i]);
            env[e++] = extra[i];
        }
    }
    char *info_env = NULL;
    if (info) {
        size_t l = strlen(info) + 32;
        info_env = malloc(l);
        if (info_env) {
            snprintf(info_env, l, "KUBERNETES_EXEC_INFO=%s", info);
            env[e++] = info_env;
        }
    }
    plugin_run_t *r = calloc(1, sizeof *r);
    if (!r) {
        for (size_t i = 0; extra && i < ex->nenv; i++)
            free(extra[i]);
        free(extra); free(info_env); free(info); free(argv); free(env);
        snprintf(a->error, sizeof a->error, "out of memory starting the credential plugin");
        return false;
    }
    r->auth = a;
    uv_pipe_init(a->loop, &r->out, 0);
    r->out.data = r;
    r->open_handles = 1;
    uv_stdio_container_t stdio[3] = {
        { .flags = UV_IGNORE },
        { .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&r->out },
        { .flags = UV_IGNORE }, /* plugin chatter must never reach the curses screen */
    };
    uv_process_options_t o = {
        .exit_cb = on_exit_cb, .file = ex->command, .args = argv, .env = env,
        .stdio_count = 3, .stdio = stdio,
    };
    r->proc.data = r;
    int rc = uv_spawn(a->loop, &r->proc, &o);
    for (size_t i = 0; extra && i < ex->nenv; i++)
        free(extra[i]);
    free(extra); free(info_env); free(info); free(argv); free(env);
    if (rc != 0) {
        snprintf(a->error, sizeof a->error, "cannot run credential plugin %s: %s%s%s", ex->command,
                 uv_strerror(rc), ex->install_hint ? "; " : "", ex->install_hint ? ex->install_hint : "");
        r->auth = NULL;
        r->open_handles = 2;
        uv_close((uv_handle_t *)&r->out, on_run_closed);
        uv_close((uv_handle_t *)&r->proc, on_run_closed); /* libuv requires closing a failed spawn */
        return false;
    }
    r->open_handles = 2;
    a->run = r;
    uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
    uv_timer_start(&a->timeout, on_plugin_timeout, PLUGIN_TIMEOUT_MS, 0);
    return true;
}

static char *read_token_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
        return NULL;
    }
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    char *t = strdup(buf);
    memset(buf, 0, sizeof buf);
    return t;
}

static int auth_header(void *ud, char *buf, size_t len)
{
    kube_auth_t *a = ud;
    const kube_target_t *t = a->t;
    buf[0] = '\0';
    time_t now = time(NULL);
    if (t->exec) {
        if (a->token && (!a->expires || a->expires > now + 10)) {
            snprintf(buf, len, "Authorization: Bearer %s", a->token);
            return 0;
        }
        if (a->run)
            return 1;
        if (!start_plugin(a)) {
            snprintf(buf, len, "%s", a->error);
            return -1;
        }
        return 1;
    }
    if (t->token_file) {
        if (!a->token || now - a->token_read_at > TOKEN_FILE_REREAD_S) {
            char err[256];
            char *tok = read_token_file(t->token_file, err, sizeof err);
            if (tok) {
                wipe_free(a->token);
                a->token = tok;
                a->token_read_at = now;
            } else if (!a->token) {
                snprintf(buf, len, "%s", err);
                return -1;
            }
        }
        snprintf(buf, len, "Authorization: Bearer %s", a->token);
        return 0;
    }
    if (t->token && t->token[0])
        snprintf(buf, len, "Authorization: Bearer %s", t->token);
    return 0;
}

static bool auth_invalidate(void *ud)
{
    kube_auth_t *a = ud;
    if (a->t->exec) { /* the plugin may have a fresher token than the one the server refused */
        wipe_free(a->token);
        a->token = NULL;
        return true;
    }
    if (a->t->token_file) {
        a->token_read_at = 0;
        return true;
    }
    return false;
}

kube_auth_t *kube_auth_new(uv_loop_t *loop, const kube_target_t *target, http_client_t *client)
{
    kube_auth_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->loop = loop;
    a->t = target;
    a->client = client;
    a->hooks.header = auth_header;
    a->hooks.invalidate = auth_invalidate;
    a->hooks.ud = a;
    uv_timer_init(loop, &a->timeout);
    a->timeout.data = a;
    a->open_handles++;
    return a;
}

const http_auth_t *kube_auth_hooks(kube_auth_t *a) { return &a->hooks; }
const char *kube_auth_error(const kube_auth_t *a) { return a->error; }

void kube_auth_free(kube_auth_t *a)
{
    if (!a)
        return;
    a->freeing = true;
    if (a->run) {
        plugin_run_t *r = a->run;
        r->auth = NULL; /* the run frees itself when its handles close */
        a->run = NULL;
        if (!r->exited)
            uv_process_kill(&r->proc, SIGKILL);
    }
    uv_timer_stop(&a->timeout);
    uv_close((uv_handle_t *)&a->timeout, on_closed);
}

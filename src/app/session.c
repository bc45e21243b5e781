/* The connection to one kubeconfig context: target, HTTP client, credentials and informers.
 * Switching context closes the whole session and opens a new one. */
#include "app_int.h"
#include "kdeck/config.h"
#include "kdeck/prom.h"
#include "kdeck/connect.h"
#include "form_apply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool ensure_kubeconfig(app_t *app, char *err, size_t errlen)
{
    if (app->kc)
        return true;
    kubeconfig_opts_t ko = { .kubeconfig_path = app->opts.kubeconfig };
    kc_error_t kerr;
    app->kc = kubeconfig_load(&ko, &kerr);
    if (!app->kc) {
        snprintf(err, errlen, "%s", kerr.msg);
        return false;
    }
    return true;
}

bool app_session_open(app_t *app, const char *context, const char *ns, char *err, size_t errlen)
{
    if (!ensure_kubeconfig(app, err, errlen))
        return false;
    kc_error_t kerr;
    kube_target_t *t = kubeconfig_resolve(app->kc, context, ns, &kerr);
    if (!t) {
        snprintf(err, errlen, "%s", kerr.msg);
        return false;
    }
    session_t *s = calloc(1, sizeof *s);
    if (!s) {
        kube_target_free(t);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    s->target = t;
    snprintf(s->user_agent, sizeof s->user_agent, "kdeck/%s", KDECK_VERSION);
    s->ep = kube_endpoint(t, s->user_agent);
    /* A context listed in the config's read_only_contexts is read-only whatever the flags say. */
    s->read_only = app->opts.read_only ||
                   (app->opts.config && config_context_read_only(app->opts.config, t->context));
    s->http = kube_client_new(&app->loop, t, &s->ep, s->read_only, &s->auth);
    if (!s->http) {
        kube_target_free(t);
        free(s);
        snprintf(err, errlen, "cannot create the HTTP client");
        return false;
    }
    app->s = s;
    snprintf(app->ns, sizeof app->ns, "%s", t->namespace ? t->namespace : "default");
    app->api_ok = true;
    snprintf(app->api_status, sizeof app->api_status, "connecting");
    return true;
}

void app_session_close(app_t *app)
{
    session_t *s = app->s;
    if (!s)
        return;
    app_rollouts_free(s); /* its drivers and requests use s->http */
    for (int i = 0; i < s->ninformers; i++)
        informer_free(s->informers[i]);
    app_rbac_free(s);
    form_apply_close_all(app); /* before the client its requests are on */
    prom_client_free(s->prom); /* a service-proxy client borrows s->http: free it first */
    s->prom = NULL;
    http_client_free(s->http);
    kube_auth_free(s->auth);
    if (s->ws && app->nws_closed < (int)(sizeof app->ws_closed / sizeof *app->ws_closed) &&
        app->ntargets_closed < (int)(sizeof app->targets_closed / sizeof *app->targets_closed)) {
        ws_client_close(s->ws); /* phase 1; phase 2 at exit */
        app->ws_closed[app->nws_closed++] = s->ws;
        app->targets_closed[app->ntargets_closed++] = s->target; /* the vhost borrowed its TLS data */
    } else {
        if (s->ws) /* too many context switches to keep them: leak-free but abrupt */
            ws_client_close(s->ws);
        kube_target_free(s->target);
    }
    free(s);
    app->s = NULL;
}

/* After the loop has run the last close callbacks: lws's second destruction phase. */
void app_streams_finish(app_t *app)
{
    for (int i = 0; i < app->nws_closed; i++)
        ws_client_finish(app->ws_closed[i]);
    app->nws_closed = 0;
    for (int i = 0; i < app->ntargets_closed; i++)
        kube_target_free(app->targets_closed[i]);
    app->ntargets_closed = 0;
}

struct ws_client *app_ws(app_t *app)
{
    session_t *s = app->s;
    if (!s)
        return NULL;
    if (!s->ws && !s->ws_failed) {
        char err[300];
        s->ws = ws_client_new(&app->loop, &s->ep, s->read_only, err, sizeof err);
        if (!s->ws) {
            s->ws_failed = true; /* log panes use chunked HTTP then */
            app_error(app, "%s; log panes use HTTP streams", err);
        }
    }
    return s->ws;
}

/* A token or password file: its first line, without the newline. */
static bool read_secret_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return ok;
}

/* "monitoring/prometheus:9090" -> namespace, service ("https:NAME" for a TLS port), port. */
static bool split_service(const char *spec, char *ns, size_t nslen, char *svc, size_t svclen, char *port,
                          size_t portlen)
{
    const char *slash = strchr(spec, '/');
    if (!slash || slash == spec || !slash[1])
        return false;
    snprintf(ns, nslen, "%.*s", (int)(slash - spec), spec);
    const char *name = slash + 1;
    const char *skip = !strncmp(name, "https:", 6) ? name + 6 : !strncmp(name, "http:", 5) ? name + 5 : name;
    const char *colon = strrchr(skip, ':');
    if (colon) {
        snprintf(svc, svclen, "%.*s", (int)(colon - name), name);
        snprintf(port, portlen, "%s", colon + 1);
    } else {
        snprintf(svc, svclen, "%s", name);
        port[0] = '\0';
    }
    return svc[0] != '\0';
}

struct prom_client *app_prom(app_t *app, char *err, size_t errlen)
{
    session_t *s = app->s;
    if (!s) {
        snprintf(err, errlen, "no cluster connection");
        return NULL;
    }
    if (s->prom)
        return s->prom;
    prom_client_opts_t o = { .timeout_ms = app->opts.prometheus_timeout_ms, .read_only = s->read_only };
    char ns[254], svc[300], port[64];
    const kdeck_config_t *cfg = app->opts.config;
    /* --prometheus, else the context's own URL, else the config's, else the service proxy. */
    const char *url = app->opts.prometheus_from_flag ? app->opts.prometheus
                      : cfg ? config_prometheus_url(cfg, s->target->context) : app->opts.prometheus;
    char token[4096] = "", password[512] = "";
    if (url && *url) {
        o.url = url;
        if (cfg && cfg->prometheus_token_file[0] && read_secret_file(cfg->prometheus_token_file, token, sizeof token))
            o.bearer_token = token;
        if (cfg && cfg->prometheus_user[0]) {
            o.username = cfg->prometheus_user;
            if (cfg->prometheus_password_file[0])
                read_secret_file(cfg->prometheus_password_file, password, sizeof password);
            o.password = password;
        }
        if (cfg && cfg->prometheus_ca_file[0])
            o.ca_file = cfg->prometheus_ca_file;
    } else {
        const char *spec = app->opts.prometheus_service && *app->opts.prometheus_service
                               ? app->opts.prometheus_service : "monitoring/prometheus:9090";
        if (!split_service(spec, ns, sizeof ns, svc, sizeof svc, port, sizeof port)) {
            snprintf(err, errlen, "prometheus_service must be NAMESPACE/SERVICE[:PORT], not '%.200s'", spec);
            return NULL;
        }
        o.kube = s->http;
        o.proxy_namespace = ns;
        o.proxy_service = svc;
        o.proxy_port = port[0] ? port : NULL;
    }
    s->prom = prom_client_new(&app->loop, &o, err, errlen); /* copies the strings */
    memset(token, 0, sizeof token);
    memset(password, 0, sizeof password);
    return s->prom;
}

bool app_auth_header(app_t *app, char *buf, size_t len)
{
    session_t *s = app->s;
    buf[0] = '\0';
    if (!s)
        return false;
    if (!s->auth)
        return true;
    const http_auth_t *h = kube_auth_hooks(s->auth);
    return h->header(h->ud, buf, len) == 0;
}

bool app_switch_context(app_t *app, const char *context)
{
    char err[1024];
    session_t *old = app->s;
    app->s = NULL;
    if (!app_session_open(app, context, NULL, err, sizeof err)) {
        app->s = old;
        app_error(app, "%s", err);
        return false;
    }
    session_t *fresh = app->s;
    app->s = old;
    /* Views hold informer pointers: drop them before the informers go. */
    while (app->nviews) {
        view_t *v = app->views[--app->nviews];
        if (v->ops->free)
            v->ops->free(v);
        free(v);
    }
    app_session_close(app);
    app->s = fresh;
    app->all_ns = false;
    app_command(app, "pods");
    app_info(app, "switched to context %s", fresh->target->context);
    app_warn_target(app);
    return true;
}

void app_warn_target(app_t *app)
{
    const kube_target_t *t = app_target(app);
    if (!t)
        return;
    if (t->nwarnings)
        app_error(app, "warning: %s", t->warnings[0]);
}

/* The header's API indicator, from the informers' states: the worst one wins. */
void app_update_api_status(app_t *app)
{
    session_t *s = app->s;
    if (!s)
        return;
    const informer_status_t *worst = NULL;
    bool any_synced = false;
    for (int i = 0; i < s->ninformers; i++) {
        const informer_status_t *st = informer_status(s->informers[i]);
        if (st->synced)
            any_synced = true;
        if (st->state == INF_BACKOFF && (!worst || st->retry_at_ms < worst->retry_at_ms))
            worst = st;
    }
    if (worst) {
        uint64_t now = uv_now(&app->loop);
        uint64_t left = worst->retry_at_ms > now ? (worst->retry_at_ms - now + 999) / 1000 : 0;
        bool unreachable = worst->unreachable;
        snprintf(app->api_status, sizeof app->api_status, "%s, retry in %llus",
                 unreachable ? "API unreachable" : "API error", (unsigned long long)left);
        app->api_ok = false;
        app_error(app, "%s", worst->error);
        app_countdown(app, true);
    } else {
        if (!app->api_ok && any_synced)
            app_info(app, "connection restored");
        app->api_ok = true;
        snprintf(app->api_status, sizeof app->api_status, "%s", any_synced ? "API ok" : "connecting");
        app_countdown(app, false);
    }
    app_dirty(app);
}

/* The application context: one libuv loop owning the terminal, signals, timers, the HTTP client
 * and the informers, plus the view stack. Views read from here and never do I/O themselves. */
#ifndef KDECK_APP_H
#define KDECK_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "kdeck/http.h"
#include "kdeck/informer.h"
#include "kdeck/keymap.h"
#include "kdeck/kubeconfig.h"

#define APP_MAX_VIEWS 16
#define APP_MAX_INFORMERS 48

typedef struct app app_t;
typedef struct view view_t;
typedef struct session session_t;

/* What a view can do (tig's view_ops): draw from the store, react to actions, say whether the data
 * it shows changed. Every hook but draw is optional. */
typedef struct view_ops {
    const char *name;
    keyctx_t keyctx;
    void (*draw)(view_t *v, int top, int rows, int cols);
    /* true = handled. */
    bool (*action)(view_t *v, action_t a);
    /* Typed characters the keymap does not bind (none by default). */
    bool (*key)(view_t *v, int key);
    /* Keys offered before the keymap (a form's text field takes printable keys, Backspace,
     * Left/Right while it has the focus); true = taken. */
    bool (*key_first)(view_t *v, int key);
    /* The live filter (/ prompt) changed. */
    void (*filter)(view_t *v, const char *text);
    /* The title line ("Pods (app) [12]"). */
    void (*title)(view_t *v, char *buf, size_t len);
    /* Does the view need redrawing since it last drew (store changes)? */
    bool (*stale)(view_t *v);
    /* Text for the y key (OSC 52): a new string the caller frees, or NULL = nothing to copy. */
    char *(*yank)(view_t *v);
    /* A ":" command the view understands (":sort age"); true = handled. */
    bool (*command)(view_t *v, const char *cmd, const char *arg);
    void (*free)(view_t *v);
} view_ops_t;

struct view {
    const view_ops_t *ops;
    app_t *app;
    void *priv;
    char filter[256];
    bool split;   /* drawn in the lower part of the screen, under the view beneath it (log panes) */
    int left;     /* first screen column of a pane drawn beside another (0 otherwise) */
};

typedef struct app_options {
    const char *kubeconfig;
    const char *context;
    const char *ns;
    const char *theme;
    const char *script;       /* KDECK_SCRIPT / --script */
    bool no_display;          /* KDECK_NO_DISPLAY=1: virtual screen, no tty */
    bool read_only;
    bool all_namespaces;
    const char *start_view;   /* ":pods" by default */
    const char *prometheus;   /* --prometheus URL, or NULL (service proxy) */
    const char *prometheus_service; /* "monitoring/prometheus:9090" (config prometheus_service), or NULL */
    long prometheus_timeout_ms;     /* config prometheus_timeout; 0 = the client's default (10 s) */
    const struct kdeck_config *config; /* the config file as loaded (per-context settings), or NULL */
    bool prometheus_from_flag;      /* --prometheus given: it wins over the config file */
} app_options_t;

/* Runs the TUI until quit; returns the process exit status. */
int app_run(const app_options_t *opts);

/* ---- for views ---- */

uv_loop_t *app_loop(app_t *app);
http_client_t *app_http(app_t *app);
session_t *app_session(app_t *app);
const kube_target_t *app_target(app_t *app);
const kubeconfig_t *app_kubeconfig(app_t *app);
bool app_read_only(app_t *app);
const char *app_namespace(app_t *app);     /* current namespace, "" when all */
bool app_all_namespaces(app_t *app);
void app_set_namespace(app_t *app, const char *ns); /* "" = all */
time_t app_now(app_t *app);

/* The informer for kind in ns (NULL/"" = all namespaces), started on first use and shared. */
informer_t *app_informer(app_t *app, kind_id_t kind, const char *ns);

void app_push_view(app_t *app, view_t *v);
void app_pop_view(app_t *app);
void app_replace_view(app_t *app, view_t *v);
view_t *app_top_view(app_t *app);
void app_dirty(app_t *app);
/* RBAC: true (with the reason) when the user may not take this action in the current namespace,
 * as a SelfSubjectRulesReview says; false when allowed or not known yet. */
bool app_action_denied(app_t *app, action_t a, char *why, size_t len);
/* In a split screen: whether keys go to the view under the pane (Tab toggles). */
bool app_focus_under(app_t *app);

/* Status line messages. */
void app_info(app_t *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void app_error(app_t *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies text to the operator's own clipboard through the terminal (OSC 52). */
void app_clipboard(app_t *app, const char *text);

/* Runs a ":" command line ("pods", "ns app", "ctx NAME", "q"). */
void app_command(app_t *app, const char *line);

/* Switches to another kubeconfig context: tears down informers and the client, opens new ones. */
bool app_switch_context(app_t *app, const char *context);

/* For views that navigate by kind (":pods", Enter on a namespace): a new table view. */
view_t *view_table_new(app_t *app, kind_id_t kind, const char *ns);
/* Drill-down: a table of `kind` limited to objects the selector selects / on a node / owned. */
view_t *view_table_new_selected(app_t *app, kind_id_t kind, const char *ns, const kobj_t *by,
                                const char *title);
view_t *view_describe_new(app_t *app, kind_id_t kind, const char *ns, const char *name);
view_t *view_help_new(app_t *app, keyctx_t ctx);
view_t *view_contexts_new(app_t *app);
/* Metrics panels (docs/metrics.md): every group, or one (`group` non-NULL); the placeholders
 * $namespace/$app/$service take ns/app_name/service (NULL = any). */
view_t *view_metrics_new(app_t *app, const char *group, const char *ns, const char *app_name,
                         const char *service);
/* The session's Prometheus client, created on first use from --prometheus (direct) or the API
 * server's service proxy; NULL with a message in err when it cannot be made. */
struct prom_client *app_prom(app_t *app, char *err, size_t errlen);
/* `m` on a row: a Deployment (or other workload), Service or Pod gives $namespace, $app and
 * $service; NULL with a status message for other kinds. */
view_t *view_metrics_for_object(app_t *app, kind_id_t kind, const kobj_t *obj);
/* Log pane following a pod (all its containers) or every pod a workload/service selects. */
view_t *view_logs_new(app_t *app, kind_id_t kind, const kobj_t *obj);

/* A shell in a container of a pod (the first regular container when `container` is NULL; a
 * picker when the pod has several). */
void app_open_shell(app_t *app, const kobj_t *pod);
/* A small list to choose from; `done` gets the chosen index (or -1 on Esc) and `ud`. */
view_t *view_pick_new(app_t *app, const char *title, const char *const *items, size_t n,
                      void (*done)(app_t *app, int index, void *ud), void *ud, void (*free_ud)(void *ud));

/* Streams: the session's WebSocket client (created on first use; NULL when unavailable) and the
 * Authorization header as it stands now (false when a credential plugin is still running). */
struct ws_client *app_ws(app_t *app);
bool app_auth_header(app_t *app, char *buf, size_t len);

#endif

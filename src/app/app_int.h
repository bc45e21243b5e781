/* Internals shared by the app's own files (app.c, session.c, commands.c, prompt.c, chrome.c,
 * script.c). Views use only kdeck/app.h. */
#ifndef KDECK_APP_INT_H
#define KDECK_APP_INT_H

#include "kdeck/app.h"
#include "kdeck/auth.h"
#include "kdeck/descriptor.h"
#include "kdeck/theme.h"
#include "kdeck/ws.h"

#include <stdio.h>

typedef enum { PROMPT_NONE, PROMPT_COMMAND, PROMPT_FILTER, PROMPT_INPUT } prompt_mode_t;

/* PROMPT_INPUT: what Enter does with the text (Esc: text NULL); ud is the caller's. */
typedef void (*prompt_input_cb)(app_t *app, const char *text, void *ud);

struct session {
    kube_target_t *target;
    http_endpoint_t ep;
    http_client_t *http;
    kube_auth_t *auth;
    informer_t *informers[APP_MAX_INFORMERS];
    int ninformers;
    char user_agent[64];
    ws_client_t *ws;          /* created on first stream */
    bool read_only;           /* --read-only, or the context is listed as read-only */
    struct rbac_cache *rbac;  /* what the user may do, per namespace (permissions.c) */
    bool ws_failed;
    struct prom_client *prom; /* created on first use by the metrics view (app_prom) */
    struct form_apply *applies; /* previews and applies still running (form_apply.c) */
    struct rollouts *rollouts; /* rollout drivers and records followed (rollouts.c) */
};

typedef struct script script_t;
typedef struct shell shell_t;

struct app {
    uv_loop_t loop;
    app_options_t opts;
    kubeconfig_t *kc;
    session_t *s;
    char ns[254];
    bool all_ns;
    unsigned page_size;
    theme_t *theme;

    uv_signal_t sig_winch, sig_term, sig_int, sig_hup, sig_cont;
    uv_poll_t tty;
    uv_prepare_t prepare;
    uv_timer_t redraw_timer, clock, countdown;

    view_t *views[APP_MAX_VIEWS];
    int nviews;
    bool dirty, urgent, data_changed;
    uint64_t last_draw_ms;

    char status[512];
    bool status_error;
    char api_status[256];  /* header: "API ok" / "API unreachable, retry in 3s" */
    bool api_ok;
    char last_yank[1024];

    prompt_mode_t prompt;
    char prompt_buf[256];
    size_t prompt_len;
    char prompt_saved_filter[256];
    char completions[512];
    char prompt_label[160];          /* PROMPT_INPUT: "roll out web: image " */
    prompt_input_cb prompt_done;
    void *prompt_ud;
    void (*prompt_free_ud)(void *ud);

    script_t *script;
    shell_t *shell;           /* a container shell owns the terminal while set */
    bool focus_under;         /* split screen: keys go to the view under the pane */
    /* WebSocket clients of closed sessions: lws frees them in two phases, the second after the
     * loop has run (LOOP.md), so they wait here until exit. */
    ws_client_t *ws_closed[8];
    int nws_closed;
    kube_target_t *targets_closed[8]; /* their endpoints point into these */
    int ntargets_closed;
    bool quitting;
    int exit_code;
    bool signals_ready, tty_ready, loop_ready;
};

void app_quit(app_t *app, int code);
view_t *app_under_view(app_t *app);
void app_handle_key(app_t *app, int key);
void app_countdown(app_t *app, bool on);

/* session.c: the connection to the current context */
bool app_session_open(app_t *app, const char *context, const char *ns, char *err, size_t errlen);
void app_session_close(app_t *app);
void app_streams_finish(app_t *app);
void app_update_api_status(app_t *app);
void app_warn_target(app_t *app);

/* permissions.c: RBAC-aware actions */
void app_rbac_prefetch(app_t *app);
void app_rbac_free(session_t *s);

/* chrome.c: header, title, status line, footer, prompt */
void app_draw(app_t *app);
bool app_theme_load(app_t *app, const char *name, char *err, size_t errlen);
void app_theme_free(app_t *app);

/* prompt.c */
void app_prompt_open(app_t *app, prompt_mode_t mode);
bool app_prompt_key(app_t *app, int key);
/* A one-line question in the prompt row, prefilled with `initial`; `done` gets the text on Enter
 * or NULL on Esc, then free_ud(ud) runs (free_ud may be NULL). */
void app_prompt_input(app_t *app, const char *label, const char *initial, prompt_input_cb done,
                      void *ud, void (*free_ud)(void *ud));

/* rollouts.c (views: kdeck/app_rollouts.h) */
void app_rollout_start(app_t *app, const descriptor_t *d); /* the form's "roll out" button */
void app_rollout_command(app_t *app, const char *arg);      /* :rollout FILE */
void app_rollouts_free(session_t *s);                       /* before the session's client goes */
/* False the first time q is pressed while this kdeck drives a rollout (the status line warns). */
bool app_rollouts_may_quit(app_t *app);

/* shell.c */
bool app_shell_start(app_t *app, const char *ns, const char *pod, const char *container);
void app_shell_input(app_t *app);
void app_shell_resize(app_t *app);

/* script.c */
bool app_script_load(app_t *app, const char *path, char *err, size_t errlen);
void app_script_init(app_t *app);
void app_script_prepare(app_t *app);
void app_script_close(app_t *app);   /* closes its handles */
void app_script_free(app_t *app);

#endif

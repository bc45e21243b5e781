/* Contexts from the kubeconfig; Enter switches to the selected one. */
#include "kdeck/app.h"
#include "kdeck/screen.h"
#include "kdeck/theme.h"

#include <stdlib.h>
#include <string.h>

typedef struct contexts {
    size_t selected;
} contexts_t;

static void contexts_draw(view_t *v, int top, int rows, int cols)
{
    contexts_t *c = v->priv;
    const kubeconfig_t *kc = app_kubeconfig(v->app);
    const kube_target_t *t = app_target(v->app);
    size_t n = kc ? kubeconfig_context_count(kc) : 0;
    attrset(theme_attr(THEME_TABLE_ROW));
    for (int y = top; y < top + rows; y++) {
        move(y, 0);
        hline(' ', cols);
    }
    char line[1024];
    attrset(theme_attr(THEME_TABLE_HEADER));
    snprintf(line, sizeof line, "  %-28s %-24s %-20s %-16s", "NAME", "CLUSTER", "USER", "NAMESPACE");
    screen_put(top, 0, line, cols, true, false);
    if (c->selected >= n && n)
        c->selected = n - 1;
    size_t first = c->selected >= (size_t)(rows - 1) ? c->selected - (size_t)(rows - 2) : 0;
    for (size_t i = first; i < n && (int)(i - first) < rows - 1; i++) {
        const kc_context_info_t *ci = kubeconfig_context_at(kc, i);
        bool active = t && !strcmp(ci->name, t->context);
        snprintf(line, sizeof line, "%s %-28s %-24s %-20s %-16s", active ? "*" : " ", ci->name, ci->cluster,
                 ci->user, ci->namespace[0] ? ci->namespace : "default");
        attrset(theme_attr(i == c->selected ? THEME_TABLE_SELECTED : THEME_TABLE_ROW));
        screen_put(top + 1 + (int)(i - first), 0, line, cols, true, i == c->selected);
    }
}

static bool contexts_action(view_t *v, action_t a)
{
    contexts_t *c = v->priv;
    const kubeconfig_t *kc = app_kubeconfig(v->app);
    size_t n = kc ? kubeconfig_context_count(kc) : 0;
    switch (a) {
    case ACT_UP: if (c->selected) c->selected--; return true;
    case ACT_DOWN: if (c->selected + 1 < n) c->selected++; return true;
    case ACT_HOME: c->selected = 0; return true;
    case ACT_END: c->selected = n ? n - 1 : 0; return true;
    case ACT_ENTER:
        if (c->selected < n) {
            char name[512];
            snprintf(name, sizeof name, "%s", kubeconfig_context_at(kc, c->selected)->name);
            app_switch_context(v->app, name); /* frees this view */
        }
        return true;
    default:
        return false;
    }
}

static void contexts_title(view_t *v, char *buf, size_t len)
{
    const kubeconfig_t *kc = app_kubeconfig(v->app);
    snprintf(buf, len, " Contexts [%zu]", kc ? kubeconfig_context_count(kc) : (size_t)0);
}

static char *contexts_yank(view_t *v)
{
    contexts_t *c = v->priv;
    const kubeconfig_t *kc = app_kubeconfig(v->app);
    if (!kc || c->selected >= kubeconfig_context_count(kc))
        return NULL;
    return strdup(kubeconfig_context_at(kc, c->selected)->name);
}

static void contexts_free(view_t *v)
{
    free(v->priv);
}

static const view_ops_t contexts_ops = {
    .name = "contexts", .keyctx = KEYCTX_TABLE, .draw = contexts_draw, .action = contexts_action,
    .title = contexts_title, .yank = contexts_yank, .free = contexts_free,
};

view_t *view_contexts_new(app_t *app)
{
    view_t *v = calloc(1, sizeof *v);
    contexts_t *c = calloc(1, sizeof *c);
    if (!v || !c) {
        free(v);
        free(c);
        return NULL;
    }
    v->ops = &contexts_ops;
    v->app = app;
    v->priv = c;
    const kubeconfig_t *kc = app_kubeconfig(app);
    const kube_target_t *t = app_target(app);
    for (size_t i = 0; kc && t && i < kubeconfig_context_count(kc); i++)
        if (!strcmp(kubeconfig_context_at(kc, i)->name, t->context))
            c->selected = i;
    return v;
}

/* ':' commands. A command is a word and an optional argument; resource names (and their aliases
 * from the kind table) open a table of that kind. */
#include "app_int.h"
#include "form_apply.h"
#include "kdeck/kinds.h"
#include "kdeck/screen.h"

#include <ctype.h>
#include <string.h>

static void open_kind(app_t *app, const kind_info_t *k, const char *arg)
{
    if (arg && *arg && k->namespaced)
        app_set_namespace(app, arg);
    app_replace_view(app, view_table_new(app, k->id, app_namespace(app)));
}

static void cmd_namespace(app_t *app, const char *arg_in)
{
    char arg[256]; /* arg_in may point into app->ns, which app_set_namespace rewrites */
    snprintf(arg, sizeof arg, "%s", arg_in ? arg_in : "");
    if (!*arg) {
        app_replace_view(app, view_table_new(app, KIND_NAMESPACE, NULL));
        return;
    }
    if (!strcmp(arg, "all") || !strcmp(arg, "-A")) {
        app_set_namespace(app, "");
    } else {
        app_set_namespace(app, arg);
    }
    /* Keep looking at the same kind of object, now in the new namespace. */
    view_t *v = app_top_view(app);
    const char *name = v ? v->ops->name : "";
    const kind_info_t *k = kind_by_alias(name);
    if (!k || !k->namespaced)
        k = kind_get(KIND_POD);
    app_replace_view(app, view_table_new(app, k->id, app_namespace(app)));
    app_info(app, "namespace %s", app->all_ns ? "(all)" : app->ns);
}

void app_command(app_t *app, const char *line)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", line);
    char *cmd = buf;
    while (isspace((unsigned char)*cmd))
        cmd++;
    if (*cmd == ':')
        cmd++;
    size_t n = strlen(cmd);
    while (n && isspace((unsigned char)cmd[n - 1]))
        cmd[--n] = '\0';
    if (!*cmd)
        return;
    char *arg = strchr(cmd, ' ');
    if (arg) {
        *arg++ = '\0';
        while (isspace((unsigned char)*arg))
            arg++;
    }
    view_t *v = app_top_view(app);
    char err[512];

    if (!strcmp(cmd, "q") || !strcmp(cmd, "quit") || !strcmp(cmd, "q!") || !strcmp(cmd, "qa")) {
        app_quit(app, 0);
    } else if (!strcmp(cmd, "help") || !strcmp(cmd, "h")) {
        app_push_view(app, view_help_new(app, v ? v->ops->keyctx : KEYCTX_GLOBAL));
    } else if (!strcmp(cmd, "ns") || !strcmp(cmd, "namespace") || !strcmp(cmd, "namespaces")) {
        cmd_namespace(app, arg);
    } else if (!strcmp(cmd, "ctx") || !strcmp(cmd, "context") || !strcmp(cmd, "contexts")) {
        if (arg && *arg)
            app_switch_context(app, arg);
        else
            app_push_view(app, view_contexts_new(app));
    } else if (!strcmp(cmd, "all")) {
        char ns[sizeof app->ns];
        snprintf(ns, sizeof ns, "%s", app->all_ns ? app->ns : "all");
        cmd_namespace(app, ns);
    } else if (!strcmp(cmd, "metrics") || !strcmp(cmd, "metric")) {
        /* The whole cluster (placeholders match anything); Esc goes back to where this came from. */
        app_push_view(app, view_metrics_new(app, arg && *arg ? arg : NULL, NULL, NULL, NULL));
    } else if (!strcmp(cmd, "apply")) {
        form_apply_file(app, arg); /* preview of a descriptor file; `a` there applies it */
    } else if (!strcmp(cmd, "theme")) {
        if (!arg || !*arg)
            app_info(app, "theme %s", app->theme ? theme_name(app->theme) : "default");
        else if (!app_theme_load(app, arg, err, sizeof err))
            app_error(app, "%s", err);
        else
            app_info(app, "theme %s", arg);
    } else if (!strcmp(cmd, "save-display") || !strcmp(cmd, "save-colors")) {
        if (!arg || !*arg) {
            app_error(app, ":%s needs a file name", cmd);
            return;
        }
        app_draw(app); /* dump exactly what is on screen now */
        bool ok = cmd[5] == 'd' ? screen_dump_text(arg, err, sizeof err)
                                : screen_dump_colors(arg, err, sizeof err);
        if (!ok)
            app_error(app, "%s", err);
    } else if (v && v->ops->command && v->ops->command(v, cmd, arg)) {
        /* handled by the view (:sort, :wide, :describe, :rollout on a row) */
    } else if (!strcmp(cmd, "rollout")) {
        app_rollout_command(app, arg); /* :rollout FILE (rollouts.c) */
    } else {
        const kind_info_t *k = kind_by_alias(cmd);
        if (k)
            open_kind(app, k, arg);
        else
            app_error(app, "unknown command ':%s' (press ? for help, :q to quit)", cmd);
    }
}

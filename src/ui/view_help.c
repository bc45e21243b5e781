/* Help: generated from the keymap and the action table, so it cannot drift from what the keys do.
 * A read-only session lists no mutating action. */
#include "kdeck/app.h"
#include "kdeck/kinds.h"
#include "kdeck/view_text.h"

#include <string.h>

static const char *const context_titles[KEYCTX_COUNT] = {
    [KEYCTX_GLOBAL] = "Everywhere", [KEYCTX_TABLE] = "Tables", [KEYCTX_TEXT] = "Text views (describe, help)",
    [KEYCTX_HELP] = "Help", [KEYCTX_LOGS] = "Log panes", [KEYCTX_METRICS] = "Metrics panels", [KEYCTX_FORM] = "Descriptor form", [KEYCTX_ROLLOUT] = "Rollout view",
};

static void add_context(view_t *v, keyctx_t ctx, bool read_only)
{
    size_t n;
    const keybinding_t *b = keymap_bindings(&n);
    view_text_add(v, TEXT_SECTION, context_titles[ctx]);
    /* One line per action, listing every key bound to it. */
    for (int a = 1; a < ACT_COUNT; a++) {
        if (read_only && (action_flags((action_t)a) & ACT_MUTATES))
            continue;
        char keys[128] = "";
        for (size_t i = 0; i < n; i++) {
            if (b[i].ctx != ctx || b[i].action != (action_t)a)
                continue;
            char name[32];
            keymap_key_name(b[i].key, name, sizeof name);
            size_t l = strlen(keys);
            snprintf(keys + l, sizeof keys - l, "%s%s", l ? " " : "", name);
        }
        char why[400];
        if (keys[0] && app_action_denied(v->app, (action_t)a, why, sizeof why))
            view_text_addf(v, TEXT_KEYVALUE, "  %-22s: %s [%s]", keys, action_description((action_t)a), why);
        else if (keys[0])
            view_text_addf(v, TEXT_KEYVALUE, "  %-22s: %s", keys, action_description((action_t)a));
    }
    view_text_add(v, TEXT_PLAIN, "");
}

view_t *view_help_new(app_t *app, keyctx_t ctx)
{
    view_t *v = view_text_new(app, "Help", NULL, NULL);
    if (!v)
        return NULL;
    bool ro = app_read_only(app);
    if (ctx != KEYCTX_GLOBAL)
        add_context(v, ctx, ro);
    add_context(v, KEYCTX_GLOBAL, ro);
    view_text_add(v, TEXT_SECTION, "Commands (type : then the command, Tab completes)");
    view_text_add(v, TEXT_KEYVALUE, "  :pods :deploy :svc       : a table of that kind (aliases: po, deploy, rs, svc, ep, ...)");
    view_text_add(v, TEXT_KEYVALUE, "  :ns [NAME|all]           : namespaces, or switch to NAME / all namespaces");
    view_text_add(v, TEXT_KEYVALUE, "  :ctx [NAME]              : contexts, or switch to context NAME");
    view_text_add(v, TEXT_KEYVALUE, "  :sort COLUMN [desc]      : sort the table by a column");
    view_text_add(v, TEXT_KEYVALUE, "  :wide                    : toggle the wide columns");
    view_text_add(v, TEXT_KEYVALUE, "  :theme NAME              : switch theme (default, light, high-contrast, mono)");
    if (!ro) /* starting a rollout changes the cluster */
        view_text_add(v, TEXT_KEYVALUE, "  :rollout FILE            : blue/green rollout of a descriptor file (:rollout alone: r)");
    view_text_add(v, TEXT_KEYVALUE, "  :q                       : quit");
    view_text_add(v, TEXT_PLAIN, "");
    view_text_add(v, TEXT_SECTION, "Filter (type / then the filter)");
    view_text_add(v, TEXT_KEYVALUE, "  text                     : rows containing text (any column, any case)");
    view_text_add(v, TEXT_KEYVALUE, "  !text                    : rows not containing text");
    view_text_add(v, TEXT_KEYVALUE, "  -l app=web,tier!=db      : rows whose labels match the selector");
    view_text_add(v, TEXT_PLAIN, "");
    view_text_add(v, TEXT_SECTION, "Resources");
    for (int k = 0; k < KIND__COUNT; k++) {
        const kind_info_t *ki = kind_get((kind_id_t)k);
        char aliases[200] = "";
        for (const char *const *a = ki->aliases; a && *a; a++) {
            size_t l = strlen(aliases);
            snprintf(aliases + l, sizeof aliases - l, "%s%s", l ? ", " : "", *a);
        }
        view_text_addf(v, TEXT_KEYVALUE, "  %-22s: %s", ki->kind, aliases);
    }
    return v;
}

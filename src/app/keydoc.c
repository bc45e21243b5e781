/* docs/keys.md is generated from the keymap: `kdeck keys` prints it, and a test compares. */
#include "kdeck/keydoc.h"
#include "kdeck/keymap.h"

#include <string.h>

static const char *const context_names[KEYCTX_COUNT] = {
    [KEYCTX_GLOBAL] = "Everywhere", [KEYCTX_TABLE] = "Tables (pods, deployments, ...)",
    [KEYCTX_TEXT] = "Text views (describe, help)", [KEYCTX_HELP] = "Help",
    [KEYCTX_LOGS] = "Log panes", [KEYCTX_METRICS] = "Metrics panels", [KEYCTX_FORM] = "Descriptor form", [KEYCTX_ROLLOUT] = "Rollout view",
};

void keydoc_print(FILE *out)
{
    size_t n;
    const keybinding_t *b = keymap_bindings(&n);
    fputs("# kdeck keys\n\n"
          "Generated from the keymap (`kdeck keys` prints this file; a test checks it is current).\n"
          "Keys of a view apply in that view; the keys under \"Everywhere\" apply in every view unless\n"
          "the view binds the same key. Actions marked *mutating* do not exist in a read-only session.\n",
          out);
    for (int ctx = 0; ctx < KEYCTX_COUNT; ctx++) {
        bool header = false;
        for (int a = 1; a < ACT_COUNT; a++) {
            char keys[160] = "";
            for (size_t i = 0; i < n; i++) {
                if ((int)b[i].ctx != ctx || b[i].action != (action_t)a)
                    continue;
                char name[32];
                keymap_key_name(b[i].key, name, sizeof name);
                size_t l = strlen(keys);
                snprintf(keys + l, sizeof keys - l, "%s`%s`", l ? ", " : "", strcmp(name, "`") ? name : "backtick");
            }
            if (!keys[0])
                continue;
            if (!header) {
                fprintf(out, "\n## %s\n\n| keys | action | what it does |\n|---|---|---|\n", context_names[ctx]);
                header = true;
            }
            fprintf(out, "| %s | %s | %s%s |\n", keys, action_name((action_t)a), action_description((action_t)a),
                    (action_flags((action_t)a) & ACT_MUTATES) ? " (*mutating*)" : "");
        }
    }
}

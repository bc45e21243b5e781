/* Panel files: panels_parse over the compiled-in defaults, then every query is expanded with
 * hostile placeholder values and every threshold is evaluated. The input's first line, when it
 * starts with "#!", is used as a PromQL expression for panels_expand as well. */
#include "fuzz_common.h"
#include "kdeck/panels.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 128 * 1024)
        return 0;
    char *text = fuzz_cstr(data, size);
    char err[512];
    panel_set_t *s = panel_set_new();
    if (!s)
        abort();
    (void)panels_parse(s, text, "fuzz.panels", err, sizeof err);
    const panel_vars_t vars[2] = {
        { .ns = "app", .app = "my\"app`'\\", .service = "svc.*(", .interval = "30s" },
        { .ns = NULL, .app = NULL, .service = NULL, .interval = "1m" },
    };
    for (size_t i = 0; i < s->n_panels; i++) {
        const panel_t *p = &s->panels[i];
        (void)panels_find(s, p->id);
        (void)panel_level(p, 0.5);
        (void)panel_level(p, NAN);
        for (int q = 0; q < p->n_queries; q++) {
            for (int v = 0; v < 2; v++) {
                char *x = panels_expand(p->queries[q].expr, &vars[v], err, sizeof err);
                free(x);
            }
        }
    }
    for (size_t i = 0; i < s->n_groups; i++) {
        const panel_t *out[32];
        (void)panels_group(s, s->groups[i].id);
        (void)panels_in_group(s, s->groups[i].id, out, 32);
    }
    panel_set_free(s);
    /* The raw text as an expression. */
    (void)panels_check_placeholders(text, err, sizeof err);
    char *x = panels_expand(text, &vars[size & 1], err, sizeof err);
    free(x);
    free(text);
    return 0;
}

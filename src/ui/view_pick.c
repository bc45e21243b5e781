/* A small chooser: a titled list, Enter picks, Esc cancels. The choice is handed to a callback
 * after the view has left the stack. */
#include "kdeck/app.h"
#include "kdeck/screen.h"
#include "kdeck/theme.h"

#include <stdlib.h>
#include <string.h>

typedef struct pick {
    char title[400];
    char **items;
    size_t n, selected;
    void (*done)(app_t *app, int index, void *ud);
    void *ud;
    void (*free_ud)(void *ud);
} pick_t;

static void pick_draw(view_t *v, int top, int rows, int cols)
{
    pick_t *p = v->priv;
    attrset(theme_attr(THEME_TABLE_ROW));
    for (int y = top; y < top + rows; y++) {
        move(y, 0);
        hline(' ', cols);
    }
    for (size_t i = 0; i < p->n && (int)i < rows - 1; i++) {
        attrset(theme_attr(i == p->selected ? THEME_TABLE_SELECTED : THEME_TABLE_ROW));
        screen_put(top + 1 + (int)i, 2, p->items[i], cols - 4, true, i == p->selected);
    }
}

static void finish(view_t *v, int index)
{
    pick_t *p = v->priv;
    app_t *app = v->app;
    void (*done)(app_t *, int, void *) = p->done;
    void *ud = p->ud;
    void (*free_ud)(void *) = p->free_ud;
    p->free_ud = NULL; /* ownership of ud moves to this function */
    app_pop_view(app); /* frees v */
    done(app, index, ud);
    if (free_ud)
        free_ud(ud);
}

static bool pick_action(view_t *v, action_t a)
{
    pick_t *p = v->priv;
    switch (a) {
    case ACT_UP: if (p->selected) p->selected--; return true;
    case ACT_DOWN: if (p->selected + 1 < p->n) p->selected++; return true;
    case ACT_HOME: p->selected = 0; return true;
    case ACT_END: p->selected = p->n ? p->n - 1 : 0; return true;
    case ACT_ENTER: finish(v, (int)p->selected); return true;
    case ACT_BACK: finish(v, -1); return true;
    default: return false;
    }
}

static void pick_title(view_t *v, char *buf, size_t len)
{
    snprintf(buf, len, " %s", ((pick_t *)v->priv)->title);
}

static void pick_free(view_t *v)
{
    pick_t *p = v->priv;
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i]);
    free(p->items);
    if (p->free_ud)
        p->free_ud(p->ud);
    free(p);
}

static const view_ops_t pick_ops = {
    .name = "pick", .keyctx = KEYCTX_TABLE, .draw = pick_draw, .action = pick_action,
    .title = pick_title, .free = pick_free,
};

view_t *view_pick_new(app_t *app, const char *title, const char *const *items, size_t n,
                      void (*done)(app_t *app, int index, void *ud), void *ud, void (*free_ud)(void *ud))
{
    view_t *v = calloc(1, sizeof *v);
    pick_t *p = calloc(1, sizeof *p);
    if (!v || !p || !(p->items = calloc(n ? n : 1, sizeof *p->items))) {
        free(v);
        if (p)
            free(p->items);
        free(p);
        if (free_ud)
            free_ud(ud);
        return NULL;
    }
    snprintf(p->title, sizeof p->title, "%s", title);
    for (size_t i = 0; i < n; i++)
        p->items[p->n++] = strdup(items[i]);
    p->done = done;
    p->ud = ud;
    p->free_ud = free_ud;
    v->ops = &pick_ops;
    v->app = app;
    v->priv = p;
    return v;
}

/* The apply preview: two pages (objects, diff) kept here and shown one at a time in a text view,
 * which does the drawing, scrolling and searching. */
#include "kdeck/view_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTRL_A 1

typedef struct page_line {
    text_style_t style;
    char *text;
} page_line_t;

typedef struct page {
    page_line_t *v;
    size_t n, cap;
} page_t;

typedef struct diffview {
    view_t *view;
    char title[300];
    page_t pages[VIEW_DIFF_PAGES];
    view_diff_page_t shown;
    const view_diff_hooks_t *hooks;
    void *ud;
    bool reload_offered;
} diffview_t;

static const char *const page_names[VIEW_DIFF_PAGES] = { "objects", "diff" };

static diffview_t *dv_of(view_t *v)
{
    return view_text_userdata(v);
}

static void page_clear(page_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].text);
    p->n = 0;
}

/* Refills the text view from the shown page. */
static void refill(diffview_t *dv)
{
    view_t *v = dv->view;
    const page_t *p = &dv->pages[dv->shown];
    view_text_clear(v);
    for (size_t i = 0; i < p->n; i++)
        view_text_add(v, p->v[i].style, p->v[i].text);
    char title[400];
    snprintf(title, sizeof title, "%s: %s (Tab: %s)", dv->title, page_names[dv->shown],
             page_names[dv->shown == VIEW_DIFF_OBJECTS ? VIEW_DIFF_CHANGES : VIEW_DIFF_OBJECTS]);
    view_text_set_title(v, title);
}

void view_diff_clear(view_t *v)
{
    diffview_t *dv = dv_of(v);
    for (int i = 0; i < VIEW_DIFF_PAGES; i++)
        page_clear(&dv->pages[i]);
    refill(dv);
}

void view_diff_add(view_t *v, view_diff_page_t page, text_style_t style, const char *line)
{
    diffview_t *dv = dv_of(v);
    if (page >= VIEW_DIFF_PAGES)
        return;
    page_t *p = &dv->pages[page];
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        page_line_t *nv = realloc(p->v, cap * sizeof *nv);
        if (!nv)
            return;
        p->v = nv;
        p->cap = cap;
    }
    char *copy = strdup(line);
    if (!copy)
        return;
    p->v[p->n].style = style;
    p->v[p->n].text = copy;
    p->n++;
    if (page == dv->shown)
        view_text_add(v, style, line);
}

void view_diff_add_text(view_t *v, view_diff_page_t page, text_style_t style, const char *text)
{
    const char *s = text;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        char *line = malloc(n + 1);
        if (!line)
            return;
        memcpy(line, s, n);
        line[n] = '\0';
        view_diff_add(v, page, style, line);
        free(line);
        s = nl ? nl + 1 : NULL;
    }
}

void view_diff_add_wrapped(view_t *v, view_diff_page_t page, text_style_t style, const char *text)
{
    int width = COLS > 20 ? COLS - 1 : 79;
    const char *s = text;
    char line[1024];
    while (*s) {
        size_t n = strlen(s);
        if (n <= (size_t)width || (size_t)width >= sizeof line) {
            view_diff_add(v, page, style, s);
            return;
        }
        size_t cut = (size_t)width;
        while (cut > (size_t)width / 2 && s[cut] != ' ')
            cut--;
        if (s[cut] != ' ')
            cut = (size_t)width;   /* one long word: cut it */
        memcpy(line, s, cut);
        line[cut] = '\0';
        view_diff_add(v, page, style, line);
        s += cut;
        while (*s == ' ')
            s++;
    }
}

void view_diff_add_diff(view_t *v, view_diff_page_t page, const textdiff_t *d)
{
    if (!d)
        return;
    for (size_t h = 0; h < d->n_hunks; h++) {
        const textdiff_hunk_t *hk = &d->hunks[h];
        char head[120];
        snprintf(head, sizeof head, "@@ -%zu,%zu +%zu,%zu @@", hk->old_start, hk->old_count,
                 hk->new_start, hk->new_count);
        view_diff_add(v, page, TEXT_HUNK, head);
        for (size_t i = hk->first; i < hk->first + hk->count && i < d->n_lines; i++) {
            const textdiff_line_t *l = &d->lines[i];
            char *line = malloc(l->len + 2);
            if (!line)
                return;
            line[0] = l->tag;
            memcpy(line + 1, l->text, l->len);
            line[l->len + 1] = '\0';
            view_diff_add(v, page, l->tag == '+' ? TEXT_ADDED : l->tag == '-' ? TEXT_REMOVED : TEXT_CONTEXT,
                          line);
            free(line);
        }
    }
}

void view_diff_show(view_t *v, view_diff_page_t page)
{
    diffview_t *dv = dv_of(v);
    if (page >= VIEW_DIFF_PAGES)
        return;
    dv->shown = page;
    refill(dv);
    view_text_rewind(v);
}

view_diff_page_t view_diff_page(view_t *v)
{
    return dv_of(v)->shown;
}

void view_diff_offer_reload(view_t *v, bool on)
{
    dv_of(v)->reload_offered = on;
}

void view_diff_set_hint(view_t *v, const char *hint)
{
    view_text_set_hint(v, hint);
}

void view_diff_detach(view_t *v)
{
    diffview_t *dv = dv_of(v);
    dv->hooks = NULL;
    dv->ud = NULL;
    dv->reload_offered = false;
}

/* Tab arrives as the focus action (the app passes it on when there is no split screen). */
static bool diff_action(view_t *v, action_t a)
{
    diffview_t *dv = dv_of(v);
    if (a == ACT_FOCUS) {
        view_diff_show(v, dv->shown == VIEW_DIFF_OBJECTS ? VIEW_DIFF_CHANGES : VIEW_DIFF_OBJECTS);
        return true;
    }
    return false;
}

static bool diff_key(view_t *v, int key)
{
    diffview_t *dv = dv_of(v);
    if ((key == 'a' || key == CTRL_A) && dv->hooks && dv->hooks->apply) {
        dv->hooks->apply(dv->ud);   /* may rewrite the pages; the view stays */
        return true;
    }
    if (key == 'r' && dv->reload_offered && dv->hooks && dv->hooks->reload) {
        dv->hooks->reload(dv->ud);
        return true;
    }
    if (key == '\t') {
        view_diff_show(v, dv->shown == VIEW_DIFF_OBJECTS ? VIEW_DIFF_CHANGES : VIEW_DIFF_OBJECTS);
        return true;
    }
    return false;
}

static const view_text_hooks_t diff_hooks = { .action = diff_action, .key = diff_key };

static void diff_free(void *ud)
{
    diffview_t *dv = ud;
    if (dv->hooks && dv->hooks->closed)
        dv->hooks->closed(dv->ud);
    for (int i = 0; i < VIEW_DIFF_PAGES; i++) {
        page_clear(&dv->pages[i]);
        free(dv->pages[i].v);
    }
    free(dv);
}

view_t *view_diff_new(app_t *app, const char *title, const view_diff_hooks_t *hooks, void *ud)
{
    diffview_t *dv = calloc(1, sizeof *dv);
    if (!dv)
        return NULL;
    view_t *v = view_text_new(app, title, diff_free, dv);
    if (!v) {
        free(dv);
        return NULL;
    }
    dv->view = v;
    dv->hooks = hooks;
    dv->ud = ud;
    dv->shown = VIEW_DIFF_CHANGES;
    snprintf(dv->title, sizeof dv->title, "%s", title);
    view_text_set_hooks(v, &diff_hooks);
    refill(dv);
    return v;
}

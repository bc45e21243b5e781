/* view_diff: the full-screen preview of an apply — two pages of text, the exact objects as YAML
 * and the diff live → desired coloured line by line (+ added, - removed, @@ hunk headers) —
 * built on the text view (scrolling, / search, n N). Tab toggles the pages, `a` or Ctrl-A calls
 * the apply hook, `r` the reload hook (when the owner offers it), Esc goes back. The view does no
 * I/O: its owner (src/app/form_apply.c) fills the pages and reacts to the hooks. */
#ifndef KDECK_VIEW_DIFF_H
#define KDECK_VIEW_DIFF_H

#include "kdeck/app.h"
#include "kdeck/textdiff.h"
#include "kdeck/view_text.h"

typedef enum { VIEW_DIFF_OBJECTS, VIEW_DIFF_CHANGES, VIEW_DIFF_PAGES } view_diff_page_t;

/* The owner's side; every hook optional, each gets ud. closed: the view is being freed (the
 * owner must forget it). */
typedef struct view_diff_hooks {
    void (*apply)(void *ud);
    void (*reload)(void *ud);
    void (*closed)(void *ud);
} view_diff_hooks_t;

/* title: "Preview app/back"; hooks borrowed (a static table). NULL on ENOMEM. */
view_t *view_diff_new(app_t *app, const char *title, const view_diff_hooks_t *hooks, void *ud);
/* Empties both pages. */
void view_diff_clear(view_t *v);
void view_diff_add(view_t *v, view_diff_page_t page, text_style_t style, const char *line);
/* Text split into lines (a trailing newline makes no empty last line). */
void view_diff_add_text(view_t *v, view_diff_page_t page, text_style_t style, const char *text);
/* A long message split at spaces to fit the screen's width (as it is now). */
void view_diff_add_wrapped(view_t *v, view_diff_page_t page, text_style_t style, const char *text);
/* A diff's hunks on a page: "@@ -a,b +c,d @@" headers and tagged, coloured lines. */
void view_diff_add_diff(view_t *v, view_diff_page_t page, const textdiff_t *d);
/* Shows a page (from its first line). */
void view_diff_show(view_t *v, view_diff_page_t page);
view_diff_page_t view_diff_page(view_t *v);
/* Whether `r` (reload) is offered; the hint line says what the keys do now. */
void view_diff_offer_reload(view_t *v, bool on);
void view_diff_set_hint(view_t *v, const char *hint);
/* The owner goes away first: the hooks are forgotten (keys then do nothing). */
void view_diff_detach(view_t *v);

#endif

/* A scrollable, searchable text view: describe, help, the apply preview (coloured diff lines) and
 * any other read-only text. */
#ifndef KDECK_VIEW_TEXT_H
#define KDECK_VIEW_TEXT_H

#include "kdeck/app.h"
#include "kdeck/theme.h"

/* How a line is drawn: plain, "key: value", a section heading, or a diff line (added, removed,
 * unchanged, "@@" hunk header) or an error, each in its theme element. */
typedef enum { TEXT_PLAIN, TEXT_KEYVALUE, TEXT_SECTION, TEXT_ADDED, TEXT_REMOVED, TEXT_CONTEXT,
               TEXT_HUNK, TEXT_ERROR } text_style_t;

/* What a view built on a text view adds: its own actions and keys, asked before the text view's
 * (true = handled). Both optional. */
typedef struct view_text_hooks {
    bool (*action)(view_t *v, action_t a);
    bool (*key)(view_t *v, int key);
} view_text_hooks_t;

/* `on_free` lets an owner (describe) release its own state; `ud` is passed back. */
view_t *view_text_new(app_t *app, const char *title, void (*on_free)(void *ud), void *ud);
void view_text_clear(view_t *v);
void view_text_add(view_t *v, text_style_t style, const char *line);
void view_text_addf(view_t *v, text_style_t style, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void view_text_set_title(view_t *v, const char *title);
/* A message shown instead of the text (loading, an error). */
void view_text_set_message(view_t *v, const char *msg, bool error);
void *view_text_userdata(view_t *v);
/* hooks: borrowed (a static table); NULL removes them. */
void view_text_set_hooks(view_t *v, const view_text_hooks_t *hooks);
/* A one-line hint at the bottom of the view ("a apply  Tab objects/diff"); NULL or "" = none. */
void view_text_set_hint(view_t *v, const char *hint);
/* Scrolls back to the first line (and the left edge). */
void view_text_rewind(view_t *v);

#endif

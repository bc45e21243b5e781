/* A scrollable, searchable text view: describe, help and any other read-only text. */
#ifndef KDECK_VIEW_TEXT_H
#define KDECK_VIEW_TEXT_H

#include "kdeck/app.h"
#include "kdeck/theme.h"

typedef enum { TEXT_PLAIN, TEXT_KEYVALUE, TEXT_SECTION } text_style_t;

/* `on_free` lets an owner (describe) release its own state; `ud` is passed back. */
view_t *view_text_new(app_t *app, const char *title, void (*on_free)(void *ud), void *ud);
void view_text_clear(view_t *v);
void view_text_add(view_t *v, text_style_t style, const char *line);
void view_text_addf(view_t *v, text_style_t style, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void view_text_set_title(view_t *v, const char *title);
/* A message shown instead of the text (loading, an error). */
void view_text_set_message(view_t *v, const char *msg, bool error);
void *view_text_userdata(view_t *v);

#endif

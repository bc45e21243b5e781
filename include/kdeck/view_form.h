/* view_form: the full-screen descriptor form — `n` (new app) and `e` (edit the selected
 * deployment) on the deployments table. Sections, pickers, repeated fields, inline validation,
 * drafts that survive Esc and restarts, Ctrl-S/Ctrl-O files, preview & apply (docs/user-guide.md,
 * "Forms"). The editing model is src/app/form_model.c; the view draws it and does no I/O. */
#ifndef KDECK_VIEW_FORM_H
#define KDECK_VIEW_FORM_H

#include "kdeck/app.h"

/* An empty form in the current namespace (or the draft of the last new app, if one was left). */
void view_form_open_new(app_t *app);
/* The form of a live deployment, loaded asynchronously (or its draft, if one was left). */
void view_form_open_edit(app_t *app, const char *ns, const char *deployment);

#endif

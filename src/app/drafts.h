/* drafts: what an operator typed into a form, kept on disk until it is applied — saved on every
 * change (debounced by the form) and on Esc or quit, reopened by `e`/`n` on the same app, even
 * after a restart. Files live under $XDG_STATE_HOME/kdeck/drafts/<context>/<ns>/<app>.json, mode
 * 0600 in 0700 directories, because descriptors can hold secrets in plain env values.
 *
 * A draft file is JSON: {"kdeckDraft": 1, "descriptor": {...}, "pending": {path: text}} —
 * the descriptor as `kdeck descriptor` writes it, plus the text typed into number fields that is
 * not a number yet, so nothing typed is lost. */
#ifndef KDECK_APP_DRAFTS_H
#define KDECK_APP_DRAFTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kdeck/descriptor.h"

/* The key of a new app's draft (`n`), which has no name yet: not a valid app name, so it never
 * collides with one. */
#define DRAFT_NEW_APP "_new"

/* The draft file of context/ns/app; the directories are created (0700) when create is set.
 * Characters that cannot be in a file name ('/', leading '.') become '_'. False when no state
 * directory can be found or made. */
bool draft_file(const char *context, const char *ns, const char *app, bool create, char *buf,
                size_t len);

/* Writes atomically (temp file + rename), mode 0600. pending may be NULL. 0 or -errno. */
int draft_save(const char *file, const descriptor_t *d, const desc_map_t *pending);

typedef struct draft {
    descriptor_t *d;
    desc_map_t pending;       /* path -> text */
    time_t saved;             /* the file's modification time */
} draft_t;

/* Reads a draft. NULL with err "" when there is none; NULL with "file: what is wrong" when it
 * cannot be read or parsed. */
draft_t *draft_load(const char *file, char *err, size_t errlen);
void draft_free(draft_t *dr);
/* Deletes the draft (after a successful apply, or Ctrl-R). Missing is fine. */
void draft_remove(const char *file);

#endif

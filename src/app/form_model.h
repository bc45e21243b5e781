/* form_model: the descriptor form without curses — the descriptor's field table walked into a flat
 * list of rows (sections, fields, one-of choices, optional objects, list items, "add" rows), the
 * edits a form makes (text, toggles, pickers, add/remove/reorder items) applied to the descriptor,
 * and the validation problems mapped back onto rows. src/ui/view_form.c draws it; the unit tests
 * drive it directly.
 *
 * Rows point into the descriptor, so every edit rebuilds them: callers keep a row's path, never
 * its pointers, across edits (form_model_find turns a path back into a row). */
#ifndef KDECK_APP_FORM_MODEL_H
#define KDECK_APP_FORM_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "kdeck/descriptor.h"

typedef enum form_row_kind {
    FORM_ROW_SECTION,  /* a heading at depth 0: "App", "Containers", or an optional section */
    FORM_ROW_FIELD,    /* a scalar: string, integer, number, port (int or name), bool */
    FORM_ROW_CHOICE,   /* which member of a one-of group is used: env source, probe handler */
    FORM_ROW_OBJECT,   /* an optional nested object, on or off: resources, readinessProbe */
    FORM_ROW_ITEM,     /* one item of a repeated field: a container, an env var, an arg, a label */
    FORM_ROW_ADD,      /* "+ add ..." at the end of a repeated field */
} form_row_kind_t;

typedef struct form_row {
    form_row_kind_t kind;
    int depth;                    /* indentation level */
    char path[256];               /* JSON path as validate reports it: "containers[0].env[1].name" */
    char parent[256];             /* ITEM/ADD: the repeated field's path ("containers[0].env") */
    char label[64];               /* "containerPort", "env 2", "+ add env" */
    const desc_field_t *field;    /* the field shown (the list/map/strv field for items and adds) */
    const desc_type_t *type;      /* CHOICE: the type with the one-of group */
    void *base;                   /* the struct the field lives in */
    size_t index;                 /* ITEM: the item's index */
    bool toggle;                  /* SECTION/OBJECT: can be switched on and off */
    bool on;                      /* SECTION/OBJECT: present */
    const char *error;            /* the first problem for this row, or NULL (points into problems) */
} form_row_t;

typedef struct form_model {
    descriptor_t *d;              /* owned */
    form_row_t *rows;
    size_t n_rows;
    desc_problems_t problems;     /* validation + unparsable text + the server's (422) */
    desc_problems_t external;     /* the server's field errors, until the field is edited */
    desc_map_t pending;           /* path -> text typed into a number field that is not a number */
    size_t invalid;               /* distinct problem paths */
    unsigned long changes;        /* incremented by every edit */
} form_model_t;

/* Takes ownership of d (NULL: an empty descriptor). NULL on ENOMEM (d is freed). */
form_model_t *form_model_new(descriptor_t *d);
void form_model_free(form_model_t *m);
/* Replaces the descriptor (owned; Ctrl-O, reload): pending text and server errors are dropped. */
void form_model_replace(form_model_t *m, descriptor_t *d);
/* Restores text typed into number fields that was not a number yet (from a draft). */
void form_model_set_pending(form_model_t *m, const desc_map_t *pending);
/* An empty descriptor for `n`: namespace ns, one container (named like nothing yet). */
descriptor_t *form_model_blank(const char *ns);

/* The row for a path: exact, else the row with the longest path that is a prefix of it (a
 * problem on "containers[0].env[1]" belongs to that item); SIZE_MAX when none. */
size_t form_model_find(const form_model_t *m, const char *path);

/* The value as text: "8080", "registry.local/app/back:1.0.0", "key=value", "yes"; a choice's
 * member; an item's summary (its name). "" when unset. */
void form_row_text(const form_model_t *m, size_t row, char *buf, size_t len);
/* Whether the row takes typed text (strings, numbers, ports, args, labels). */
bool form_row_editable(const form_model_t *m, size_t row);
/* A Secret or ConfigMap reference field (env secretKeyRef/configMapKeyRef name or key), picked
 * from the live namespace. is_key: the key (then ref_name is the chosen object's name, or NULL). */
bool form_row_keyref(const form_model_t *m, size_t row, bool *config_map, bool *is_key,
                     const char **ref_name);
/* Sets a field from typed text: "" unsets it; a number field keeps text that is not a number as
 * pending (shown, and reported "must be an integer ..."). True when something changed. */
bool form_row_set_text(form_model_t *m, size_t row, const char *text);

/* What a picker offers for a row: enum values (with "(default)" first for optional ones) or the
 * members of a one-of group. n == 0 when the row has no choices. current: index or -1. */
typedef struct form_choices {
    const char *v[16];
    size_t n;
    int current;
} form_choices_t;
void form_row_choices(const form_model_t *m, size_t row, form_choices_t *out);
bool form_row_choose(form_model_t *m, size_t row, size_t index);

/* SECTION/OBJECT: on <-> off; BOOL: true <-> false. True when the row toggled. */
bool form_row_toggle(form_model_t *m, size_t row);

/* Repeated fields. add: on an ADD row appends, on an ITEM row inserts after it; the new item's
 * path is written to new_path (may be NULL). remove: the ITEM row's item. move: the item one up
 * (dir < 0) or down; its new path in new_path. False when the row is not one of these. */
bool form_row_add(form_model_t *m, size_t row, char *new_path, size_t len);
bool form_row_remove(form_model_t *m, size_t row);
bool form_row_move(form_model_t *m, size_t row, int dir, char *new_path, size_t len);

/* Validates again and maps problems to rows (every edit does it; call after changing d). */
void form_model_refresh(form_model_t *m);
/* The server's field errors (422 causes with descriptor paths): shown until that field is edited. */
void form_model_set_external(form_model_t *m, const desc_problems_t *errors);
/* The first problem in field order and its row (SIZE_MAX when it has none); NULL when valid. */
const desc_problem_t *form_model_first_problem(const form_model_t *m, size_t *row);

#endif

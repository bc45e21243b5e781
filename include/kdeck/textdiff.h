/* textdiff: a line diff (Myers, linear space, with a cost cap so big or very different inputs stay
 * fast) with unified-diff hunks, and the YAML-like rendering of Kubernetes objects the form uses to
 * show "the exact objects" and a desired-vs-live diff. */
#ifndef KDECK_TEXTDIFF_H
#define KDECK_TEXTDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

typedef struct textdiff_line {
    char tag;              /* ' ' context, '-' only in the old text, '+' only in the new text */
    const char *text;      /* points into the diff's own copy of the text; not NUL-terminated */
    size_t len;            /* without the '\n' */
    size_t old_no, new_no; /* 1-based line numbers; 0 on the side the line is not in */
} textdiff_line_t;

typedef struct textdiff_hunk {
    size_t old_start, old_count;   /* as in "@@ -old_start,old_count +new_start,new_count @@" */
    size_t new_start, new_count;
    size_t first, count;           /* its lines: lines[first .. first+count) */
} textdiff_hunk_t;

typedef struct textdiff {
    textdiff_line_t *lines;        /* the lines of every hunk, in order */
    size_t n_lines;
    textdiff_hunk_t *hunks;
    size_t n_hunks;
    size_t added, removed;         /* '+' and '-' lines in the whole diff */
    bool approximate;              /* the cost cap was hit: correct, maybe not minimal */
    char *old_text, *new_text;     /* owned copies the lines point into */
} textdiff_t;

/* Diffs old against new (either may be NULL or empty). context: lines of context around each
 * change (3 as in diff -u); negative: one hunk with the whole new text. A final line without
 * '\n' is a line. No hunks when the texts are equal. NULL on ENOMEM. */
textdiff_t *textdiff_new(const char *old_text, size_t old_len, const char *new_text,
                         size_t new_len, int context);
void textdiff_free(textdiff_t *d);

/* Unified diff text ("--- old_name", "+++ new_name", "@@ ... @@", tagged lines); "" when equal. */
char *textdiff_unified(const textdiff_t *d, const char *old_name, const char *new_name);

/* A Kubernetes object as YAML-like text (kubectl's layout: two-space indent, list items at the
 * parent key's indentation). Top-level keys in Kubernetes order — apiVersion, kind, metadata,
 * spec, then the rest as given; nested keys as given. Strings that YAML would read as something
 * else are double-quoted. A List's items are separated by "---". malloc'd; NULL on ENOMEM. */
char *textdiff_yaml(const cJSON *obj);

/* A copy of a live object ready to diff against the desired one: server-populated fields removed
 * (status; metadata uid, resourceVersion, generation, creationTimestamp, managedFields, selfLink;
 * annotations deployment.kubernetes.io/revision and kubectl.kubernetes.io/last-applied-
 * configuration), server defaults removed where desired omits the field (the table in
 * textdiff.c, listed in docs/descriptor.md), and object keys put in desired's order.
 * desired may be NULL (only the server fields go). NULL on ENOMEM. */
cJSON *textdiff_live_prepare(const cJSON *live, const cJSON *desired);

/* The diff from live (old, prepared as above; NULL when the object does not exist yet) to
 * desired (new), both rendered with textdiff_yaml(). NULL on ENOMEM. */
textdiff_t *textdiff_objects(const cJSON *desired, const cJSON *live, int context);

#endif

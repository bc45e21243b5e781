/* audit: kdeck's own record of what it changed, one JSON line per mutating action in
 * $XDG_STATE_HOME/kdeck/audit.log (else ~/.local/state/kdeck/audit.log); directory 0700, file
 * 0600 (made so when it already exists). Used by `kdeck apply` and meant for the TUI's writes. */
#ifndef KDECK_AUDIT_H
#define KDECK_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct audit_entry {
    const char *context;   /* kubeconfig context */
    const char *user;      /* kubeconfig user ("" = anonymous) */
    const char *verb;      /* create, update, patch, delete, ... */
    const char *object;    /* "deployments/app/back" (resource/namespace/name) */
    const char *result;    /* "200 OK", "409 Conflict: ...", "refused: read-only session" */
} audit_entry_t;

/* The log's path (directories not created). False when neither XDG_STATE_HOME nor HOME is set. */
bool audit_log_path(char *buf, size_t len);
/* Appends {"time","context","user","verb","object","result"} as one line (NULL fields are "").
 * 0 or -errno. */
int audit_record(const audit_entry_t *e);

#endif

/* Where kdeck keeps files of its own: $XDG_STATE_HOME/kdeck (else ~/.local/state/kdeck). Saved
 * logs, drafts and the audit log may hold secrets, so kdeck's directories are created 0700. */
#ifndef KDECK_STATEDIR_H
#define KDECK_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>

/* The path of $XDG_STATE_HOME/kdeck/SUB (SUB may be ""), without creating anything. */
bool state_path(const char *sub, char *buf, size_t len);
/* The same, created (mkdir -p; kdeck's own levels 0700). False when it cannot be made. */
bool state_dir(const char *sub, char *buf, size_t len);

#endif

/* fileio: whole files in and out, for the files kdeck writes itself (descriptors, form drafts).
 * They can hold secrets in plain env values, so writes are private and atomic. */
#ifndef KDECK_FILEIO_H
#define KDECK_FILEIO_H

#include <stddef.h>

/* Writes len bytes of data to file atomically: a mode-0600 temp file beside it, fsync, rename.
 * A failed write leaves the old file as it was and no temp file. 0 or -errno. */
int file_write_private(const char *file, const char *data, size_t len);

/* The whole file, NUL-terminated (malloc'd), its length in *len. NULL with an errno value in
 * *err: the open's (ENOENT, EACCES, ...), EFBIG when longer than max (0: no limit), ENOMEM, or
 * EIO on a read error. */
char *file_read_all(const char *file, size_t max, size_t *len, int *err);

#endif

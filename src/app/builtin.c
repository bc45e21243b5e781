/* Lookup in the table of compiled-in files. */
#include "kdeck/builtin.h"

#include <string.h>

const char *builtin_file(const char *path)
{
    for (const builtin_file_t *f = kdeck_builtin_files; f->path; f++)
        if (!strcmp(f->path, path))
            return f->contents;
    return NULL;
}

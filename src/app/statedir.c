/* kdeck's own state directory, shared by saved logs, drafts and the audit log. */
#include "kdeck/statedir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool state_base(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg)
        n = snprintf(buf, len, "%s", xdg);
    else if (home && *home)
        n = snprintf(buf, len, "%s/.local/state", home);
    else
        return false;
    return n > 0 && (size_t)n < len;
}

bool state_path(const char *sub, char *buf, size_t len)
{
    char base[900];
    if (!state_base(base, sizeof base))
        return false;
    int n = snprintf(buf, len, "%s/kdeck%s%s", base, sub && *sub ? "/" : "", sub ? sub : "");
    return n > 0 && (size_t)n < len;
}

bool state_dir(const char *sub, char *buf, size_t len)
{
    char base[900], path[1024];
    if (!state_base(base, sizeof base) || !state_path(sub, path, sizeof path))
        return false;
    size_t bl = strlen(base);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        /* The levels up to XDG_STATE_HOME are the user's; kdeck's own are private. */
        if (mkdir(path, strlen(path) <= bl ? 0755 : 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return false;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return false;
    snprintf(buf, len, "%s", path);
    return true;
}

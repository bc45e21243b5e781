/* The local audit log: one JSON line per mutating action, private to the operator. */
#include "kdeck/audit.h"
#include "kdeck/statedir.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

bool audit_log_path(char *buf, size_t len)
{
    return state_path("audit.log", buf, len);
}

int audit_record(const audit_entry_t *e)
{
    char path[1024], dir[1024];
    if (!audit_log_path(path, sizeof path))
        return -ENOENT;
    if (!state_dir("", dir, sizeof dir))
        return errno ? -errno : -EIO;
    int rc;

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return -ENOMEM;
    cJSON_AddStringToObject(o, "time", ts);
    cJSON_AddStringToObject(o, "context", e->context ? e->context : "");
    cJSON_AddStringToObject(o, "user", e->user ? e->user : "");
    cJSON_AddStringToObject(o, "verb", e->verb ? e->verb : "");
    cJSON_AddStringToObject(o, "object", e->object ? e->object : "");
    cJSON_AddStringToObject(o, "result", e->result ? e->result : "");
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!line)
        return -ENOMEM;

    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = -errno;
        free(line);
        return rc;
    }
    fchmod(fd, 0600);
    size_t n = strlen(line);
    line[n++] = '\n';   /* replaces the NUL: written with its length */
    ssize_t w = write(fd, line, n);   /* one write: O_APPEND keeps lines whole */
    rc = w == (ssize_t)n ? 0 : (w < 0 ? -errno : -EIO);
    free(line);
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

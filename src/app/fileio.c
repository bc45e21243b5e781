/* fileio: whole-file reads and private atomic writes. */
#include "kdeck/fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno != EINTR)
            return -errno;
        if (w > 0)
            off += (size_t)w;
    }
    return 0;
}

int file_write_private(const char *file, const char *data, size_t len)
{
    size_t n = strlen(file) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return -ENOMEM;
    snprintf(tmp, n, "%s.tmpXXXXXX", file);
    int fd = mkstemp(tmp), rc = 0; /* mkstemp: mode 0600 from the start */
    if (fd < 0) {
        rc = -errno;
    } else {
        rc = write_all(fd, data, len);
        if (rc == 0 && fchmod(fd, 0600) < 0)
            rc = -errno;
        if (rc == 0 && fsync(fd) < 0)
            rc = -errno;
        if (close(fd) < 0 && rc == 0)
            rc = -errno;
        if (rc == 0 && rename(tmp, file) < 0)
            rc = -errno;
        if (rc != 0)
            unlink(tmp);
    }
    free(tmp);
    return rc;
}

char *file_read_all(const char *file, size_t max, size_t *len, int *err)
{
    FILE *fp = fopen(file, "rb");
    if (!fp) {
        *err = errno;
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                *err = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + *len, 1, cap - *len - 1, fp); /* room for the NUL */
        *len += got;
        if (max && *len > max) {
            free(buf);
            fclose(fp);
            *err = EFBIG;
            return NULL;
        }
        if (got == 0)
            break;
    }
    bool bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        *err = EIO;
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

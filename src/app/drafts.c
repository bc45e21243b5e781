/* drafts: form drafts on disk, one private file per context/namespace/app. */
#include "drafts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "kdeck/statedir.h"

/* One path component from a context, namespace or app name: kubeconfig context names can hold
 * '/' and ':' (EKS ARNs), and nothing may climb out with "..". */
static void component(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = in && *in ? in : "_"; *p && o + 1 < len; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == ':' || c == '@' || (c == '.' && o > 0);
        out[o++] = ok ? c : '_';
    }
    out[o] = '\0';
}

bool draft_file(const char *context, const char *ns, const char *app, bool create, char *buf,
                size_t len)
{
    char c[128], n[128], a[128], sub[512], dir[1024];
    component(context, c, sizeof c);
    component(ns, n, sizeof n);
    component(app, a, sizeof a);
    snprintf(sub, sizeof sub, "drafts/%s/%s", c, n);
    if (!(create ? state_dir(sub, dir, sizeof dir) : state_path(sub, dir, sizeof dir)))
        return false;
    int w = snprintf(buf, len, "%s/%s.json", dir, a);
    return w > 0 && (size_t)w < len;
}

static int write_all(int fd, const char *text)
{
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno != EINTR)
            return -errno;
        if (w > 0)
            off += (size_t)w;
    }
    return 0;
}

int draft_save(const char *file, const descriptor_t *d, const desc_map_t *pending)
{
    cJSON *root = cJSON_CreateObject(), *dj = descriptor_to_json(d), *pj = cJSON_CreateObject();
    if (!root || !dj || !pj) {
        cJSON_Delete(root);
        cJSON_Delete(dj);
        cJSON_Delete(pj);
        return -ENOMEM;
    }
    cJSON_AddNumberToObject(root, "kdeckDraft", 1);
    cJSON_AddItemToObject(root, "descriptor", dj);
    for (size_t i = 0; pending && i < pending->n; i++)
        cJSON_AddStringToObject(pj, pending->v[i].key, pending->v[i].value);
    cJSON_AddItemToObject(root, "pending", pj);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -ENOMEM;
    size_t n = strlen(file) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        free(text);
        return -ENOMEM;
    }
    snprintf(tmp, n, "%s.tmpXXXXXX", file);
    int fd = mkstemp(tmp), rc = 0; /* mkstemp: mode 0600 from the start */
    if (fd < 0) {
        rc = -errno;
    } else {
        rc = write_all(fd, text);
        if (rc == 0)
            rc = write_all(fd, "\n");
        if (rc == 0 && fchmod(fd, 0600) < 0)
            rc = -errno;
        if (close(fd) < 0 && rc == 0)
            rc = -errno;
        if (rc == 0 && rename(tmp, file) < 0)
            rc = -errno;
        if (rc != 0)
            unlink(tmp);
    }
    free(tmp);
    free(text);
    return rc;
}

static char *read_file(const char *file, size_t *len, int *err)
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
            if (cap > (16u << 20)) { /* a draft is a few KB: anything this big is not one */
                free(buf);
                fclose(fp);
                *err = EFBIG;
                return NULL;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                *err = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + *len, 1, cap - *len - 1, fp);
        *len += got;
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

draft_t *draft_load(const char *file, char *err, size_t errlen)
{
    err[0] = '\0';
    size_t len;
    int e = 0;
    char *text = read_file(file, &len, &e);
    if (!text) {
        if (e != ENOENT)
            snprintf(err, errlen, "%s: %s", file, strerror(e));
        return NULL;
    }
    struct stat st;
    time_t saved = stat(file, &st) == 0 ? st.st_mtime : 0;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *dj = cJSON_GetObjectItemCaseSensitive(root, "descriptor");
    if (!cJSON_IsObject(dj)) {
        snprintf(err, errlen, "%s: not a kdeck draft", file);
        cJSON_Delete(root);
        return NULL;
    }
    char *dtext = cJSON_PrintUnformatted(dj);
    desc_problems_t problems = {0};
    descriptor_t *d = dtext ? descriptor_parse(dtext, strlen(dtext), &problems) : NULL;
    free(dtext);
    if (!d) {
        char *msg = desc_problems_format(&problems);
        if (msg && *msg)
            msg[strcspn(msg, "\n")] = '\0';
        snprintf(err, errlen, "%s: descriptor.%s", file, msg && *msg ? msg : "out of memory");
        free(msg);
        desc_problems_free(&problems);
        cJSON_Delete(root);
        return NULL;
    }
    desc_problems_free(&problems);
    draft_t *dr = calloc(1, sizeof *dr);
    if (!dr) {
        descriptor_free(d);
        cJSON_Delete(root);
        snprintf(err, errlen, "%s: out of memory", file);
        return NULL;
    }
    dr->d = d;
    dr->saved = saved;
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(root, "pending"), *it;
    size_t n = cJSON_IsObject(pj) ? (size_t)cJSON_GetArraySize(pj) : 0;
    if (n && (dr->pending.v = calloc(n, sizeof *dr->pending.v))) {
        cJSON_ArrayForEach(it, pj) {
            if (!cJSON_IsString(it) || !it->string)
                continue;
            char *k = strdup(it->string), *v = strdup(it->valuestring);
            if (!k || !v) {
                free(k);
                free(v);
                continue;
            }
            dr->pending.v[dr->pending.n].key = k;
            dr->pending.v[dr->pending.n].value = v;
            dr->pending.n++;
        }
    }
    cJSON_Delete(root);
    return dr;
}

void draft_free(draft_t *dr)
{
    if (!dr)
        return;
    descriptor_free(dr->d);
    for (size_t i = 0; i < dr->pending.n; i++) {
        free(dr->pending.v[i].key);
        free(dr->pending.v[i].value);
    }
    free(dr->pending.v);
    free(dr);
}

void draft_remove(const char *file)
{
    unlink(file);
}

/* drafts: form drafts on disk, one private file per context/namespace/app. */
#include "drafts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "kdeck/fileio.h"
#include "kdeck/statedir.h"

/* A draft is a few KB: anything this big is not one. */
#define DRAFT_MAX_BYTES (16u << 20)

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
    size_t len = text ? strlen(text) : 0;
    char *line = text ? realloc(text, len + 2) : NULL;   /* a text file ends in a newline */
    if (!line) {
        free(text);
        return -ENOMEM;
    }
    memcpy(line + len, "\n", 2);
    int rc = file_write_private(file, line, len + 1);
    free(line);
    return rc;
}

draft_t *draft_load(const char *file, char *err, size_t errlen)
{
    err[0] = '\0';
    size_t len;
    int e = 0;
    char *text = file_read_all(file, DRAFT_MAX_BYTES, &len, &e);
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
    desc_map_clear(&dr->pending);
    free(dr);
}

void draft_remove(const char *file)
{
    unlink(file);
}

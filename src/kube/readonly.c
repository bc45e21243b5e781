/* Read-only choke point: decides from the method and path alone, so no caller can get around it. */
#include "kdeck/readonly.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Path segments that open an interactive channel into a container or node: never in read-only. */
static const char *const forbidden_subresources[] = { "exec", "attach", "portforward" };

static const char *const access_review_paths[] = {
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
};

/* Case-insensitive "needle occurs in haystack" for short ASCII needles. */
static bool contains_ci(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, nl))
            return true;
    return false;
}

/* Length of the path without query or fragment. */
static size_t path_len(const char *path)
{
    return strcspn(path, "?#");
}

static bool has_segment(const char *path, size_t len, const char *seg)
{
    size_t sl = strlen(seg);
    for (size_t i = 0; i + sl <= len; i++) {
        if (path[i] != '/' || strncmp(path + i + 1, seg, sl) != 0)
            continue;
        char after = (i + 1 + sl < len) ? path[i + 1 + sl] : '\0';
        if (after == '\0' || after == '/')
            return true;
    }
    return false;
}

bool kube_request_allowed_read_only(const char *method, const char *path)
{
    if (!method || !path)
        return false;
    size_t len = path_len(path);
    /* Dot segments or encoded slashes could disguise a subresource; a read-only session never
     * needs them, so refuse rather than normalise. */
    if (strstr(path, "/..") || strstr(path, "/./") || contains_ci(path, "%2f") || contains_ci(path, "%2e"))
        return false;
    for (size_t i = 0; i < sizeof forbidden_subresources / sizeof *forbidden_subresources; i++)
        if (has_segment(path, len, forbidden_subresources[i]))
            return false;
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
        return true;
    if (!strcmp(method, "POST")) {
        for (size_t i = 0; i < sizeof access_review_paths / sizeof *access_review_paths; i++) {
            size_t al = strlen(access_review_paths[i]);
            if (len == al && !strncmp(path, access_review_paths[i], al))
                return true;
        }
    }
    return false;
}

void kube_read_only_refusal(const char *method, const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "read-only session: refusing %s %.*s", method ? method : "?",
             (int)(path ? path_len(path) : 1), path ? path : "?");
}

/* Decodes Kubernetes Status bodies ({"kind":"Status","message":...,"reason":...,"code":...}). */
#include "kdeck/apierror.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

const char *api_status_text(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "";
    }
}

/* Copies at most n bytes of s with control characters replaced: a hostile server must not be able
 * to put escape sequences on the operator's terminal through an error message. */
static void copy_clean(char *dst, size_t dlen, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && s[i] && j + 1 < dlen; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[j++] = (c < 32 || c == 127) ? ' ' : (char)c;
    }
    if (dlen)
        dst[j] = '\0';
}

char *api_error_describe(const char *what, const http_result_t *res, char *buf, size_t len)
{
    char prefix[300] = "";
    if (what)
        snprintf(prefix, sizeof prefix, "%s: ", what);
    if (res->error) {
        char clean[400];
        copy_clean(clean, sizeof clean, res->error, strlen(res->error));
        snprintf(buf, len, "%s%s", prefix, clean);
        return buf;
    }
    char message[400] = "";
    if (res->body && res->body_len) {
        cJSON *st = cJSON_ParseWithLength(res->body, res->body_len);
        const cJSON *m = st ? cJSON_GetObjectItemCaseSensitive(st, "message") : NULL;
        const cJSON *k = st ? cJSON_GetObjectItemCaseSensitive(st, "kind") : NULL;
        if (cJSON_IsString(m) && cJSON_IsString(k) && !strcmp(k->valuestring, "Status"))
            copy_clean(message, sizeof message, m->valuestring, strlen(m->valuestring));
        cJSON_Delete(st);
        if (!message[0]) /* not a Status: show the start of whatever came back */
            copy_clean(message, sizeof message, res->body, res->body_len < 120 ? res->body_len : 120);
    }
    const char *text = api_status_text(res->status);
    snprintf(buf, len, "%s%ld%s%s%s%s", prefix, res->status, text[0] ? " " : "", text,
             message[0] ? ": " : "", message);
    return buf;
}

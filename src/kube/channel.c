/* Kubernetes channel and log framing. */
#include "kdeck/channel.h"
#include "kdeck/base64.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool channel_decode(const unsigned char *msg, size_t len, int *channel, const unsigned char **payload,
                    size_t *plen)
{
    if (!len)
        return false;
    *channel = msg[0];
    *payload = msg + 1;
    *plen = len - 1;
    return true;
}

size_t channel_encode(int channel, const void *data, size_t len, unsigned char *out, size_t cap)
{
    if (len + 1 > cap || channel < 0 || channel > 255)
        return 0;
    out[0] = (unsigned char)channel;
    if (len)
        memcpy(out + 1, data, len);
    return len + 1;
}

size_t channel_resize(int cols, int rows, unsigned char *out, size_t cap)
{
    char json[64];
    int n = snprintf(json, sizeof json, "{\"Width\":%d,\"Height\":%d}", cols < 0 ? 0 : cols, rows < 0 ? 0 : rows);
    return channel_encode(CH_RESIZE, json, (size_t)n, out, cap);
}

size_t channel_close_stdin(unsigned char *out, size_t cap)
{
    unsigned char ch = CH_STDIN;
    return channel_encode(CH_CLOSE, &ch, 1, out, cap);
}

int channel_exit_status(const unsigned char *json, size_t len, char *msg, size_t msglen)
{
    if (msglen)
        msg[0] = '\0';
    cJSON *st = cJSON_ParseWithLength((const char *)json, len);
    if (!st) {
        snprintf(msg, msglen, "unreadable status from the error channel");
        return -1;
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(st, "status");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(st, "reason");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(st, "message");
    int rc = -1;
    if (cJSON_IsString(status) && !strcmp(status->valuestring, "Success")) {
        rc = 0;
    } else if (cJSON_IsString(reason) && !strcmp(reason->valuestring, "NonZeroExitCode")) {
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(st, "details");
        const cJSON *causes = cJSON_IsObject(details) ? cJSON_GetObjectItemCaseSensitive(details, "causes") : NULL;
        const cJSON *cause;
        cJSON_ArrayForEach(cause, causes) {
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(cause, "reason");
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(cause, "message");
            if (cJSON_IsString(r) && !strcmp(r->valuestring, "ExitCode") && cJSON_IsString(m)) {
                char *end;
                long v = strtol(m->valuestring, &end, 10);
                if (*end == '\0' && v >= 0 && v < 256)
                    rc = (int)v;
            }
        }
        if (rc < 0)
            snprintf(msg, msglen, "%s", cJSON_IsString(message) ? message->valuestring : "non-zero exit code");
    } else {
        snprintf(msg, msglen, "%s", cJSON_IsString(message) ? message->valuestring : "command failed");
    }
    cJSON_Delete(st);
    return rc;
}

long log_frame_bytes(const char *protocol, const unsigned char *msg, size_t len, unsigned char *out, size_t cap)
{
    if (protocol && !strcmp(protocol, "base64.binary.k8s.io")) {
        size_t n = 0;
        if (base64_decode_buf(out, cap, (const char *)msg, len, &n, NULL) != BASE64_OK)
            return -1;
        return (long)n;
    }
    if (len > cap)
        len = cap;
    memcpy(out, msg, len);
    return (long)len;
}

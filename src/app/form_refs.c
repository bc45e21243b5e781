/* form_refs: key names of a Secret or ConfigMap, fetched on the session's client. */
#include "form_refs.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/apierror.h"
#include "kdeck/app.h"

struct form_refs_req {
    http_req_t *req;
    bool config_map;
    char what[600];
    form_refs_cb cb;
    void *ud;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void on_done(http_req_t *req, const http_result_t *res, void *ud)
{
    form_refs_req_t *r = ud;
    (void)req;
    char err[700] = "";
    const char **keys = NULL;
    size_t n = 0;
    cJSON *obj = NULL;
    if (res->status != 200) {
        api_error_describe(r->what, res, err, sizeof err);
    } else if (!(obj = cJSON_ParseWithLength(res->body, res->body_len)) || !cJSON_IsObject(obj)) {
        snprintf(err, sizeof err, "%s: the answer is not a JSON object", r->what);
    } else {
        static const char *const members[] = {"data", "binaryData", "stringData"};
        size_t cap = 0;
        for (size_t m = 0; m < sizeof members / sizeof *members; m++) {
            const cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, members[m]), *it;
            if (!cJSON_IsObject(data))
                continue;
            cJSON_ArrayForEach(it, data) {
                if (!it->string)
                    continue;
                if (n == cap) {
                    cap = cap ? cap * 2 : 16;
                    const char **nk = realloc(keys, cap * sizeof *nk);
                    if (!nk)
                        break;
                    keys = nk;
                }
                keys[n++] = it->string;
            }
        }
        if (n)
            qsort(keys, n, sizeof *keys, cmp_str);
    }
    r->cb(r->ud, err[0] ? NULL : keys, err[0] ? 0 : n, err[0] ? err : NULL);
    free(keys);
    cJSON_Delete(obj); /* values go with it, unread */
    free(r);
}

form_refs_req_t *form_refs_keys(struct app *app, bool config_map, const char *ns, const char *name,
                                form_refs_cb cb, void *ud)
{
    http_client_t *http = app_http(app);
    if (!http || !ns || !name)
        return NULL;
    form_refs_req_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->config_map = config_map;
    r->cb = cb;
    r->ud = ud;
    const char *plural = config_map ? "configmaps" : "secrets";
    snprintf(r->what, sizeof r->what, "%s %s/%s", config_map ? "configmap" : "secret", ns, name);
    char path[800];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/%s/%s", ns, plural, name);
    http_req_opts_t o = {.path = path, .accept = "application/json", .timeout_ms = 30000,
                         .on_done = on_done, .ud = r};
    if (!(r->req = http_request(http, &o))) {
        free(r);
        return NULL;
    }
    return r;
}

void form_refs_cancel(form_refs_req_t *r)
{
    if (!r)
        return;
    http_cancel(r->req);
    free(r);
}

/* Describe: the full object, fetched on demand (the store keeps only compact rows), shown as
 * YAML-like text, followed by the object's events. Secret values are never shown: each key of a
 * Secret's data shows its size only. managedFields are left out, as kubectl does by default. */
#include "kdeck/app.h"
#include "kdeck/apierror.h"
#include "kdeck/strutil.h"
#include "kdeck/view_text.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct describe {
    view_t *view;
    app_t *app;
    kind_id_t kind;
    char ns[254], name[254];
    http_req_t *obj_req, *ev_req;
    http_client_t *http;
} describe_t;

/* Would YAML read this plain string as something else (number, bool, null, timestamp)? Then it
 * is quoted, as kubectl's YAML printer does; everything else prints as it is. */
static bool needs_quotes(const char *s)
{
    static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "null", "~",
                                         "True", "False", "Yes", "No", "On", "Off", "Null", "NULL",
                                         "TRUE", "FALSE", "YES", "NO", "ON", "OFF" };
    if (!*s || s[0] == ' ' || s[strlen(s) - 1] == ' ' || strchr(s, '\n') || strstr(s, ": ") ||
        strstr(s, " #") || strchr("{[]}&*!|>'\"%@`#,?:-", s[0]))
        return !(s[0] == '-' && s[1] && s[1] != ' ' && !strchr("0123456789.", s[1]));
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcmp(s, words[i]))
            return true;
    char *end;
    strtod(s, &end);
    if (*end == '\0')
        return true; /* a number */
    /* 2024-05-01 or 2024-05-01T10:00:00Z: YAML timestamps */
    return strlen(s) >= 10 && s[4] == '-' && s[7] == '-' && s[0] >= '0' && s[0] <= '9';
}

static void scalar(const cJSON *j, char *buf, size_t len)
{
    if (cJSON_IsString(j)) {
        const char *s = j->valuestring;
        if (!needs_quotes(s)) {
            snprintf(buf, len, "%s", s);
            return;
        }
        size_t o = 0;
        buf[o++] = '"';
        for (const char *p = s; *p && o + 4 < len; p++) {
            if (*p == '"' || *p == '\\') { buf[o++] = '\\'; buf[o++] = *p; }
            else if (*p == '\n') { buf[o++] = '\\'; buf[o++] = 'n'; }
            else buf[o++] = *p;
        }
        buf[o++] = '"';
        buf[o] = '\0';
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == (double)(long long)d)
            snprintf(buf, len, "%lld", (long long)d);
        else
            snprintf(buf, len, "%g", d);
    } else if (cJSON_IsBool(j)) {
        snprintf(buf, len, "%s", cJSON_IsTrue(j) ? "true" : "false");
    } else if (cJSON_IsNull(j)) {
        snprintf(buf, len, "null");
    } else if (cJSON_IsRaw(j)) { /* our own text, e.g. "<hidden: N bytes>" */
        snprintf(buf, len, "%s", j->valuestring);
    } else if (cJSON_IsArray(j)) {
        snprintf(buf, len, "[]");
    } else {
        snprintf(buf, len, "{}");
    }
}

static bool is_container(const cJSON *j)
{
    return (cJSON_IsObject(j) || cJSON_IsArray(j)) && j->child;
}

static void render(view_t *v, const cJSON *j, int indent, int depth, bool secret_data);

static void render_member(view_t *v, const char *prefix, const cJSON *val, int indent, int depth,
                          bool secret_data)
{
    char sc[2048];
    if (secret_data && cJSON_IsString(val)) {
        /* The value is base64: say how big the secret is, never what it is. */
        size_t b64 = strlen(val->valuestring);
        view_text_addf(v, TEXT_KEYVALUE, "%*s%s <hidden: %zu bytes>", indent, "", prefix, b64 / 4 * 3);
        return;
    }
    if (is_container(val)) {
        view_text_addf(v, TEXT_KEYVALUE, "%*s%s", indent, "", prefix);
        render(v, val, indent + 2, depth + 1, false);
    } else {
        scalar(val, sc, sizeof sc);
        view_text_addf(v, TEXT_KEYVALUE, "%*s%s %s", indent, "", prefix, sc);
    }
}

static void render(view_t *v, const cJSON *j, int indent, int depth, bool secret_data)
{
    if (depth > 64) { /* hostile nesting: stop drawing, never recurse without bound */
        view_text_addf(v, TEXT_PLAIN, "%*s... (nested too deep)", indent, "");
        return;
    }
    const cJSON *c;
    if (cJSON_IsObject(j)) {
        cJSON_ArrayForEach(c, j) {
            if (depth == 1 && !strcmp(c->string, "managedFields"))
                continue;
            char key[600];
            snprintf(key, sizeof key, "%s:", c->string);
            bool secret = depth == 0 && (!strcmp(c->string, "data") || !strcmp(c->string, "stringData")) &&
                          secret_data;
            if (secret && cJSON_IsObject(c)) {
                view_text_addf(v, TEXT_KEYVALUE, "%*s%s", indent, "", key);
                const cJSON *kv;
                cJSON_ArrayForEach(kv, c) {
                    char k2[600];
                    snprintf(k2, sizeof k2, "%s:", kv->string);
                    render_member(v, k2, kv, indent + 2, depth + 1, true);
                }
                continue;
            }
            render_member(v, key, c, indent, depth, false);
        }
    } else if (cJSON_IsArray(j)) {
        cJSON_ArrayForEach(c, j) {
            if (cJSON_IsObject(c) && c->child) {
                /* "- first: x" then the other members aligned under it, like YAML */
                const cJSON *m = c->child;
                char key[600];
                snprintf(key, sizeof key, "- %s:", m->string);
                render_member(v, key, m, indent, depth + 1, false);
                for (m = m->next; m; m = m->next) {
                    snprintf(key, sizeof key, "%s:", m->string);
                    render_member(v, key, m, indent + 2, depth + 1, false);
                }
            } else {
                render_member(v, "-", c, indent, depth, false);
            }
        }
    }
}

static void on_events(http_req_t *req, const http_result_t *res, void *ud)
{
    describe_t *d = ud;
    (void)req;
    d->ev_req = NULL;
    view_t *v = d->view;
    view_text_add(v, TEXT_PLAIN, "");
    view_text_add(v, TEXT_SECTION, "Events:");
    if (res->error || res->status != 200) {
        char msg[600];
        view_text_addf(v, TEXT_PLAIN, "  (cannot list events: %s)", api_error_describe(NULL, res, msg, sizeof msg));
        return;
    }
    cJSON *list = cJSON_ParseWithLength(res->body, res->body_len);
    const cJSON *items = list ? cJSON_GetObjectItemCaseSensitive(list, "items") : NULL;
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, items) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(e, "reason");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(e, "count");
        view_text_addf(v, TEXT_PLAIN, "  %-8s %-20s x%-3d %s", cJSON_IsString(type) ? type->valuestring : "",
                       cJSON_IsString(reason) ? reason->valuestring : "",
                       cJSON_IsNumber(count) ? count->valueint : 1, cJSON_IsString(msg) ? msg->valuestring : "");
        n++;
    }
    if (!n)
        view_text_add(v, TEXT_PLAIN, "  <none>");
    cJSON_Delete(list);
}

static void fetch_events(describe_t *d)
{
    const kind_info_t *k = kind_get(d->kind);
    if (d->kind == KIND_EVENT)
        return;
    char path[1024], base[512];
    kind_list_path(kind_get(KIND_EVENT), k->namespaced ? d->ns : NULL, base, sizeof base);
    snprintf(path, sizeof path, "%s?fieldSelector=involvedObject.name%%3D%s%s%s", base, d->name,
             k->namespaced ? ",involvedObject.namespace%3D" : "", k->namespaced ? d->ns : "");
    http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 30000,
                          .on_done = on_events, .ud = d };
    d->ev_req = http_request(d->http, &o);
}

static void on_object(http_req_t *req, const http_result_t *res, void *ud)
{
    describe_t *d = ud;
    (void)req;
    d->obj_req = NULL;
    view_t *v = d->view;
    if (res->error || res->status != 200) {
        char msg[700], what[600];
        snprintf(what, sizeof what, "get %s %s", kind_get(d->kind)->plural, d->name);
        view_text_set_message(v, api_error_describe(what, res, msg, sizeof msg), true);
        return;
    }
    cJSON *obj = cJSON_ParseWithLength(res->body, res->body_len);
    if (!obj) {
        view_text_set_message(v, "the server's answer is not valid JSON", true);
        return;
    }
    view_text_clear(v);
    if (d->kind == KIND_SECRET) {
        /* `kubectl apply` keeps the whole Secret, values included, in this annotation: its size
         * only, as for data. */
        cJSON *ann = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                                      "annotations");
        cJSON *la = cJSON_GetObjectItemCaseSensitive(ann, "kubectl.kubernetes.io/last-applied-configuration");
        if (la) {
            char hidden[64];
            snprintf(hidden, sizeof hidden, "<hidden: %zu bytes>",
                     cJSON_IsString(la) ? strlen(la->valuestring) : (size_t)0);
            cJSON_ReplaceItemInObjectCaseSensitive(ann, "kubectl.kubernetes.io/last-applied-configuration",
                                                   cJSON_CreateRaw(hidden));
        }
    }
    render(v, obj, 0, 0, d->kind == KIND_SECRET);
    cJSON_Delete(obj);
    fetch_events(d);
}

static void describe_free(void *ud)
{
    describe_t *d = ud;
    if (d->obj_req)
        http_cancel(d->obj_req);
    if (d->ev_req)
        http_cancel(d->ev_req);
    free(d);
}

view_t *view_describe_new(app_t *app, kind_id_t kind, const char *ns, const char *name)
{
    describe_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    const kind_info_t *k = kind_get(kind);
    char title[600];
    if (k->namespaced && ns)
        snprintf(title, sizeof title, "Describe %s/%s (%s)", k->kind, name, ns);
    else
        snprintf(title, sizeof title, "Describe %s/%s", k->kind, name);
    view_t *v = view_text_new(app, title, describe_free, d);
    if (!v) {
        free(d);
        return NULL;
    }
    d->view = v;
    d->app = app;
    d->kind = kind;
    d->http = app_http(app);
    snprintf(d->ns, sizeof d->ns, "%s", ns ? ns : "");
    snprintf(d->name, sizeof d->name, "%s", name);
    view_text_set_message(v, "Loading...", false);
    char path[1024];
    kind_object_path(k, k->namespaced ? ns : NULL, name, path, sizeof path);
    http_req_opts_t o = { .path = path, .accept = "application/json", .timeout_ms = 30000,
                          .on_done = on_object, .ud = d };
    d->obj_req = http_request(d->http, &o);
    return v;
}

/* Exec credential plugins, the pure parts: the ExecCredential a plugin prints, and the
 * KUBERNETES_EXEC_INFO it is given. Mirrors client-go's plugin/pkg/client/auth/exec. */
#include "kdeck/kubeconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kdeck/base64.h"
#include "kdeck/strutil.h"

static void kc_cred_err(kc_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void kc_cred_err(kc_error_t *err, const char *fmt, ...)
{
    va_list ap;
    err->code = KC_ERR_CREDENTIAL;
    err->file[0] = '\0';
    err->line = err->col = 0;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

static void kc_wipe_str_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void kc_exec_credential_clear(kc_exec_credential_t *cred)
{
    if (!cred)
        return;
    kc_wipe_str_free(cred->token);
    kc_wipe_str_free(cred->client_cert_pem);
    kc_wipe_str_free(cred->client_key_pem);
    memset(cred, 0, sizeof *cred);
}

bool kc_parse_rfc3339(const char *s, time_t *out)
{
    int64_t ms;
    if (!str_parse_rfc3339_ms(s, &ms))
        return false;
    *out = (time_t)(ms / 1000 - (ms % 1000 < 0)); /* whole seconds, rounded down as timegm's */
    return true;
}

/* Optional string member: absent/null -> NULL; wrong type -> false. */
static bool kc_json_str(const cJSON *obj, const char *key, const char **out, kc_error_t *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsString(v)) {
        kc_cred_err(err, "ExecCredential status.%s must be a string", key);
        return false;
    }
    *out = v->valuestring;
    return true;
}

bool kc_exec_credential_parse(const char *json, size_t len, const char *expected_api_version,
                              kc_exec_credential_t *out, kc_error_t *err)
{
    memset(out, 0, sizeof *out);
    cJSON *doc = cJSON_ParseWithLength(json, len);
    bool ok = false;
    if (!doc || !cJSON_IsObject(doc)) {
        /* never echo the output: it may be a token */
        kc_cred_err(err, "plugin output is not a JSON ExecCredential object (%zu bytes)", len);
        goto out;
    }
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(doc, "apiVersion");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    const char *got = cJSON_IsString(api) ? api->valuestring : "";
    if (!expected_api_version || strcmp(got, expected_api_version) != 0) {
        kc_cred_err(err,
                    "exec plugin is configured to use API version %s, plugin returned version "
                    "\"%.100s\"",
                    expected_api_version ? expected_api_version : "(none)", got);
        goto out;
    }
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "ExecCredential") != 0) {
        kc_cred_err(err, "plugin returned kind \"%.100s\", expected ExecCredential",
                    cJSON_IsString(kind) ? kind->valuestring : "");
        goto out;
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(doc, "status");
    if (!cJSON_IsObject(status)) {
        kc_cred_err(err, "exec plugin didn't return a status field");
        goto out;
    }
    const char *token, *cert, *key, *exp;
    if (!kc_json_str(status, "token", &token, err) ||
        !kc_json_str(status, "clientCertificateData", &cert, err) ||
        !kc_json_str(status, "clientKeyData", &key, err) ||
        !kc_json_str(status, "expirationTimestamp", &exp, err))
        goto out;
    bool has_token = token && token[0], has_cert = cert && cert[0], has_key = key && key[0];
    if (!has_token && !has_cert && !has_key) {
        kc_cred_err(err, "exec plugin didn't return a token or cert/key pair");
        goto out;
    }
    if (has_cert != has_key) {
        kc_cred_err(err, "exec plugin returned only certificate or key, not both");
        goto out;
    }
    if (exp && !kc_parse_rfc3339(exp, &out->expiration)) {
        kc_cred_err(err, "ExecCredential status.expirationTimestamp \"%.40s\" is not RFC 3339",
                    exp);
        goto out;
    }
    if ((has_token && !(out->token = strdup(token))) ||
        (has_cert && !(out->client_cert_pem = strdup(cert))) ||
        (has_key && !(out->client_key_pem = strdup(key)))) {
        kc_cred_err(err, "out of memory");
        err->code = KC_ERR_NOMEM;
        kc_exec_credential_clear(out);
        goto out;
    }
    ok = true;
out:
    if (doc) {
        /* the parsed copy holds the secret too */
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
        const char *const secret_keys[] = {"token", "clientKeyData"};
        for (size_t i = 0; st && i < 2; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, secret_keys[i]);
            if (cJSON_IsString(v))
                explicit_bzero(v->valuestring, strlen(v->valuestring));
        }
        cJSON_Delete(doc);
    }
    return ok;
}

bool kc_exec_credential_expired(const kc_exec_credential_t *cred, time_t now, int skew_seconds)
{
    return cred->expiration != 0 && cred->expiration <= now + skew_seconds;
}

bool kc_exec_interactive(const kc_exec_t *exec, bool have_terminal, bool *interactive,
                         kc_error_t *err)
{
    switch (exec->interactive_mode) {
    case KC_INTERACTIVE_NEVER:
        *interactive = false;
        return true;
    case KC_INTERACTIVE_IF_AVAILABLE:
        *interactive = have_terminal;
        return true;
    case KC_INTERACTIVE_ALWAYS:
        if (have_terminal) {
            *interactive = true;
            return true;
        }
        kc_cred_err(err, "exec plugin %s cannot support interactive mode: standard input is not "
                         "a terminal",
                    exec->command ? exec->command : "");
        err->code = KC_ERR_UNSUPPORTED;
        return false;
    case KC_INTERACTIVE_UNSET:
        break;
    }
    kc_cred_err(err, "exec plugin %s has no interactiveMode", exec->command ? exec->command : "");
    err->code = KC_ERR_INVALID;
    return false;
}

char *kc_exec_info_json(const kube_target_t *t, bool interactive)
{
    if (!t || !t->exec)
        return NULL;
    char *out = NULL, *ca64 = NULL;
    cJSON *doc = cJSON_CreateObject();
    cJSON *spec = NULL, *cluster = NULL;
    if (!doc || !cJSON_AddStringToObject(doc, "kind", "ExecCredential") ||
        !cJSON_AddStringToObject(doc, "apiVersion",
                                 t->exec->api_version ? t->exec->api_version : "") ||
        !(spec = cJSON_AddObjectToObject(doc, "spec")) ||
        !cJSON_AddBoolToObject(spec, "interactive", interactive))
        goto out;
    if (t->exec->provide_cluster_info) {
        /* field names and omitempty rules of clientauthentication/v1 Cluster */
        if (!(cluster = cJSON_AddObjectToObject(spec, "cluster")) ||
            !cJSON_AddStringToObject(cluster, "server", t->server ? t->server : ""))
            goto out;
        if (t->tls_server_name &&
            !cJSON_AddStringToObject(cluster, "tls-server-name", t->tls_server_name))
            goto out;
        if (t->insecure_skip_tls_verify &&
            !cJSON_AddBoolToObject(cluster, "insecure-skip-tls-verify", true))
            goto out;
        if (t->ca_pem && t->ca_pem_len) {
            if (!(ca64 = base64_encode(t->ca_pem, t->ca_pem_len, NULL)) ||
                !cJSON_AddStringToObject(cluster, "certificate-authority-data", ca64))
                goto out;
        }
        if (t->proxy_url && !cJSON_AddStringToObject(cluster, "proxy-url", t->proxy_url))
            goto out;
        if (t->disable_compression &&
            !cJSON_AddBoolToObject(cluster, "disable-compression", true))
            goto out;
        if (t->exec_cluster_config) {
            cJSON *cfg = cJSON_Parse(t->exec_cluster_config);
            if (!cfg)
                goto out;
            cJSON_AddItemToObject(cluster, "config", cfg);
        }
    }
    out = cJSON_PrintUnformatted(doc);
out:
    free(ca64);
    cJSON_Delete(doc);
    return out;
}

/* Config file parser: small and strict, so a typo is reported with its file and line. */
#include "kdeck/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\''))) {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")) {
        *out = false;
        return true;
    }
    return false;
}

bool config_parse(kdeck_config_t *cfg, const char *text, const char *filename, char *err, size_t errlen)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[1024];
        lineno++;
        if (len >= sizeof line) {
            snprintf(err, errlen, "%s:%d: line too long", filename, lineno);
            return false;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl ? nl + 1 : p + len;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *colon = strchr(s, ':');
        if (!colon) {
            snprintf(err, errlen, "%s:%d: expected 'key: value'", filename, lineno);
            return false;
        }
        *colon = '\0';
        char *key = trim(s), *val = trim(colon + 1);
        if (!strcmp(key, "theme")) {
            snprintf(cfg->theme, sizeof cfg->theme, "%s", val);
        } else if (!strcmp(key, "read_only") || !strcmp(key, "read-only")) {
            if (!parse_bool(val, &cfg->read_only)) {
                snprintf(err, errlen, "%s:%d: read_only must be true or false, not '%s'", filename, lineno, val);
                return false;
            }
        } else if (!strcmp(key, "read_only_contexts") || !strcmp(key, "read-only-contexts")) {
            snprintf(cfg->read_only_contexts, sizeof cfg->read_only_contexts, "%s", val);
        } else if (!strcmp(key, "view")) {
            snprintf(cfg->start_view, sizeof cfg->start_view, "%s", val);
        } else if (!strcmp(key, "prometheus_url")) {
            if (*val && strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) {
                snprintf(err, errlen, "%s:%d: prometheus_url must start with http:// or https://", filename, lineno);
                return false;
            }
            snprintf(cfg->prometheus_url, sizeof cfg->prometheus_url, "%s", val);
        } else if (!strncmp(key, "prometheus_url@", 15) && key[15]) {
            if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) {
                snprintf(err, errlen, "%s:%d: %s must start with http:// or https://", filename, lineno, key);
                return false;
            }
            if (cfg->n_prometheus_by_context == (int)(sizeof cfg->prometheus_by_context / sizeof *cfg->prometheus_by_context)) {
                snprintf(err, errlen, "%s:%d: too many per-context prometheus_url settings", filename, lineno);
                return false;
            }
            int i = cfg->n_prometheus_by_context++;
            snprintf(cfg->prometheus_by_context[i].context, sizeof cfg->prometheus_by_context[i].context, "%s", key + 15);
            snprintf(cfg->prometheus_by_context[i].url, sizeof cfg->prometheus_by_context[i].url, "%s", val);
        } else if (!strcmp(key, "prometheus_token_file")) {
            snprintf(cfg->prometheus_token_file, sizeof cfg->prometheus_token_file, "%s", val);
        } else if (!strcmp(key, "prometheus_ca_file")) {
            snprintf(cfg->prometheus_ca_file, sizeof cfg->prometheus_ca_file, "%s", val);
        } else if (!strcmp(key, "prometheus_user")) {
            snprintf(cfg->prometheus_user, sizeof cfg->prometheus_user, "%s", val);
        } else if (!strcmp(key, "prometheus_password_file")) {
            snprintf(cfg->prometheus_password_file, sizeof cfg->prometheus_password_file, "%s", val);
        } else if (!strcmp(key, "prometheus_service")) {
            const char *slash = strchr(val, '/');
            if (!slash || slash == val || !slash[1]) {
                snprintf(err, errlen, "%s:%d: prometheus_service must be NAMESPACE/SERVICE[:PORT], not '%s'",
                         filename, lineno, val);
                return false;
            }
            snprintf(cfg->prometheus_service, sizeof cfg->prometheus_service, "%s", val);
        } else if (!strcmp(key, "prometheus_timeout")) {
            char *end;
            double t = strtod(val, &end);
            if (end != val && (!strcmp(end, "ms") || !strcmp(end, "s") || !*end) && t > 0 && t <= 3600 * 1000)
                cfg->prometheus_timeout_ms = (long)(!strcmp(end, "ms") ? t : t * 1000);
            if (cfg->prometheus_timeout_ms <= 0 || end == val || (*end && strcmp(end, "ms") && strcmp(end, "s"))) {
                snprintf(err, errlen, "%s:%d: prometheus_timeout must be a duration like 10s or 500ms, not '%s'",
                         filename, lineno, val);
                return false;
            }
        } else {
            snprintf(err, errlen, "%s:%d: unknown setting '%s' (known: theme, read_only, read_only_contexts, view, "
                     "prometheus_url[@CONTEXT], prometheus_service, prometheus_timeout, prometheus_token_file, "
                     "prometheus_ca_file, prometheus_user, prometheus_password_file)", filename, lineno, key);
            return false;
        }
    }
    return true;
}

const char *config_prometheus_url(const kdeck_config_t *cfg, const char *context)
{
    for (int i = 0; context && i < cfg->n_prometheus_by_context; i++)
        if (!strcmp(cfg->prometheus_by_context[i].context, context))
            return cfg->prometheus_by_context[i].url;
    return cfg->prometheus_url[0] ? cfg->prometheus_url : NULL;
}

bool config_context_read_only(const kdeck_config_t *cfg, const char *context)
{
    size_t cl = context ? strlen(context) : 0;
    const char *p = cfg->read_only_contexts;
    while (cl && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == cl && !strncmp(p, context, n))
            return true;
        p += n;
    }
    return false;
}

bool config_load(kdeck_config_t *cfg, char *err, size_t errlen)
{
    char path[1024];
    const char *explicit_path = getenv("KDECK_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (explicit_path && *explicit_path)
        snprintf(path, sizeof path, "%s", explicit_path);
    else if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/kdeck/config", xdg);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.config/kdeck/config", home);
    else
        return true;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !(explicit_path && *explicit_path))
            return true;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return config_parse(cfg, buf, path, err, errlen);
}

/* The user's config file, $XDG_CONFIG_HOME/kdeck/config (or ~/.config/kdeck/config; KDECK_CONFIG
 * names another file): "key: value" lines, '#' comments. Precedence: built-in defaults, then this
 * file, then the command line. */
#ifndef KDECK_CONFIG_H
#define KDECK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kdeck_config {
    char theme[128];      /* theme: NAME */
    bool read_only;       /* read_only: true */
    char start_view[64];  /* view: pods */
    char read_only_contexts[1024]; /* read_only_contexts: prod, prod-eu  (those contexts only) */
    char prometheus_url[512];     /* prometheus_url: http://prometheus.monitoring:9090 */
    char prometheus_service[300]; /* prometheus_service: monitoring/prometheus:9090 (service proxy) */
    long prometheus_timeout_ms;   /* prometheus_timeout: 10s */
    char prometheus_token_file[512]; /* prometheus_token_file: FILE (bearer token, read at use) */
    char prometheus_ca_file[512];    /* prometheus_ca_file: FILE */
    char prometheus_user[128];       /* prometheus_user: NAME (basic auth, with the password file) */
    char prometheus_password_file[512];
    /* Per context: "prometheus_url@CONTEXT: URL" overrides prometheus_url for that context. */
    struct { char context[128]; char url[512]; } prometheus_by_context[16];
    int n_prometheus_by_context;
} kdeck_config_t;

/* Fills cfg from the config file. A missing file is not an error; a bad line is ("FILE:LINE: ..."). */
bool config_load(kdeck_config_t *cfg, char *err, size_t errlen);
/* The Prometheus URL for a context: its own, else the global one, else NULL (service proxy). */
const char *config_prometheus_url(const kdeck_config_t *cfg, const char *context);
/* Is the context listed in read_only_contexts? */
bool config_context_read_only(const kdeck_config_t *cfg, const char *context);
/* Parses config text (for tests and fuzzing). */
bool config_parse(kdeck_config_t *cfg, const char *text, const char *filename, char *err, size_t errlen);

#endif

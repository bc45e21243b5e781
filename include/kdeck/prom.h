/* Prometheus: the HTTP API client (instant and range queries over http.h, directly or through the
 * API server's service proxy), the response decoder, unit-aware value formatting and the choice of
 * a query_range step. Everything but the client is pure (no I/O) and unit-tested on real responses.
 * The user-facing side is documented in docs/metrics.md. */
#ifndef KDECK_PROM_H
#define KDECK_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "kdeck/http.h"

/* ---- results ---- */

/* What became of a query, once: _(ID, "short text for a panel"). */
#define PROM_STATUSES(_) \
    _(OK,        "ok") \
    _(TRANSPORT, "Prometheus unreachable") /* no HTTP answer: refused, DNS, TLS, reset */ \
    _(TIMEOUT,   "Prometheus timed out")   /* our timeout, or Prometheus' own errorType "timeout" */ \
    _(HTTP,      "HTTP error")             /* a non-2xx answer that is not a Prometheus error document */ \
    _(API,       "query failed")           /* status "error": errorType + error, Prometheus' own text */ \
    _(MALFORMED, "malformed response")     /* not the Prometheus API's JSON */

typedef enum prom_status {
#define PROM_STATUS_ENUM_(id, text) PROM_##id,
    PROM_STATUSES(PROM_STATUS_ENUM_)
#undef PROM_STATUS_ENUM_
    PROM_STATUS_COUNT
} prom_status_t;

typedef enum prom_result_type {
    PROM_RT_NONE,   /* no data (errors) */
    PROM_RT_VECTOR, /* instant vector: series with one point each */
    PROM_RT_MATRIX, /* range vector: series with many points */
    PROM_RT_SCALAR, /* one series, no labels, one point */
    PROM_RT_STRING  /* string_value set, one series with a NaN point carrying the time */
} prom_result_type_t;

typedef struct prom_point {
    double t; /* Unix seconds */
    double v; /* NaN, +Inf and -Inf as Prometheus sent them */
} prom_point_t;

typedef struct prom_label {
    char *name, *value;
} prom_label_t;

typedef struct prom_series {
    prom_label_t *labels; /* sorted by name; "__name__" included when Prometheus sent it */
    size_t n_labels;
    prom_point_t *points; /* in time order as sent */
    size_t n_points;
} prom_series_t;

typedef struct prom_result {
    prom_status_t status;
    long http_status;        /* 0 when no HTTP answer */
    char *error_type;        /* Prometheus' errorType ("bad_data", "execution", ...) or NULL */
    char *error;             /* Prometheus' error text verbatim, or our description; NULL when OK */
    char **warnings;         /* Prometheus' warnings, verbatim */
    size_t n_warnings;
    prom_result_type_t type;
    prom_series_t *series;
    size_t n_series;
    char *string_value;      /* PROM_RT_STRING only */
} prom_result_t;

/* Decodes a Prometheus HTTP API answer (any HTTP status: 400/422/503 carry error documents).
 * Never NULL except when out of memory; never crashes on hostile input (truncated, wrong types,
 * deep nesting, huge numbers). Free with prom_result_free. */
prom_result_t *prom_decode(const char *body, size_t len, long http_status);
/* A result that carries only an error (transport failures, timeouts). */
prom_result_t *prom_result_error(prom_status_t status, long http_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void prom_result_free(prom_result_t *r);

/* The value of a label, or NULL. */
const char *prom_series_label(const prom_series_t *s, const char *name);
/* The last point whose value is not NaN, or NULL. */
const prom_point_t *prom_series_last(const prom_series_t *s);
/* True when the result has no point at all (success with an empty result). */
bool prom_result_empty(const prom_result_t *r);
/* One line for a panel: "no data", "3 series", "query error (bad_data): parse error ...",
 * "HTTP 502: <first line>", "Prometheus timed out: no answer within 10 s from URL",
 * "Prometheus unreachable: ...", "malformed response: ...". Prometheus' error text is kept
 * verbatim (control characters become spaces). */
void prom_result_message(const prom_result_t *r, char *buf, size_t len);
const char *prom_status_text(prom_status_t s);

/* ---- units ---- */

/* Every unit once: _(ID, "name in panel files", "description"). */
#define PROM_UNITS(_) \
    _(NONE,    "none",    "plain number, 3 significant digits, k/M/G/T suffixes") \
    _(COUNT,   "count",   "a count of things; like none") \
    _(REQPS,   "req/s",   "requests per second") \
    _(OPSPS,   "ops/s",   "operations per second") \
    _(SECONDS, "s",       "a duration in seconds: shown as ns, µs, ms, s, min, h or d") \
    _(MILLIS,  "ms",      "a duration in milliseconds: shown like s") \
    _(PERCENT, "%",       "a percentage already in 0..100") \
    _(RATIO,   "ratio",   "a ratio in 0..1, shown as a percentage") \
    _(BYTES,   "bytes",   "bytes: B, KiB, MiB, GiB, TiB (powers of 1024)") \
    _(BPS,     "bytes/s", "bytes per second: B/s, KiB/s, MiB/s, ...")

typedef enum prom_unit {
#define PROM_UNIT_ENUM_(id, name, desc) PROM_UNIT_##id,
    PROM_UNITS(PROM_UNIT_ENUM_)
#undef PROM_UNIT_ENUM_
    PROM_N_UNITS
} prom_unit_t;

/* "req/s" -> PROM_UNIT_REQPS; PROM_N_UNITS when unknown (case-sensitive: "s" is not "S"). */
prom_unit_t prom_unit_by_name(const char *name);
const char *prom_unit_name(prom_unit_t u);
const char *prom_unit_description(prom_unit_t u);
/* Formats v with 3 significant digits and the unit: "12.3 req/s", "1.23k req/s", "250 ms",
 * "1.5 s", "3.2 h", "99.2 %", "512 MiB", "0", "NaN", "+Inf", "-Inf". Returns buf. */
char *prom_format(double v, prom_unit_t u, char *buf, size_t len);

/* ---- time ranges ---- */

#define PROM_SCRAPE_INTERVAL_DEFAULT 1.0 /* seconds; the lower bound of a step */

/* A query_range step (seconds) for a range drawn `width_cells` wide with braille (2 points per
 * cell): range / (2 * width) rounded up to a nice value (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15,
 * 30 min, 1, 2, 3, 6, 12 h, 1 d ...), never below PROM_SCRAPE_INTERVAL_DEFAULT. */
double prom_step_for(double range_seconds, int width_cells);
/* The same for any number of points and scrape interval. */
double prom_step_for_points(double range_seconds, int points, double scrape_interval);
/* The rate window for $interval: max(step + scrape, 4 x scrape), whole seconds. */
double prom_rate_interval(double step, double scrape_interval);
/* A duration in PromQL syntax: 90 -> "1m30s", 3600 -> "1h", 0.5 -> "500ms". Returns buf. */
char *prom_duration(double seconds, char *buf, size_t len);
/* Parses "5m", "1h30m", "90s", "250ms", "2d", or a plain number of seconds; false if invalid. */
bool prom_parse_duration(const char *s, double *seconds);

/* ---- the client ---- */

typedef struct prom_client prom_client_t;
typedef struct prom_query prom_query_t;

typedef struct prom_client_opts {
    /* Either a direct URL ("http://prometheus:9090", a path prefix allowed) ... */
    const char *url;
    const char *username, *password; /* basic auth, or NULL */
    const char *bearer_token;        /* "Authorization: Bearer ...", or NULL */
    const char *ca_file;             /* CA bundle for https, or NULL (system CAs) */
    bool insecure_skip_tls_verify;
    /* ... or, with url NULL, the API server's service proxy through an existing client (its
     * credentials are the session's): /api/v1/namespaces/NS/services/NAME:PORT/proxy/ */
    http_client_t *kube;             /* borrowed */
    const char *proxy_namespace;     /* "monitoring" */
    const char *proxy_service;       /* "prometheus", or "https:prometheus" for a TLS port */
    const char *proxy_port;          /* "9090" or a port name; NULL: the service's only port */
    long timeout_ms;                 /* whole query; 0 = 10 s */
    bool read_only;                  /* passed to a direct client's http layer */
} prom_client_opts_t;

/* Called once per query unless it was cancelled. The result is freed after the call returns. */
typedef void (*prom_done_cb)(prom_query_t *q, const prom_result_t *res, void *ud);

/* NULL with a message in err when the options are incomplete. Strings are copied. */
prom_client_t *prom_client_new(uv_loop_t *loop, const prom_client_opts_t *opts, char *err, size_t errlen);
/* Cancels every query (no callbacks). A direct client's http client is closed on the loop (run it
 * afterwards). A proxy client must be freed before the borrowed kube client. Not from inside a
 * prom_done_cb (cancel there, free on a later loop turn). */
void prom_client_free(prom_client_t *c);
/* "http://prometheus:9090" or "service proxy monitoring/prometheus:9090", for the status line. */
const char *prom_client_describe(const prom_client_t *c);
/* The request path (direct: appended to the URL; proxy: the API server path) for an API call,
 * e.g. prom_client_path(c, "query", "query=up"). Caller frees. For tests and debugging. */
char *prom_client_path(const prom_client_t *c, const char *api, const char *params);

/* Instant query at `time` (Unix seconds; <= 0 = now). */
prom_query_t *prom_query(prom_client_t *c, const char *promql, double time, prom_done_cb cb, void *ud);
/* Range query; step in seconds. */
prom_query_t *prom_query_range(prom_client_t *c, const char *promql, double start, double end, double step,
                               prom_done_cb cb, void *ud);
/* Stops a query; its callback is not called. */
void prom_query_cancel(prom_query_t *q);
/* Queries started and not yet done. */
int prom_client_in_flight(const prom_client_t *c);

/* Percent-encodes s for a query string (RFC 3986 unreserved kept). Caller frees. */
char *prom_urlencode(const char *s);

#endif

/* Metric panels as data: a small text format parsed by the same parser for the compiled-in defaults
 * (src/prom/default.panels) and the user's file ($XDG_CONFIG_HOME/kdeck/panels), plus placeholder
 * expansion that escapes what it inserts so a label value cannot change the query.
 * The format is documented in docs/metrics.md. Pure: no I/O except panels_load's file read. */
#ifndef KDECK_PANELS_H
#define KDECK_PANELS_H

#include <stdbool.h>
#include <stddef.h>

#include "kdeck/prom.h"

#define PANEL_MAX_QUERIES 8

/* Chart kinds: _(ID, "name in files"). */
#define PANEL_CHARTS(_) \
    _(LINE,      "line")      /* braille line chart (ASCII without UTF-8) */ \
    _(SPARKLINE, "sparkline") /* one row of block elements */ \
    _(STAT,      "stat")      /* the current value only, big */

typedef enum panel_chart {
#define PANEL_CHART_ENUM_(id, name) PANEL_CHART_##id,
    PANEL_CHARTS(PANEL_CHART_ENUM_)
#undef PANEL_CHART_ENUM_
    PANEL_CHART_COUNT
} panel_chart_t;

/* Which side of a threshold is bad. */
typedef enum panel_direction { PANEL_ABOVE, PANEL_BELOW } panel_direction_t;

/* How bad a value is against a panel's thresholds. */
typedef enum panel_level { PANEL_LEVEL_NONE, PANEL_LEVEL_OK, PANEL_LEVEL_WARN, PANEL_LEVEL_CRIT } panel_level_t;

typedef struct panel_query {
    char *expr;   /* PromQL with $placeholders, as written */
    char *legend; /* "{{code}} {{service}}" or NULL (then the series' labels) */
} panel_query_t;

typedef struct panel {
    char *id;          /* "mysql.connections" */
    char *group;       /* "mysql" */
    char *title;
    char *description; /* or NULL */
    panel_query_t queries[PANEL_MAX_QUERIES];
    int n_queries;
    prom_unit_t unit;
    panel_chart_t chart;
    bool has_warn, has_crit;
    double warn, crit;
    panel_direction_t direction;
    bool has_min, has_max; /* fixed y axis ends */
    double min, max;
    char *file;        /* where it was defined, for messages */
    int line;
} panel_t;

typedef struct panel_group {
    char *id;    /* "ingress-traefik" */
    char *title; /* "Ingress: Traefik" */
    char *description;
} panel_group_t;

typedef struct panel_set {
    panel_t *panels;       /* in definition order; a redefined id keeps its first position */
    size_t n_panels;
    panel_group_t *groups; /* in definition order */
    size_t n_groups;
} panel_set_t;

panel_set_t *panel_set_new(void);
void panel_set_free(panel_set_t *s);
/* Adds the definitions in `text` to the set; a panel or group with an existing id replaces it;
 * `drop ID` removes one. On error nothing is added and err holds "FILE:LINE: what is wrong". */
bool panels_parse(panel_set_t *s, const char *text, const char *filename, char *err, size_t errlen);
/* The compiled-in src/prom/default.panels, then the user file: $KDECK_PANELS if set, else
 * $XDG_CONFIG_HOME/kdeck/panels (or ~/.config/kdeck/panels); a missing user file is no error.
 * NULL with err on failure. */
panel_set_t *panels_load(char *err, size_t errlen);
/* The user panels file path (whether or not it exists); false if no home can be found. */
bool panels_user_path(char *buf, size_t len);

const panel_t *panels_find(const panel_set_t *s, const char *id);
const panel_group_t *panels_group(const panel_set_t *s, const char *id);
/* The panels of a group, in order: fills out[] up to max, returns how many there are. */
size_t panels_in_group(const panel_set_t *s, const char *group, const panel_t **out, size_t max);

const char *panel_chart_name(panel_chart_t c);
panel_chart_t panel_chart_by_name(const char *name); /* PANEL_CHART_COUNT if unknown */

/* Where a value stands against the panel's thresholds (NONE without thresholds or for NaN). */
panel_level_t panel_level(const panel_t *p, double v);

/* ---- placeholders ---- */

/* Values for $namespace, $app, $service and $interval. A NULL value means "any": allowed only
 * inside a regex matcher string (=~ or !~), where it becomes `.*`. */
typedef struct panel_vars {
    const char *ns;        /* $namespace */
    const char *app;
    const char *service;
    const char *interval; /* a PromQL duration, e.g. "30s" */
} panel_vars_t;

/* Every placeholder the format knows, once: _(ID, "name", "what it stands for"). */
#define PANEL_PLACEHOLDERS(_) \
    _(NAMESPACE, "namespace", "the namespace of the app (a label value)") \
    _(APP,       "app",       "the app: a Deployment's name or its app label (a label value)") \
    _(SERVICE,   "service",   "the Service in front of the app (a label value)") \
    _(INTERVAL,  "interval",  "the rate window, e.g. 30s: max(step + scrape interval, 4 x scrape interval)")

/* Expands $name / ${name} in expr. Inside a "..." or '...' string a value is escaped for PromQL
 * (\ " ' and control characters), and inside a =~ / !~ string also for RE2 (metacharacters get a
 * backslash), so it always matches literally; inside a `...` raw string a value with a backtick is
 * refused; outside strings only [A-Za-z0-9_:.] values are accepted ($interval). $$ is a literal $,
 * $1 and ${1} are left alone (label_replace). Returns a new string, or NULL with err set. */
char *panels_expand(const char *expr, const panel_vars_t *vars, char *err, size_t errlen);
/* Checks a query's placeholders without values (used by the parser): false with err. */
bool panels_check_placeholders(const char *expr, char *err, size_t errlen);
/* A legend: "{{code}} on {{service}}" with the series' labels; a missing label expands to "";
 * {{pod|instance}} takes the first label the series has.
 * Without a template: {a="b", c="d"} minus __name__, or the metric name, or "value". */
void panels_legend(const char *tmpl, const prom_series_t *s, char *buf, size_t len);

#endif

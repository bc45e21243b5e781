/* Panel definitions: the panel file parser (built-in defaults and the user's file go through the
 * same code), placeholder expansion with escaping, legends and threshold levels. */
#include "kdeck/panels.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/builtin.h"
#include "kdeck/strutil.h"

#define PANELS_BUILTIN_PATH "src/prom/default.panels"
#define PANELS_MAX_FILE (1024 * 1024)

static const char *const chart_names[] = {
#define PANEL_CHART_NAME_(id, name) name,
    PANEL_CHARTS(PANEL_CHART_NAME_)
#undef PANEL_CHART_NAME_
};

static const char *const placeholder_names[] = {
#define PANEL_PH_NAME_(id, name, desc) name,
    PANEL_PLACEHOLDERS(PANEL_PH_NAME_)
#undef PANEL_PH_NAME_
};
enum {
#define PANEL_PH_ENUM_(id, name, desc) PH_##id,
    PANEL_PLACEHOLDERS(PANEL_PH_ENUM_)
#undef PANEL_PH_ENUM_
    PH_COUNT
};

const char *panel_chart_name(panel_chart_t c)
{
    return (unsigned)c < PANEL_CHART_COUNT ? chart_names[c] : "?";
}

panel_chart_t panel_chart_by_name(const char *name)
{
    for (int c = 0; name && c < PANEL_CHART_COUNT; c++)
        if (!strcmp(chart_names[c], name))
            return (panel_chart_t)c;
    return PANEL_CHART_COUNT;
}

static char *dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* ---- sets ---- */

static void panel_clear(panel_t *p)
{
    free(p->id);
    free(p->group);
    free(p->title);
    free(p->description);
    free(p->file);
    for (int i = 0; i < p->n_queries; i++) {
        free(p->queries[i].expr);
        free(p->queries[i].legend);
    }
    memset(p, 0, sizeof *p);
}

static void group_clear(panel_group_t *g)
{
    free(g->id);
    free(g->title);
    free(g->description);
    memset(g, 0, sizeof *g);
}

panel_set_t *panel_set_new(void)
{
    return calloc(1, sizeof(panel_set_t));
}

void panel_set_free(panel_set_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_panels; i++)
        panel_clear(&s->panels[i]);
    for (size_t i = 0; i < s->n_groups; i++)
        group_clear(&s->groups[i]);
    free(s->panels);
    free(s->groups);
    free(s);
}

static ptrdiff_t panel_index(const panel_set_t *s, const char *id)
{
    for (size_t i = 0; i < s->n_panels; i++)
        if (!strcmp(s->panels[i].id, id))
            return (ptrdiff_t)i;
    return -1;
}

static ptrdiff_t group_index(const panel_set_t *s, const char *id)
{
    for (size_t i = 0; i < s->n_groups; i++)
        if (!strcmp(s->groups[i].id, id))
            return (ptrdiff_t)i;
    return -1;
}

const panel_t *panels_find(const panel_set_t *s, const char *id)
{
    ptrdiff_t i = s && id ? panel_index(s, id) : -1;
    return i < 0 ? NULL : &s->panels[i];
}

const panel_group_t *panels_group(const panel_set_t *s, const char *id)
{
    ptrdiff_t i = s && id ? group_index(s, id) : -1;
    return i < 0 ? NULL : &s->groups[i];
}

size_t panels_in_group(const panel_set_t *s, const char *group, const panel_t **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; s && group && i < s->n_panels; i++)
        if (!strcmp(s->panels[i].group, group)) {
            if (n < max)
                out[n] = &s->panels[i];
            n++;
        }
    return n;
}

static void remove_panel_at(panel_set_t *s, size_t i)
{
    panel_clear(&s->panels[i]);
    memmove(&s->panels[i], &s->panels[i + 1], (s->n_panels - i - 1) * sizeof *s->panels);
    s->n_panels--;
}

/* Moves a panel into the set (replacing one with the same id in place). */
static bool put_panel(panel_set_t *s, panel_t *p)
{
    ptrdiff_t i = panel_index(s, p->id);
    if (i >= 0) {
        panel_clear(&s->panels[i]);
        s->panels[i] = *p;
        return true;
    }
    panel_t *n = realloc(s->panels, (s->n_panels + 1) * sizeof *n);
    if (!n)
        return false;
    s->panels = n;
    s->panels[s->n_panels++] = *p;
    return true;
}

static bool put_group(panel_set_t *s, panel_group_t *g)
{
    ptrdiff_t i = group_index(s, g->id);
    if (i >= 0) {
        group_clear(&s->groups[i]);
        s->groups[i] = *g;
        return true;
    }
    panel_group_t *n = realloc(s->groups, (s->n_groups + 1) * sizeof *n);
    if (!n)
        return false;
    s->groups = n;
    s->groups[s->n_groups++] = *g;
    return true;
}

static void drop_id(panel_set_t *s, const char *id)
{
    ptrdiff_t g = group_index(s, id);
    if (g >= 0) {
        for (size_t i = s->n_panels; i > 0; i--)
            if (!strcmp(s->panels[i - 1].group, id))
                remove_panel_at(s, i - 1);
        group_clear(&s->groups[g]);
        memmove(&s->groups[g], &s->groups[g + 1], (s->n_groups - (size_t)g - 1) * sizeof *s->groups);
        s->n_groups--;
    }
    ptrdiff_t p = panel_index(s, id);
    if (p >= 0)
        remove_panel_at(s, (size_t)p);
}

/* ---- placeholders ---- */

static bool ph_lookup(const char *name, size_t n, int *which)
{
    for (int i = 0; i < PH_COUNT; i++)
        if (strlen(placeholder_names[i]) == n && !strncmp(placeholder_names[i], name, n)) {
            *which = i;
            return true;
        }
    return false;
}

static const char *ph_value(const panel_vars_t *v, int which)
{
    switch (which) {
    case PH_NAMESPACE: return v->ns;
    case PH_APP: return v->app;
    case PH_SERVICE: return v->service;
    case PH_INTERVAL: return v->interval;
    default: return NULL;
    }
}

static bool is_re2_meta(char c)
{
    return c && strchr("\\.+*?()|[]{}^$", c);
}

/* Appends `value` as it must appear in the current context. */
static bool emit_value(strbuf_t *out, const char *name, const char *value, char quote, bool regex, char *err,
                       size_t errlen)
{
    if (!quote) {
        if (!value) {
            snprintf(err, errlen, "$%s has no value here (a value for \"any\" works only inside =~ \"...\")", name);
            return false;
        }
        if (!*value) {
            snprintf(err, errlen, "$%s is empty", name);
            return false;
        }
        for (const char *p = value; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_' && *p != ':' && *p != '.') {
                snprintf(err, errlen, "$%s is used outside a string, so its value must be a plain word or "
                         "duration, not \"%.60s\"", name, value);
                return false;
            }
        return strbuf_add(out, value, strlen(value));
    }
    if (!value) {
        if (!regex) {
            snprintf(err, errlen, "$%s has no value (a value for \"any\" works only inside =~ \"...\")", name);
            return false;
        }
        return strbuf_add(out, ".*", 2);
    }
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        char tmp[8];
        size_t n = 0;
        if (quote == '`') {
            if (*p == '`') {
                snprintf(err, errlen, "the value of $%s contains a backtick and cannot go into a `raw` string",
                         name);
                return false;
            }
            if (regex && is_re2_meta((char)*p))
                tmp[n++] = '\\';
            tmp[n++] = (char)*p;
        } else {
            if (regex && is_re2_meta((char)*p)) { /* a regex backslash, itself escaped for the string */
                tmp[n++] = '\\';
                tmp[n++] = '\\';
            }
            if (*p == '\\') {
                tmp[n++] = '\\';
                tmp[n++] = '\\';
            } else if (*p == (unsigned char)quote) {
                tmp[n++] = '\\';
                tmp[n++] = (char)*p;
            } else if (*p == '\n') {
                tmp[n++] = '\\';
                tmp[n++] = 'n';
            } else if (*p < 0x20 || *p == 0x7f) {
                n += (size_t)snprintf(tmp + n, sizeof tmp - n, "\\x%02x", *p);
            } else
                tmp[n++] = (char)*p;
        }
        if (!strbuf_add(out, tmp, n))
            return false;
    }
    return true;
}

/* Whether the string starting at expr[i] follows a regex match operator (=~ or !~). */
static bool after_regex_op(const char *expr, size_t i)
{
    while (i > 0 && isspace((unsigned char)expr[i - 1]))
        i--;
    return i >= 2 && expr[i - 1] == '~' && (expr[i - 2] == '=' || expr[i - 2] == '!');
}

static char *expand(const char *expr, const panel_vars_t *vars, char *err, size_t errlen)
{
    strbuf_t out = { 0 };
    char quote = 0;  /* current string's quote: " ' ` or 0 */
    bool regex = false;
    if (!strbuf_add(&out, "", 0))
        goto oom;
    for (size_t i = 0; expr[i];) {
        char c = expr[i];
        if (quote && c == '\\' && quote != '`' && expr[i + 1]) {
            if (!strbuf_add(&out, expr + i, 2))
                goto oom;
            i += 2;
            continue;
        }
        if (c == '$') {
            char n1 = expr[i + 1];
            if (n1 == '$') {
                if (!strbuf_add(&out, "$", 1))
                    goto oom;
                i += 2;
                continue;
            }
            const char *name = NULL;
            size_t nlen = 0, skip = 0;
            if (n1 == '{') {
                const char *close = expr + i + 2;
                while (isalnum((unsigned char)*close) || *close == '_')
                    close++;
                if (*close != '}') {
                    snprintf(err, errlen, "unterminated ${ at column %zu", i + 1);
                    goto fail;
                }
                name = expr + i + 2;
                nlen = (size_t)(close - name);
                skip = nlen + 3;
                if (nlen && strspn(name, "0123456789") == nlen) { /* ${1}: label_replace's group */
                    if (!strbuf_add(&out, expr + i, skip))
                        goto oom;
                    i += skip;
                    continue;
                }
            } else if (isalpha((unsigned char)n1) || n1 == '_') {
                name = expr + i + 1;
                while (isalnum((unsigned char)name[nlen]) || name[nlen] == '_')
                    nlen++;
                skip = nlen + 1;
            }
            if (!name) { /* "$1" (label_replace), "foo$" in a regex: literal */
                if (!strbuf_add(&out, "$", 1))
                    goto oom;
                i++;
                continue;
            }
            int which;
            if (!ph_lookup(name, nlen, &which)) {
                snprintf(err, errlen, "unknown placeholder $%.*s (known: $namespace, $app, $service, $interval)",
                         (int)(nlen > 40 ? 40 : nlen), name);
                goto fail;
            }
            if (!emit_value(&out, placeholder_names[which], ph_value(vars, which), quote, regex, err, errlen))
                goto fail;
            i += skip;
            continue;
        }
        if (!quote && (c == '"' || c == '\'' || c == '`')) {
            quote = c;
            regex = after_regex_op(expr, i);
        } else if (quote && c == quote) {
            quote = 0;
            regex = false;
        }
        if (!strbuf_add(&out, &c, 1))
            goto oom;
        i++;
    }
    if (quote) {
        snprintf(err, errlen, "unterminated %c string", quote);
        goto fail;
    }
    return out.s;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    strbuf_free(&out);
    return NULL;
}

char *panels_expand(const char *expr, const panel_vars_t *vars, char *err, size_t errlen)
{
    static const panel_vars_t none = { 0 };
    if (!expr) {
        snprintf(err, errlen, "no query");
        return NULL;
    }
    return expand(expr, vars ? vars : &none, err, errlen);
}

bool panels_check_placeholders(const char *expr, char *err, size_t errlen)
{
    /* label values as Kubernetes names look (with a '-', so a use outside a string shows up) */
    panel_vars_t v = { .ns = "a-b", .app = "a-b", .service = "a-b", .interval = "1m" };
    char *x = panels_expand(expr, &v, err, errlen);
    free(x);
    return x != NULL;
}

/* ---- legends and levels ---- */

static char *trim(char *s);

void panels_legend(const char *tmpl, const prom_series_t *s, char *buf, size_t len)
{
    if (!len)
        return;
    buf[0] = '\0';
    strbuf_t out = { 0 };
    if (tmpl && *tmpl) {
        for (const char *p = tmpl; *p;) {
            const char *close;
            if (p[0] == '{' && p[1] == '{' && (close = strstr(p + 2, "}}"))) {
                const char *a = p + 2, *b = close;
                while (a < b && isspace((unsigned char)*a))
                    a++;
                while (b > a && isspace((unsigned char)b[-1]))
                    b--;
                /* {{pod|instance}}: the first of these labels that the series has */
                char names[256];
                snprintf(names, sizeof names, "%.*s", (int)(b - a), a);
                char *save = NULL;
                for (char *name = strtok_r(names, "|", &save); name; name = strtok_r(NULL, "|", &save)) {
                    char *nm = trim(name);
                    const char *v = prom_series_label(s, nm);
                    if (v && *v) {
                        strbuf_add(&out, v, strlen(v));
                        break;
                    }
                }
                p = close + 2;
            } else {
                strbuf_add(&out, p, 1);
                p++;
            }
        }
    } else {
        const char *metric = prom_series_label(s, "__name__");
        size_t shown = 0;
        for (size_t i = 0; s && i < s->n_labels; i++) {
            if (!strcmp(s->labels[i].name, "__name__"))
                continue;
            strbuf_addf(&out, "%s%s=\"%s\"", shown ? ", " : "{", s->labels[i].name, s->labels[i].value);
            shown++;
        }
        if (shown)
            strbuf_add(&out, "}", 1);
        else if (metric)
            strbuf_add(&out, metric, strlen(metric));
        else
            strbuf_add(&out, "value", 5);
    }
    snprintf(buf, len, "%s", out.s ? out.s : "");
    strbuf_free(&out);
}

panel_level_t panel_level(const panel_t *p, double v)
{
    if (!p || isnan(v) || (!p->has_warn && !p->has_crit))
        return PANEL_LEVEL_NONE;
    bool below = p->direction == PANEL_BELOW;
    if (p->has_crit && (below ? v <= p->crit : v >= p->crit))
        return PANEL_LEVEL_CRIT;
    if (p->has_warn && (below ? v <= p->warn : v >= p->warn))
        return PANEL_LEVEL_WARN;
    return PANEL_LEVEL_OK;
}

/* ---- the parser ---- */

typedef struct parser {
    const char *file;
    int line;
    char *err;
    size_t errlen;
    panel_set_t *out;        /* what this file defines, merged into the target on success */
    panel_set_t *target;     /* to resolve groups defined earlier (built-ins) */
    char **drops;
    size_t n_drops;
    panel_t cur;             /* the panel being read (cur.id != NULL) */
    panel_group_t curg;      /* the group being read (curg.id != NULL) */
    char *last_group;        /* the last group block in this file: a panel's default group */
    bool seen[16];           /* keys already given in the current block */
    bool legend_set;         /* the current query has its legend */
} parser_t;

static bool perr(parser_t *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool perr(parser_t *ps, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->file, line, msg);
    return false;
}

static bool valid_id(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            return false;
    return true;
}

static bool parse_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(d))
        return false;
    *v = d;
    return true;
}

/* Ends the current block: checks it and moves it into ps->out. */
static bool finish_block(parser_t *ps)
{
    if (ps->curg.id) {
        if (!ps->curg.title)
            ps->curg.title = dup(ps->curg.id);
        if (!put_group(ps->out, &ps->curg)) {
            group_clear(&ps->curg);
            return perr(ps, ps->line, "out of memory");
        }
        memset(&ps->curg, 0, sizeof ps->curg);
    }
    if (ps->cur.id) {
        panel_t *p = &ps->cur;
        if (!p->title)
            return perr(ps, p->line, "panel %s has no title", p->id);
        if (!p->n_queries)
            return perr(ps, p->line, "panel %s has no query", p->id);
        if (!p->group) {
            if (!ps->last_group)
                return perr(ps, p->line, "panel %s has no group (give `group ID` or put it after a group block)",
                            p->id);
            p->group = dup(ps->last_group);
        }
        if (p->has_warn && p->has_crit &&
            (p->direction == PANEL_ABOVE ? p->warn > p->crit : p->warn < p->crit))
            return perr(ps, p->line, "panel %s: warn %g is worse than crit %g for direction %s", p->id, p->warn,
                        p->crit, p->direction == PANEL_ABOVE ? "above" : "below");
        if (p->has_min && p->has_max && p->min >= p->max)
            return perr(ps, p->line, "panel %s: min %g is not below max %g", p->id, p->min, p->max);
        if (!put_panel(ps->out, p))
            return perr(ps, ps->line, "out of memory");
        memset(&ps->cur, 0, sizeof ps->cur);
    }
    memset(ps->seen, 0, sizeof ps->seen);
    ps->legend_set = false;
    return true;
}

enum { K_TITLE, K_DESCRIPTION, K_GROUP, K_QUERY, K_LEGEND, K_UNIT, K_CHART, K_WARN, K_CRIT, K_DIRECTION, K_MIN,
       K_MAX, K_COUNT };
static const char *const keys[K_COUNT] = {
    "title", "description", "group", "query", "legend", "unit", "chart", "warn", "crit", "direction", "min", "max",
};

static bool set_key(parser_t *ps, int line, const char *key, const char *val)
{
    int k;
    for (k = 0; k < K_COUNT; k++)
        if (!strcmp(keys[k], key))
            break;
    if (k == K_COUNT)
        return perr(ps, line, "unknown keyword \"%.40s\" (expected group, panel, drop or one of title, description, "
                    "group, query, legend, unit, chart, warn, crit, direction, min, max)", key);
    if (!ps->cur.id && !ps->curg.id)
        return perr(ps, line, "\"%s\" outside a panel or group block", key);
    if (ps->curg.id && k != K_TITLE && k != K_DESCRIPTION)
        return perr(ps, line, "\"%s\" is not allowed in a group block (only title, description)", key);
    if (!*val)
        return perr(ps, line, "\"%s\" needs a value", key);
    if (k != K_QUERY && k != K_LEGEND && ps->seen[k])
        return perr(ps, line, "\"%s\" given twice", key);
    ps->seen[k] = true;
    if (ps->curg.id) {
        char **dst = k == K_TITLE ? &ps->curg.title : &ps->curg.description;
        if (!(*dst = dup(val)))
            return perr(ps, line, "out of memory");
        return true;
    }
    panel_t *p = &ps->cur;
    char msg[300];
    switch (k) {
    case K_TITLE:
        return (p->title = dup(val)) ? true : perr(ps, line, "out of memory");
    case K_DESCRIPTION:
        return (p->description = dup(val)) ? true : perr(ps, line, "out of memory");
    case K_GROUP:
        if (!valid_id(val))
            return perr(ps, line, "bad group id \"%.40s\" (letters, digits, _ . -)", val);
        return (p->group = dup(val)) ? true : perr(ps, line, "out of memory");
    case K_QUERY:
        if (p->n_queries >= PANEL_MAX_QUERIES)
            return perr(ps, line, "more than %d queries in panel %s", PANEL_MAX_QUERIES, p->id);
        if (!panels_check_placeholders(val, msg, sizeof msg))
            return perr(ps, line, "%s", msg);
        if (!(p->queries[p->n_queries].expr = dup(val)))
            return perr(ps, line, "out of memory");
        p->n_queries++;
        ps->legend_set = false;
        return true;
    case K_LEGEND:
        if (!p->n_queries)
            return perr(ps, line, "\"legend\" before any \"query\" (a legend belongs to the query above it)");
        if (ps->legend_set)
            return perr(ps, line, "a second \"legend\" for the same query");
        ps->legend_set = true;
        return (p->queries[p->n_queries - 1].legend = dup(val)) ? true : perr(ps, line, "out of memory");
    case K_UNIT:
        p->unit = prom_unit_by_name(val);
        if (p->unit == PROM_N_UNITS) {
            strbuf_t b = { 0 };
            for (int u = 0; u < PROM_N_UNITS; u++)
                strbuf_addf(&b, "%s%s", u ? ", " : "", prom_unit_name((prom_unit_t)u));
            perr(ps, line, "unknown unit \"%.40s\" (known: %s)", val, b.s ? b.s : "");
            strbuf_free(&b);
            return false;
        }
        return true;
    case K_CHART:
        p->chart = panel_chart_by_name(val);
        if (p->chart == PANEL_CHART_COUNT)
            return perr(ps, line, "unknown chart \"%.40s\" (known: line, sparkline, stat)", val);
        return true;
    case K_DIRECTION:
        if (!strcmp(val, "above"))
            p->direction = PANEL_ABOVE;
        else if (!strcmp(val, "below"))
            p->direction = PANEL_BELOW;
        else
            return perr(ps, line, "direction must be \"above\" (higher is worse) or \"below\", not \"%.40s\"", val);
        return true;
    case K_WARN:
    case K_CRIT:
    case K_MIN:
    case K_MAX: {
        double v;
        if (!parse_number(val, &v))
            return perr(ps, line, "\"%s\" needs a number, not \"%.40s\"", key, val);
        if (k == K_WARN) { p->warn = v; p->has_warn = true; }
        if (k == K_CRIT) { p->crit = v; p->has_crit = true; }
        if (k == K_MIN) { p->min = v; p->has_min = true; }
        if (k == K_MAX) { p->max = v; p->has_max = true; }
        return true;
    }
    default:
        return perr(ps, line, "internal error");
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A logical line: block headers (panel, group, drop) start in the first column, keys are indented. */
static bool handle_line(parser_t *ps, int line, char *text)
{
    bool indented = isspace((unsigned char)text[0]);
    char *s = trim(text);
    if (!*s || *s == '#')
        return true;
    char *val = s;
    while (*val && !isspace((unsigned char)*val))
        val++;
    if (*val)
        *val++ = '\0';
    val = trim(val);
    const char *kw = s;
    bool header = !strcmp(kw, "panel") || !strcmp(kw, "group") || !strcmp(kw, "drop");
    if (indented)
        return set_key(ps, line, kw, val);
    if (!header)
        return perr(ps, line, "\"%.40s\" in the first column: only panel, group and drop start there (indent "
                    "the keys of a block)", kw);
    if (!finish_block(ps))
        return false;
    if (!*val)
        return perr(ps, line, "\"%s\" needs an id", kw);
    if (!valid_id(val))
        return perr(ps, line, "bad %s id \"%.40s\" (letters, digits, _ . -)", kw, val);
    if (!strcmp(kw, "panel")) {
        if (panel_index(ps->out, val) >= 0)
            return perr(ps, line, "panel %s is defined twice in this file", val);
        ps->cur.id = dup(val);
        ps->cur.file = dup(ps->file);
        ps->cur.line = line;
        ps->cur.unit = PROM_UNIT_NONE;
        ps->cur.chart = PANEL_CHART_LINE;
        if (!ps->cur.id || !ps->cur.file)
            return perr(ps, line, "out of memory");
    } else if (!strcmp(kw, "group")) {
        if (group_index(ps->out, val) >= 0)
            return perr(ps, line, "group %s is defined twice in this file", val);
        ps->curg.id = dup(val);
        free(ps->last_group);
        ps->last_group = dup(val);
        if (!ps->curg.id || !ps->last_group)
            return perr(ps, line, "out of memory");
    } else {
        char **n = realloc(ps->drops, (ps->n_drops + 1) * sizeof *n);
        if (!n)
            return perr(ps, line, "out of memory");
        ps->drops = n;
        if (!(n[ps->n_drops] = dup(val)))
            return perr(ps, line, "out of memory");
        ps->n_drops++;
    }
    return true;
}

bool panels_parse(panel_set_t *s, const char *text, const char *filename, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    parser_t ps = { .file = filename ? filename : "panels", .err = err, .errlen = errlen, .target = s };
    ps.out = panel_set_new();
    if (!s || !text || !ps.out) {
        panel_set_free(ps.out);
        snprintf(err, errlen, "%s: out of memory", ps.file);
        return false;
    }
    bool ok = true;
    strbuf_t logical = { 0 };
    int start_line = 0;
    const char *p = text;
    int line = 0;
    while (ok && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        if (n && p[n - 1] == '\r')
            n--;
        if (!logical.len)
            start_line = line;
        /* a trailing backslash continues the line (the pieces are joined with one space) */
        bool cont = n > 0 && p[n - 1] == '\\';
        const char *piece = p;
        size_t plen = cont ? n - 1 : n;
        while (cont && plen && isspace((unsigned char)piece[plen - 1]))
            plen--;
        if (logical.len) {
            while (plen && isspace((unsigned char)*piece)) {
                piece++;
                plen--;
            }
            strbuf_add(&logical, " ", 1);
        }
        if (!strbuf_add(&logical, piece, plen) || memchr(piece, '\0', plen)) {
            ok = perr(&ps, line, "out of memory");
            break;
        }
        if (!cont) {
            ps.line = start_line;
            ok = handle_line(&ps, start_line, logical.s);
            logical.len = 0;
            logical.s[0] = '\0';
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (ok && logical.len)
        ok = perr(&ps, start_line, "the file ends inside a continued line (trailing \\)");
    strbuf_free(&logical);
    ps.line = line;
    if (ok)
        ok = finish_block(&ps);
    /* every panel's group must exist (in this file or before it) */
    for (size_t i = 0; ok && i < ps.out->n_panels; i++) {
        const panel_t *pn = &ps.out->panels[i];
        if (group_index(ps.out, pn->group) < 0 && group_index(s, pn->group) < 0)
            ok = perr(&ps, pn->line, "panel %s: unknown group %s", pn->id, pn->group);
    }
    if (ok) {
        for (size_t i = 0; i < ps.n_drops; i++)
            drop_id(s, ps.drops[i]);
        for (size_t i = 0; i < ps.out->n_groups; i++)
            put_group(s, &ps.out->groups[i]);
        ps.out->n_groups = 0;
        for (size_t i = 0; i < ps.out->n_panels; i++)
            if (!put_panel(s, &ps.out->panels[i]))
                panel_clear(&ps.out->panels[i]);
        ps.out->n_panels = 0;
    }
    panel_clear(&ps.cur);
    group_clear(&ps.curg);
    free(ps.last_group);
    for (size_t i = 0; i < ps.n_drops; i++)
        free(ps.drops[i]);
    free(ps.drops);
    panel_set_free(ps.out);
    return ok;
}

bool panels_user_path(char *buf, size_t len)
{
    const char *env = getenv("KDECK_PANELS");
    if (env && *env)
        return snprintf(buf, len, "%s", env) < (int)len;
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg)
        return snprintf(buf, len, "%s/kdeck/panels", xdg) < (int)len;
    const char *home = getenv("HOME");
    if (home && *home)
        return snprintf(buf, len, "%s/.config/kdeck/panels", home) < (int)len;
    return false;
}

panel_set_t *panels_load(char *err, size_t errlen)
{
    panel_set_t *s = panel_set_new();
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *builtin = builtin_file(PANELS_BUILTIN_PATH);
    if (builtin && !panels_parse(s, builtin, "(built-in) " PANELS_BUILTIN_PATH, err, errlen)) {
        panel_set_free(s);
        return NULL;
    }
    char path[1024];
    if (!panels_user_path(path, sizeof path))
        return s;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return s;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        panel_set_free(s);
        return NULL;
    }
    strbuf_t b = { 0 };
    char chunk[4096];
    size_t n;
    bool ok = strbuf_add(&b, "", 0);
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        ok = strbuf_add(&b, chunk, n);
        if (b.len > PANELS_MAX_FILE) {
            snprintf(err, errlen, "%s: larger than %d bytes", path, PANELS_MAX_FILE);
            ok = false;
            err = NULL;
        }
    }
    bool read_err = ferror(f);
    fclose(f);
    if (!ok || read_err) {
        if (err)
            snprintf(err, errlen, "%s: %s", path, read_err ? "read error" : "out of memory");
        strbuf_free(&b);
        panel_set_free(s);
        return NULL;
    }
    if (strlen(b.s) != b.len) {
        snprintf(err, errlen, "%s: contains a NUL byte", path);
        ok = false;
    } else
        ok = panels_parse(s, b.s, path, err, errlen);
    strbuf_free(&b);
    if (!ok) {
        panel_set_free(s);
        return NULL;
    }
    return s;
}

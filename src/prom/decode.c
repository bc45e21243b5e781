/* Prometheus HTTP API answers -> prom_result_t. The input is untrusted: every field is type-checked,
 * any surprise makes the whole answer "malformed" with a reason, and nothing here can crash on it. */
#include "kdeck/prom.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_texts[] = {
#define PROM_STATUS_TEXT_(id, text) text,
    PROM_STATUSES(PROM_STATUS_TEXT_)
#undef PROM_STATUS_TEXT_
};

const char *prom_status_text(prom_status_t s)
{
    return (unsigned)s < PROM_STATUS_COUNT ? status_texts[s] : "?";
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup(const char *s)
{
    return s ? dupn(s, strlen(s)) : NULL;
}

static void series_clear(prom_series_t *s)
{
    for (size_t i = 0; i < s->n_labels; i++) {
        free(s->labels[i].name);
        free(s->labels[i].value);
    }
    free(s->labels);
    free(s->points);
}

void prom_result_free(prom_result_t *r)
{
    if (!r)
        return;
    free(r->error_type);
    free(r->error);
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    for (size_t i = 0; i < r->n_series; i++)
        series_clear(&r->series[i]);
    free(r->series);
    free(r->string_value);
    free(r);
}

static void set_error(prom_result_t *r, prom_status_t st, const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    r->status = st;
    free(r->error);
    r->error = dup(buf);
    /* whatever was decoded before the error is dropped */
    for (size_t i = 0; i < r->n_series; i++)
        series_clear(&r->series[i]);
    free(r->series);
    r->series = NULL;
    r->n_series = 0;
    r->type = PROM_RT_NONE;
    free(r->string_value);
    r->string_value = NULL;
}

static prom_result_t *fail(prom_result_t *r, prom_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static prom_result_t *fail(prom_result_t *r, prom_status_t st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(r, st, fmt, ap);
    va_end(ap);
    return r;
}

prom_result_t *prom_result_error(prom_status_t status, long http_status, const char *fmt, ...)
{
    prom_result_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->http_status = http_status;
    va_list ap;
    va_start(ap, fmt);
    set_error(r, status, fmt, ap);
    va_end(ap);
    return r;
}

/* Prometheus sends sample values as strings: "1", "1.5e+06", "NaN", "+Inf", "-Inf". */
static bool parse_value(const cJSON *j, double *out)
{
    if (cJSON_IsNumber(j)) { /* not what Prometheus sends, but unambiguous */
        *out = j->valuedouble;
        return true;
    }
    if (!cJSON_IsString(j) || !j->valuestring || !j->valuestring[0])
        return false;
    const char *s = j->valuestring;
    if (!strcmp(s, "NaN")) {
        *out = NAN;
        return true;
    }
    if (!strcmp(s, "+Inf") || !strcmp(s, "Inf")) {
        *out = INFINITY;
        return true;
    }
    if (!strcmp(s, "-Inf")) {
        *out = -INFINITY;
        return true;
    }
    if (isspace((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end)
        return false;
    /* "1e999" overflows to +-HUGE_VAL, which is what it means; underflow gives 0 or a denormal */
    *out = v;
    return true;
}

static bool parse_point(const cJSON *pair, prom_point_t *p)
{
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
        return false;
    const cJSON *t = pair->child, *v = t->next;
    if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble))
        return false;
    p->t = t->valuedouble;
    return parse_value(v, &p->v);
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const prom_label_t *)a)->name, ((const prom_label_t *)b)->name);
}

/* metric: {"name": "value", ...} */
static const char *parse_labels(const cJSON *metric, prom_series_t *s)
{
    if (!metric)
        return NULL; /* absent: no labels */
    if (!cJSON_IsObject(metric))
        return "\"metric\" is not an object";
    int n = cJSON_GetArraySize(metric);
    if (n <= 0)
        return NULL;
    s->labels = calloc((size_t)n, sizeof *s->labels);
    if (!s->labels)
        return "out of memory";
    for (const cJSON *l = metric->child; l; l = l->next) {
        if (!cJSON_IsString(l) || !l->string || !l->valuestring)
            return "a label value is not a string";
        prom_label_t *lab = &s->labels[s->n_labels];
        lab->name = dup(l->string);
        lab->value = dup(l->valuestring);
        if (!lab->name || !lab->value) {
            free(lab->name);
            free(lab->value);
            return "out of memory";
        }
        s->n_labels++;
    }
    qsort(s->labels, s->n_labels, sizeof *s->labels, label_cmp);
    return NULL;
}

static prom_series_t *add_series(prom_result_t *r)
{
    prom_series_t *n = realloc(r->series, (r->n_series + 1) * sizeof *n);
    if (!n)
        return NULL;
    r->series = n;
    memset(&n[r->n_series], 0, sizeof *n);
    return &n[r->n_series++];
}

static const char *parse_sample_list(const cJSON *result, prom_result_t *r, bool matrix)
{
    if (!cJSON_IsArray(result))
        return matrix ? "\"result\" of a matrix is not an array" : "\"result\" of a vector is not an array";
    for (const cJSON *e = result->child; e; e = e->next) {
        if (!cJSON_IsObject(e))
            return "a result element is not an object";
        prom_series_t *s = add_series(r);
        if (!s)
            return "out of memory";
        const char *why = parse_labels(cJSON_GetObjectItemCaseSensitive(e, "metric"), s);
        if (why)
            return why;
        if (!matrix) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
            if (!v)
                return "a vector sample has no \"value\"";
            s->points = malloc(sizeof *s->points);
            if (!s->points)
                return "out of memory";
            if (!parse_point(v, &s->points[0]))
                return "a sample \"value\" is not [time, \"number\"]";
            s->n_points = 1;
        } else {
            const cJSON *vs = cJSON_GetObjectItemCaseSensitive(e, "values");
            if (!vs) /* native histograms only ("histograms"): no float samples for us */
                continue;
            if (!cJSON_IsArray(vs))
                return "a series' \"values\" is not an array";
            int n = cJSON_GetArraySize(vs);
            if (n > 0) {
                s->points = malloc((size_t)n * sizeof *s->points);
                if (!s->points)
                    return "out of memory";
            }
            for (const cJSON *p = vs->child; p; p = p->next) {
                if (!parse_point(p, &s->points[s->n_points]))
                    return "a point in \"values\" is not [time, \"number\"]";
                s->n_points++;
            }
        }
    }
    return NULL;
}

/* The first line of a body, trimmed and shortened, for HTTP error messages. */
static void snippet(const char *body, size_t len, char *out, size_t outlen)
{
    size_t i = 0, o = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    for (; i < len && o + 1 < outlen && o < 200; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '\n' || ch == '\r')
            break;
        out[o++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static bool http_ok(long status)
{
    return status >= 200 && status < 300;
}

prom_result_t *prom_decode(const char *body, size_t len, long http_status)
{
    prom_result_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->http_status = http_status;
    char snip[256];
    snippet(body ? body : "", body ? len : 0, snip, sizeof snip);
    cJSON *doc = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    if (!doc || !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        if (!http_ok(http_status))
            return fail(r, PROM_HTTP, "HTTP %ld%s%s", http_status, snip[0] ? ": " : "", snip);
        if (!body || !len)
            return fail(r, PROM_MALFORMED, "empty body");
        return fail(r, PROM_MALFORMED, "not JSON: %.60s%s", snip, strlen(snip) > 60 ? "..." : "");
    }

    const cJSON *status = cJSON_GetObjectItemCaseSensitive(doc, "status");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "Status") &&
        cJSON_GetObjectItemCaseSensitive(doc, "apiVersion")) {
        /* the API server's own answer through the service proxy (no endpoints, forbidden, ...) */
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
        fail(r, PROM_HTTP, "HTTP %ld: %s", http_status,
             cJSON_IsString(msg) ? msg->valuestring : "Kubernetes Status without a message");
        cJSON_Delete(doc);
        return r;
    }
    if (!cJSON_IsString(status)) {
        cJSON_Delete(doc);
        if (!http_ok(http_status))
            return fail(r, PROM_HTTP, "HTTP %ld%s%s", http_status, snip[0] ? ": " : "", snip);
        return fail(r, PROM_MALFORMED, "no \"status\" string");
    }

    const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(doc, "warnings");
    if (cJSON_IsArray(warnings)) {
        int n = cJSON_GetArraySize(warnings);
        r->warnings = n > 0 ? calloc((size_t)n, sizeof *r->warnings) : NULL;
        for (const cJSON *w = warnings->child; w && r->warnings; w = w->next)
            if (cJSON_IsString(w) && w->valuestring)
                if ((r->warnings[r->n_warnings] = dup(w->valuestring)))
                    r->n_warnings++;
    }

    if (!strcmp(status->valuestring, "error")) {
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(doc, "errorType");
        const cJSON *er = cJSON_GetObjectItemCaseSensitive(doc, "error");
        r->error_type = dup(cJSON_IsString(et) ? et->valuestring : "error");
        bool timeout = r->error_type && !strcmp(r->error_type, "timeout");
        fail(r, timeout ? PROM_TIMEOUT : PROM_API, "%s",
             cJSON_IsString(er) ? er->valuestring : "(Prometheus gave no error text)");
        cJSON_Delete(doc);
        return r;
    }
    if (strcmp(status->valuestring, "success")) {
        fail(r, PROM_MALFORMED, "unknown status \"%.40s\"", status->valuestring);
        cJSON_Delete(doc);
        return r;
    }
    if (!http_ok(http_status)) {
        cJSON_Delete(doc);
        return fail(r, PROM_HTTP, "HTTP %ld with a success document", http_status);
    }

    const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    const cJSON *rt = data ? cJSON_GetObjectItemCaseSensitive(data, "resultType") : NULL;
    const cJSON *result = data ? cJSON_GetObjectItemCaseSensitive(data, "result") : NULL;
    const char *why = NULL;
    if (!cJSON_IsObject(data))
        why = "no \"data\" object";
    else if (!cJSON_IsString(rt))
        why = "no \"data.resultType\"";
    else if (!result)
        why = "no \"data.result\"";
    else if (!strcmp(rt->valuestring, "vector")) {
        r->type = PROM_RT_VECTOR;
        why = parse_sample_list(result, r, false);
    } else if (!strcmp(rt->valuestring, "matrix")) {
        r->type = PROM_RT_MATRIX;
        why = parse_sample_list(result, r, true);
    } else if (!strcmp(rt->valuestring, "scalar") || !strcmp(rt->valuestring, "string")) {
        bool str = rt->valuestring[1] == 't';
        r->type = str ? PROM_RT_STRING : PROM_RT_SCALAR;
        prom_series_t *s = add_series(r);
        prom_point_t p = { 0, NAN };
        const cJSON *t = cJSON_IsArray(result) && cJSON_GetArraySize(result) == 2 ? result->child : NULL;
        if (!s)
            why = "out of memory";
        else if (!t || !cJSON_IsNumber(t) || !isfinite(t->valuedouble))
            why = str ? "a string result is not [time, \"text\"]" : "a scalar result is not [time, \"number\"]";
        else if (str && !cJSON_IsString(t->next))
            why = "a string result is not [time, \"text\"]";
        else if (!str && !parse_point(result, &p))
            why = "a scalar result is not [time, \"number\"]";
        else if (!(s->points = malloc(sizeof *s->points)))
            why = "out of memory";
        else {
            p.t = t->valuedouble;
            s->points[0] = p;
            s->n_points = 1;
            if (str && !(r->string_value = dup(t->next->valuestring)))
                why = "out of memory";
        }
    } else
        why = "unknown resultType";
    if (why && !strcmp(why, "unknown resultType"))
        fail(r, PROM_MALFORMED, "unknown resultType \"%.40s\"", rt->valuestring);
    else if (why)
        fail(r, PROM_MALFORMED, "%s", why);
    cJSON_Delete(doc);
    return r;
}

const char *prom_series_label(const prom_series_t *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_labels; i++)
        if (!strcmp(s->labels[i].name, name))
            return s->labels[i].value;
    return NULL;
}

const prom_point_t *prom_series_last(const prom_series_t *s)
{
    for (size_t i = s ? s->n_points : 0; i > 0; i--)
        if (!isnan(s->points[i - 1].v))
            return &s->points[i - 1];
    return NULL;
}

bool prom_result_empty(const prom_result_t *r)
{
    if (!r)
        return true;
    for (size_t i = 0; i < r->n_series; i++)
        if (r->series[i].n_points)
            return false;
    return true;
}

/* Copies text into buf with control characters as spaces (an error text may hold newlines). */
static void clean_append(char *buf, size_t len, const char *text)
{
    size_t o = strlen(buf);
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 1 < len; p++)
        buf[o++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
    buf[o] = '\0';
}

void prom_result_message(const prom_result_t *r, char *buf, size_t len)
{
    if (!len)
        return;
    buf[0] = '\0';
    if (!r) {
        snprintf(buf, len, "out of memory");
        return;
    }
    switch (r->status) {
    case PROM_OK:
        if (prom_result_empty(r))
            snprintf(buf, len, "no data");
        else if (r->type == PROM_RT_STRING)
            clean_append(buf, len, r->string_value ? r->string_value : "");
        else
            snprintf(buf, len, "%zu series", r->n_series);
        return;
    case PROM_API:
        snprintf(buf, len, "query error (%s): ", r->error_type ? r->error_type : "error");
        break;
    case PROM_TIMEOUT:
        snprintf(buf, len, "%s: ", prom_status_text(r->status));
        break;
    case PROM_TRANSPORT:
    case PROM_MALFORMED:
        snprintf(buf, len, "%s: ", prom_status_text(r->status));
        break;
    case PROM_HTTP: /* the error already starts with "HTTP nnn" */
    default:
        break;
    }
    clean_append(buf, len, r->error ? r->error : "");
}

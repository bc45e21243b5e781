/* Unit-aware formatting of Prometheus values, query_range steps and PromQL durations. */
#include "kdeck/prom.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *name, *desc; } units[] = {
#define PROM_UNIT_ROW_(id, name, desc) { name, desc },
    PROM_UNITS(PROM_UNIT_ROW_)
#undef PROM_UNIT_ROW_
};

prom_unit_t prom_unit_by_name(const char *name)
{
    for (int u = 0; name && u < PROM_N_UNITS; u++)
        if (!strcmp(units[u].name, name))
            return (prom_unit_t)u;
    return PROM_N_UNITS;
}

const char *prom_unit_name(prom_unit_t u)
{
    return (unsigned)u < PROM_N_UNITS ? units[u].name : "?";
}

const char *prom_unit_description(prom_unit_t u)
{
    return (unsigned)u < PROM_N_UNITS ? units[u].desc : "?";
}

/* x >= 0 with at most 3 significant digits, trailing zeros dropped: 1.5, 12.3, 123, 0.0123.
 * Values under 0.001 use an exponent (1.2e-05). */
static void sig3(double x, char *out, size_t len)
{
    if (x == 0) {
        snprintf(out, len, "0");
        return;
    }
    if (x < 0.001 || x >= 1e5) {
        snprintf(out, len, x < 0.001 ? "%.2g" : "%.3g", x);
        return;
    }
    int mag = (int)floor(log10(x)); /* 12.3 -> 1; 0.0123 -> -2 */
    int decimals = 2 - mag;
    if (decimals < 0)
        decimals = 0;
    snprintf(out, len, "%.*f", decimals, x);
    /* rounding can add a digit (9.996 -> "10.00"): redo with one decimal fewer */
    double r = strtod(out, NULL);
    if (r > 0 && (int)floor(log10(r)) > mag && decimals > 0)
        snprintf(out, len, "%.*f", decimals - 1, x);
    if (strchr(out, '.')) {
        size_t n = strlen(out);
        while (n > 0 && out[n - 1] == '0')
            out[--n] = '\0';
        if (n > 0 && out[n - 1] == '.')
            out[--n] = '\0';
    }
}

typedef struct scale {
    double factor;     /* value in this unit = x / factor */
    double limit;      /* switch to the next unit when the rounded value reaches this */
    const char *name;
} scale_t;

static const scale_t si[] = {
    { 1, 1000, "" }, { 1e3, 1000, "k" }, { 1e6, 1000, "M" }, { 1e9, 1000, "G" },
    { 1e12, 1000, "T" }, { 1e15, 1000, "P" }, { 1e18, HUGE_VAL, "E" },
};
static const scale_t bin[] = {
    { 1, 1000, "B" }, { 1024.0, 1000, "KiB" }, { 1048576.0, 1000, "MiB" }, { 1073741824.0, 1000, "GiB" },
    { 1099511627776.0, 1000, "TiB" }, { 1125899906842624.0, 1000, "PiB" },
    { 1152921504606846976.0, HUGE_VAL, "EiB" },
};
static const scale_t dur[] = {
    { 1e-9, 1000, "ns" }, { 1e-6, 1000, "µs" }, { 1e-3, 1000, "ms" }, { 1, 60, "s" },
    { 60, 60, "min" }, { 3600, 24, "h" }, { 86400, HUGE_VAL, "d" },
};

/* Picks the largest unit not above |x| (the first one for tiny values), formats, and moves up one
 * unit when rounding reaches that unit's limit. */
static void scaled(double x, const scale_t *sc, size_t n, size_t first, char *num, size_t numlen,
                   const char **name)
{
    size_t i = first;
    for (size_t k = first; k < n; k++)
        if (x >= sc[k].factor)
            i = k;
    if (x < sc[first].factor && x != 0)
        i = first;
    sig3(x / sc[i].factor, num, numlen);
    if (strtod(num, NULL) >= sc[i].limit && i + 1 < n) {
        i++;
        sig3(x / sc[i].factor, num, numlen);
    }
    *name = sc[i].name;
    if (x / sc[i].factor >= 1e5) { /* beyond the largest unit: an exponent of the base unit */
        snprintf(num, numlen, "%.3g", x);
        *name = sc[first].factor == 1 ? sc[first].name : "s";
    }
}

char *prom_format(double v, prom_unit_t u, char *buf, size_t len)
{
    if (!len)
        return buf;
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return buf;
    }
    if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
        return buf;
    }
    const char *sign = v < 0 ? "-" : "";
    double x = fabs(v);
    char num[64];
    const char *prefix = "";
    const char *suffix = "";
    switch (u) {
    case PROM_UNIT_MILLIS:
        x /= 1000.0;
        /* fall through */
    case PROM_UNIT_SECONDS:
        if (x == 0) {
            snprintf(buf, len, "0 s");
            return buf;
        }
        scaled(x, dur, sizeof dur / sizeof *dur, 0, num, sizeof num, &suffix);
        snprintf(buf, len, "%s%s %s", sign, num, suffix);
        return buf;
    case PROM_UNIT_BYTES:
    case PROM_UNIT_BPS:
        scaled(x, bin, sizeof bin / sizeof *bin, 0, num, sizeof num, &suffix);
        snprintf(buf, len, "%s%s %s%s", sign, num, suffix, u == PROM_UNIT_BPS ? "/s" : "");
        return buf;
    case PROM_UNIT_RATIO:
        x *= 100.0;
        /* fall through */
    case PROM_UNIT_PERCENT:
        sig3(x, num, sizeof num);
        snprintf(buf, len, "%s%s %%", sign, num);
        return buf;
    case PROM_UNIT_REQPS:
    case PROM_UNIT_OPSPS:
    case PROM_UNIT_COUNT:
    case PROM_UNIT_NONE:
    default:
        scaled(x, si, sizeof si / sizeof *si, 0, num, sizeof num, &prefix);
        if (u == PROM_UNIT_REQPS)
            snprintf(buf, len, "%s%s%s req/s", sign, num, prefix);
        else if (u == PROM_UNIT_OPSPS)
            snprintf(buf, len, "%s%s%s ops/s", sign, num, prefix);
        else
            snprintf(buf, len, "%s%s%s", sign, num, prefix);
        return buf;
    }
}

/* ---- steps and durations ---- */

static const double nice_steps[] = {
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
};

double prom_step_for_points(double range_seconds, int points, double scrape_interval)
{
    if (!(scrape_interval > 0) || !isfinite(scrape_interval))
        scrape_interval = PROM_SCRAPE_INTERVAL_DEFAULT;
    if (points < 1)
        points = 1;
    if (!(range_seconds > 0) || !isfinite(range_seconds))
        range_seconds = 0;
    double raw = range_seconds / points;
    if (raw < scrape_interval)
        raw = scrape_interval;
    for (size_t i = 0; i < sizeof nice_steps / sizeof *nice_steps; i++)
        if (nice_steps[i] >= raw - 1e-9)
            return nice_steps[i];
    return ceil(raw / 86400.0 - 1e-9) * 86400.0; /* whole days */
}

double prom_step_for(double range_seconds, int width_cells)
{
    if (width_cells < 1)
        width_cells = 1;
    int points = width_cells > 100000 ? 200000 : width_cells * 2;
    return prom_step_for_points(range_seconds, points, PROM_SCRAPE_INTERVAL_DEFAULT);
}

double prom_rate_interval(double step, double scrape_interval)
{
    if (!(scrape_interval > 0) || !isfinite(scrape_interval))
        scrape_interval = PROM_SCRAPE_INTERVAL_DEFAULT;
    if (!(step > 0) || !isfinite(step))
        step = 0;
    double a = step + scrape_interval, b = 4 * scrape_interval;
    return ceil((a > b ? a : b) - 1e-9);
}

char *prom_duration(double seconds, char *buf, size_t len)
{
    if (!len)
        return buf;
    if (!(seconds > 0) || !isfinite(seconds) || seconds > 1e12) {
        snprintf(buf, len, "%s", isfinite(seconds) && seconds > 1e12 ? "31709y" : "0s");
        return buf;
    }
    long long ms = llround(seconds * 1000.0);
    if (ms == 0)
        ms = 1;
    static const struct { long long ms; const char *u; } parts[] = {
        { 86400000LL, "d" }, { 3600000LL, "h" }, { 60000LL, "m" }, { 1000LL, "s" }, { 1LL, "ms" },
    };
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        long long n = ms / parts[i].ms;
        if (!n)
            continue;
        ms -= n * parts[i].ms;
        int w = snprintf(buf + o, len - o, "%lld%s", n, parts[i].u);
        if (w < 0 || (size_t)w >= len - o)
            break;
        o += (size_t)w;
    }
    return buf;
}

bool prom_parse_duration(const char *s, double *seconds)
{
    if (!s || !*s)
        return false;
    char *end;
    /* a plain number of seconds */
    double plain = strtod(s, &end);
    if (end != s && !*end && isfinite(plain) && plain >= 0 && isdigit((unsigned char)s[0])) {
        *seconds = plain;
        return true;
    }
    double total = 0;
    const char *p = s;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return false;
        double n = 0;
        while (isdigit((unsigned char)*p)) {
            n = n * 10 + (*p - '0');
            if (n > 1e12)
                return false;
            p++;
        }
        double f;
        if (!strncmp(p, "ms", 2)) {
            f = 0.001;
            p += 2;
        } else {
            switch (*p) {
            case 's': f = 1; break;
            case 'm': f = 60; break;
            case 'h': f = 3600; break;
            case 'd': f = 86400; break;
            case 'w': f = 604800; break;
            case 'y': f = 31536000; break;
            default: return false;
            }
            p++;
        }
        total += n * f;
    }
    *seconds = total;
    return true;
}

/* String helpers. */
#include "kdeck/strutil.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *str_ifind(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, nl))
            return hay;
    return nl ? NULL : hay;
}

bool strbuf_add(strbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            return false;
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

bool strbuf_addf(strbuf_t *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n < sizeof tmp)
        return strbuf_add(b, tmp, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return false;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bool ok = strbuf_add(b, big, (size_t)n);
    free(big);
    return ok;
}

void strbuf_free(strbuf_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

long str_parse_duration_ms(const char *s)
{
    long total = 0;
    if (!*s)
        return -1;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return -1;
        char *end;
        long v = strtol(s, &end, 10);
        s = end;
        if (!strncmp(s, "ms", 2)) { total += v; s += 2; }
        else if (*s == 's') { total += v * 1000; s++; }
        else if (*s == 'm') { total += v * 60000; s++; }
        else if (*s == 'h') { total += v * 3600000; s++; }
        else if (!*s) total += v * 1000;
        else return -1;
    }
    return total;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool str_parse_rfc3339_ms(const char *s, int64_t *ms)
{
    if (!s || strnlen(s, 20) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return false;
    int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
    int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60)
        return false;
    const char *p = s + 19;
    int frac_ms = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        int nd = 0;
        for (; isdigit((unsigned char)*p); p++, nd++)
            if (nd < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
        for (; nd < 3; nd++) /* "0.5" is 500 ms */
            frac_ms *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strnlen(p, 6) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    /* days from civil (Howard Hinnant), so no timegm() and no TZ dependence */
    int y = year - (mon <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    int64_t secs = days * 86400 + hour * 3600 + min * 60 + sec - offset;
    *ms = secs * 1000 + frac_ms;
    return true;
}

void str_format_duration_ms(int64_t ms, char *buf, size_t len)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1000)
        snprintf(buf, len, "%dms", (int)ms);
    else if (ms < 10000)
        snprintf(buf, len, "%.1fs", (double)ms / 1000);
    else if (ms < 60000)
        snprintf(buf, len, "%ds", (int)(ms / 1000));
    else if (ms < 3600000)
        snprintf(buf, len, "%dm%02ds", (int)(ms / 60000), (int)(ms / 1000 % 60));
    else
        snprintf(buf, len, "%lldh%02dm", (long long)(ms / 3600000), (int)(ms / 60000 % 60));
}

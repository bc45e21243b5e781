/* Small string helpers shared across modules. */
#ifndef KDECK_STRUTIL_H
#define KDECK_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Case-insensitive (ASCII) substring search; NULL when absent. An empty needle matches at hay. */
const char *str_ifind(const char *hay, const char *needle);
/* Appends formatted text to a growing buffer; false when out of memory. */
typedef struct strbuf { char *s; size_t len, cap; } strbuf_t;
bool strbuf_addf(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strbuf_add(strbuf_t *b, const char *s, size_t n);
void strbuf_free(strbuf_t *b);

/* "5m", "90s", "1m30s", "2h", "500ms", "300" (seconds) → milliseconds; -1 when malformed. */
long str_parse_duration_ms(const char *s);
/* An RFC 3339 time, 2006-01-02T15:04:05[.frac](Z|+07:00), to Unix milliseconds (the fraction
 * cut to ms; years 0000-9999, so it may be negative). False when malformed. */
bool str_parse_rfc3339_ms(const char *s, int64_t *ms);
/* A duration for people: "250ms", "4.2s", "42s", "3m05s", "1h02m" (negative counts as 0). */
void str_format_duration_ms(int64_t ms, char *buf, size_t len);

#endif

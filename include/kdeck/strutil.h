/* Small string helpers shared across modules. */
#ifndef KDECK_STRUTIL_H
#define KDECK_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Case-insensitive (ASCII) substring search; NULL when absent. An empty needle matches at hay. */
const char *str_ifind(const char *hay, const char *needle);
/* Appends formatted text to a growing buffer; false when out of memory. */
typedef struct strbuf { char *s; size_t len, cap; } strbuf_t;
bool strbuf_addf(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strbuf_add(strbuf_t *b, const char *s, size_t n);
void strbuf_free(strbuf_t *b);

#endif

/* A bounded buffer of log lines: the newest `capacity` lines are kept, older ones drop off, so a
 * log flood keeps memory flat. Each line carries the source it came from (a pod/container index)
 * and a flag for kdeck's own marker lines ("stream disconnected"). Lines are cut at max_line bytes. */
#ifndef KDECK_RINGBUF_H
#define KDECK_RINGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ringbuf ringbuf_t;

typedef struct ring_line {
    char *text;        /* NUL-terminated, owned by the buffer */
    uint32_t len;
    uint16_t source;   /* caller's index: which pod/container */
    uint8_t marker;    /* kdeck's own line (disconnect/reconnect/ended) */
} ring_line_t;

ringbuf_t *ringbuf_new(size_t capacity, size_t max_line);
void ringbuf_free(ringbuf_t *r);
/* Appends a line (a copy of the first `len` bytes; cut at max_line and marked as cut). */
void ringbuf_push(ringbuf_t *r, const char *text, size_t len, uint16_t source, bool marker);
size_t ringbuf_count(const ringbuf_t *r);
/* The i-th kept line, 0 = oldest; NULL when out of range. Valid until the next push. */
const ring_line_t *ringbuf_at(const ringbuf_t *r, size_t i);
/* Lines pushed since creation or the last clear (including the dropped ones). */
uint64_t ringbuf_total(const ringbuf_t *r);
size_t ringbuf_bytes(const ringbuf_t *r);
void ringbuf_clear(ringbuf_t *r);

#endif

/* Circular array of owned lines. */
#include "kdeck/ringbuf.h"

#include <stdlib.h>
#include <string.h>

struct ringbuf {
    ring_line_t *lines;
    size_t cap, head, count; /* head = index of the oldest */
    size_t max_line;
    uint64_t total;
    size_t bytes;
};

ringbuf_t *ringbuf_new(size_t capacity, size_t max_line)
{
    ringbuf_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cap = capacity ? capacity : 1;
    r->max_line = max_line ? max_line : 4096;
    r->lines = calloc(r->cap, sizeof *r->lines);
    if (!r->lines) {
        free(r);
        return NULL;
    }
    return r;
}

void ringbuf_clear(ringbuf_t *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->lines[(r->head + i) % r->cap].text);
    memset(r->lines, 0, r->cap * sizeof *r->lines);
    r->head = r->count = 0;
    r->total = 0;
    r->bytes = 0;
}

void ringbuf_free(ringbuf_t *r)
{
    if (!r)
        return;
    ringbuf_clear(r);
    free(r->lines);
    free(r);
}

void ringbuf_push(ringbuf_t *r, const char *text, size_t len, uint16_t source, bool marker)
{
    static const char cut[] = " [...]";
    bool too_long = len > r->max_line;
    size_t keep = too_long ? r->max_line : len;
    char *copy = malloc(keep + (too_long ? sizeof cut : 1));
    if (!copy)
        return;
    memcpy(copy, text, keep);
    if (too_long) {
        memcpy(copy + keep, cut, sizeof cut);
        keep += sizeof cut - 1;
    } else {
        copy[keep] = '\0';
    }
    ring_line_t *slot;
    if (r->count == r->cap) { /* full: the oldest line makes room */
        slot = &r->lines[r->head];
        r->bytes -= slot->len;
        free(slot->text);
        r->head = (r->head + 1) % r->cap;
    } else {
        slot = &r->lines[(r->head + r->count) % r->cap];
        r->count++;
    }
    slot->text = copy;
    slot->len = (uint32_t)keep;
    slot->source = source;
    slot->marker = marker;
    r->bytes += keep;
    r->total++;
}

size_t ringbuf_count(const ringbuf_t *r) { return r->count; }
uint64_t ringbuf_total(const ringbuf_t *r) { return r->total; }
size_t ringbuf_bytes(const ringbuf_t *r) { return r->bytes; }

const ring_line_t *ringbuf_at(const ringbuf_t *r, size_t i)
{
    if (i >= r->count)
        return NULL;
    return &r->lines[(r->head + i) % r->cap];
}

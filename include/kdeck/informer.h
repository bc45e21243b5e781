/* An informer keeps a live copy of one kind of object (in one namespace or all of them): paginated
 * LIST, then WATCH from the list's resourceVersion with bookmarks; re-list on 410 Gone; reconnect
 * with capped exponential backoff and jitter. Objects are kept as compact kobj_t rows. */
#ifndef KDECK_INFORMER_H
#define KDECK_INFORMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeck/http.h"
#include "kdeck/kinds.h"
#include "kdeck/model.h"

typedef struct informer informer_t;

typedef enum {
    INF_IDLE,      /* not started */
    INF_LISTING,   /* first or re-list in progress */
    INF_WATCHING,  /* synced and following changes */
    INF_BACKOFF,   /* last attempt failed; retrying at retry_at */
} informer_state_t;

typedef struct informer_status {
    informer_state_t state;
    bool synced;            /* a complete list has been received at least once */
    char error[512];        /* last error in words, "" when healthy */
    long http_status;       /* of the last failure (0: no response) */
    bool unreachable;       /* the last failure was the transport's (connect, TLS, timeout) */
    uint64_t retry_at_ms;   /* uv_now() time of the next attempt when in backoff */
    unsigned failures;      /* consecutive failures */
} informer_status_t;

/* Called on every change (objects or status); the app marks views dirty from it. */
typedef void (*informer_changed_cb)(informer_t *inf, void *ud);

typedef struct informer_opts {
    uv_loop_t *loop;
    http_client_t *http;
    kind_id_t kind;
    const char *ns;           /* NULL or "" = all namespaces (ignored for cluster kinds) */
    unsigned page_size;       /* LIST limit; 0 = 500 */
    informer_changed_cb changed;
    void *ud;
} informer_opts_t;

informer_t *informer_new(const informer_opts_t *opts);
void informer_start(informer_t *inf);
/* Stops requests and timers and frees every object; the struct itself is freed once its timer
 * handle has closed (on a later loop turn). */
void informer_free(informer_t *inf);

kind_id_t informer_kind(const informer_t *inf);
const char *informer_namespace(const informer_t *inf); /* NULL = all */
const informer_status_t *informer_status(const informer_t *inf);
/* True once after each complete (re-)list: the app draws that frame at once instead of
 * coalescing it, so a freshly loaded table appears without waiting for the redraw timer. */
bool informer_take_synced(informer_t *inf);
/* Incremented on every change of the objects: views compare it to know whether to rebuild. */
uint64_t informer_generation(const informer_t *inf);

size_t informer_count(const informer_t *inf);
/* Fills out[] with up to max object pointers (valid until the next loop turn); returns the count. */
size_t informer_snapshot(const informer_t *inf, const kobj_t **out, size_t max);
const kobj_t *informer_get(const informer_t *inf, const char *ns, const char *name);
/* Bytes of decoded objects kept (for benchmarks). */
size_t informer_bytes(const informer_t *inf);

#endif

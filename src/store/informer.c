/* Informer: LIST (paginated) then WATCH, kept in an open-addressing hash table of kobj_t rows
 * keyed by namespace/name. The JSON of each page or event is parsed, decoded into a compact row
 * and dropped at once, so memory follows the objects kept, not the bytes seen. */
#include "kdeck/informer.h"
#include "kdeck/apierror.h"
#include "kdeck/jsonarena.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_LINE_MAX (64u * 1024 * 1024) /* one event larger than this is refused, not buffered */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

typedef struct slot {
    kobj_t *obj;       /* NULL = empty */
    uint32_t hash;
    uint32_t list_gen; /* stamp of the list that last saw it: a re-list sweeps older stamps */
} slot_t;

struct informer {
    uv_loop_t *loop;
    http_client_t *http;
    const kind_info_t *kind;
    char *ns;
    unsigned page_size;
    informer_changed_cb changed;
    void *ud;

    slot_t *slots;
    size_t cap, count;
    size_t bytes;
    uint64_t generation;
    uint32_t list_gen;

    informer_status_t status;
    char rv[64];          /* resourceVersion to watch from */
    char *cont;           /* list continue token */
    http_req_t *req;
    char *line;           /* partial watch line */
    size_t line_len, line_cap;
    bool line_overflow;
    bool got_event;       /* the current watch delivered something (resets backoff) */
    unsigned gone_streak; /* 410s in a row without an event in between (a 410 loop backs off) */
    bool synced_edge;     /* a list just completed (informer_take_synced) */
    uv_timer_t retry;
    bool freed;
};

/* ---- hash table ---- */

static uint32_t key_hash(const char *ns, const char *name)
{
    uint32_t h = 2166136261u;
    for (const char *p = ns ? ns : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ '/') * 16777619u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h ? h : 1;
}

static bool key_eq(const kobj_t *o, const char *ns, const char *name)
{
    const char *ons = o->ns ? o->ns : "";
    return !strcmp(o->name, name) && !strcmp(ons, ns ? ns : "");
}

static size_t find_slot(const informer_t *inf, const char *ns, const char *name, uint32_t h)
{
    size_t mask = inf->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const slot_t *s = &inf->slots[i];
        if (!s->obj || (s->hash == h && key_eq(s->obj, ns, name)))
            return i;
    }
}

static bool grow(informer_t *inf)
{
    size_t ncap = inf->cap ? inf->cap * 2 : 256;
    slot_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return false;
    slot_t *old = inf->slots;
    size_t ocap = inf->cap;
    inf->slots = ns;
    inf->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].obj)
            continue;
        size_t j = old[i].hash & (ncap - 1);
        while (ns[j].obj)
            j = (j + 1) & (ncap - 1);
        ns[j] = old[i];
    }
    free(old);
    return true;
}

/* Takes ownership of o. */
static void store_put(informer_t *inf, kobj_t *o)
{
    if ((inf->count + 1) * 4 > inf->cap * 3 && !grow(inf)) {
        kobj_free(o);
        return;
    }
    uint32_t h = key_hash(o->ns, o->name);
    size_t i = find_slot(inf, o->ns, o->name, h);
    slot_t *s = &inf->slots[i];
    if (s->obj) {
        inf->bytes -= s->obj->bytes;
        kobj_free(s->obj);
    } else {
        inf->count++;
    }
    s->obj = o;
    s->hash = h;
    s->list_gen = inf->list_gen;
    inf->bytes += o->bytes;
    inf->generation++;
}

/* Removes slot i, shifting the following cluster back so probing never needs tombstones. */
static void slot_remove(informer_t *inf, size_t i)
{
    size_t mask = inf->cap - 1;
    inf->bytes -= inf->slots[i].obj->bytes;
    kobj_free(inf->slots[i].obj);
    inf->slots[i].obj = NULL;
    inf->count--;
    for (size_t j = (i + 1) & mask; inf->slots[j].obj; j = (j + 1) & mask) {
        size_t home = inf->slots[j].hash & mask;
        /* Move j back into the hole at i when its home does not lie in (i, j]. */
        bool in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            inf->slots[i] = inf->slots[j];
            inf->slots[j].obj = NULL;
            i = j;
        }
    }
    inf->generation++;
}

static void store_delete(informer_t *inf, const char *ns, const char *name)
{
    if (!inf->cap)
        return;
    uint32_t h = key_hash(ns, name);
    size_t i = find_slot(inf, ns, name, h);
    if (inf->slots[i].obj)
        slot_remove(inf, i);
}

static void store_clear(informer_t *inf)
{
    for (size_t i = 0; i < inf->cap; i++)
        if (inf->slots[i].obj)
            kobj_free(inf->slots[i].obj);
    free(inf->slots);
    inf->slots = NULL;
    inf->cap = inf->count = inf->bytes = 0;
}

/* After a complete re-list: objects the new list did not contain were deleted meanwhile. */
static void store_sweep(informer_t *inf)
{
    for (size_t i = 0; i < inf->cap;) {
        if (inf->slots[i].obj && inf->slots[i].list_gen != inf->list_gen)
            slot_remove(inf, i); /* a shifted entry may now sit at i: look again */
        else
            i++;
    }
}

/* ---- requests ---- */

static void start_list(informer_t *inf);
static void start_watch(informer_t *inf);

static void notify(informer_t *inf)
{
    if (inf->changed)
        inf->changed(inf, inf->ud);
}

static void on_retry(uv_timer_t *t)
{
    informer_t *inf = t->data;
    if (inf->rv[0] && inf->status.synced)
        start_watch(inf);
    else
        start_list(inf);
}

static void fail(informer_t *inf, const char *msg, long status, bool transport)
{
    inf->req = NULL;
    inf->status.unreachable = transport;
    inf->status.failures++;
    inf->status.http_status = status;
    snprintf(inf->status.error, sizeof inf->status.error, "%s", msg);
    /* Capped exponential backoff with jitter: many kdecks must not hammer a recovering server
     * in lockstep. */
    unsigned shift = inf->status.failures > 8 ? 8 : inf->status.failures - 1;
    uint64_t base = (uint64_t)BACKOFF_MIN_MS << shift;
    if (base > BACKOFF_MAX_MS)
        base = BACKOFF_MAX_MS;
    uint64_t delay = base / 2 + (uint64_t)(rand() % (int)(base / 2 + 1));
    inf->status.state = INF_BACKOFF;
    inf->status.retry_at_ms = uv_now(inf->loop) + delay;
    uv_timer_start(&inf->retry, on_retry, delay, 0);
    notify(inf);
}

static void healthy(informer_t *inf)
{
    if (inf->status.error[0] || inf->status.failures) {
        inf->status.error[0] = '\0';
        inf->status.failures = 0;
        inf->status.http_status = 0;
    }
}

static const char *scope_ns(const informer_t *inf)
{
    return inf->kind->namespaced && inf->ns ? inf->ns : NULL;
}

static void describe_what(const informer_t *inf, const char *verb, char *buf, size_t len)
{
    if (scope_ns(inf))
        snprintf(buf, len, "%s %s in %s", verb, inf->kind->plural, inf->ns);
    else
        snprintf(buf, len, "%s %s", verb, inf->kind->plural);
}

static void decode_into(informer_t *inf, const cJSON *item)
{
    char err[256];
    kobj_t *o = kobj_decode(inf->kind->id, item, err, sizeof err);
    if (o)
        store_put(inf, o);
}

static void on_list_done(http_req_t *req, const http_result_t *res, void *ud)
{
    informer_t *inf = ud;
    (void)req;
    inf->req = NULL;
    char what[160], msg[512];
    describe_what(inf, "list", what, sizeof what);
    if (res->error || res->status != 200) {
        free(inf->cont); /* a failed page restarts the whole list: continue tokens expire */
        inf->cont = NULL;
        fail(inf, api_error_describe(what, res, msg, sizeof msg), res->status, res->curl_code != 0);
        return;
    }
    cJSON *list = json_arena_parse(res->body, res->body_len);
    const cJSON *items = list ? cJSON_GetObjectItemCaseSensitive(list, "items") : NULL;
    const cJSON *meta = list ? cJSON_GetObjectItemCaseSensitive(list, "metadata") : NULL;
    if (!list || !(cJSON_IsArray(items) || cJSON_IsNull(items) || !items) || !cJSON_IsObject(meta)) {
        if (list)
            json_arena_release(list);
        snprintf(msg, sizeof msg, "%s: the server's answer is not a valid %sList (%zu bytes)", what,
                 inf->kind->kind, res->body_len);
        fail(inf, msg, res->status, false);
        return;
    }
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
    const cJSON *cont = cJSON_GetObjectItemCaseSensitive(meta, "continue");
    free(inf->cont);
    inf->cont = (cJSON_IsString(cont) && cont->valuestring[0]) ? strdup(cont->valuestring) : NULL;
    if (cJSON_IsString(rv))
        snprintf(inf->rv, sizeof inf->rv, "%s", rv->valuestring);
    /* Ask for the next page before decoding this one, so the server serves it meanwhile. */
    bool more = inf->cont != NULL;
    if (more)
        start_list(inf);
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
        decode_into(inf, item);
    json_arena_release(list);
    if (more) { /* the first page's resourceVersion is the snapshot's */
        notify(inf);
        return;
    }
    store_sweep(inf);
    inf->status.synced = true;
    inf->synced_edge = true;
    healthy(inf);
    inf->generation++;
    start_watch(inf);
    notify(inf);
}

static void start_list(informer_t *inf)
{
    char path[1024], base[512];
    kind_list_path(inf->kind, scope_ns(inf), base, sizeof base);
    if (!inf->cont) {
        inf->list_gen++;
        inf->rv[0] = '\0';
    }
    if (inf->cont)
        snprintf(path, sizeof path, "%s?limit=%u&continue=%s", base, inf->page_size, inf->cont);
    else
        snprintf(path, sizeof path, "%s?limit=%u", base, inf->page_size);
    inf->status.state = INF_LISTING;
    http_req_opts_t o = {
        .path = path, .accept = "application/json", .timeout_ms = 60000,
        .on_done = on_list_done, .ud = inf,
    };
    inf->req = http_request(inf->http, &o);
}

/* ---- watch ---- */

static void relist(informer_t *inf)
{
    free(inf->cont);
    inf->cont = NULL;
    inf->rv[0] = '\0';
    start_list(inf);
}

/* 410 Gone: re-list at once, but a server that answers every fresh watch with 410 must not make
 * us re-list in a hot loop: from the third 410 in a row without an event between, back off. */
static void gone(informer_t *inf)
{
    free(inf->cont);
    inf->cont = NULL;
    inf->rv[0] = '\0';
    if (++inf->gone_streak > 2) {
        char what[160], msg[512];
        describe_what(inf, "watch", what, sizeof what);
        snprintf(msg, sizeof msg, "%s: 410 Gone %u times in a row (resourceVersion expired); re-listing",
                 what, inf->gone_streak);
        fail(inf, msg, 410, false);
        return;
    }
    relist(inf);
}

static void handle_event(informer_t *inf, const char *line, size_t len)
{
    cJSON *ev = cJSON_ParseWithLength(line, len);
    if (!ev)
        return; /* a corrupt line is skipped; the next bookmark or re-list repairs state */
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
    if (!cJSON_IsString(type) || !cJSON_IsObject(obj)) {
        cJSON_Delete(ev);
        return;
    }
    const char *t = type->valuestring;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *rv = cJSON_IsObject(meta) ? cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion") : NULL;
    if (!strcmp(t, "ERROR")) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
        if (cJSON_IsNumber(code) && code->valueint == 410) {
            /* Our resourceVersion was compacted away: start over from a fresh list. */
            cJSON_Delete(ev);
            if (inf->req) {
                http_req_t *r = inf->req;
                inf->req = NULL;
                http_cancel(r);
            }
            gone(inf);
            return;
        }
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "message");
        snprintf(inf->status.error, sizeof inf->status.error, "watch %s: %s", inf->kind->plural,
                 cJSON_IsString(m) ? m->valuestring : "error event");
        cJSON_Delete(ev);
        notify(inf);
        return;
    }
    inf->got_event = true;
    inf->gone_streak = 0;
    if (!strcmp(t, "ADDED") || !strcmp(t, "MODIFIED")) {
        decode_into(inf, obj);
    } else if (!strcmp(t, "DELETED")) {
        const cJSON *name = cJSON_IsObject(meta) ? cJSON_GetObjectItemCaseSensitive(meta, "name") : NULL;
        const cJSON *ns = cJSON_IsObject(meta) ? cJSON_GetObjectItemCaseSensitive(meta, "namespace") : NULL;
        if (cJSON_IsString(name))
            store_delete(inf, cJSON_IsString(ns) ? ns->valuestring : NULL, name->valuestring);
    }
    /* BOOKMARK only moves the resourceVersion. */
    if (cJSON_IsString(rv) && rv->valuestring[0])
        snprintf(inf->rv, sizeof inf->rv, "%s", rv->valuestring);
    cJSON_Delete(ev);
    notify(inf);
}

static void on_watch_data(http_req_t *req, const char *buf, size_t len, void *ud)
{
    informer_t *inf = ud;
    (void)req;
    while (len) {
        const char *nl = memchr(buf, '\n', len);
        size_t take = nl ? (size_t)(nl - buf) : len;
        if (!inf->line_overflow) {
            if (inf->line_len + take > WATCH_LINE_MAX) {
                inf->line_overflow = true; /* drop this event; resync by re-list when it ends */
            } else {
                if (inf->line_len + take + 1 > inf->line_cap) {
                    size_t cap = inf->line_cap ? inf->line_cap : 8192;
                    while (cap < inf->line_len + take + 1)
                        cap *= 2;
                    char *p = realloc(inf->line, cap);
                    if (!p) {
                        inf->line_overflow = true;
                    } else {
                        inf->line = p;
                        inf->line_cap = cap;
                    }
                }
                if (!inf->line_overflow) {
                    memcpy(inf->line + inf->line_len, buf, take);
                    inf->line_len += take;
                }
            }
        }
        if (!nl)
            return;
        if (inf->line_overflow) {
            inf->line_overflow = false;
            snprintf(inf->status.error, sizeof inf->status.error,
                     "watch %s: an event larger than %u MB was dropped; re-listing", inf->kind->plural,
                     WATCH_LINE_MAX >> 20);
            inf->rv[0] = '\0';
        } else if (inf->line_len) {
            inf->line[inf->line_len] = '\0';
            handle_event(inf, inf->line, inf->line_len);
            if (inf->req != req) { /* the event restarted the informer (410): stop reading */
                inf->line_len = 0;
                return;
            }
        }
        inf->line_len = 0;
        buf = nl + 1;
        len -= take + 1;
    }
}

static void on_watch_done(http_req_t *req, const http_result_t *res, void *ud)
{
    informer_t *inf = ud;
    (void)req;
    inf->req = NULL;
    inf->line_len = 0;
    char what[160], msg[512];
    describe_what(inf, "watch", what, sizeof what);
    if (res->status == 410) {
        gone(inf);
        return;
    }
    if (res->error || res->status != 200) {
        fail(inf, api_error_describe(what, res, msg, sizeof msg), res->status, res->curl_code != 0);
        return;
    }
    /* The server ended the watch (timeoutSeconds): go on from where we are. A watch that ended
     * without delivering anything at once is throttled like a failure, so a server that closes
     * every watch immediately cannot make us spin. */
    if (!inf->got_event && inf->status.failures++ > 2) {
        fail(inf, "watch ended immediately several times", 0, false);
        return;
    }
    if (!inf->rv[0])
        relist(inf);
    else
        start_watch(inf);
}

static void start_watch(informer_t *inf)
{
    char path[1024], base[512];
    kind_list_path(inf->kind, scope_ns(inf), base, sizeof base);
    /* Like client-go: a randomised 5-10 minute server-side timeout spreads re-watches out. */
    unsigned timeout = 300 + (unsigned)(rand() % 300);
    snprintf(path, sizeof path, "%s?watch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%u",
             base, inf->rv, timeout);
    inf->status.state = INF_WATCHING;
    inf->got_event = false;
    inf->line_len = 0;
    http_req_opts_t o = {
        .path = path, .accept = "application/json", .timeout_ms = 0,
        .on_data = on_watch_data, .on_done = on_watch_done, .ud = inf,
    };
    inf->req = http_request(inf->http, &o);
    if (inf->req)
        http_req_mark_stream(inf->req, true);
}

/* ---- lifecycle and queries ---- */

informer_t *informer_new(const informer_opts_t *o)
{
    informer_t *inf = calloc(1, sizeof *inf);
    if (!inf)
        return NULL;
    inf->loop = o->loop;
    inf->http = o->http;
    inf->kind = kind_get(o->kind);
    inf->ns = (o->ns && o->ns[0]) ? strdup(o->ns) : NULL;
    inf->page_size = o->page_size ? o->page_size : 500;
    inf->changed = o->changed;
    inf->ud = o->ud;
    uv_timer_init(o->loop, &inf->retry);
    inf->retry.data = inf;
    if (!inf->kind) {
        free(inf->ns);
        free(inf);
        return NULL;
    }
    return inf;
}

void informer_start(informer_t *inf)
{
    if (inf->status.state == INF_IDLE)
        start_list(inf);
}

static void on_retry_closed(uv_handle_t *h)
{
    free(h->data);
}

void informer_free(informer_t *inf)
{
    if (!inf)
        return;
    if (inf->req)
        http_cancel(inf->req);
    inf->req = NULL;
    store_clear(inf);
    free(inf->ns);
    free(inf->cont);
    free(inf->line);
    uv_timer_stop(&inf->retry);
    uv_close((uv_handle_t *)&inf->retry, on_retry_closed);
}

bool informer_take_synced(informer_t *inf)
{
    bool e = inf->synced_edge;
    inf->synced_edge = false;
    return e;
}

kind_id_t informer_kind(const informer_t *inf) { return inf->kind->id; }
const char *informer_namespace(const informer_t *inf) { return inf->ns; }
const informer_status_t *informer_status(const informer_t *inf) { return &inf->status; }
uint64_t informer_generation(const informer_t *inf) { return inf->generation; }
size_t informer_count(const informer_t *inf) { return inf->count; }
size_t informer_bytes(const informer_t *inf) { return inf->bytes; }

size_t informer_snapshot(const informer_t *inf, const kobj_t **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < inf->cap && n < max; i++)
        if (inf->slots[i].obj)
            out[n++] = inf->slots[i].obj;
    return n;
}

const kobj_t *informer_get(const informer_t *inf, const char *ns, const char *name)
{
    if (!inf->cap)
        return NULL;
    size_t i = find_slot(inf, ns, name, key_hash(ns, name));
    return inf->slots[i].obj;
}

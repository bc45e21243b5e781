/* Watch-event lines as the informer receives them: the informer's own code
 * (src/store/informer.c, included here so its static line splitter and event handler are
 * reached unchanged) is fed the input in chunks, with the HTTP layer stubbed out. The first byte
 * picks the kind and the chunk size. */
#include "fuzz_common.h"
#include "../../src/store/informer.c"

/* ---- the HTTP layer, stubbed: requests "start" and never complete */
static int fake_req_storage;
http_req_t *http_request(http_client_t *c, const http_req_opts_t *o)
{
    (void)c; (void)o;
    return (http_req_t *)&fake_req_storage;
}
void http_cancel(http_req_t *r) { (void)r; }
void http_req_mark_stream(http_req_t *r, bool stream) { (void)r; (void)stream; }

static uv_loop_t loop;

static void changed(informer_t *inf, void *ud) { (void)inf; (void)ud; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        uv_loop_init(&loop);
        init = true;
    }
    if (size < 1)
        return 0;
    informer_opts_t o = { .loop = &loop, .kind = (kind_id_t)(data[0] % KIND__COUNT), .ns = (data[0] & 0x80) ? "app" : NULL,
                          .changed = changed };
    size_t chunk = 1 + (data[0] >> 3) * 37;
    informer_t *inf = informer_new(&o);
    if (!inf)
        return 0;
    /* As after a completed list: watching from a resourceVersion. */
    snprintf(inf->rv, sizeof inf->rv, "100");
    inf->status.synced = true;
    inf->req = (http_req_t *)&fake_req_storage;
    const char *p = (const char *)data + 1;
    size_t left = size - 1;
    while (left) {
        size_t n = left < chunk ? left : chunk;
        on_watch_data(inf->req ? inf->req : (http_req_t *)&fake_req_storage, p, n, inf);
        p += n;
        left -= n;
    }
    /* The stream ends: as the server closing it cleanly, then as a 410. */
    http_result_t res = { .status = 200 };
    on_watch_done(inf->req, &res, inf);
    uv_timer_stop(&inf->retry);
    informer_free(inf);
    uv_run(&loop, UV_RUN_NOWAIT); /* runs the close callback that frees the informer */
    return 0;
}

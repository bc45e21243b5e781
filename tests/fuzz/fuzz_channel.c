/* WebSocket streaming: channel framing (decode, and encode of what was decoded), the exit status
 * in the error channel's Status, log frames of both log subprotocols, and the timestamp split of
 * log lines. The first byte picks which decoders see the rest. */
#include "fuzz_common.h"
#include "kdeck/channel.h"
#include "kdeck/logstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const unsigned char *msg = data + 1;
    size_t len = size - 1;

    int ch;
    const unsigned char *payload;
    size_t plen;
    if (channel_decode(msg, len, &ch, &payload, &plen)) {
        if (plen > len || (plen && (payload < msg || payload + plen > msg + len)))
            abort();
        unsigned char *out = malloc(plen + 1);
        size_t n = channel_encode(ch, payload, plen, out, plen + 1);
        if (n != plen + 1 || memcmp(out, msg, n) != 0)
            abort(); /* encode(decode(x)) == x */
        free(out);
        if (ch == CH_ERROR) {
            char m[256];
            (void)channel_exit_status(payload, plen, m, sizeof m);
        }
    }
    char m[64];
    (void)channel_exit_status(msg, len, m, (sel & 1) ? sizeof m : 1);

    unsigned char *out = malloc(len + 1);
    long n = log_frame_bytes("base64.binary.k8s.io", msg, len, out, len + 1);
    if (n > (long)len)
        abort();
    n = log_frame_bytes("binary.k8s.io", msg, len, out, len + 1);
    if (n > (long)len + 1)
        abort();
    free(out);

    unsigned char small[16];
    (void)channel_resize((int)(sel * 1000003), -(int)sel, small, (sel & 2) ? sizeof small : 3);

    const char *text;
    size_t tlen;
    char ts[64];
    if (logstream_split_timestamp((const char *)msg, len, &text, &tlen, ts, (sel & 4) ? 8 : sizeof ts)) {
        if (text < (const char *)msg || text + tlen > (const char *)msg + len)
            abort();
    }
    return 0;
}

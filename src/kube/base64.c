/* base64 encoder/decoder. Written here rather than borrowed from OpenSSL so that no module
 * depends on OpenSSL's API for something this small. */
#include "kdeck/base64.h"

#include <stdint.h>
#include <stdlib.h>

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const char *base64_strerror(base64_err_t err)
{
    switch (err) {
    case BASE64_OK: return "no error";
    case BASE64_ERR_CHAR: return "invalid character";
    case BASE64_ERR_PADDING: return "invalid padding";
    case BASE64_ERR_LENGTH: return "truncated input";
    case BASE64_ERR_SPACE: return "output buffer too small";
    case BASE64_ERR_NOMEM: return "out of memory";
    }
    return "unknown error";
}

size_t base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t base64_decoded_max(size_t n)
{
    return n / 4 * 3 + 3;
}

size_t base64_encode_buf(char *dst, size_t dstcap, const void *src, size_t len)
{
    const unsigned char *s = src;
    size_t need = base64_encoded_len(len);
    if (len > SIZE_MAX / 4 * 3 - 3 || dstcap < need + 1)
        return (size_t)-1;
    char *d = dst;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *d++ = base64_alphabet[v >> 18];
        *d++ = base64_alphabet[(v >> 12) & 63];
        *d++ = base64_alphabet[(v >> 6) & 63];
        *d++ = base64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        *d++ = base64_alphabet[v >> 18];
        *d++ = base64_alphabet[(v >> 12) & 63];
        *d++ = i + 1 < len ? base64_alphabet[(v >> 6) & 63] : '=';
        *d++ = '=';
    }
    *d = '\0';
    return (size_t)(d - dst);
}

char *base64_encode(const void *src, size_t len, size_t *out_len)
{
    if (len > SIZE_MAX / 4 * 3 - 3)
        return NULL;
    size_t cap = base64_encoded_len(len) + 1;
    char *dst = malloc(cap);
    if (!dst)
        return NULL;
    size_t n = base64_encode_buf(dst, cap, src, len);
    if (out_len)
        *out_len = n;
    return dst;
}

static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int base64_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

base64_err_t base64_decode_buf(unsigned char *dst, size_t dstcap, const char *src, size_t srclen,
                               size_t *out_len, size_t *err_pos)
{
    uint32_t acc = 0;
    size_t nsym = 0;   /* symbols in the current quantum */
    size_t npad = 0;   /* '=' seen */
    size_t pad_at = 0; /* symbols in the quantum when padding started */
    size_t o = 0;
    size_t pos = 0;
    base64_err_t rc = BASE64_OK;

    for (pos = 0; pos < srclen; pos++) {
        unsigned char c = (unsigned char)src[pos];
        if (base64_is_space(c))
            continue;
        if (c == '=') {
            /* padding only completes a quantum of 2 or 3 symbols */
            if (npad == 0) {
                if (nsym < 2) { rc = BASE64_ERR_PADDING; goto fail; }
                pad_at = nsym;
            }
            npad++;
            if (pad_at + npad > 4) { rc = BASE64_ERR_PADDING; goto fail; }
            continue;
        }
        int v = base64_value(c);
        if (v < 0) { rc = BASE64_ERR_CHAR; goto fail; }
        if (npad) { rc = BASE64_ERR_PADDING; goto fail; }
        acc = acc << 6 | (uint32_t)v;
        if (++nsym == 4) {
            if (o + 3 > dstcap) { rc = BASE64_ERR_SPACE; goto fail; }
            dst[o++] = (unsigned char)(acc >> 16);
            dst[o++] = (unsigned char)(acc >> 8);
            dst[o++] = (unsigned char)acc;
            acc = 0;
            nsym = 0;
        }
    }
    if (npad && pad_at + npad != 4) { rc = BASE64_ERR_PADDING; goto fail; }
    if (nsym == 1) { rc = BASE64_ERR_LENGTH; goto fail; }
    if (nsym >= 2) {
        size_t extra = nsym - 1;
        if (o + extra > dstcap) { rc = BASE64_ERR_SPACE; goto fail; }
        acc <<= 6 * (4 - nsym);
        dst[o++] = (unsigned char)(acc >> 16);
        if (nsym == 3)
            dst[o++] = (unsigned char)(acc >> 8);
    }
    *out_len = o;
    return BASE64_OK;
fail:
    if (err_pos)
        *err_pos = pos;
    return rc;
}

base64_err_t base64_decode(const char *src, size_t srclen, unsigned char **out, size_t *out_len,
                           size_t *err_pos)
{
    size_t cap = base64_decoded_max(srclen);
    unsigned char *dst = malloc(cap + 1);
    *out = NULL;
    if (!dst)
        return BASE64_ERR_NOMEM;
    size_t n = 0;
    base64_err_t rc = base64_decode_buf(dst, cap, src, srclen, &n, err_pos);
    if (rc != BASE64_OK) {
        free(dst);
        return rc;
    }
    dst[n] = '\0';
    *out = dst;
    *out_len = n;
    return BASE64_OK;
}

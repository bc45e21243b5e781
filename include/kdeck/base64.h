/* base64 (RFC 4648, standard alphabet "+/", "=" padding): kubeconfig *-data fields, the
 * base64.binary.k8s.io websocket channel, ExecCredential cluster CA data. */
#ifndef KDECK_BASE64_H
#define KDECK_BASE64_H

#include <stddef.h>

typedef enum base64_err {
    BASE64_OK = 0,
    BASE64_ERR_CHAR,    /* a byte outside the alphabet (position in *err_pos) */
    BASE64_ERR_PADDING, /* '=' in the wrong place, or data after it */
    BASE64_ERR_LENGTH,  /* a lone trailing symbol: 6 bits cannot make a byte */
    BASE64_ERR_SPACE,   /* destination buffer too small */
    BASE64_ERR_NOMEM,
} base64_err_t;

/* Short English text for an error code ("invalid character", ...). */
const char *base64_strerror(base64_err_t err);

/* Length of the encoding of n bytes, without a terminating NUL. */
size_t base64_encoded_len(size_t n);

/* Upper bound of the decoded size of n input characters. */
size_t base64_decoded_max(size_t n);

/* Encodes len bytes into dst (needs base64_encoded_len(len) + 1 bytes; NUL-terminated).
 * Returns the length written without the NUL, or (size_t)-1 when dstcap is too small. */
size_t base64_encode_buf(char *dst, size_t dstcap, const void *src, size_t len);

/* Encodes into a new NUL-terminated string (free() it); *out_len may be NULL. NULL on ENOMEM. */
char *base64_encode(const void *src, size_t len, size_t *out_len);

/* Decodes srclen characters into dst. ASCII whitespace is ignored (PEM-style wrapped input);
 * padding is optional, but when present it must be correct. *out_len gets the byte count.
 * On error *err_pos (if not NULL) gets the offset of the offending input character. */
base64_err_t base64_decode_buf(unsigned char *dst, size_t dstcap, const char *src, size_t srclen,
                               size_t *out_len, size_t *err_pos);

/* Decodes into a new buffer (free() it). The buffer has one extra NUL byte after the data so
 * that decoded text (PEM) can be used as a C string; *out_len excludes it. */
base64_err_t base64_decode(const char *src, size_t srclen, unsigned char **out, size_t *out_len,
                           size_t *err_pos);

#endif

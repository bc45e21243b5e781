/* The Kubernetes streaming protocols over WebSocket: the channel protocols of exec/attach
 * (v4/v5.channel.k8s.io: one leading byte names the stream) and the log protocols
 * (binary.k8s.io: raw bytes; base64.binary.k8s.io: base64 text). Pure functions. */
#ifndef KDECK_CHANNEL_H
#define KDECK_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

enum { CH_STDIN = 0, CH_STDOUT = 1, CH_STDERR = 2, CH_ERROR = 3, CH_RESIZE = 4, CH_CLOSE = 255 };

/* Splits a received channel message. False for an empty message. */
bool channel_decode(const unsigned char *msg, size_t len, int *channel, const unsigned char **payload,
                    size_t *plen);
/* Writes [channel][data] into out (capacity cap); returns the length, 0 if it does not fit. */
size_t channel_encode(int channel, const void *data, size_t len, unsigned char *out, size_t cap);
/* The resize message payload: {"Width":W,"Height":H}. */
size_t channel_resize(int cols, int rows, unsigned char *out, size_t cap);
/* v5 only: the message that closes stdin ([255][0]). */
size_t channel_close_stdin(unsigned char *out, size_t cap);

/* The exit status carried by the error channel's Status: 0 for Success, the ExitCode cause for
 * NonZeroExitCode, -1 (with the message in msg) for any other failure or unparsable JSON. */
int channel_exit_status(const unsigned char *json, size_t len, char *msg, size_t msglen);

/* Log frames: the bytes of one message for the given log subprotocol; base64 frames are decoded
 * into out (cap at least len). Returns the number of bytes, or -1 for an invalid base64 frame. */
long log_frame_bytes(const char *protocol, const unsigned char *msg, size_t len, unsigned char *out, size_t cap);

#endif

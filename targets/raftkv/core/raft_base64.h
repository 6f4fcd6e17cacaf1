/* Base64 (RFC 4648, standard alphabet, padded) for command and snapshot bytes inside JSON
 * messages. The decoder is strict: it accepts only the canonical encoding of some bytes,
 * so every accepted text re-encodes to itself. */
#ifndef RAFT_BASE64_H
#define RAFT_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed for len bytes, without the NUL. */
static inline size_t raft_base64_len(size_t len) { return (len + 2) / 3 * 4; }
/* Writes raft_base64_len(len) characters and a NUL into out. */
void raft_base64_encode(const uint8_t *in, size_t len, char *out);
/* Decodes text (text_len characters) into out, which has room for text_len / 4 * 3
 * bytes: the decoded length, or -1 when the text is not canonical base64. */
long raft_base64_decode(const char *text, size_t text_len, uint8_t *out);

#endif

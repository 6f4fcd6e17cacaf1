/* Strict base64 (see raft_base64.h). */
#include "raft_base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void raft_base64_encode(const uint8_t *in, size_t len, char *out) {
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

static int value_of(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long raft_base64_decode(const char *text, size_t text_len, uint8_t *out) {
    if (text_len % 4 != 0) return -1;
    size_t o = 0;
    for (size_t i = 0; i < text_len; i += 4) {
        int pad = 0;
        if (i + 4 == text_len)
            pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
        int v[4];
        for (int k = 0; k < 4 - pad; k++)
            if ((v[k] = value_of(text[i + k])) < 0) return -1;
        for (int k = 4 - pad; k < 4; k++) v[k] = 0;
        uint32_t bits =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        /* canonical: the bits past the last whole byte must be zero */
        if ((pad == 1 && (bits & 0xff)) || (pad == 2 && (bits & 0xffff))) return -1;
        out[o++] = (uint8_t)(bits >> 16);
        if (pad < 2) out[o++] = (uint8_t)(bits >> 8);
        if (pad < 1) out[o++] = (uint8_t)bits;
    }
    return (long)o;
}

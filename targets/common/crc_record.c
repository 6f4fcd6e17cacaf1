/* CRC-framed record lines (see crc_record.h). */
#include "crc_record.h"

#include <stdio.h>
#include <string.h>

#define CRC_HEX_BYTES 8

uint32_t fl_crc32c(const void *bytes, size_t len) {
    const unsigned char *p = bytes;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int fl_crc_record_encode(fl_buf *b, const json_t *j) {
    size_t start = fl_buf_len(b);
    if (fl_buf_append(b, "00000000 ", CRC_HEX_BYTES + 1) || fl_buf_append_json(b, j) ||
        fl_buf_append(b, "\n", 1)) {
        fl_buf_truncate(b, start);
        return -1;
    }
    char *line = fl_buf_bytes(b) + start, hex[CRC_HEX_BYTES + 1];
    size_t json_len = fl_buf_len(b) - start - (CRC_HEX_BYTES + 1) - 1;
    snprintf(hex, sizeof hex, "%08x", fl_crc32c(line + CRC_HEX_BYTES + 1, json_len));
    memcpy(line, hex, CRC_HEX_BYTES);
    return 0;
}

/* The CRC field: 0 and *crc, or -1. */
static int parse_crc(const char *line, size_t len, uint32_t *crc) {
    if (len < CRC_HEX_BYTES + 1 || line[CRC_HEX_BYTES] != ' ') return -1;
    *crc = 0;
    for (size_t i = 0; i < CRC_HEX_BYTES; i++) {
        char c = line[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        *crc = *crc << 4 | (uint32_t)d;
    }
    return 0;
}

json_t *fl_crc_record_decode(const char *line, size_t len, char *err, size_t err_bytes) {
    uint32_t crc;
    if (parse_crc(line, len, &crc) != 0) {
        snprintf(err, err_bytes, "no CRC (8 hex digits and a space) at the start");
        return NULL;
    }
    const char *text = line + CRC_HEX_BYTES + 1;
    size_t text_len = len - (CRC_HEX_BYTES + 1);
    if (fl_crc32c(text, text_len) != crc) {
        snprintf(err, err_bytes, "CRC mismatch");
        return NULL;
    }
    json_t *j = json_loadb(text, text_len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(err, err_bytes, "not a JSON object");
        return NULL;
    }
    return j;
}

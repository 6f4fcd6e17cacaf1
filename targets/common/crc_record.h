/* A durable log's record as one text line: `CRC SP JSON`, CRC being 8 lowercase hex
 * digits of the CRC-32C (Castagnoli) of the JSON text — what fl-fencestore, fl-payments
 * and fl-orders append to their applog.h logs, so a torn or flipped record is told from a
 * valid one at replay without trusting its bytes. */
#ifndef FL_TARGET_CRC_RECORD_H
#define FL_TARGET_CRC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

/* CRC-32C of bytes. */
uint32_t fl_crc32c(const void *bytes, size_t len);
/* Appends j as one record line (with its newline): 0, or -1 (nothing appended). */
int fl_crc_record_encode(fl_buf *b, const json_t *j);
/* One line (no newline): its JSON object (new reference), or NULL with err saying what
 * is wrong (no CRC, a CRC mismatch, not a JSON object). */
json_t *fl_crc_record_decode(const char *line, size_t len, char *err, size_t err_bytes);

#endif

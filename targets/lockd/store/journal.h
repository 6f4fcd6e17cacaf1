/* fl-fencestore's journal: DIR/fences.log, one line per decision holding the resource's
 * whole state after it (so replay keeps the last line per resource):
 *     CRC SP {"r":CKEY,"fence":F|null,"seq":S[,"value":V]}
 * (targets/common/crc_record.h: CRC is 8 hex digits of the CRC-32C of the JSON text); "value" is absent while the
 * resource was never written. Every decision, a rejection included (it took a seq), is
 * appended and made durable (group commit, fdatasync) before its reply leaves. The file,
 * its lock, the torn-tail cut and the refusal of corruption are targets/common's
 * append-only log (applog.h). */
#ifndef FS_JOURNAL_H
#define FS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "applog.h"
#include "table.h"

#define FS_JOURNAL_NAME "fences.log"
#define FS_JOURNAL_PENDING_BYTES_MAX ((size_t)256 << 20)

/* Appends r's state as one record line: 0, or -1 (nothing appended). */
int fs_journal_encode(fl_buf *b, const fs_resource *r);
/* Pure: one line (no newline) as a record, restored into t. 0, or -1 with err. */
int fs_journal_apply_line(fs_table *t, const char *line, size_t len, char *err,
                          size_t err_bytes);

/* Opens (creating dir and file) and replays into t; logs what it found. 0, or -1 with err
 * naming the file. */
int fs_journal_open(fl_applog *w, const char *dir, fs_table *t, char *err, size_t err_bytes);
/* Queues r's state for the next commit: 0, or -1 when the batch is full. */
int fs_journal_append(fl_applog *w, const fs_resource *r);

#endif

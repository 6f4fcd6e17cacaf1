/* fl-payments' journal: DIR/ledger.log, one line per ledger entry, the idempotency key in
 * the same record as the entry it was made under (a crash keeps both or neither, so a key
 * can never be found without its entry, nor an entry come back without its key):
 *     CRC SP {"seq":S,"order":O,"account":A,"kind":"charge"|"refund","amount":M,"key":K|null}
 * CRC is 8 hex digits of the CRC-32C of the JSON text (common/crc_record.h). Replay rebuilds
 * entries, balances and keys; a whole record that is not the next seq, or reuses a key,
 * refuses the start like a damaged one (never cut as a torn tail). Every new entry is made
 * durable (group commit, fdatasync) before its reply leaves. The file, its lock, the
 * torn-tail cut and the refusal of corruption are targets/common's append-only log
 * (applog.h). */
#ifndef PAY_JOURNAL_H
#define PAY_JOURNAL_H

#include <stddef.h>

#include "applog.h"
#include "ledger.h"

#define PAY_JOURNAL_NAME "ledger.log"
#define PAY_JOURNAL_PENDING_BYTES_MAX ((size_t)64 << 20)

/* Appends e as one record line: 0, or -1 (nothing appended). */
int pay_journal_encode(fl_buf *b, const pay_ledger *l, const pay_entry *e);
/* Pure: one line (no newline) as a record, restored into l. 0, or -1 with err. */
int pay_journal_apply_line(pay_ledger *l, const char *line, size_t len, char *err,
                           size_t err_bytes);

/* Opens (creating dir and file) and replays into l; logs what it found. 0, or -1 with err
 * naming the file. */
int pay_journal_open(fl_applog *w, const char *dir, pay_ledger *l, char *err, size_t err_bytes);
/* Queues e for the next commit: 0, or -1 when the batch is full. */
int pay_journal_append(fl_applog *w, const pay_ledger *l, const pay_entry *e);

#endif

/* fl-payments' client lines (README.md): parsing a request, total over any bytes, and the
 * replies only this daemon sends. Pure: no I/O. */
#ifndef PAY_REQUEST_H
#define PAY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "ledger.h"

#define PAY_ERR_BYTES 256

typedef enum { PAY_F_CHARGE, PAY_F_REFUND, PAY_F_LEDGER, PAY_F_PING, PAY_F_STATUS } pay_f;

typedef enum { PAY_PARSE_OK, PAY_PARSE_MALFORMED, PAY_PARSE_UNKNOWN_F } pay_parse_status;

typedef struct pay_request {
    pay_parse_status status;
    char err[PAY_ERR_BYTES]; /* why, unless OK */
    json_t *root;       /* owned (pay_request_release); NULL when the line is not JSON */
    const json_t *id;   /* borrowed from root; NULL when absent (replies say null) */
    pay_f f;            /* set when status is OK, or MALFORMED with money true */
    bool money;         /* f is charge or refund (even when the rest is malformed) */
    pay_op op;          /* charge, refund: borrowed from root */
    /* Only logged (the request log), never decided on; NULL when absent or malformed. */
    const char *call;   /* the caller's logical call id */
    int64_t attempt;    /* its attempt number, >= 1; 0 when absent or malformed */
} pay_request;

/* Parses one line (len bytes, no newline; any bytes) into m: m->status OK, or MALFORMED /
 * UNKNOWN_F with m->err saying why; m->id is set whenever the line was an object with an
 * id. Returns m->status. Always call pay_request_release. */
pay_parse_status pay_request_parse(const char *line, size_t len, pay_request *m);
void pay_request_release(pay_request *m);

/* The fail line refusing a request that did not parse ("malformed" or "unknown-f", with
 * m->err as its detail). 0, or -1 (nothing appended). */
int pay_reply_refusal(fl_buf *b, const pay_request *m);

/* The line answering a charge or refund the ledger decided (pay_ledger_apply): ok with
 * pay_entry_result_json, or fail idem-mismatch / full with a detail. 0, or -1. */
int pay_reply_outcome(fl_buf *b, const json_t *id, const pay_ledger *l, pay_outcome o,
                      const pay_entry *e);

/* The name of an outcome in the request log and replies: "ok", "repeat", "idem-mismatch",
 * "full". */
const char *pay_outcome_name(pay_outcome o);

#endif

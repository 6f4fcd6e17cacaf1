/* fl-orders' requests as parsed from a JSON line (see server.h for the protocol): what is
 * asked, of which order, on what terms — checked here, before any saga step runs. */
#ifndef OR_REQUEST_H
#define OR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "order_table.h"

typedef enum {
    OR_F_MALFORMED, OR_F_UNKNOWN, OR_F_ORDER, OR_F_CANCEL, OR_F_READ, OR_F_SETTLE,
    OR_F_PING, OR_F_STATUS,
} or_f;

typedef struct or_request {
    json_t *doc;                      /* the parsed line (owned; NULL when not JSON) */
    const json_t *id;                 /* borrowed from doc, NULL when absent */
    or_f f;
    char ckey[FL_KEY_TEXT_MAX + 1];   /* order, cancel, read-order */
    char account[OR_ACCOUNT_BYTES];   /* order */
    int64_t amount;                   /* order: 1..10^9 */
    int64_t wait_ms;                  /* settle: 0..60000 */
    char detail[256];                 /* why it is malformed */
} or_request;

#define OR_AMOUNT_MAX 1000000000
#define OR_SETTLE_MS_MAX 60000

/* Parses one line (no newline) into r; r->f says what it is (OR_F_MALFORMED with a
 * detail). or_request_free after either way. */
void or_request_parse(const char *line, size_t len, or_request *r);
void or_request_free(or_request *r);

#endif

/* fl-fencestore's client lines (README.md): parsing a request, total over any bytes, and
 * the replies only this store sends (a stale-token fail carrying a value). Pure: no I/O. */
#ifndef FS_REQUEST_H
#define FS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "table.h"
#include "wire.h"

#define FS_ERR_BYTES 256

typedef enum { FS_F_READ, FS_F_WRITE, FS_F_PEEK, FS_F_PING, FS_F_STATUS } fs_f;

typedef enum { FS_PARSE_OK, FS_PARSE_MALFORMED, FS_PARSE_UNKNOWN_F } fs_parse_status;

typedef struct fs_request {
    fs_parse_status status;
    char err[FS_ERR_BYTES]; /* why, unless OK */
    json_t *root;       /* owned (fs_request_release); NULL when the line is not JSON */
    const json_t *id;   /* borrowed from root; NULL when absent (replies say null) */
    fs_f f;
    char ckey[FL_KEY_TEXT_MAX + 1]; /* read, write, peek */
    int64_t token;      /* read, write: >= 0 */
    json_t *value;      /* write: the value to write, borrowed from root */
} fs_request;

/* Parses one line (len bytes, no newline; any bytes) into m: m->status OK, or MALFORMED /
 * UNKNOWN_F with m->err saying why; m->id is set whenever the line was an object with an
 * id. Returns m->status. Always call fs_request_release. */
fs_parse_status fs_request_parse(const char *line, size_t len, fs_request *m);
void fs_request_release(fs_request *m);

/* The fail line refusing a request that did not parse ("malformed" or "unknown-f", with
 * m->err as its detail). 0, or -1 (nothing appended). */
int fs_reply_refusal(fl_buf *b, const fs_request *m);

/* The line answering an access: ok with fs_decision_json, or
 * {"id","type":"fail","error":"stale-token","value":{"token","fence","seq"}}. 0, or -1
 * (nothing appended). */
int fs_reply_decision(fl_buf *b, const json_t *id, const fs_decision *d);

#endif

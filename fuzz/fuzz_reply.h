/* What every fuzzer of a daemon's replies checks of one (the in-tree servers' JSON-lines
 * protocol): the buffer holds exactly one line, a JSON object, answering the request's id
 * (null when it had none) when asked to. The buffer is cleared for the next. */
#ifndef FUZZ_REPLY_H
#define FUZZ_REPLY_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"

static inline void fuzz_check_reply(fl_buf *b, int id_check, const json_t *id) {
    const char *p = fl_buf_bytes(b), *nl = memchr(p, '\n', fl_buf_len(b));
    if (!nl || (size_t)(nl - p) + 1 != fl_buf_len(b)) abort();
    json_t *line = json_loadb(p, (size_t)(nl - p), 0, NULL);
    int good = json_is_object(line) &&
               (!id_check || json_equal(json_object_get(line, "id"), id ? id : json_null()));
    json_decref(line);
    if (!good) abort();
    fl_buf_clear(b);
}

#endif

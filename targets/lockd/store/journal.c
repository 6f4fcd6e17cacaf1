/* The journal's records: CRC'd JSON lines of a resource's state (see journal.h). */
#include "journal.h"

#include <stdio.h>
#include <string.h>

#include "crc_record.h"
#include "log.h"
#include "wire.h"

int fs_journal_encode(fl_buf *b, const fs_resource *r) {
    json_t *j = json_pack("{s:s, s:o, s:I}", "r", r->ckey, "fence", fs_fence_json(r->fence),
                          "seq", (json_int_t)r->seq);
    if (!j) return -1;
    if (r->value && json_object_set(j, "value", r->value) != 0) {
        json_decref(j);
        return -1;
    }
    int rc = fl_crc_record_encode(b, j);
    json_decref(j);
    return rc;
}

int fs_journal_apply_line(fs_table *t, const char *line, size_t len, char *err,
                          size_t err_bytes) {
    json_t *j = fl_crc_record_decode(line, len, err, err_bytes);
    if (!j) return -1;
    const json_t *r = json_object_get(j, "r"), *fence = json_object_get(j, "fence"),
                 *seq = json_object_get(j, "seq");
    int ok = json_is_string(r) && json_string_length(r) <= FL_KEY_TEXT_MAX &&
             strlen(json_string_value(r)) == json_string_length(r) &&
             (json_is_null(fence) || (json_is_integer(fence) && json_integer_value(fence) >= 0)) &&
             json_is_integer(seq) && json_integer_value(seq) >= 1;
    int rc = -1;
    if (!ok) snprintf(err, err_bytes, "not a record (r, fence, seq)");
    else if (fs_table_restore(t, json_string_value(r),
                              json_is_null(fence) ? FS_FENCE_NONE : json_integer_value(fence),
                              (uint64_t)json_integer_value(seq),
                              json_object_get(j, "value")) != 0)
        snprintf(err, err_bytes, "more than %zu resources", FS_RESOURCES_MAX);
    else rc = 0;
    json_decref(j);
    return rc;
}

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    return fs_journal_apply_line(arg, line, len, err, err_bytes);
}

int fs_journal_open(fl_applog *w, const char *dir, fs_table *t, char *err, size_t err_bytes) {
    fl_applog_scan_result r;
    if (fl_applog_open(w, dir, FS_JOURNAL_NAME, FS_JOURNAL_PENDING_BYTES_MAX, one_line, t, &r,
                       err, err_bytes) != 0)
        return -1;
    fl_log("recovered %zu resource%s from %zu record%s in %s", t->count,
           t->count == 1 ? "" : "s", r.records, r.records == 1 ? "" : "s", w->path);
    return 0;
}

int fs_journal_append(fl_applog *w, const fs_resource *r) {
    if (fs_journal_encode(&w->pending, r) != 0) return -1;
    fl_applog_added(w);
    return 0;
}

/* The put log's records: parsed for the replay, encoded for the batch (see wal.h). */
#include "wal.h"

#include "log.h"

/* What the scan's line callback carries: the record callback and its argument. */
typedef struct record_sink {
    qkv_record_fn *fn;
    void *arg;
} record_sink;

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    record_sink *sink = arg;
    qkv_msg m;
    int rc = qkv_parse_record(line, len, &m, err, err_bytes);
    if (rc == 0) sink->fn(sink->arg, &m);
    qkv_msg_release(&m);
    return rc;
}

int qkv_wal_scan(const char *bytes, size_t len, qkv_record_fn *fn, void *arg,
                 qkv_wal_scan_result *r) {
    record_sink sink = {fn, arg};
    return fl_applog_scan(bytes, len, one_line, &sink, r);
}

static void apply_record(void *arg, const qkv_msg *m) {
    qkv_store *store = arg;
    if (qkv_store_put(store, m->ckey, m->ver, m->value) == QKV_FULL)
        fl_log("replay: key %s not restored: more than %u keys", m->ckey, QKV_STORE_KEYS_MAX);
}

int qkv_wal_open(qkv_wal *w, const char *dir, qkv_store *store, char *err, size_t err_bytes) {
    record_sink sink = {apply_record, store};
    qkv_wal_scan_result r;
    if (fl_applog_open(w, dir, QKV_WAL_NAME, QKV_WAL_PENDING_BYTES_MAX, one_line, &sink, &r,
                       err, err_bytes) != 0)
        return -1;
    fl_log("recovered %zu key%s from %zu record%s in %s", store->count,
           store->count == 1 ? "" : "s", r.records, r.records == 1 ? "" : "s", w->path);
    return 0;
}

int qkv_wal_append(qkv_wal *w, const char *ckey, qkv_version v, const json_t *value) {
    if (qkv_encode_record(&w->pending, ckey, v, value) != 0) return -1;
    fl_applog_added(w);
    return 0;
}

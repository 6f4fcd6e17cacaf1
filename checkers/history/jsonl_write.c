/* JSON Lines writer: one op per line, fields in a fixed order. */
#include "history.h"

#include <string.h>

static int put_json(FILE *out, const json_t *v) {
    return json_dumpf(v, out, JSON_COMPACT | JSON_ENCODE_ANY) == 0 ? 0 : -1;
}

static int put_string(FILE *out, const char *s) {
    json_t *j = json_string(s);
    if (!j) j = json_stringn_nocheck(s, strlen(s));
    int rc = j ? put_json(out, j) : -1;
    json_decref(j);
    return rc;
}

int fl_jsonl_write_op(FILE *out, const fl_history *h, const fl_op *op) {
    int rc = 0;
    fprintf(out, "{\"index\":%lld", (long long)op->index);
    if (op->flags & FL_OP_HAS_TIME) fprintf(out, ",\"time\":%lld", (long long)op->time_ns);
    if (op->process == FL_PROCESS_NEMESIS)
        fputs(",\"process\":\"nemesis\"", out);
    else
        fprintf(out, ",\"process\":%lld", (long long)op->process);
    fprintf(out, ",\"type\":\"%s\",\"f\":", fl_op_type_name(op->type));
    rc |= put_string(out, op->f);
    if (op->key != FL_NO_KEY) {
        fputs(",\"key\":", out);
        rc |= put_json(out, h->keys[op->key]);
    }
    if (op->value) {
        fputs(",\"value\":", out);
        rc |= put_json(out, op->value);
    }
    if (op->node) {
        fputs(",\"node\":", out);
        rc |= put_string(out, op->node);
    }
    if (op->error) {
        fputs(",\"error\":", out);
        rc |= put_string(out, op->error);
    }
    if (op->extra) {
        const char *name;
        json_t *v;
        json_object_foreach(op->extra, name, v) {
            fputc(',', out);
            rc |= put_string(out, name);
            fputc(':', out);
            rc |= put_json(out, v);
        }
    }
    if (fputs("}\n", out) == EOF) rc = -1;
    return rc ? -1 : 0;
}

int fl_history_write(FILE *out, const fl_history *h, fl_format format) {
    for (size_t i = 0; i < h->count; i++) {
        int rc = format == FL_FORMAT_EDN ? fl_edn_write_op(out, h, &h->ops[i])
                                         : fl_jsonl_write_op(out, h, &h->ops[i]);
        if (rc != 0) return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}

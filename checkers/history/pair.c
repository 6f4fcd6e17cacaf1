/* Pairing: each client invocation with the completion that follows it on the same
 * process. Nemesis events stand alone. */
#include "history.h"

#include <stdlib.h>

/* process -> position of its open invocation (or FL_NO_PAIR); open addressing. */
typedef struct open_map {
    int64_t *process;
    int64_t *position;
    size_t mask;
    size_t count;
} open_map;

static int64_t *open_slot(open_map *m, int64_t process) {
    size_t i = (size_t)((uint64_t)process * 0x9E3779B97F4A7C15ULL >> 20) & m->mask;
    while (m->process[i] != -1 && m->process[i] != process) i = (i + 1) & m->mask;
    if (m->process[i] == -1) {
        m->process[i] = process;
        m->position[i] = FL_NO_PAIR;
        m->count++;
    }
    return &m->position[i];
}

static int open_map_init(open_map *m, size_t capacity) {
    m->mask = capacity - 1;
    m->count = 0;
    m->process = malloc(capacity * sizeof *m->process);
    m->position = malloc(capacity * sizeof *m->position);
    if (!m->process || !m->position) return -1;
    for (size_t i = 0; i < capacity; i++) m->process[i] = -1;
    return 0;
}

static void open_map_free(open_map *m) {
    free(m->process);
    free(m->position);
}

static int open_map_grow(open_map *m) {
    open_map bigger;
    if (open_map_init(&bigger, (m->mask + 1) * 2) != 0) {
        open_map_free(&bigger);
        return -1;
    }
    for (size_t i = 0; i <= m->mask; i++)
        if (m->process[i] != -1) *open_slot(&bigger, m->process[i]) = m->position[i];
    open_map_free(m);
    *m = bigger;
    return 0;
}

int fl_history_pair(fl_history *h, fl_error *err) {
    open_map open;
    int rc = FL_READ_OK;
    if (open_map_init(&open, 256) != 0) goto oom;
    for (size_t i = 0; i < h->count; i++) {
        fl_op *op = &h->ops[i];
        op->pair = FL_NO_PAIR;
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if ((open.count + 1) * 2 > open.mask + 1 && open_map_grow(&open) != 0) goto oom;
        int64_t *slot = open_slot(&open, op->process);
        if (op->type == FL_INVOKE) {
            if (*slot != FL_NO_PAIR) {
                const fl_op *first = &h->ops[*slot];
                fl_error_set(err, h->source, op->line, 0,
                             "process %lld invokes op %lld while its op %lld (line %u) has "
                             "not completed; a process runs one op at a time — after an "
                             "info it must continue as a new process",
                             (long long)op->process, (long long)op->index,
                             (long long)first->index, first->line);
                rc = FL_READ_MALFORMED;
                break;
            }
            *slot = (int64_t)i;
            continue;
        }
        if (*slot == FL_NO_PAIR) {
            fl_error_set(err, h->source, op->line, 0,
                         "%s completion (index %lld) of process %lld has no invocation "
                         "before it", fl_op_type_name(op->type), (long long)op->index,
                         (long long)op->process);
            rc = FL_READ_MALFORMED;
            break;
        }
        h->ops[*slot].pair = (int64_t)i;
        op->pair = *slot;
        *slot = FL_NO_PAIR;
    }
    open_map_free(&open);
    return rc;
oom:
    open_map_free(&open);
    fl_error_set(err, h->source, 0, 0, "out of memory while pairing operations");
    return FL_READ_IO;
}

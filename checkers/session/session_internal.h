/* What the parts of the session checker share: the checker's state, the violation
 * lists, and the register and list-append passes (registers.c, lists.c,
 * lists_check.c), driven by session.c. */
#ifndef FL_SESSION_INTERNAL_H
#define FL_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"
#include "pairmap.h"
#include "session.h"

enum { G_RYW = 0, G_MR, G_MW, G_WFR, G_COUNT };
_Static_assert(FL_SESSION_ALL == (1u << G_COUNT) - 1, "one bit per guarantee");

/* What a key is, from the f's of its ops (session.h "History shape"). */
enum { KEY_UNUSED = 0, KEY_REGISTER, KEY_LIST };

#define VIOLATIONS_SHOWN_MAX 100
#define OPS_PER_VIOLATION_MAX 3
#define EXPLANATION_BYTES 640

/* One guarantee's violations: all are counted, the first few are shown. */
typedef struct violation_list {
    size_t count;
    json_t *shown; /* array of violation objects (session.h "Result object") */
} violation_list;

typedef struct registers registers; /* registers.c */
typedef struct lists lists;         /* lists.c */

typedef struct checker {
    const fl_history *h;
    fl_error *err;
    unsigned claimed;          /* FL_SESSION_* bits */
    uint8_t *kind;             /* per group: KEY_*; group = key + 1, 0 = ops without key */
    size_t n_groups;
    fl_pairmap sessions;       /* (process, group) -> index in the register or list part */
    fl_pairmap processes;      /* (process, 0) -> 0, to count sessions */
    size_t reads;              /* ok reads of register and list keys */
    size_t register_keys, list_keys;
    size_t duplicate_element_reads;
    violation_list violations[G_COUNT];
    registers *reg;
    lists *list;
} checker;

/* The op's group: its key + 1, or its invocation's when the completion has no key. */
int64_t op_group(const fl_history *h, const fl_op *op);
bool is_claimed(const checker *c, int guarantee);
/* Fills err with "out of memory"; returns -1. */
int out_of_memory(checker *c);
/* Fills err for the op at pos (its line) with "<what> (index I) of process P <fmt>";
 * returns -1. */
int refuse(checker *c, size_t pos, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Count one violation of guarantee g; true when it is among those shown, so the caller
 * should describe it with violation_show. */
bool violation_count(checker *c, int g);
/* Add the shown violation: its rule, key, session (process), the ops named by their
 * invocations' positions (earliest first, the read last), and the explanation. */
void violation_show(checker *c, int g, const char *rule, int64_t group, int64_t process,
                    const int64_t *invoke_pos, size_t n_ops, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* A value as short JSON text for explanations ("…" when cut). */
void value_text(const json_t *v, char *out, size_t out_bytes);
/* A key (group) as short JSON text for explanations; null for ops without a key. */
void key_text(const checker *c, int64_t group, char *out, size_t out_bytes);
/* An op's index, for explanations. */
long long op_index(const checker *c, int64_t pos);

registers *registers_new(void);
/* Feed the op at pos (on a register key, in history order). 0, or -1 with err set. */
int registers_op(checker *c, registers *r, size_t pos);
void registers_free(registers *r);

lists *lists_new(void);
/* Feed the op at pos (on a list key, in history order). 0, or -1 with err set. */
int lists_op(checker *c, lists *l, size_t pos);
/* After every op was fed: apply the list rules to every read. 0, or -1 with err set. */
int lists_check(checker *c, lists *l);
void lists_free(lists *l);

#endif

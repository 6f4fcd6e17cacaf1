/* What the two set checkers (set.c: final reads; set_full.c: every read) share: element
 * identity per set by canonical JSON text, the order elements are listed in, the checks
 * that refuse malformed add and read ops, and the small pieces of their results. */
#ifndef FL_SET_COMMON_H
#define FL_SET_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

#define FL_SET_LIST_MAX 100 /* elements shown per list in a result */

/* One element of one set. Sets are numbered by group = the ops' key + 1; group 0 is
 * the set of ops without a key. Two values are the same element when their canonical
 * JSON text (sorted keys, compact) is equal, so 1 and 1.0 differ. */
typedef struct fl_set_value {
    json_t *value;    /* borrowed from the history */
    const char *text; /* canonical JSON text, owned by the fl_set_ids map */
    size_t text_len;
    int64_t group;
} fl_set_value;

/* Dense ids 0, 1, 2, … for distinct (group, canonical text) pairs. */
typedef struct fl_set_ids {
    fl_strmap *map; /* group (8 bytes) + canonical text -> id */
    char *buf;      /* scratch for map keys */
    size_t buf_cap;
    size_t count;   /* ids handed out */
} fl_set_ids;

/* 0, or -1 on OOM. */
int fl_set_ids_init(fl_set_ids *ids);
void fl_set_ids_free(fl_set_ids *ids);
/* The id of value in group; when it is new (== count before the call) *is_new is set
 * and *out describes it. -1 on OOM. */
int64_t fl_set_ids_get(fl_set_ids *ids, int64_t group, json_t *value, fl_set_value *out,
                       bool *is_new);

/* The listing order: by group, then null < booleans < numbers (numerically) < strings
 * (bytes) < arrays < objects, ties by canonical text. 0 only for the same element. */
int fl_set_value_compare(const fl_set_value *a, const fl_set_value *b);

/* A set's bookkeeping, the same in both checkers. */
typedef struct fl_set_group {
    int64_t last_add_end; /* position where the set's last add ended, or -1: its
                             completion, or its invocation when it never completed */
    size_t adds;          /* add invocations */
    size_t ok_reads;
    size_t final_reads;   /* ok reads invoked after last_add_end */
    size_t start, end;    /* a range the checker uses (set.c: its elements in listing
                             order; set_full.c: its reads in invocation order) */
} fl_set_group;

/* Why a verdict is "unknown" (new reference), or NULL when every set with adds has a
 * final read; puts "keys_without_final_read" in result when only some sets lack one. */
json_t *fl_set_unknown_reason(const fl_history *h, const fl_set_group *groups,
                              size_t n_groups, size_t n_final_reads, size_t n_ok_reads,
                              json_t *result);

/* Refusals of malformed input: 0, or -1 with err set at the op's line. checker names
 * the checker in the message ("set", "set-full"). */
int fl_set_require_paired(const fl_history *h, const fl_op *op, const char *checker,
                          fl_error *err);
/* Refuses a completion whose f is neither empty nor its invocation's. */
int fl_set_require_same_f(const fl_history *h, const fl_op *op, fl_error *err);
int fl_set_require_add_value(const fl_history *h, const fl_op *op, fl_error *err);
int fl_set_require_read_list(const fl_history *h, const fl_op *op, fl_error *err);

/* The op's key (its invocation's when the completion has none), or FL_NO_KEY. */
int64_t fl_set_op_key(const fl_history *h, const fl_op *op);
/* The node that answered: the op's own, else its pair's; NULL when neither has one. */
const char *fl_set_op_node(const fl_history *h, const fl_op *op);
/* A group's key as shown in results: null for group 0 (new reference). */
json_t *fl_set_key_json(const fl_history *h, int64_t group);

/* A list shown in a result: the first FL_SET_LIST_MAX values added, and the count. */
typedef struct fl_set_list {
    json_t *shown;
    size_t count;
} fl_set_list;

void fl_set_list_init(fl_set_list *l);
void fl_set_list_add(fl_set_list *l, json_t *value);
/* Moves the list into o as name (values) and count_name. */
void fl_set_list_put(json_t *o, const char *name, const char *count_name, fl_set_list *l);

#endif

/* The list-append part of the session checker: what the collecting pass (lists.c)
 * records about appends, reads and sessions, for the checking pass (lists_check.c). */
#ifndef FL_SESSION_LISTS_INTERNAL_H
#define FL_SESSION_LISTS_INTERNAL_H

#include <stdint.h>

#include "session_internal.h"

/* An append invocation, with an integer value. Appends are numbered in history order,
 * which within one session is the session's order. */
typedef struct list_append {
    int64_t inv_pos;
    int64_t latest_read;   /* the session's latest ok read of the key before it, or -1 (wfr) */
    uint32_t session;      /* index in lists.sessions */
    uint32_t index;        /* its place among the session's appends to the key */
    uint32_t ok_before;    /* the session's ok appends to the key before it (mw) */
    uint32_t seen_read;    /* while checking: the last read (+1) that listed it */
    uint32_t seen_pos;     /* its position in that read */
    uint8_t outcome;       /* FL_OK, FL_FAIL or FL_INFO (also: never completed) */
} list_append;

/* An ok read of a list key. */
typedef struct list_read {
    int64_t done_pos;      /* its ok completion (whose value is the list) */
    uint64_t hash;         /* list_hash_step over its elements */
    uint32_t length;
    uint32_t session;
    int64_t previous;      /* the session's previous ok read of the key, or -1 (mr) */
    uint32_t own_appends;  /* the session's appends to the key invoked before it (ryw) */
    uint32_t own_ok;       /* how many of those were ok (ryw) */
} list_read;

/* One process on one list key. Counts and indices fit 32 bits: the checker refuses
 * histories of 2^31 ops or more. */
typedef struct list_session {
    int64_t process;
    uint32_t group;
    uint32_t appends, ok_appends; /* so far while collecting; then the totals */
    uint32_t first_append; /* its appends: lists.by_session[first_append ...] */
    int32_t latest_read;   /* while collecting, or -1 */
    /* While checking one read (stamp = the read + 1): its appends that read listed. */
    uint32_t stamp;
    int32_t highest_index; /* highest append index listed so far, -1 none */
    uint32_t ok_listed;    /* ok appends listed so far */
    uint32_t mw_flagged, wfr_flagged; /* reads (+1) already holding a violation */
} list_session;

struct lists {
    fl_pairmap append_ids; /* (value, group) -> append */
    list_append *appends;
    size_t n_appends, cap_appends;
    list_read *reads;
    size_t n_reads, cap_reads;
    list_session *sessions;
    size_t n_sessions, cap_sessions;
    uint32_t *by_session;  /* append ids grouped by session, in session order */
    /* Scratch while checking a read: prefix hashes and append ids (or -1) by position. */
    uint64_t *prefix;
    int64_t *ids;
    size_t scratch_cap;
};

/* Hash of a list, element by element: prefix[i + 1] = step(prefix[i], element i). Equal
 * lists have equal hashes, so different hashes prove different lists; equal hashes of
 * different lists (chance 2^-64) could only hide a violation, never invent one. */
uint64_t list_hash_step(uint64_t prefix, int64_t element);
#define LIST_HASH_EMPTY 0x243f6a8885a308d3ULL

#endif

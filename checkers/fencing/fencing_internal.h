/* What the fencing checker's files share (see fencing.h): the accesses read from the
 * history, one resource's state, and the passes over them. */
#ifndef FL_FENCING_INTERNAL_H
#define FL_FENCING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

#define FL_FENCE_ANOMALIES_SHOWN 100
#define FL_FENCE_STALLED_SHOWN 20
#define FL_FENCE_KEYS_SHOWN 100

typedef enum { ACCESS_READ, ACCESS_WRITE } access_kind;
/* accepted: ok; rejected: fail "stale-token"; failed: another fail (certainly not
 * done); unknown: info or never completed (may have been accepted). */
typedef enum { OUT_ACCEPTED, OUT_REJECTED, OUT_FAILED, OUT_UNKNOWN } access_outcome;

/* One read or write of a resource. Positions index fl_history.ops. */
typedef struct access {
    int64_t inv;        /* its invocation */
    int64_t done;       /* its completion, or FL_NO_PAIR */
    int64_t token;      /* the invocation's "token" */
    int64_t seq;        /* the completion's "seq" when has_seq */
    int64_t fence;      /* the completion's "fence" when has_fence */
    int64_t newer_acq;  /* an ok acquire (its invocation) of the lock with a higher token,
                           completed before inv: the holder was stalled; else FL_NO_PAIR */
    int64_t newer_token;/* that acquire's token */
    size_t group;       /* its resource: key + 1, 0 for no key */
    uint8_t kind;       /* access_kind */
    uint8_t outcome;    /* access_outcome */
    bool has_seq, has_fence;
} access;

/* One resource (and its lock). Counts are filled by the collect pass. */
typedef struct resource {
    size_t first, count; /* its accesses: by_group[first .. first+count), invoke order */
    size_t n_outcome[4]; /* accesses by access_outcome */
    size_t acquires;     /* ok acquires of its lock */
    size_t stalled;
    size_t distinct_tokens;
    size_t anomalies;
    int64_t best_acq_token, best_acq; /* the highest ok acquire so far (collect) */
    int64_t final;       /* invocation of the last ok peek, else of the last ok read;
                            FL_NO_PAIR when none */
    bool final_is_peek;
    bool by_seq;         /* every decision has a distinct seq */
    bool used;
    json_t *increments;  /* {"valid", …} (owned) */
} resource;

/* An ok acquire or renew (its completion), or a release that may have taken effect (its
 * invocation): which lock, and the token it granted, extended or gave back. */
typedef enum { GRANT_ACQUIRE, GRANT_RENEW, GRANT_RELEASE } grant_kind;
typedef struct grant {
    size_t group;
    int64_t token;
    int64_t done;
    grant_kind kind;
} grant;

typedef struct fencing {
    const fl_history *h;
    fl_error *err;
    access *acc;         /* in invocation order */
    size_t n_acc, cap_acc;
    size_t *by_group;    /* indices into acc, grouped by resource, invoke order */
    resource *res;       /* by group */
    size_t n_res;
    json_t *anomalies;   /* the first FL_FENCE_ANOMALIES_SHOWN */
    json_t *types;       /* distinct anomaly types, in order found */
    grant *grants;       /* ok acquires and renews, releases not known to have failed */
    size_t n_grants, cap_grants;
    grant *by_token;     /* the same, sorted by (group, token, position): the lookups of
                            overlap.c find a token's grants by binary search */
    size_t n_anomalies;
} fencing;

/* collect.c: one pass in history order filling acc, res and by_group. 0, or -1 with
 * err set. */
int fl_fence_collect(fencing *c);

/* decide.c: stale-accepted and false-rejection for resource g. 0, or -1 (out of
 * memory, err set). */
int fl_fence_judge_decisions(fencing *c, size_t g);

/* increments.c: the counter-style bounds of resource g into res[g].increments, adding
 * lost/phantom anomalies. 0, or -1 with err set (a final value not an integer). */
int fl_fence_judge_increments(fencing *c, size_t g);

/* explain.c: sentences and the anomaly record. */
/* The compact JSON of v ("null" for NULL), cut at a whole character to fit buf. */
void fl_fence_json_text(const json_t *v, char *buf, size_t len);
void fl_fence_when(const fl_history *h, int64_t pos, char *buf, size_t len);
/* "p3 wrote 6 with token 7 (op 40, invoked at 10.10 s, completed at 12.40 s)" */
void fl_fence_describe(const fencing *c, const access *a, char *buf, size_t len);
/* "p5's token-12 write (op 38, 11.50–11.90 s)" */
void fl_fence_name(const fencing *c, const access *a, char *buf, size_t len);
/* True when an anomaly found now would be shown (its sentence is worth writing). */
bool fl_fence_shown(const fencing *c);
/* Count an anomaly of resource g; when shown, record it with the ops invoked at invs
 * and the explanation. */
void fl_fence_add_anomaly(fencing *c, size_t g, const char *type, const int64_t *invs,
                          size_t n_invs, const char *explanation);

/* overlap.c: why the holders of two tokens of resource g held the lock at once (the
 * stale one outlived its lease, a new leader granted early, the service's clocks
 * disagreed), from what the acquires' replies say: a sentence into buf and a short code
 * ("paused-past-lease", "expired-lease", "early-grant", "clock-skew", "unknown"). */
const char *fl_fence_overlap(const fencing *c, size_t g, const access *stale,
                             const access *newer, char *buf, size_t len);
/* Every grant made while the lock's previous lease surely still ran (not released, and
 * less than its ttl_ms of real time since it was last asked for), by reason: what the
 * lock service itself got wrong, whether or not the storage's fence then stopped harm.
 * Information, not anomalies (a leader whose clock jumps does it in any lease design). */
json_t *fl_fence_lease_overlaps_json(const fencing *c);

/* stalled.c: the stalled-holders summary. */
json_t *fl_fence_stalled_json(const fencing *c);

#endif

/* Consistency models and the anomalies each forbids (txn.h): a model forbids what it
 * names directly, what every weaker model it implies forbids, and every anomaly that
 * implies one of those (G0 implies G1c: a history with G0 has G1c's flaw too). The
 * tables follow Elle's consistency-model namespace (Adya; Bailis et al.; Cerone et al.;
 * Daudjee and Salem), in our words; garbage-read is ours. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "txn_internal.h"

typedef struct model_def {
    const char *name;
    const char *forbids;  /* anomalies named directly, space-separated */
    const char *weaker;   /* models it implies */
} model_def;

static const model_def models[] = {
    {"read-uncommitted", "G0 duplicate-elements cyclic-versions garbage-read", ""},
    {"read-committed", "G1", "read-uncommitted"},
    {"monotonic-atomic-view", "", "read-committed"},
    {"read-atomic", "internal G1a future-read", "monotonic-atomic-view"},
    {"update-atomic", "lost-update", "read-atomic"},
    {"causal-cerone", "internal G1a", "read-atomic"},
    {"parallel-snapshot-isolation", "internal G1a", "causal-cerone update-atomic"},
    {"cursor-stability", "G1 lost-update", "read-committed"},
    {"consistent-view", "G1 G-single", "cursor-stability"},
    {"forward-consistent-view", "G1 GSIb", "consistent-view"},
    {"repeatable-read", "G1 G2-item lost-update", "cursor-stability monotonic-atomic-view"},
    {"snapshot-isolation", "internal G1 G-single G-nonadjacent",
     "forward-consistent-view monotonic-atomic-view parallel-snapshot-isolation"},
    {"serializable", "internal G1 G2", "repeatable-read snapshot-isolation"},
    {"strong-session-read-uncommitted", "G0-process", "read-uncommitted"},
    {"strong-session-read-committed", "G1c-process",
     "read-committed strong-session-read-uncommitted"},
    {"strong-read-uncommitted", "G0-realtime", "strong-session-read-uncommitted"},
    {"strong-read-committed", "G1c-realtime",
     "strong-session-read-committed strong-read-uncommitted"},
    {"strong-session-snapshot-isolation", "internal G1-process G-nonadjacent-process",
     "snapshot-isolation strong-session-read-committed"},
    {"strong-snapshot-isolation", "internal G1-realtime G-nonadjacent-realtime",
     "strong-session-snapshot-isolation strong-read-committed"},
    {"strong-session-serializable", "G1-process G2-process",
     "serializable strong-session-snapshot-isolation"},
    {"strict-serializable", "G1 G1c-realtime G2-realtime",
     "serializable strong-snapshot-isolation strong-session-serializable"},
};
#define N_MODELS (sizeof models / sizeof models[0])

const char *const fl_txn_model_names[] = {
    "read-uncommitted", "read-committed", "monotonic-atomic-view", "read-atomic",
    "update-atomic", "causal-cerone", "parallel-snapshot-isolation", "cursor-stability",
    "consistent-view", "forward-consistent-view", "repeatable-read", "snapshot-isolation",
    "serializable", "strong-session-read-uncommitted", "strong-session-read-committed",
    "strong-read-uncommitted", "strong-read-committed", "strong-session-snapshot-isolation",
    "strong-snapshot-isolation", "strong-session-serializable", "strict-serializable",
    "strong-serializable", NULL};

/* X implies each of the anomalies after it: finding X means the history has those too. */
static const char *const implies[][2] = {
    {"G0", "G1c G0-process"},
    {"G0-process", "G1c-process G0-realtime"},
    {"G0-realtime", "G1c-realtime"},
    {"G1a", "G1"},
    {"G1b", "G1"},
    {"G1c", "G1 G1c-process"},
    {"G1c-process", "G1c-realtime G1-process"},
    {"G1c-realtime", "G1-realtime"},
    {"G1", "G1-process"},
    {"G1-process", "G1-realtime"},
    {"G-single-item", "G-single G-single-item-process G-nonadjacent-item"},
    {"G-single-item-process", "G-single-process G-single-item-realtime G-nonadjacent-item-process"},
    {"G-single-item-realtime", "G-single-realtime G-nonadjacent-item-realtime"},
    {"G-single", "G-nonadjacent GSIb G-single-process"},
    {"G-single-process", "G-nonadjacent-process G-single-realtime"},
    {"G-single-realtime", "G-nonadjacent-realtime"},
    {"G-nonadjacent-item", "G-nonadjacent G2-item G-nonadjacent-item-process"},
    {"G-nonadjacent-item-process", "G-nonadjacent-process G2-item-process G-nonadjacent-item-realtime"},
    {"G-nonadjacent-item-realtime", "G2-item-realtime G-nonadjacent-realtime"},
    {"G-nonadjacent", "G2 G-nonadjacent-process"},
    {"G-nonadjacent-process", "G2-process G-nonadjacent-realtime"},
    {"G-nonadjacent-realtime", "G2-realtime"},
    {"G2", "G2-process"},
    {"G2-item", "G2 G2-item-process"},
    {"G2-item-process", "G2-process G2-item-realtime"},
    {"G2-item-realtime", "G2-realtime"},
    {"G2-process", "G2-realtime"},
    {"GSIa", "GSI"},
    {"GSIb", "GSI"},
    {"incompatible-order", "G1a"},
    {"future-read", "G1c"},
    {"dirty-update", "G1a"},
    {"lost-update", "write-skew G2-item"},
    {"write-skew", "G2"},
};
#define N_IMPLIES (sizeof implies / sizeof implies[0])

/* The next word of a space-separated list into word (*p advances); false at the end. */
static bool next_word(const char **p, char *word, size_t cap) {
    while (**p == ' ') (*p)++;
    if (!**p) return false;
    size_t len = strcspn(*p, " ");
    size_t keep = len < cap ? len : cap - 1;
    memcpy(word, *p, keep);
    word[keep] = 0;
    *p += len;
    return true;
}

static const char *canonical(const char *name) {
    return name && !strcmp(name, "strong-serializable") ? "strict-serializable" : name;
}

static const model_def *find_model(const char *name) {
    name = canonical(name);
    for (size_t i = 0; i < N_MODELS; i++)
        if (!strcmp(models[i].name, name)) return &models[i];
    return NULL;
}

bool fl_txn_model_known(const char *name) { return name && find_model(name); }

/* Whether finding `a` means the history also has `b` (a = b counts). The table is a
 * DAG a few levels deep; depth only guards against a mistake in it. */
static bool implies_anomaly(const char *a, const char *b, int depth) {
    if (!strcmp(a, b)) return true;
    if (depth > 16) return false;
    for (size_t i = 0; i < N_IMPLIES; i++) {
        if (strcmp(implies[i][0], a)) continue;
        char next[48];
        for (const char *p = implies[i][1]; next_word(&p, next, sizeof next);)
            if (implies_anomaly(next, b, depth + 1)) return true;
    }
    return false;
}

/* Whether model m, or a weaker model it implies, forbids anomaly a directly or an
 * anomaly that a implies. */
static bool forbids(const model_def *m, const char *a, int depth) {
    if (depth > 16) return false;
    char word[48];
    for (const char *p = m->forbids; next_word(&p, word, sizeof word);)
        if (implies_anomaly(a, word, 0)) return true;
    for (const char *p = m->weaker; next_word(&p, word, sizeof word);) {
        const model_def *w = find_model(word);
        if (w && forbids(w, a, depth + 1)) return true;
    }
    return false;
}

/* Whether model `strong` implies model `weak` (strong = weak counts). */
static bool implies_model(const model_def *strong, const model_def *weak, int depth) {
    if (strong == weak) return true;
    if (depth > 16) return false;
    char word[48];
    for (const char *p = strong->weaker; next_word(&p, word, sizeof word);) {
        const model_def *w = find_model(word);
        if (w && implies_model(w, weak, depth + 1)) return true;
    }
    return false;
}

bool fl_txn_anomaly_implies(const char *a, const char *b) { return implies_anomaly(a, b, 0); }

bool txn_model_prohibits(const char *model, const char *anomaly) {
    const model_def *m = find_model(model ? model : "strict-serializable");
    return m && forbids(m, anomaly, 0);
}

/* A model is ruled out when it forbids a found anomaly; listed are the weakest of
 * those (no weaker model it implies is ruled out), what Elle calls "not". */
json_t *txn_models_ruled_out(const json_t *anomaly_types) {
    bool out[N_MODELS] = {false};
    for (size_t i = 0; i < N_MODELS; i++) {
        size_t j;
        const json_t *a;
        json_array_foreach(anomaly_types, j, a)
            if (forbids(&models[i], json_string_value(a), 0)) out[i] = true;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < N_MODELS; i++) {
        bool weakest = out[i];
        for (size_t k = 0; k < N_MODELS && weakest; k++)
            if (k != i && out[k] && implies_model(&models[i], &models[k], 0)) weakest = false;
        if (weakest) json_array_append_new(list, json_string(models[i].name));
    }
    return list;
}

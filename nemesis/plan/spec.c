/* Parsing the `--nemesis` fault spec (see spec.h). */
#include "spec.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"partition", "kill", "pause", "clock", "netem"};
_Static_assert(sizeof kinds / sizeof *kinds == FL_FAULT_KIND_COUNT, "a name per kind");

static const char *const partition_variants[] = {"halves", "one", "majorities-ring", "bridge",
                                                 "one-way", "primaries", "mute-primaries",
                                                 NULL};
static const char *const target_variants[] = {"one", "minority", "majority", "all",
                                              "primaries", NULL};
static const char *const clock_variants[] = {"bump", "strobe", "reset", NULL};
static const char *const netem_variants[] = {"delay", "slow-flows", "loss", "duplicate",
                                             "reorder", "corrupt", NULL};

const char *fl_fault_kind_name(fl_fault_kind k) { return kinds[k]; }

const char *const *fl_fault_targets(void) { return target_variants; }

const char *const *fl_fault_variants(fl_fault_kind k) {
    switch (k) {
    case FL_FAULT_PARTITION: return partition_variants;
    case FL_FAULT_KILL:
    case FL_FAULT_PAUSE: return target_variants;
    case FL_FAULT_CLOCK: return clock_variants;
    default: return netem_variants;
    }
}

static void list(const char *const *names, char *out, size_t bytes) {
    out[0] = '\0';
    for (size_t i = 0; names[i]; i++) {
        size_t used = strlen(out);
        snprintf(out + used, bytes - used, "%s%s", i ? ", " : "", names[i]);
    }
}

/* One entry "kind[:variant]" of length len. */
static int parse_entry(const char *entry, size_t len, fl_fault_choice *out, char *err,
                       size_t err_bytes) {
    char text[64], allowed[256];
    if (len == 0 || len >= sizeof text) {
        snprintf(err, err_bytes, "--nemesis: an empty or overlong entry");
        return -1;
    }
    memcpy(text, entry, len);
    text[len] = '\0';
    char *colon = strchr(text, ':');
    if (colon) *colon = '\0';
    int kind = -1;
    for (int k = 0; k < FL_FAULT_KIND_COUNT; k++)
        if (!strcmp(text, kinds[k])) kind = k;
    if (kind < 0) {
        allowed[0] = '\0';
        for (int k = 0; k < FL_FAULT_KIND_COUNT; k++)
            snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
                     k ? ", " : "", kinds[k]);
        snprintf(err, err_bytes, "--nemesis: unknown fault '%s'; faults: %s", text, allowed);
        return -1;
    }
    out->kind = (fl_fault_kind)kind;
    out->variant = -1;
    out->targets = -1;
    if (!colon) return 0;
    char *second = strchr(colon + 1, ':');
    if (second) *second = '\0';
    const char *const *variants = fl_fault_variants(out->kind);
    for (int v = 0; variants[v]; v++)
        if (!strcmp(colon + 1, variants[v])) out->variant = v;
    if (out->variant < 0) {
        list(variants, allowed, sizeof allowed);
        snprintf(err, err_bytes, "--nemesis: %s has no variant '%s'; variants: %s", text,
                 colon + 1, allowed);
        return -1;
    }
    if (!second) return 0;
    /* Only a clock fault that moves clocks and netem have a choice of nodes; kill and
     * pause name theirs in the variant already. */
    bool clock_moves = out->kind == FL_FAULT_CLOCK && strcmp(colon + 1, "reset");
    if (!clock_moves && out->kind != FL_FAULT_NETEM) {
        snprintf(err, err_bytes, "--nemesis: '%s:%s' takes no node choice ('%s'); only "
                 "clock:bump, clock:strobe and netem do", text, colon + 1, second + 1);
        return -1;
    }
    for (int t = 0; target_variants[t]; t++)
        if (!strcmp(second + 1, target_variants[t])) out->targets = t;
    if (out->targets < 0) {
        list(target_variants, allowed, sizeof allowed);
        snprintf(err, err_bytes, "--nemesis: %s:%s cannot target '%s'; targets: %s",
                 text, colon + 1, second + 1, allowed);
        return -1;
    }
    return 0;
}

int fl_fault_spec_parse(const char *text, fl_fault_spec *out, char *err, size_t err_bytes) {
    memset(out, 0, sizeof *out);
    const char *p = text;
    fl_fault_step *step = &out->steps[out->step_count++];
    for (;;) {
        size_t len = strcspn(p, ",+");
        if (out->count == FL_SPEC_FAULTS_MAX) {
            snprintf(err, err_bytes, "--nemesis: more than %d faults", FL_SPEC_FAULTS_MAX);
            return -1;
        }
        fl_fault_choice *f = &out->faults[out->count];
        if (parse_entry(p, len, f, err, err_bytes) != 0) return -1;
        /* one fault of a kind in force at a time: a package of two could never start */
        for (size_t i = step->first; i < out->count; i++)
            if (out->faults[i].kind == f->kind) {
                snprintf(err, err_bytes, "--nemesis: '%.*s': a package ('+') holds one fault "
                         "of each kind, and it has two of %s", (int)len, p,
                         fl_fault_kind_name(f->kind));
                return -1;
            }
        out->count++;
        step->count++;
        if (p[len] == '\0') return 0;
        if (p[len] == ',') {
            step = &out->steps[out->step_count++];
            step->first = out->count;
        }
        p += len + 1;
    }
}
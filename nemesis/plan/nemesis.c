/* The controller side of faults (see nemesis.h).
 *
 * Method — each fault kind and what start and stop do:
 *   partition  start: a grudge of the variant's shape; every node drops its packets to the
 *              nodes whose grudge names it. stop: heal every node.
 *   kill       start: KILL the processes on the target nodes. stop: restart them there
 *              (the target's start hook, else the process's start command).
 *   pause      start: STOP them on the target nodes. stop: CONT them.
 *   clock      start: bump a random subset by ±0.1–5 s, strobe it (between +0 and +0.2–2 s
 *              every 8–512 ms), or reset every node. clock:bump|strobe:TARGETS names the
 *              nodes instead (one, minority, majority, all, primaries: a leader's clock
 *              is what a lease trusts). stop: reset every node.
 *   netem      start: some nodes (netem:VARIANT:TARGETS names them, as clock does; default
 *              a random subset) send to every other through netem (delay 50–250 ms
 *              with 10 % jitter; slow-flows, the same delay without jitter on half
 *              the connections, chosen anew each time by a port bit; loss or duplicate
 *              5–50 %; reorder 5–50 % sent at once past a 50–250 ms delay; corrupt
 *              2–11 %); where the kernel has no
 *              netem the agent says so and the fault fails (the run refuses such a
 *              spec before it starts).
 *              stop: lift netem only (a partition in force stays).
 *              partition:mute-primaries is one-way: the primaries' packets to every
 *              other node are dropped while they still hear everyone (requests arrive
 *              and take effect, their replies are lost).
 *   primaries  partition:primaries isolates, kill/pause:primaries hit, the nodes the
 *              target names as primary now (io.primaries). A fault without a variant
 *              picks "primaries" half the time when the target can say who is primary
 *              (a clock fault without targets too): the leader is where a leader-based
 *              system's bugs live, so the nemesis looks there first.
 *   packages   a step A+B starts A, then B 0.1-0.5 intervals later (while A takes
 *              effect), and stops them together (oldest first); --at-once counts
 *              packages.
 * Every request is answered by the agent with the monotonic time it took effect, which
 * goes into the event as applied_ns. */
#include "nemesis.h"

#include <stdio.h>
#include <string.h>

static int call(fl_nemesis *n, size_t node, json_t *request, json_t *applied, char *err,
                size_t bytes) {
    json_object_set_new(request, "id", json_integer(++n->next_id));
    json_t *reply = NULL;
    int rc = n->io.call(n->io.ctx, node, request, &reply, err, bytes);
    json_decref(request);
    if (rc != 0) return -1;
    if (!json_is_true(json_object_get(reply, "ok"))) {
        const char *why = json_string_value(json_object_get(reply, "error"));
        snprintf(err, bytes, "%s: %s", n->io.names[node], why ? why : "the agent refused");
        json_decref(reply);
        return -1;
    }
    json_object_set(applied, n->io.names[node], json_object_get(reply, "mono_ns"));
    json_decref(reply);
    return 0;
}

/* The same request on every node in mask. */
static int call_nodes(fl_nemesis *n, uint64_t mask, json_t *request, json_t *applied,
                      char *err, size_t bytes) {
    int rc = 0;
    for (size_t i = 0; i < n->io.node_count && rc == 0; i++)
        if (mask >> i & 1) rc = call(n, i, json_deep_copy(request), applied, err, bytes);
    json_decref(request);
    return rc;
}

static uint64_t all_nodes(const fl_nemesis *n) {
    return n->io.node_count >= 64 ? ~0ULL : (1ULL << n->io.node_count) - 1;
}

/* count nodes chosen at random. */
static uint64_t random_nodes(fl_nemesis *n, size_t count) {
    uint32_t order[FL_GRUDGE_NODES_MAX];
    fl_rng_shuffle(&n->rng, order, (uint32_t)n->io.node_count);
    uint64_t mask = 0;
    for (size_t i = 0; i < count && i < n->io.node_count; i++) mask |= 1ULL << order[i];
    return mask;
}

static json_t *names_of(const fl_nemesis *n, uint64_t mask) {
    json_t *list = json_array();
    for (size_t i = 0; i < n->io.node_count; i++)
        if (mask >> i & 1) json_array_append_new(list, json_string(n->io.names[i]));
    return list;
}

/* The target's answer to "who is primary now" for the fault being started (asked once). */
static int primaries_now(fl_nemesis *n, uint64_t *nodes, char *err, size_t bytes) {
    if (!n->primaries_asked) {
        n->primaries_seen = 0;
        n->primaries_err[0] = '\0';
        n->primaries_rc = n->io.primaries(n->io.ctx, &n->primaries_seen, n->primaries_err,
                                          sizeof n->primaries_err);
        n->primaries_asked = true;
    }
    *nodes = n->primaries_seen;
    if (n->primaries_rc != 0) snprintf(err, bytes, "%s", n->primaries_err);
    return n->primaries_rc;
}

/* Who is primary now, from the target: a non-empty set of nodes, or -1 with err. */
static int ask_primaries(fl_nemesis *n, uint64_t *nodes, char *err, size_t bytes) {
    if (!n->io.primaries) {
        snprintf(err, bytes, "\"primaries\" needs a target that can say who is primary "
                 "(or faultline nemesis --primary-cmd)");
        return -1;
    }
    if (primaries_now(n, nodes, err, bytes) != 0) return -1;
    if (*nodes == 0) {
        snprintf(err, bytes, "no node is primary now, so there is none to single out");
        return -1;
    }
    return 0;
}

static json_t *partition(fl_nemesis *n, const char *variant, json_t *event, json_t *applied,
                         char *err, size_t bytes) {
    int shape = fl_shape_parse(variant);
    fl_grudge g;
    if (shape >= 0) {
        g = fl_grudge_make((fl_shape)shape, n->io.node_count, &n->rng);
    } else {
        uint64_t primaries;
        if (ask_primaries(n, &primaries, err, bytes) != 0) return NULL;
        g = !strcmp(variant, "mute-primaries") ? fl_grudge_mute(n->io.node_count, primaries)
                                                : fl_grudge_isolate(n->io.node_count, primaries);
        json_object_set_new(event, "primaries", names_of(n, primaries));
    }
    json_t *grudge = json_object();
    for (size_t i = 0; i < n->io.node_count; i++)
        json_object_set_new(grudge, n->io.names[i], names_of(n, g.drops_from[i]));
    json_object_set_new(event, "grudge", grudge);
    for (size_t i = 0; i < n->io.node_count; i++) {
        json_t *drop = json_array();
        uint64_t to = fl_grudge_egress(&g, i);
        for (size_t j = 0; j < n->io.node_count; j++)
            if (to >> j & 1) json_array_append_new(drop, json_string(n->io.addrs[j]));
        if (call(n, i, json_pack("{s:s,s:o}", "cmd", "partition", "drop", drop), applied, err,
                 bytes) != 0)
            return NULL;
    }
    return event;
}

/* The nodes a target choice names (one, minority, majority, all, primaries). */
static int choose_targets(fl_nemesis *n, const char *choice, uint64_t *nodes, char *err,
                          size_t bytes) {
    if (!strcmp(choice, "primaries")) return ask_primaries(n, nodes, err, bytes);
    size_t count = n->io.node_count;
    size_t want = !strcmp(choice, "one") ? 1 : !strcmp(choice, "minority") ? (count - 1) / 2
                  : !strcmp(choice, "majority") ? count / 2 + 1 : count;
    *nodes = random_nodes(n, want ? want : 1);
    return 0;
}

/* The agent's request to signal process p (and its descendants when it says so). */
static json_t *signal_request(const fl_nemesis_process *p, const char *sig) {
    json_t *req = json_pack("{s:s,s:s,s:s}", "cmd", "signal", "pidfile", p->pidfile, "sig", sig);
    if (p->tree) json_object_set_new(req, "tree", json_true());
    return req;
}

static json_t *signal_fault(fl_nemesis *n, const char *variant, const char *sig,
                            json_t *event, json_t *applied, char *err, size_t bytes) {
    if (n->process_count == 0) {
        snprintf(err, bytes, "kill and pause need --process NAME=PIDFILE[:START]");
        return NULL;
    }
    if (choose_targets(n, variant, &n->targets, err, bytes) != 0) return NULL;
    json_t *processes = json_array();
    for (size_t p = 0; p < n->process_count; p++) {
        json_array_append_new(processes, json_string(n->processes[p].name));
        json_t *req = signal_request(&n->processes[p], sig);
        if (call_nodes(n, n->targets, req, applied, err, bytes) != 0) {
            json_decref(processes);
            return NULL;
        }
    }
    json_object_set_new(event, "nodes", names_of(n, n->targets));
    json_object_set_new(event, "processes", processes);
    return event;
}

/* Whether the target names a primary now: a fault that picks the primaries by itself
 * (not told to) picks at random instead while there is none (mid-election). */
static bool some_primary(fl_nemesis *n) {
    uint64_t nodes = 0;
    char err[FL_NEMESIS_ERR_BYTES];
    return primaries_now(n, &nodes, err, sizeof err) == 0 && nodes != 0;
}

/* The index of "primaries" among fl_fault_targets(). */
static int primaries_choice(void) {
    const char *const *choices = fl_fault_targets();
    int i = 0;
    while (strcmp(choices[i], "primaries")) i++;
    return i;
}

/* The nodes a clock or netem fault acts on: the spec's choice (named in the event), else
 * the primaries half the time when the target can name them, else a random subset. */
static int fault_nodes(fl_nemesis *n, int targets, json_t *event, uint64_t *nodes, char *err,
                       size_t bytes) {
    if (targets < 0 && n->io.primaries && fl_rng_below(&n->rng, 2) && some_primary(n))
        targets = primaries_choice();
    if (targets < 0) {
        *nodes = random_nodes(n, 1 + fl_rng_below(&n->rng, n->io.node_count));
        return 0;
    }
    const char *choice = fl_fault_targets()[targets];
    if (choose_targets(n, choice, nodes, err, bytes) != 0) return -1;
    json_object_set_new(event, "targets", json_string(choice));
    return 0;
}

static json_t *clock_fault(fl_nemesis *n, const char *variant, int targets, json_t *event,
                           json_t *applied, char *err, size_t bytes) {
    if (!strcmp(variant, "reset"))
        return call_nodes(n, all_nodes(n), json_pack("{s:s,s:s}", "cmd", "clock", "op", "reset"),
                          applied, err, bytes) ? NULL : event;
    uint64_t nodes;
    if (fault_nodes(n, targets, event, &nodes, err, bytes) != 0) return NULL;
    json_t *offsets = json_object(), *periods = json_object();
    json_object_set_new(event, "offset_ms", offsets);
    if (!strcmp(variant, "strobe")) json_object_set_new(event, "period_ms", periods);
    else json_decref(periods);
    for (size_t i = 0; i < n->io.node_count; i++) {
        if (!(nodes >> i & 1)) continue;
        int64_t ms = 100 + (int64_t)fl_rng_below(&n->rng, 4900);
        if (fl_rng_below(&n->rng, 2)) ms = -ms;
        bool strobe = !strcmp(variant, "strobe");
        if (strobe) ms = 200 + (int64_t)fl_rng_below(&n->rng, 1801); /* flips by 0.2–2 s */
        /* A fixed flip period alias with a daemon that reads its clock on a timer of the
         * same period (every read lands in one phase, so the strobe moves nothing): the
         * period is 8–512 ms, a power of two from the seed, as Jepsen's strobe varies it. */
        int period = 8 << fl_rng_below(&n->rng, 7);
        json_t *req = strobe ? json_pack("{s:s,s:s,s:I,s:i,s:i}", "cmd", "clock", "op", "strobe",
                                         "delta_ms", (json_int_t)ms, "period_ms", period,
                                         "duration_ms", 3600000)
                             : json_pack("{s:s,s:s,s:I}", "cmd", "clock", "op", "bump",
                                         "delta_ms", (json_int_t)ms);
        if (call(n, i, req, applied, err, bytes) != 0) return NULL;
        json_object_set_new(offsets, n->io.names[i], json_integer(ms));
        if (strobe) json_object_set_new(periods, n->io.names[i], json_integer(period));
    }
    return event;
}

void fl_nemesis_init(fl_nemesis *n, const fl_nemesis_io *io, const fl_fault_spec *spec,
                     uint64_t seed, const fl_nemesis_process *processes, size_t count) {
    memset(n, 0, sizeof *n);
    n->io = *io;
    n->spec = *spec;
    n->rng.s = seed;
    n->processes = processes;
    n->process_count = count;
}

/* A variant for this run of the fault: the spec's, or one at random ("primaries" only
 * when the target can say who is primary; "mute-primaries" only when the spec names it:
 * a one-way cut is a fault a target asks for, not a shape to stumble on). */
static const char *pick_variant(fl_nemesis *n, const fl_fault_choice *c) {
    const char *const *variants = fl_fault_variants(c->kind);
    if (c->variant >= 0) return variants[c->variant];
    if (n->io.primaries && fl_rng_below(&n->rng, 2) && some_primary(n)) {
        for (size_t i = 0; variants[i]; i++)
            if (!strcmp(variants[i], "primaries")) return variants[i];
    }
    const char *usable[16];
    size_t count = 0;
    for (size_t i = 0; variants[i] && count < 16; i++)
        if (strcmp(variants[i], "primaries") && strcmp(variants[i], "mute-primaries"))
            usable[count++] = variants[i];
    return usable[fl_rng_below(&n->rng, count)];
}

/* The port bits the agent's flow selection takes (its protocol refuses others: bit 0
 * would select every connection to a port or none, since Linux gives connect() even
 * ports; bits above 12 are fixed or skewed in the ephemeral range). */
#define FLOW_BIT_MIN 1
#define FLOW_BIT_MAX 12

/* netem parameters for a variant, drawn from the rng. */
static json_t *netem_params(fl_nemesis *n, const char *variant) {
    int64_t pct = 5 + (int64_t)fl_rng_below(&n->rng, 46); /* 5–50 % */
    if (!strcmp(variant, "delay") || !strcmp(variant, "reorder") ||
        !strcmp(variant, "slow-flows")) {
        int64_t ms = 50 + (int64_t)fl_rng_below(&n->rng, 201);
        /* Whole connections delayed and others not: TCP keeps each connection's order,
         * so per-packet reordering barely reaches the messages, but a node's requests
         * on a slow connection are overtaken by its replies on a fast one. A new port
         * bit each time, since connections outlive faults. */
        if (!strcmp(variant, "slow-flows")) {
            int64_t bit = FLOW_BIT_MIN + (int64_t)fl_rng_below(&n->rng, FLOW_BIT_MAX - FLOW_BIT_MIN + 1);
            return json_pack("{s:I,s:I}", "delay_ms", (json_int_t)ms, "flow_bit", (json_int_t)bit);
        }
        /* Reordered packets go at once and overtake the rest by the whole delay, as on a
         * path where some packets take a faster route: a reply can then arrive before a
         * request the same node sent earlier on another connection. */
        if (!strcmp(variant, "reorder"))
            return json_pack("{s:I,s:I}", "delay_ms", (json_int_t)ms, "reorder_pct", (json_int_t)pct);
        return json_pack("{s:I,s:I}", "delay_ms", (json_int_t)ms, "jitter_ms", (json_int_t)(ms / 10));
    }
    if (!strcmp(variant, "loss")) return json_pack("{s:I}", "loss_pct", (json_int_t)pct);
    if (!strcmp(variant, "duplicate")) return json_pack("{s:I}", "duplicate_pct", (json_int_t)pct);
    return json_pack("{s:I}", "corrupt_pct", (json_int_t)(1 + pct / 5)); /* corrupt: 2–11 % */
}

/* The chosen nodes send their packets to every other node through netem: a degraded
 * node or link is the common case, and the others' clean paths race the degraded ones. */
static json_t *netem_fault(fl_nemesis *n, const char *variant, int targets, json_t *event,
                           json_t *applied, char *err, size_t bytes) {
    json_t *params = netem_params(n, variant);
    json_object_set(event, "params", params);
    uint64_t nodes;
    if (fault_nodes(n, targets, event, &nodes, err, bytes) != 0) {
        json_decref(params);
        return NULL;
    }
    for (size_t i = 0; i < n->io.node_count; i++) {
        if (!(nodes >> i & 1)) continue;
        json_t *req = json_deep_copy(params), *peers = json_array();
        for (size_t j = 0; j < n->io.node_count; j++)
            if (j != i) json_array_append_new(peers, json_string(n->io.addrs[j]));
        json_object_set_new(req, "cmd", json_string("netem"));
        json_object_set_new(req, "peers", peers);
        if (call(n, i, req, applied, err, bytes) != 0) {
            json_decref(params);
            return NULL;
        }
    }
    json_decref(params);
    json_object_set_new(event, "nodes", names_of(n, nodes));
    return event;
}

static bool kind_active(const fl_nemesis *n, fl_fault_kind kind) {
    for (size_t i = 0; i < n->active_count; i++)
        if (n->active[i].choice.kind == kind) return true;
    return false;
}

/* The steps of the spec none of whose kinds is in force: how many, into candidates. */
static size_t free_steps(const fl_nemesis *n, const fl_fault_step **candidates) {
    size_t count = 0;
    for (size_t s = 0; s < n->spec.step_count; s++) {
        const fl_fault_step *step = &n->spec.steps[s];
        bool free_kinds = true;
        for (size_t i = step->first; i < step->first + step->count; i++)
            free_kinds &= !kind_active(n, n->spec.faults[i].kind);
        if (free_kinds) candidates[count++] = step;
    }
    return count;
}

bool fl_nemesis_can_start(const fl_nemesis *n) {
    const fl_fault_step *candidates[FL_SPEC_FAULTS_MAX];
    return fl_nemesis_package_starting(n) || free_steps(n, candidates) > 0;
}

/* A step that can start, at random; NULL when none can. */
static const fl_fault_step *pick_step(fl_nemesis *n) {
    const fl_fault_step *candidates[FL_SPEC_FAULTS_MAX];
    size_t count = free_steps(n, candidates);
    return count ? candidates[fl_rng_below(&n->rng, count)] : NULL;
}

bool fl_nemesis_package_starting(const fl_nemesis *n) {
    return n->starting && n->started < n->starting->count;
}

json_t *fl_nemesis_start(fl_nemesis *n, char *err, size_t err_bytes) {
    if (!fl_nemesis_package_starting(n)) {
        n->starting = pick_step(n);
        n->started = 0;
        n->packages++;
        if (!n->starting) {
            snprintf(err, err_bytes, "every kind of fault in the spec is in force already");
            return NULL;
        }
    }
    fl_fault_choice choice = n->spec.faults[n->starting->first + n->started++];
    n->primaries_asked = false; /* a new fault: leadership may have moved since the last */
    const char *variant = pick_variant(n, &choice);
    json_t *applied = json_object();
    json_t *event = json_pack("{s:s,s:s}", "kind", fl_fault_kind_name(choice.kind), "variant",
                              variant);
    if (n->starting->count > 1) json_object_set_new(event, "package", json_integer(n->packages));
    json_t *done = NULL;
    n->targets = 0;
    switch (choice.kind) {
    case FL_FAULT_PARTITION: done = partition(n, variant, event, applied, err, err_bytes); break;
    case FL_FAULT_KILL: done = signal_fault(n, variant, "KILL", event, applied, err, err_bytes); break;
    case FL_FAULT_PAUSE: done = signal_fault(n, variant, "STOP", event, applied, err, err_bytes); break;
    case FL_FAULT_CLOCK: done = clock_fault(n, variant, choice.targets, event, applied, err, err_bytes); break;
    default: done = netem_fault(n, variant, choice.targets, event, applied, err, err_bytes);
    }
    /* Nothing took effect: no event, and nothing in force to stop later. */
    if (!done && json_object_size(applied) == 0) {
        json_decref(event);
        json_decref(applied);
        return NULL;
    }
    /* In force even when only part of it was applied: its stop undoes what was, and the
     * history must say what was applied (applied_ns) and what failed (error) — a fault
     * that took effect on some nodes is never left out of the history. */
    n->active[n->active_count++] = (fl_active_fault){choice, n->targets, n->packages};
    json_object_set_new(event, "applied_ns", applied);
    if (!done) json_object_set_new(event, "error", json_string(err));
    return event;
}

size_t fl_nemesis_packages_in_force(const fl_nemesis *n) {
    size_t count = 0;
    for (size_t i = 0; i < n->active_count; i++)
        count += i == 0 || n->active[i].package != n->active[i - 1].package;
    return count;
}

bool fl_nemesis_package_stopping(const fl_nemesis *n) {
    return n->active_count > 0 && n->active[0].package == n->stopped_package;
}

long fl_nemesis_package_gap_ms(fl_nemesis *n, double interval_s) {
    double factor = 0.1 + (double)fl_rng_below(&n->rng, 401) / 1000.0;
    return (long)(interval_s * 1000 * factor);
}

long fl_nemesis_hold_ms(fl_nemesis *n, double interval_s) {
    double factor = 0.5 + (double)fl_rng_below(&n->rng, 1001) / 1000.0;
    return (long)(interval_s * 1000 * factor);
}

json_t *fl_nemesis_stop(fl_nemesis *n, char *err, size_t err_bytes) {
    if (n->active_count == 0) {
        snprintf(err, err_bytes, "no fault is in force");
        return NULL;
    }
    fl_active_fault f = n->active[0];
    memmove(n->active, n->active + 1, --n->active_count * sizeof *n->active);
    n->stopped_package = f.package;
    fl_fault_kind kind = f.choice.kind;
    json_t *applied = json_object();
    json_t *event = json_pack("{s:s}", "kind", fl_fault_kind_name(kind));
    int rc = 0;
    /* Only this fault's part of the network: a partition and a netem may overlap. */
    if (kind == FL_FAULT_PARTITION || kind == FL_FAULT_NETEM)
        rc = call_nodes(n, all_nodes(n), json_pack("{s:s,s:s}", "cmd", "heal", "only",
                        kind == FL_FAULT_PARTITION ? "partition" : "netem"), applied, err, err_bytes);
    if (kind == FL_FAULT_CLOCK)
        rc = call_nodes(n, all_nodes(n), json_pack("{s:s,s:s}", "cmd", "clock", "op", "reset"),
                        applied, err, err_bytes);
    for (size_t p = 0; rc == 0 && kind == FL_FAULT_PAUSE && p < n->process_count; p++)
        rc = call_nodes(n, f.nodes, signal_request(&n->processes[p], "CONT"), applied, err,
                        err_bytes);
    for (size_t i = 0; rc == 0 && kind == FL_FAULT_KILL && i < n->io.node_count; i++)
        for (size_t p = 0; rc == 0 && (f.nodes >> i & 1) && p < n->process_count; p++)
            if (n->io.restart)
                rc = n->io.restart(n->io.ctx, i, p, err, err_bytes);
            else if (n->processes[p].start_command)
                rc = n->io.run(n->io.ctx, i, n->processes[p].start_command, err, err_bytes);
    if (kind == FL_FAULT_KILL || kind == FL_FAULT_PAUSE)
        json_object_set_new(event, "nodes", names_of(n, f.nodes));
    json_object_set_new(event, "applied_ns", applied);
    /* The fault is out of force either way: the history says it stopped, and what of
     * the stop failed (applied_ns names the nodes where it took effect). */
    if (rc != 0) json_object_set_new(event, "error", json_string(err));
    return event;
}

json_t *fl_nemesis_heal_all(fl_nemesis *n, char *err, size_t err_bytes) {
    json_t *applied = json_object();
    int rc = call_nodes(n, all_nodes(n), json_pack("{s:s}", "cmd", "heal"), applied, err, err_bytes);
    if (rc == 0)
        rc = call_nodes(n, all_nodes(n), json_pack("{s:s,s:s}", "cmd", "clock", "op", "reset"),
                        applied, err, err_bytes);
    if (rc != 0) {
        json_decref(applied);
        return NULL;
    }
    return json_pack("{s:s,s:o}", "kind", "heal", "applied_ns", applied);
}

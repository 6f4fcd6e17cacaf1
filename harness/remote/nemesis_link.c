/* The callbacks nemesis/ needs, filled by the harness (see nemesis_link.h). */
#include "nemesis_link.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "{workdir}" in a pidfile or command stands for node's own work directory (DESIGN.md
 * "On a node"); malloc'd. */
static char *for_node(const fl_nemesis_link *l, size_t node, const char *text) {
    const char *workdir = l->control->nodes->nodes[node].workdir, *at = strstr(text, "{workdir}");
    size_t n = strlen(text) + (at ? strlen(workdir) : 0) + 1;
    char *out = malloc(n);
    if (!out) return NULL;
    if (!at) memcpy(out, text, n);
    else snprintf(out, n, "%.*s%s%s", (int)(at - text), text, workdir, at + strlen("{workdir}"));
    return out;
}

static int io_call(void *ctx, size_t node, json_t *request, json_t **reply, char *err,
                   size_t bytes) {
    fl_nemesis_link *l = ctx;
    const char *pidfile = json_string_value(json_object_get(request, "pidfile"));
    char *mine = pidfile ? for_node(l, node, pidfile) : NULL;
    if (mine) json_object_set_new(request, "pidfile", json_string(mine));
    free(mine);
    return fl_agents_call(l->agents, node, request, reply, err, bytes);
}

#define COMMAND_TIMEOUT_MS 30000
/* --primary-cmd is asked every second by the primaries watcher, and a run's end waits
 * for the poll in flight: a node that does not answer soon is not one to wait for. */
#define PRIMARY_CMD_TIMEOUT_MS 5000

/* Run a command on node: 0 when it ran (err says how it failed if *status is not 0), -1
 * when it could not run. */
static int run_on(fl_nemesis_link *l, size_t node, const char *template, int timeout_ms,
                  int *status, char *err, size_t bytes) {
    char *command = for_node(l, node, template);
    if (!command) return snprintf(err, bytes, "out of memory"), -1;
    int rc = fl_remote_run(l->control->remotes[node], command, template, timeout_ms, status, NULL,
                           0, err, bytes);
    free(command);
    return rc < 0 ? -1 : 0;
}

static int io_run(void *ctx, size_t node, const char *command, char *err, size_t bytes) {
    int status = 0;
    if (run_on(ctx, node, command, COMMAND_TIMEOUT_MS, &status, err, bytes) != 0) return -1;
    return status == 0 ? 0 : -1;
}

static int io_restart(void *ctx, size_t node, size_t process, char *err, size_t bytes) {
    fl_nemesis_link *l = ctx;
    (void)process; /* a target has one process per node */
    return l->target->start(l->target_ctx, node, err, bytes);
}

static int primaries_unlocked(fl_nemesis_link *l, uint64_t *nodes, char *err, size_t bytes) {
    if (l->target && l->target->primaries)
        return l->target->primaries(l->target_ctx, nodes, err, bytes);
    *nodes = 0;
    if (!l->primary_cmd) return snprintf(err, bytes, "nothing can say who is primary"), -1;
    for (size_t i = 0; i < l->control->nodes->count; i++) {
        int status = 0;
        if (run_on(l, i, l->primary_cmd, PRIMARY_CMD_TIMEOUT_MS, &status, err, bytes) != 0) return -1;
        if (status == 0) *nodes |= 1ULL << i;
    }
    return 0;
}

int fl_nemesis_link_primaries(fl_nemesis_link *l, uint64_t *nodes, char *err, size_t bytes) {
    pthread_mutex_lock(&l->primaries_mu);
    int rc = primaries_unlocked(l, nodes, err, bytes);
    pthread_mutex_unlock(&l->primaries_mu);
    return rc;
}

static int io_primaries(void *ctx, uint64_t *nodes, char *err, size_t bytes) {
    return fl_nemesis_link_primaries(ctx, nodes, err, bytes);
}

void fl_nemesis_link_init(fl_nemesis_link *l, fl_control *c, fl_agents *a, fl_nemesis_io *io) {
    l->control = c;
    l->agents = a;
    pthread_mutex_init(&l->primaries_mu, NULL);
    for (size_t i = 0; i < c->nodes->count; i++) {
        l->names[i] = c->nodes->nodes[i].name;
        l->addrs[i] = c->nodes->nodes[i].host;
    }
    *io = (fl_nemesis_io){
        .ctx = l,
        .node_count = c->nodes->count,
        .names = l->names,
        .addrs = l->addrs,
        .call = io_call,
        .run = io_run,
        .primaries = (l->target && l->target->primaries) || l->primary_cmd ? io_primaries : NULL,
        .restart = l->target ? io_restart : NULL,
    };
}

int fl_nemesis_link_check_spec(fl_nemesis_link *l, const fl_fault_spec *spec, char *err,
                               size_t bytes) {
    bool netem = false;
    for (size_t i = 0; i < spec->count; i++) netem |= spec->faults[i].kind == FL_FAULT_NETEM;
    /* netem acts on the traffic between nodes (never on the controller's own). */
    if (netem && l->control->nodes->count < 2) {
        snprintf(err, bytes, "the spec asks for netem, which acts between nodes, but %s has "
                 "only one node", l->control->nodes->path ? l->control->nodes->path : "the nodes file");
        return -1;
    }
    for (size_t i = 0; i < l->control->nodes->count; i++) {
        json_t *reply = NULL, *hello = json_pack("{s:i,s:s}", "id", 0, "cmd", "hello");
        int rc = fl_agents_call(l->agents, i, hello, &reply, err, bytes);
        json_decref(hello);
        if (rc != 0) return -1;
        const json_t *applied = json_object_get(reply, "applied");
        if (netem && !json_is_true(json_object_get(applied, "netem"))) {
            snprintf(err, bytes, "%s: the spec asks for netem, but %s",
                     l->control->nodes->nodes[i].name,
                     json_string_value(json_object_get(applied, "netem_detail")));
            json_decref(reply);
            return -1;
        }
        json_decref(reply);
    }
    return 0;
}

void fl_nemesis_link_free(fl_nemesis_link *l) {
    pthread_mutex_destroy(&l->primaries_mu);
}

#define HOLD_TICK_MS 100

/* Sleep ms, or until the sink says to cut the hold short. */
static void hold(const fl_nemesis_sink *sink, long ms) {
    bool (*cut)(void *) = sink->cut_hold ? sink->cut_hold : sink->done;
    for (long left = ms; left > 0 && !cut(sink->ctx); left -= HOLD_TICK_MS) {
        struct timespec ts = {0, HOLD_TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int report(const fl_nemesis_sink *sink, json_t *event, const char *suffix,
                  const char *err) {
    if (!event) {
        sink->error(sink->ctx, err);
        return -1;
    }
    const char *failed = json_string_value(json_object_get(event, "error"));
    if (failed) sink->error(sink->ctx, failed);
    char f[64];
    snprintf(f, sizeof f, "%s-%s", json_string_value(json_object_get(event, "kind")), suffix);
    sink->event(sink->ctx, f, event);
    return failed ? -1 : 0;
}

int fl_nemesis_schedule(fl_nemesis *n, fl_nemesis_link *l, double interval_s, int at_once,
                        const fl_nemesis_sink *sink) {
    assert(l->agents->control); /* started: each agent is fed until fl_agents_stop */
    char err[FL_NEMESIS_ERR_BYTES];
    int rc = 0;
    while (!sink->done(sink->ctx)) {
        /* Every step's kinds in force (at-once not reached): stop the oldest instead. */
        json_t *event = NULL;
        if (fl_nemesis_can_start(n)) {
            event = fl_nemesis_start(n, err, sizeof err);
            rc |= report(sink, event, "start", err);
            if (fl_nemesis_package_starting(n)) { /* the rest of a package, soon */
                hold(sink, fl_nemesis_package_gap_ms(n, interval_s));
                continue;
            }
            hold(sink, fl_nemesis_hold_ms(n, interval_s));
        }
        if ((int)fl_nemesis_packages_in_force(n) < at_once && event) continue;
        do {
            if (n->active_count > 0) rc |= report(sink, fl_nemesis_stop(n, err, sizeof err), "stop", err);
        } while (fl_nemesis_package_stopping(n));
        hold(sink, fl_nemesis_hold_ms(n, interval_s));
    }
    while (n->active_count > 0) rc |= report(sink, fl_nemesis_stop(n, err, sizeof err), "stop", err);
    json_t *healed = fl_nemesis_heal_all(n, err, sizeof err);
    if (healed) sink->event(sink->ctx, "heal", healed);
    else sink->error(sink->ctx, err), rc = -1;
    return rc;
}

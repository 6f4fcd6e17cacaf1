/* raft-sim: runs the Raft core (fl_raft_core) under a deterministic simulated cluster for
 * a range of seeds, or one scripted scenario, and reports the first safety or liveness
 * violation with the command that replays it. The nodes apply the key-value app's
 * registers, or with --app lockd lockd's lock table under lock clients (locks.h).
 *
 *   raft-sim --seeds A-B [--app kv|lockd] [--nodes 3|5] [--bug NAME]... [--steps N]
 *            [--verbose SEED] [--all] [--per-seed] [--wire] [--no-clock] [--skew MS]
 *            [--trace]
 *   raft-sim --script figure8|double-vote [--bug NAME]... [--trace]
 *
 * Exit status: 0 no violation, 1 a violation (the first stops the run unless --all),
 * 64 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft.h"
#include "scenario.h"
#include "sim.h"

#define DEFAULT_STEPS 2000 /* ~3 ms a seed here: 10,000 seeds in about half a minute */

typedef struct options {
    uint64_t first, last;
    int nodes;        /* 0: the seed picks 3 or 5 */
    unsigned bugs;
    uint32_t steps;
    bool verbose_set;
    uint64_t verbose_seed;
    bool all, per_seed, wire, trace, no_clock;
    sim_app app;
    bool early_grant; /* lockd's bug */
    int64_t skew_ms;
    const char *script;
    char replay_flags[256]; /* the flags that shape a run, for the replay hint */
} options;

static int usage(const char *why) {
    if (why) fprintf(stderr, "raft-sim: %s\n", why);
    fprintf(
        stderr,
        "usage: raft-sim --seeds A-B [--app kv|lockd] [--nodes 3|5] [--bug NAME]... [--steps N]\n"
        "                [--verbose SEED] [--all] [--per-seed] [--wire] [--no-clock]\n"
        "                [--skew MS] [--trace]\n"
        "       raft-sim --script figure8|double-vote [--bug NAME]... [--trace]\n"
        "bugs: volatile-vote, old-term-commit, stale-read, lease-read; with --app lockd also\n"
        "early-grant\n");
    return 64;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *out = v;
    return 0;
}

static int parse_seeds(const char *arg, options *o) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", arg);
    char *dash = strchr(buf, '-');
    if (dash) *dash = '\0';
    if (parse_u64(buf, &o->first)) return -1;
    o->last = o->first;
    if (dash && parse_u64(dash + 1, &o->last)) return -1;
    return o->last >= o->first ? 0 : -1;
}

static void add_flag(options *o, const char *flag, const char *value) {
    size_t n = strlen(o->replay_flags);
    snprintf(o->replay_flags + n, sizeof o->replay_flags - n, " %s%s%s", flag, value ? " " : "",
             value ? value : "");
}

/* A flag with a value (argv[i] is the flag, v its value): 0, or usage's exit status. */
static int parse_value_flag(options *o, const char *a, const char *v, bool *have_seeds) {
    uint64_t n;
    if (!strcmp(a, "--seeds")) {
        if (parse_seeds(v, o)) return usage("--seeds wants A-B with A <= B");
        *have_seeds = true;
    } else if (!strcmp(a, "--nodes")) {
        if (parse_u64(v, &n) || (n != 3 && n != 5)) return usage("--nodes must be 3 or 5");
        o->nodes = (int)n;
        add_flag(o, a, v);
    } else if (!strcmp(a, "--app")) {
        if (strcmp(v, "kv") && strcmp(v, "lockd")) return usage("--app must be kv or lockd");
        o->app = strcmp(v, "lockd") ? SIM_APP_KV : SIM_APP_LOCKD;
        add_flag(o, a, v);
    } else if (!strcmp(a, "--skew")) {
        if (parse_u64(v, &n) || n > 3600000) return usage("--skew must be 0..3600000 (ms)");
        o->skew_ms = (int64_t)n;
        add_flag(o, a, v);
    } else if (!strcmp(a, "--bug") && !strcmp(v, "early-grant")) {
        o->early_grant = true;
        add_flag(o, a, v);
    } else if (!strcmp(a, "--bug")) {
        unsigned bug = raft_bug_from_name(v);
        if (!bug) return usage("unknown bug");
        o->bugs |= bug;
        add_flag(o, a, v);
    } else if (!strcmp(a, "--steps")) {
        if (parse_u64(v, &n) || n < 1 || n > 10000000) return usage("--steps must be 1..10000000");
        o->steps = (uint32_t)n;
        add_flag(o, a, v);
    } else if (!strcmp(a, "--verbose")) {
        if (parse_u64(v, &o->verbose_seed)) return usage("--verbose wants a seed");
        o->verbose_set = true;
    } else if (!strcmp(a, "--script")) {
        if (!scenario_exists(v)) return usage("unknown script (figure8, double-vote)");
        o->script = v;
    } else {
        return usage("unknown flag");
    }
    return 0;
}

static int parse_args(int argc, char **argv, options *o) {
    bool have_seeds = false;
    memset(o, 0, sizeof *o);
    o->steps = DEFAULT_STEPS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--all")) {
            o->all = true;
        } else if (!strcmp(a, "--per-seed")) {
            o->per_seed = true;
        } else if (!strcmp(a, "--trace")) {
            o->trace = true;
        } else if (!strcmp(a, "--wire")) {
            o->wire = true;
            add_flag(o, a, NULL);
        } else if (!strcmp(a, "--no-clock")) {
            o->no_clock = true;
            add_flag(o, a, NULL);
        } else if (i + 1 == argc) {
            return usage("a flag is missing its value (or is unknown)");
        } else {
            int rc = parse_value_flag(o, a, argv[++i], &have_seeds);
            if (rc) return rc;
        }
    }
    if (!have_seeds == !o->script) return usage("give --seeds or --script (one of them)");
    if (o->early_grant && o->app != SIM_APP_LOCKD) return usage("early-grant wants --app lockd");
    if (o->script && (o->app != SIM_APP_KV || o->skew_ms))
        return usage("--app lockd and --skew run with --seeds");
    return 0;
}

static void add_stats(sim_stats *t, const sim_stats *s) {
    t->steps += s->steps; t->elections += s->elections; t->crashes += s->crashes;
    t->partitions += s->partitions;
    t->clock_jumps += s->clock_jumps;
    t->compactions += s->compactions;
    t->snapshots_installed += s->snapshots_installed; t->msgs_sent += s->msgs_sent;
    t->msgs_delivered += s->msgs_delivered; t->msgs_dropped += s->msgs_dropped;
    t->msgs_duplicated += s->msgs_duplicated; t->proposals += s->proposals;
    t->writes_acked += s->writes_acked; t->writes_lost += s->writes_lost;
    t->reads_invoked += s->reads_invoked;
    t->reads_ok += s->reads_ok;
    t->reads_failed += s->reads_failed;
    t->commit_max += s->commit_max;
}

static void print_stats(const sim_stats *t) {
    printf("  steps %llu, elections %llu, crashes %llu, partitions %llu, clock jumps %llu\n"
           "  messages %llu sent, %llu delivered, %llu dropped, %llu duplicated\n"
           "  commits %llu (sum of the highest index committed per run), compactions %llu, "
           "snapshots installed %llu\n"
           "  writes %llu proposed, %llu acknowledged, %llu overwritten; reads %llu issued, %llu "
           "answered, %llu failed\n",
           (unsigned long long)t->steps, (unsigned long long)t->elections,
           (unsigned long long)t->crashes, (unsigned long long)t->partitions,
           (unsigned long long)t->clock_jumps, (unsigned long long)t->msgs_sent,
           (unsigned long long)t->msgs_delivered, (unsigned long long)t->msgs_dropped,
           (unsigned long long)t->msgs_duplicated, (unsigned long long)t->commit_max,
           (unsigned long long)t->compactions, (unsigned long long)t->snapshots_installed,
           (unsigned long long)t->proposals, (unsigned long long)t->writes_acked,
           (unsigned long long)t->writes_lost, (unsigned long long)t->reads_invoked,
           (unsigned long long)t->reads_ok, (unsigned long long)t->reads_failed);
}

static void print_lock_stats(const lock_stats *t) {
    const struct {
        uint64_t n;
        const char *what;
    } rows[] = {
        {t->acquires, "acquires sent"}, {t->granted, "granted"},
        {t->refused_held, "held by another"}, {t->leader_waits, "refused by a waiting leader"},
        {t->renews, "renews sent"}, {t->renewed, "renewed"}, {t->renew_refused, "renews refused"},
        {t->releases, "releases"}, {t->lapsed, "leases lapsed"}, {t->forgets, "forgets"},
        {t->timeouts, "requests timed out"}, {t->lost_entries, "requests lost"},
    };
    printf("  locks:");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("%s %llu %s", i ? "," : "", (unsigned long long)rows[i].n, rows[i].what);
    putchar('\n');
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *bugs_text(unsigned bugs, bool early_grant, char *buf, size_t n) {
    snprintf(buf, n, "%s", early_grant ? "early-grant" : "");
    for (unsigned b = 1; b & RAFT_BUGS_ALL; b <<= 1)
        if (bugs & b)
            snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "",
                     raft_bug_name(b));
    return buf[0] ? buf : "none";
}

static int run_script(const options *o) {
    sim s;
    char bugs[96];
    int rc = scenario_run(&s, o->script, o->bugs, o->trace, stdout);
    if (rc == 1)
        printf(
            "violation: %s at script %s step %llu (replay: raft-sim --script %s%s --trace)\n  %s\n",
            s.oracle.check, o->script, (unsigned long long)s.oracle.step, o->script,
            o->replay_flags, s.oracle.detail);
    else
        printf("raft-sim: script %s, bug %s: no violation (%llu steps, trace %016llx)\n", o->script,
               bugs_text(o->bugs, false, bugs, sizeof bugs), (unsigned long long)s.now,
               (unsigned long long)s.trace.hash);
    sim_free(&s);
    return rc == 1 ? 1 : 0;
}

static int run_seeds(const options *o) {
    sim_stats total = {0};
    lock_stats lock_total = {0};
    uint64_t violations = 0, first_bad = 0, seeds = 0;
    double t0 = now_s();
    for (uint64_t seed = o->first; seed <= o->last; seed++) {
        sim s;
        sim_params p;
        sim_params_random(&p, seed, o->nodes, o->bugs, o->steps);
        p.wire = o->wire;
        p.app = o->app;
        p.early_grant = o->early_grant;
        p.skew_ms = o->skew_ms;
        if (o->no_clock) p.clock_ppm = 0;
        sim_init(&s, &p, seed, o->trace || (o->verbose_set && seed == o->verbose_seed), stdout);
        int rc = sim_run(&s);
        seeds++;
        add_stats(&total, &s.stats);
        locks_stats_add(&lock_total, &s.locks.stats);
        if (o->per_seed)
            printf("seed %llu: nodes %d, steps %llu, elections %llu, crashes %llu, dropped %llu, "
                   "commits %llu, "
                   "acked %llu, reads %llu, trace %016llx%s\n",
                   (unsigned long long)seed, p.nodes, (unsigned long long)s.stats.steps,
                   (unsigned long long)s.stats.elections, (unsigned long long)s.stats.crashes,
                   (unsigned long long)s.stats.msgs_dropped, (unsigned long long)s.stats.commit_max,
                   (unsigned long long)s.stats.writes_acked, (unsigned long long)s.stats.reads_ok,
                   (unsigned long long)s.trace.hash, rc ? " VIOLATION" : "");
        if (rc) {
            if (!violations) first_bad = seed;
            violations++;
            printf("violation: %s at seed %llu step %llu (replay: raft-sim --seeds %llu-%llu%s "
                   "--verbose %llu)\n  %s\n",
                   s.oracle.check, (unsigned long long)seed, (unsigned long long)s.oracle.step,
                   (unsigned long long)seed, (unsigned long long)seed, o->replay_flags,
                   (unsigned long long)seed, s.oracle.detail);
        }
        sim_free(&s);
        if (rc && !o->all) break;
        if (seed == UINT64_MAX) break;
    }
    double dt = now_s() - t0;
    char bugs[96];
    printf(
        "raft-sim: %s%llu seeds (%llu-%llu), nodes %s, bug %s, %u steps: ",
        o->app == SIM_APP_LOCKD ? "app lockd, " : "", (unsigned long long)seeds,
        (unsigned long long)o->first, (unsigned long long)(o->first + seeds - 1),
        o->nodes == 3   ? "3"
        : o->nodes == 5 ? "5"
                        : "3|5",
        bugs_text(o->bugs, o->early_grant, bugs, sizeof bugs), o->steps);
    if (violations)
        printf("%llu with a violation (first at seed %llu)\n", (unsigned long long)violations,
               (unsigned long long)first_bad);
    else
        printf("no violation\n");
    print_stats(&total);
    if (o->app == SIM_APP_LOCKD) print_lock_stats(&lock_total);
    printf("  %.2f s, %.0f seeds/s\n", dt, dt > 0 ? (double)seeds / dt : 0.0);
    return violations ? 1 : 0;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    return o.script ? run_script(&o) : run_seeds(&o);
}

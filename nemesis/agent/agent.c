/* faultline-agent's commands: partition, heal, netem, clock, signal, status (see
 * agent.h). */
#include "agent.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock_offset.h"
#include "net.h"

#define MS_NS INT64_C(1000000)

static void read_boot_id(char *out, size_t bytes) {
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    out[0] = '\0';
    if (f && fgets(out, (int)bytes, f)) out[strcspn(out, "\n")] = '\0';
    if (f) fclose(f);
}

static void find_ifaces(fl_agent *a) {
    struct if_nameindex *list = if_nameindex();
    for (struct if_nameindex *i = list; i && i->if_index; i++)
        if (strcmp(i->if_name, "lo") && a->iface_count < FL_AGENT_IFACES_MAX)
            snprintf(a->ifaces[a->iface_count++], sizeof a->ifaces[0], "%s", i->if_name);
    if (list) if_freenameindex(list);
}

int fl_agent_init(fl_agent *a, const fl_agent_options *o, char *err, size_t err_bytes) {
    memset(a, 0, sizeof *a);
    read_boot_id(a->boot_id, sizeof a->boot_id);
    a->clock_system = o->clock_system;
    /* Changing the controller's own clock is never allowed: the local cluster shares
     * its kernel, whatever the nodes file says. */
    a->clock_refused = o->clock_system && o->controller_boot_id &&
                       !strcmp(o->controller_boot_id, a->boot_id);
    a->controller_boot_known = o->controller_boot_id && o->controller_boot_id[0];
    if (!o->clock_system && o->clock_file) {
        char cerr[FL_CLOCK_ERR_BYTES];
        a->clock = fl_clock_offset_open(o->clock_file, true, cerr);
        if (!a->clock) {
            snprintf(err, err_bytes, "%s", cerr);
            return -1;
        }
    }
    find_ifaces(a);
    if (fl_net_open(&a->net, err, err_bytes) != 0) return -1;
    a->netem = fl_net_probe_netem(a->net, a->netem_why, sizeof a->netem_why);
    return 0;
}

static json_t *partition(fl_agent *a, const fl_agent_request *r, char *err, size_t bytes) {
    const char *drop[FL_AGENT_DROP_MAX];
    for (size_t i = 0; i < r->drop_count; i++) drop[i] = r->drop[i];
    json_t *ifaces = json_array(), *dropped = json_array();
    for (size_t i = 0; i < a->iface_count; i++) {
        if (fl_net_partition(a->net, a->ifaces[i], drop, r->drop_count, err, bytes) != 0) {
            json_decref(ifaces);
            json_decref(dropped);
            return NULL;
        }
        json_array_append_new(ifaces, json_string(a->ifaces[i]));
    }
    for (size_t i = 0; i < r->drop_count; i++) json_array_append_new(dropped, json_string(drop[i]));
    return json_pack("{s:o,s:o}", "drop", dropped, "ifaces", ifaces);
}

static json_t *heal(fl_agent *a, fl_heal_scope only, char *err, size_t bytes) {
    json_t *ifaces = json_array();
    for (size_t i = 0; i < a->iface_count; i++) {
        int rc = only == FL_HEAL_PARTITION ? fl_net_partition(a->net, a->ifaces[i], NULL, 0, err, bytes)
                 : only == FL_HEAL_NETEM ? fl_net_netem(a->net, a->ifaces[i], NULL, NULL, 0, err, bytes)
                                         : fl_net_heal(a->net, a->ifaces[i], err, bytes);
        if (rc != 0) {
            json_decref(ifaces);
            return NULL;
        }
        json_array_append_new(ifaces, json_string(a->ifaces[i]));
    }
    const char *what = only == FL_HEAL_PARTITION ? "partition" : only == FL_HEAL_NETEM ? "netem" : "all";
    return json_pack("{s:o,s:s}", "healed", ifaces, "only", what);
}

static json_t *netem(fl_agent *a, const fl_agent_request *r, char *err, size_t bytes) {
    if (a->netem != 1) {
        snprintf(err, bytes, "%s%s", a->netem == 0 ? "" : "netem unavailable: ", a->netem_why);
        return NULL;
    }
    const fl_netem_spec *s = &r->netem;
    fl_net_netem_params p = {
        .delay_us = (uint32_t)llround(s->delay_ms * 1000), .jitter_us = (uint32_t)llround(s->jitter_ms * 1000),
        .loss_pct = s->loss_pct, .duplicate_pct = s->duplicate_pct,
        .reorder_pct = s->reorder_pct, .corrupt_pct = s->corrupt_pct, .flow_bit = s->flow_bit};
    const char *to[FL_AGENT_DROP_MAX];
    json_t *peers = json_array(), *ifaces = json_array();
    for (size_t i = 0; i < r->drop_count; i++) {
        to[i] = r->drop[i];
        json_array_append_new(peers, json_string(r->drop[i]));
    }
    for (size_t i = 0; i < a->iface_count; i++) {
        if (fl_net_netem(a->net, a->ifaces[i], &p, to, r->drop_count, err, bytes) != 0) {
            json_decref(peers);
            json_decref(ifaces);
            return NULL;
        }
        json_array_append_new(ifaces, json_string(a->ifaces[i]));
    }
    json_t *done = json_pack("{s:o,s:o,s:f,s:f,s:f,s:f,s:f,s:f}", "peers", peers, "ifaces", ifaces,
                             "delay_ms", s->delay_ms, "jitter_ms", s->jitter_ms,
                             "loss_pct", s->loss_pct, "duplicate_pct", s->duplicate_pct,
                             "reorder_pct", s->reorder_pct, "corrupt_pct", s->corrupt_pct);
    if (done && s->flow_bit >= 0) json_object_set_new(done, "flow_bit", json_integer(s->flow_bit));
    return done;
}

/* The clock offset in force now (ns): the shim's file, or what system mode has moved
 * the real clock by. */
static int64_t clock_offset(fl_agent *a) {
    return a->clock_system ? atomic_load(&a->system_offset_ns) : fl_clock_offset_get(a->clock);
}

/* Make the node's realtime clock run ns ahead of true time. In system mode the real
 * clock moves by the difference from the offset in force (clock_settime). */
static int clock_offset_set(fl_agent *a, int64_t ns, char *err, size_t bytes) {
    if (!a->clock_system) {
        fl_clock_offset_set(a->clock, ns);
        return 0;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + (ns - atomic_load(&a->system_offset_ns));
    struct timespec set = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
    if (set.tv_nsec < 0) {
        set.tv_sec -= 1;
        set.tv_nsec += 1000000000;
    }
    if (clock_settime(CLOCK_REALTIME, &set) != 0) {
        snprintf(err, bytes, "clock_settime(CLOCK_REALTIME): %s", strerror(errno));
        return -1;
    }
    atomic_store(&a->system_offset_ns, ns);
    return 0;
}

static void *strobe_loop(void *arg) {
    fl_agent *a = arg;
    struct timespec start, now, tick = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &start);
    bool high = false;
    char err[256];
    tick.tv_sec = a->strobe_period_ms / 1000;
    tick.tv_nsec = (a->strobe_period_ms % 1000) * MS_NS;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
                             (now.tv_nsec - start.tv_nsec) / MS_NS;
        if (atomic_load(&a->strobe_stop) || elapsed_ms >= a->strobe_duration_ms) break;
        high = !high;
        if (clock_offset_set(a, a->strobe_base_ns + (high ? a->strobe_delta_ns : 0), err,
                             sizeof err) != 0) {
            fprintf(stderr, "faultline-agent: strobe stopped: %s\n", err);
            break;
        }
        nanosleep(&tick, NULL);
    }
    if (clock_offset_set(a, a->strobe_base_ns, err, sizeof err) != 0)
        fprintf(stderr, "faultline-agent: strobe end: %s\n", err);
    return NULL;
}

static void stop_strobe(fl_agent *a) {
    if (!a->strobe_running) return;
    atomic_store(&a->strobe_stop, true);
    pthread_join(a->strobe, NULL);
    a->strobe_running = false;
}

/* NULL when clock faults can be applied here, else why not. */
static const char *clock_unavailable(const fl_agent *a) {
    if (a->clock_refused)
        return "refusing system clock mode: this node runs on the controller's own kernel "
               "(same boot id), and the controller's clock is never changed";
    if (a->clock_system && !a->controller_boot_known)
        return "refusing system clock mode: no --controller-boot-id, so the agent cannot "
               "tell this node's kernel from the controller's";
    if (!a->clock_system && !a->clock)
        return "no clock offset file: start the agent with --clock-file PATH (faketime mode)";
    return NULL;
}

static json_t *clock_state(fl_agent *a) {
    return json_pack("{s:s,s:I,s:b}", "mode", a->clock_system ? "system" : "faketime",
                     "offset_ms", (json_int_t)(clock_offset(a) / MS_NS), "strobing",
                     a->strobe_running);
}

static json_t *clock_fault(fl_agent *a, const fl_agent_request *r, char *err, size_t bytes) {
    const char *why = clock_unavailable(a);
    if (why) {
        snprintf(err, bytes, "%s", why);
        return NULL;
    }
    stop_strobe(a);
    int rc = 0;
    if (r->clock_op == FL_CLOCK_RESET) rc = clock_offset_set(a, 0, err, bytes);
    if (r->clock_op == FL_CLOCK_BUMP)
        rc = clock_offset_set(a, clock_offset(a) + r->delta_ms * MS_NS, err, bytes);
    if (r->clock_op == FL_CLOCK_STROBE) {
        a->strobe_base_ns = clock_offset(a);
        a->strobe_delta_ns = r->delta_ms * MS_NS;
        a->strobe_period_ms = r->period_ms;
        a->strobe_duration_ms = r->duration_ms;
        atomic_store(&a->strobe_stop, false);
        if (pthread_create(&a->strobe, NULL, strobe_loop, a) != 0) {
            snprintf(err, bytes, "pthread_create (strobe): %s", strerror(errno));
            return NULL;
        }
        a->strobe_running = true;
    }
    return rc == 0 ? clock_state(a) : NULL;
}

static void forget_paused(fl_agent *a, pid_t pid) {
    for (size_t i = 0; i < a->paused_count; i++)
        if (a->paused[i] == pid) a->paused[i--] = a->paused[--a->paused_count];
}

/* pid and its descendants now (pid first, then breadth-first), at most max: /proc read
 * once into (pid, parent) pairs, from each process's /proc/<pid>/stat. */
static size_t process_tree(pid_t pid, pid_t *out, size_t max) {
    assert(pid > 1 && max > 0);
    enum { PROCS_MAX = 32768 };
    static pid_t pids[PROCS_MAX], parents[PROCS_MAX]; /* the agent handles one request at a time */
    size_t procs = 0, n = 0;
    DIR *proc = opendir("/proc");
    struct dirent *e;
    while (proc && (e = readdir(proc)) && procs < PROCS_MAX) {
        char *end;
        long p = strtol(e->d_name, &end, 10);
        if (*end || p <= 1) continue;
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", p);
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(line, 1, sizeof line - 1, f) : 0;
        if (f) fclose(f);
        line[len] = '\0';
        /* "pid (comm) state ppid …": comm may hold spaces and parentheses */
        const char *close = strrchr(line, ')');
        char state;
        int ppid;
        if (close && sscanf(close + 1, " %c %d", &state, &ppid) == 2)
            pids[procs] = (pid_t)p, parents[procs++] = (pid_t)ppid;
    }
    if (proc) closedir(proc);
    out[n++] = pid;
    for (size_t at = 0; at < n && n < max; at++)
        for (size_t i = 0; i < procs && n < max; i++)
            if (parents[i] == out[at]) out[n++] = pids[i];
    return n;
}

static json_t *signal_process(fl_agent *a, const fl_agent_request *r, char *err,
                              size_t bytes) {
    FILE *f = fopen(r->pidfile, "r");
    int pid = -1;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1) pid = -1;
        fclose(f);
    }
    if (pid <= 1) {
        snprintf(err, bytes, "%s: %s", r->pidfile, f ? "holds no pid" : strerror(errno));
        return NULL;
    }
    /* Resuming a process that another fault killed meanwhile: nothing is paused any more,
     * which is what CONT is for. */
    if (r->signal == SIGCONT && kill(pid, 0) != 0 && errno == ESRCH) {
        forget_paused(a, pid);
        return json_pack("{s:i,s:s,s:b}", "pid", pid, "sig", "CONT", "gone", 1);
    }
    if (kill(pid, r->signal) != 0) {
        snprintf(err, bytes, "kill(%d, %s) from %s: %s", pid, strsignal(r->signal), r->pidfile,
                 strerror(errno));
        return NULL;
    }
    /* The parent first (stopped, it forks no new child), then what it had forked; a
     * child that ended meanwhile is not an error. */
    pid_t tree[FL_AGENT_PAUSED_MAX];
    size_t count = r->tree ? process_tree(pid, tree, FL_AGENT_PAUSED_MAX) : 1;
    tree[0] = pid;
    json_t *pids = json_array();
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && kill(tree[i], r->signal) != 0) continue;
        json_array_append_new(pids, json_integer(tree[i]));
        forget_paused(a, tree[i]);
        if (r->signal == SIGSTOP && a->paused_count < FL_AGENT_PAUSED_MAX)
            a->paused[a->paused_count++] = tree[i]; /* resumed when the agent lets go */
    }
    const char *name = r->signal == SIGKILL ? "KILL" : r->signal == SIGSTOP ? "STOP" : "CONT";
    json_t *out = json_pack("{s:i,s:s}", "pid", pid, "sig", name);
    if (r->tree) json_object_set_new(out, "pids", pids);
    else json_decref(pids);
    return out;
}

static json_t *status(fl_agent *a) {
    json_t *net = json_array(), *paused = json_array();
    for (size_t i = 0; i < a->iface_count; i++) {
        char buf[8192];
        if (fl_net_status(a->net, a->ifaces[i], buf, sizeof buf) == 0)
            json_array_append_new(net, json_loads(buf, 0, NULL));
        else
            json_array_append_new(net, json_pack("{s:s,s:s}", "ifname", a->ifaces[i], "error", buf));
    }
    for (size_t i = 0; i < a->paused_count; i++) json_array_append_new(paused, json_integer(a->paused[i]));
    json_t *clock = clock_unavailable(a) ? json_null() : clock_state(a);
    return json_pack("{s:o,s:o,s:o}", "net", net, "clock", clock, "paused", paused);
}

json_t *fl_agent_handle(fl_agent *a, const fl_agent_request *r, char *err, size_t err_bytes) {
    switch (r->cmd) {
    case FL_AGENT_HELLO:
        return json_pack("{s:s,s:s,s:b,s:s,s:s}", "version", FL_AGENT_VERSION, "boot_id",
                         a->boot_id, "netem", a->netem == 1, "netem_detail", a->netem_why,
                         "clock", a->clock_system ? "system" : "faketime");
    case FL_AGENT_HEARTBEAT: return json_object();
    case FL_AGENT_PARTITION: return partition(a, r, err, err_bytes);
    case FL_AGENT_HEAL: return heal(a, r->heal_only, err, err_bytes);
    case FL_AGENT_NETEM: return netem(a, r, err, err_bytes);
    case FL_AGENT_CLOCK: return clock_fault(a, r, err, err_bytes);
    case FL_AGENT_SIGNAL: return signal_process(a, r, err, err_bytes);
    case FL_AGENT_STATUS: return status(a);
    case FL_AGENT_CMD_COUNT: break;
    }
    snprintf(err, err_bytes, "unknown command");
    return NULL;
}

json_t *fl_agent_undo_all(fl_agent *a) {
    char err[512];
    json_t *done = json_object();
    json_t *healed = heal(a, FL_HEAL_ALL, err, sizeof err);
    json_object_set_new(done, "net", healed ? healed : json_string(err));
    stop_strobe(a);
    bool reset = !clock_unavailable(a) && clock_offset_set(a, 0, err, sizeof err) == 0;
    json_object_set_new(done, "clock_reset", reset ? json_true() : json_string(err));
    json_t *resumed = json_array();
    for (size_t i = 0; i < a->paused_count; i++)
        if (kill(a->paused[i], SIGCONT) == 0) json_array_append_new(resumed, json_integer(a->paused[i]));
    a->paused_count = 0;
    json_object_set_new(done, "resumed", resumed);
    return done;
}

void fl_agent_free(fl_agent *a) {
    stop_strobe(a);
    fl_clock_offset_close(a->clock);
    if (a->net) fl_net_close(a->net);
}

/* faultline-agent's commands: partition, heal, netem, clock, signal, status (see
 * agent.h). */
#include "agent.h"

#include <errno.h>
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

static json_t *heal(fl_agent *a, char *err, size_t bytes) {
    json_t *ifaces = json_array();
    for (size_t i = 0; i < a->iface_count; i++) {
        if (fl_net_heal(a->net, a->ifaces[i], err, bytes) != 0) {
            json_decref(ifaces);
            return NULL;
        }
        json_array_append_new(ifaces, json_string(a->ifaces[i]));
    }
    return json_pack("{s:o}", "healed", ifaces);
}

static void *strobe_loop(void *arg) {
    fl_agent *a = arg;
    struct timespec start, now, tick = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &start);
    bool high = false;
    tick.tv_sec = a->strobe_period_ms / 1000;
    tick.tv_nsec = (a->strobe_period_ms % 1000) * MS_NS;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
                             (now.tv_nsec - start.tv_nsec) / MS_NS;
        if (atomic_load(&a->strobe_stop) || elapsed_ms >= a->strobe_duration_ms) break;
        high = !high;
        fl_clock_offset_set(a->clock, a->strobe_base_ns + (high ? a->strobe_delta_ns : 0));
        nanosleep(&tick, NULL);
    }
    fl_clock_offset_set(a->clock, a->strobe_base_ns);
    return NULL;
}

static void stop_strobe(fl_agent *a) {
    if (!a->strobe_running) return;
    atomic_store(&a->strobe_stop, true);
    pthread_join(a->strobe, NULL);
    a->strobe_running = false;
}

static json_t *clock_fault(fl_agent *a, const fl_agent_request *r, char *err, size_t bytes) {
    if (a->clock_refused) {
        snprintf(err, bytes, "refusing system clock mode: this node runs on the controller's "
                 "own kernel (same boot id), and the controller's clock is never changed");
        return NULL;
    }
    if (a->clock_system || !a->clock) {
        snprintf(err, bytes, "system clock mode is not available yet (needs a VM); use the "
                 "clock shim (faketime mode with --clock-file)");
        return NULL;
    }
    stop_strobe(a);
    if (r->clock_op == FL_CLOCK_RESET) fl_clock_offset_set(a->clock, 0);
    if (r->clock_op == FL_CLOCK_BUMP)
        fl_clock_offset_set(a->clock, fl_clock_offset_get(a->clock) + r->delta_ms * MS_NS);
    if (r->clock_op == FL_CLOCK_STROBE) {
        a->strobe_base_ns = fl_clock_offset_get(a->clock);
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
    return json_pack("{s:I,s:b}", "offset_ms",
                     (json_int_t)(fl_clock_offset_get(a->clock) / MS_NS), "strobing",
                     a->strobe_running);
}

static void forget_paused(fl_agent *a, pid_t pid) {
    for (size_t i = 0; i < a->paused_count; i++)
        if (a->paused[i] == pid) a->paused[i--] = a->paused[--a->paused_count];
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
    if (kill(pid, r->signal) != 0) {
        snprintf(err, bytes, "kill(%d, %s) from %s: %s", pid, strsignal(r->signal), r->pidfile,
                 strerror(errno));
        return NULL;
    }
    forget_paused(a, pid);
    if (r->signal == SIGSTOP && a->paused_count < FL_AGENT_PAUSED_MAX)
        a->paused[a->paused_count++] = pid; /* resumed when the agent lets go */
    const char *name = r->signal == SIGKILL ? "KILL" : r->signal == SIGSTOP ? "STOP" : "CONT";
    return json_pack("{s:i,s:s}", "pid", pid, "sig", name);
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
    json_t *clock = a->clock ? json_pack("{s:I,s:b}", "offset_ms",
                                         (json_int_t)(fl_clock_offset_get(a->clock) / MS_NS),
                                         "strobing", a->strobe_running)
                             : json_null();
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
    case FL_AGENT_HEAL: return heal(a, err, err_bytes);
    case FL_AGENT_NETEM:
        snprintf(err, err_bytes, "%s", a->netem == 1 ? "netem is not implemented yet"
                                                     : "netem unsupported by this kernel");
        return NULL;
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
    json_t *healed = heal(a, err, sizeof err);
    json_object_set_new(done, "net", healed ? healed : json_string(err));
    stop_strobe(a);
    if (a->clock) fl_clock_offset_set(a->clock, 0);
    json_object_set_new(done, "clock_reset", json_boolean(a->clock != NULL));
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

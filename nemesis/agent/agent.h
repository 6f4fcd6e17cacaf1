/* faultline-agent's state and its commands: what faults it has in force on this node
 * (partition filters, clock offset and strobe, paused processes) and how to undo all of
 * them, which it does when the controller goes away (the dead man's switch).
 *
 * Method — every way out ends healed: stdin closed (the controller's channel ended),
 * no request for --watchdog seconds, SIGTERM/SIGINT/SIGHUP, or a `heal` request for the
 * network part. Undoing: the htb root on every interface removed, the clock offset back
 * to 0 (any strobe stopped first), every process paused by STOP sent CONT.
 *
 * Clock modes: faketime rewrites the shim's offset file; system moves the node's real
 * clock with clock_settime and remembers by how much, so reset moves it back. System
 * mode is refused on the controller's own kernel (same boot id) and when the
 * controller's boot id is not known. */
#ifndef FL_AGENT_H
#define FL_AGENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "protocol.h"

#define FL_AGENT_IFACES_MAX 8
#define FL_AGENT_PAUSED_MAX 1024
#define FL_AGENT_VERSION "0.1"

struct fl_net;
struct fl_clock_offset;

typedef struct fl_agent {
    struct fl_net *net;
    char ifaces[FL_AGENT_IFACES_MAX][16]; /* every interface but lo, at start-up */
    size_t iface_count;
    char boot_id[64];
    bool clock_system;                    /* --clock system (refused on the controller's kernel) */
    bool clock_refused;                   /* system mode asked on the controller's kernel */
    bool controller_boot_known;           /* --controller-boot-id was given */
    atomic_llong system_offset_ns;        /* system mode: how far the real clock was moved */
    struct fl_clock_offset *clock;        /* faketime mode: the shim's offset file */
    pthread_t strobe;
    bool strobe_running;
    atomic_bool strobe_stop;
    int64_t strobe_base_ns, strobe_delta_ns, strobe_period_ms, strobe_duration_ms;
    pid_t paused[FL_AGENT_PAUSED_MAX];
    size_t paused_count;
    int netem;                            /* 1 the kernel has netem, 0 not, -1 unknown */
    char netem_why[256];
} fl_agent;

typedef struct fl_agent_options {
    bool clock_system;
    const char *clock_file;
    const char *controller_boot_id;
} fl_agent_options;

int fl_agent_init(fl_agent *a, const fl_agent_options *o, char *err, size_t err_bytes);
/* Carry out one request: the `applied` object, or NULL with err. */
json_t *fl_agent_handle(fl_agent *a, const fl_agent_request *r, char *err, size_t err_bytes);
/* Undo every fault in force (network, clock, pauses); what it did. */
json_t *fl_agent_undo_all(fl_agent *a);
void fl_agent_free(fl_agent *a);

#endif

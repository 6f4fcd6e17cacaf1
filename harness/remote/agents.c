/* The controller's agents: faultline-agent uploaded to every node and started once on
 * a kept stream (remote.h), then spoken to one JSON line at a time and fed heartbeats
 * until the end (DESIGN.md "The agent"). Closing the channels is what makes every agent
 * heal and exit. */
#include "agents.h"

#include <assert.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libexec.h"
#include "shell_quote.h"

#define CALL_TIMEOUT_MS 10000
/* A heartbeat goes to an agent no call has reached for this long: well inside any
 * watchdog a run gives (10 s), with room for a slow node's answer. */
#define HEARTBEAT_AFTER_NS 3000000000LL
#define BEAT_TICK_MS 100

static long long mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void boot_id(char *out, size_t bytes) {
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    out[0] = '\0';
    if (f && fgets(out, (int)bytes, f)) out[strcspn(out, "\n")] = '\0';
    if (f) fclose(f);
}

/* One request line to an agent and its answer line (malloc'd): 0, 1 the agent exited
 * (its stderr: fl_remote_stream_stderr), or -1 (why). */
static int exchange(fl_remote_stream *st, const char *line, char **answer,
                    char why[FL_REMOTE_ERR_BYTES]) {
    *answer = NULL;
    int rc = fl_remote_stream_write_line(st, line, CALL_TIMEOUT_MS, why);
    return rc == 0 ? fl_remote_stream_read_line(st, CALL_TIMEOUT_MS, answer, why) : rc;
}

/* Node i's agent answers its first request (a heartbeat): it started, and its watchdog
 * counts from now. 0, or -1 with why (what it said when it exited at once). */
static int first_answer(fl_agents *a, size_t i, char *why, size_t why_bytes) {
    char *answer;
    int rc = exchange(a->streams[i], "{\"id\":0,\"cmd\":\"heartbeat\"}", &answer, why);
    if (rc == 1)
        snprintf(why, why_bytes, "it exited at once; it said: %s",
                 fl_remote_stream_stderr(a->streams[i]));
    json_t *reply = rc == 0 ? json_loads(answer, 0, NULL) : NULL;
    if (rc == 0 && !json_is_true(json_object_get(reply, "ok")))
        snprintf(why, why_bytes, "its first answer is not ok: %.200s", answer), rc = -1;
    json_decref(reply);
    free(answer);
    return rc == 0 ? 0 : -1;
}

/* A node's heartbeat thread: until fl_agents_stop, or until its agent is gone. */
static void *beat_main(void *arg) {
    fl_agent_beat *b = arg;
    fl_agents *a = b->agents;
    while (!atomic_load(&a->stopping)) {
        struct timespec tick = {0, BEAT_TICK_MS * 1000000L};
        nanosleep(&tick, NULL);
        if (atomic_load(&a->stopping) ||
            mono_ns() - atomic_load(&a->last_call_ns[b->node]) < HEARTBEAT_AFTER_NS)
            continue;
        json_t *beat = json_pack("{s:i,s:s}", "id", 0, "cmd", "heartbeat"), *reply = NULL;
        char err[FL_REMOTE_ERR_BYTES + 600];
        int rc = fl_agents_call(a, b->node, beat, &reply, err, sizeof err);
        json_decref(beat);
        json_decref(reply);
        if (rc != 0) break; /* gone: a->lost says so, and the run's end reports it */
    }
    return NULL;
}

typedef struct start_task {
    fl_agents *a;
    size_t node;
    const char *binary, *controller_boot;
    int watchdog_s;
    int rc;
    char err[FL_REMOTE_ERR_BYTES + 64];
} start_task;

/* Upload the agent to a node and start it, its channel in a->streams[node]; then its
 * first answer (a thread of fl_control_each). */
static void *start_one(void *arg) {
    start_task *t = arg;
    fl_agents *a = t->a;
    const fl_node *node = &a->control->nodes->nodes[t->node];
    fl_remote *s = a->control->remotes[t->node];
    char remote[4096], command[12288], why[FL_REMOTE_ERR_BYTES];
    char *dir_q = fl_shell_quote(node->workdir);
    snprintf(command, sizeof command, "mkdir -p %s/bin", dir_q);
    int rc = fl_remote_run(s, command, NULL, CALL_TIMEOUT_MS, NULL, NULL, 0, why, sizeof why)
             ? -1 : 0;
    /* The clock shim goes along: targets started in faketime mode preload it. */
    char shim[4096], shim_remote[4096];
    snprintf(shim, sizeof shim, "%.*s/libflclock.so", (int)(strrchr(t->binary, '/') - t->binary),
             t->binary);
    snprintf(shim_remote, sizeof shim_remote, "%s/bin/libflclock.so", node->workdir);
    if (rc == 0) rc = fl_remote_upload(s, shim, shim_remote, why);
    snprintf(remote, sizeof remote, "%s/bin/faultline-agent", node->workdir);
    if (rc == 0) rc = fl_remote_upload(s, t->binary, remote, why);
    char *bin_q = fl_shell_quote(remote), *boot_q = fl_shell_quote(t->controller_boot);
    snprintf(command, sizeof command,
             "exec %s serve --clock %s --clock-file %s/clock.offset --watchdog %d "
             "--controller-boot-id %s",
             bin_q, node->clock == FL_CLOCK_SYSTEM ? "system" : "faketime", dir_q, t->watchdog_s,
             boot_q);
    free(bin_q);
    free(boot_q);
    free(dir_q);
    if (rc == 0) rc = fl_remote_stream_open(s, command, &a->streams[t->node], why);
    if (rc == 0) rc = first_answer(a, t->node, why, sizeof why);
    if (rc == 0) { /* fed from now on, while the other nodes are still being set up */
        atomic_store(&a->last_call_ns[t->node], mono_ns());
        a->beats[t->node] = (fl_agent_beat){a, t->node};
        int e = pthread_create(&a->beat_threads[t->node], NULL, beat_main, &a->beats[t->node]);
        if (e != 0) snprintf(why, sizeof why, "cannot start its heartbeat thread: %s", strerror(e)), rc = -1;
        else a->beating[t->node] = true;
    }
    if (rc != 0) snprintf(t->err, sizeof t->err, "%s: starting the agent: %s", node->name, why);
    t->rc = rc;
    return NULL;
}

/* Every node's agent at once, each asked for its first answer as soon as it runs and fed
 * by its heartbeat thread from then on: started one after another, or fed only once all
 * were up, a fast node's watchdog (no request in watchdog_s) could fire while slow nodes
 * (qemu guests on a busy host) were still being set up. */
int fl_agents_start(fl_agents *a, fl_control *c, int watchdog_s, char *err, size_t err_bytes) {
    memset(a, 0, sizeof *a);
    a->control = c;
    for (size_t i = 0; i < c->nodes->count; i++) pthread_mutex_init(&a->node_mu[i], NULL);
    pthread_mutex_init(&a->lost_mu, NULL);
    atomic_init(&a->stopping, false);
    char binary[4096], boot[64];
    bool found = fl_libexec_path("faultline-agent", binary, sizeof binary, err, err_bytes) == 0;
    for (size_t i = 0; found && i < c->nodes->count; i++)
        if (!c->remotes[i]) snprintf(err, err_bytes, "%s", c->errors[i]), found = false;
    if (!found) return fl_agents_stop(a), -1;
    boot_id(boot, sizeof boot);
    start_task tasks[FL_NODES_MAX];
    for (size_t i = 0; i < c->nodes->count; i++)
        tasks[i] = (start_task){a, i, binary, boot, watchdog_s, 0, ""};
    fl_control_each(c, start_one, tasks, sizeof *tasks);
    for (size_t i = 0; i < c->nodes->count; i++)
        if (tasks[i].rc != 0) {
            snprintf(err, err_bytes, "%s", tasks[i].err);
            fl_agents_stop(a); /* the agents that did start heal and exit */
            return -1;
        }
    return 0;
}

/* Records the first lost agent (calls to different nodes run side by side). */
static void note_lost(fl_agents *a, const char *err) {
    pthread_mutex_lock(&a->lost_mu);
    if (!a->lost[0]) snprintf(a->lost, sizeof a->lost, "%s", err);
    pthread_mutex_unlock(&a->lost_mu);
}

static int call_locked(fl_agents *a, size_t node, json_t *request, json_t **reply, char *err,
                       size_t err_bytes) {
    const char *name = a->control->nodes->nodes[node].name;
    if (a->gone[node]) {
        pthread_mutex_lock(&a->lost_mu);
        snprintf(err, err_bytes, "%s: the agent is gone (the first agent lost: %s)", name, a->lost);
        pthread_mutex_unlock(&a->lost_mu);
        return -1;
    }
    char why[FL_REMOTE_ERR_BYTES] = "out of memory";
    char *line = json_dumps(request, JSON_COMPACT), *answer = NULL;
    int rc = line ? exchange(a->streams[node], line, &answer, why) : -1;
    free(line);
    atomic_store(&a->last_call_ns[node], mono_ns());
    if (rc != 0) {
        snprintf(err, err_bytes, "%s: the agent did not answer: %s%s%s", name,
                 rc == 1 ? "it exited" : why, rc == 1 ? "; it said: " : "",
                 rc == 1 ? fl_remote_stream_stderr(a->streams[node]) : "");
        note_lost(a, err);
        a->gone[node] = true;
        free(answer);
        return -1;
    }
    *reply = json_loads(answer, 0, NULL);
    free(answer);
    if (!*reply) return snprintf(err, err_bytes, "%s: the agent's reply is not JSON", name), -1;
    return 0;
}

int fl_agents_call(fl_agents *a, size_t node, json_t *request, json_t **reply, char *err,
                   size_t err_bytes) {
    assert(a->control && node < a->control->nodes->count);
    pthread_mutex_lock(&a->node_mu[node]);
    int rc = call_locked(a, node, request, reply, err, err_bytes);
    pthread_mutex_unlock(&a->node_mu[node]);
    return rc;
}

void fl_agents_stop(fl_agents *a) {
    if (!a->control) return; /* never started, or stopped already */
    atomic_store(&a->stopping, true);
    size_t count = a->control->nodes->count;
    for (size_t i = 0; i < count; i++)
        if (a->beating[i]) pthread_join(a->beat_threads[i], NULL);
    for (size_t i = 0; i < count; i++) {
        if (a->streams[i]) fl_remote_stream_close(a->streams[i], 5000); /* EOF: it heals, exits */
        pthread_mutex_destroy(&a->node_mu[i]);
    }
    pthread_mutex_destroy(&a->lost_mu);
    memset(a->streams, 0, sizeof a->streams);
    memset(a->beating, 0, sizeof a->beating);
    a->control = NULL;
}

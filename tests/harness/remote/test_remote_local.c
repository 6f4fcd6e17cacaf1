/* The layers above the remote table through the "local" remote, with no cluster and no
 * root: a nodes file of two local nodes (work folders in a scratch directory, hosts
 * 127.0.0.1 and 127.0.0.2), the agents uploaded and started on their kept streams and
 * spoken to (hello, a clock bump written to the node's offset file, SIGSTOP/SIGCONT and
 * SIGKILL of a daemon by its pidfile, status), and an in-tree server (fl-quorumkv)
 * uploaded, started, answered, restarted and stopped by targets/support; agents with a
 * short watchdog left without a call for longer than it, kept alive by the heartbeats
 * fl_agents sends itself; no command forked while an upload's file is open for writing
 * (which makes running that file fail "Text file busy"); then an agent that exits at once, which fails the agents'
 * start and stops the other. Every check
 * is made from outside the layer it tests: /proc for process states, the pidfile, a
 * ping over TCP. Exit 0 when all hold; each failure is printed.
 * usage: test_remote_local (FAULTLINE_LIBEXEC names the folder of faultline-agent,
 * libflclock.so and fl-quorumkv) */
#include <dirent.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents.h"
#include "clock_offset.h"
#include "control.h"
#include "daemon.h"
#include "nodes.h"
#include "tally.h"


static void pass(const char *what) { printf("ok   %s\n", what); }

/* One request to node's agent; the reply's "applied" object (new reference) when it
 * said ok, else NULL with the failure printed. */
static json_t *agent(fl_agents *a, size_t node, json_t *request) {
    json_t *reply = NULL;
    char err[1024];
    int rc = fl_agents_call(a, node, request, &reply, err, sizeof err);
    char *text = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    json_t *applied = NULL;
    if (rc != 0) tally_fail("agent %s: %s", text, err);
    else if (!json_is_true(json_object_get(reply, "ok")))
        tally_fail("agent %s: %s", text, json_string_value(json_object_get(reply, "error")));
    else applied = json_incref(json_object_get(reply, "applied"));
    free(text);
    json_decref(reply);
    return applied;
}

/* The state letter of pid in /proc/PID/stat ('R', 'S', 'T' …), or '-' when gone. */
static char proc_state(long pid) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    char state = '-';
    if (f && fgets(line, sizeof line, f)) {
        const char *close = strrchr(line, ')');   /* the name may hold spaces */
        if (close && close[1] == ' ') state = close[2];
    }
    if (f) fclose(f);
    return state == 'Z' ? '-' : state;
}

static void wait_state(long pid, char want) {
    for (int i = 0; i < 50 && proc_state(pid) != want; i++) usleep(20 * 1000);
}

static void check_hello(fl_agents *a, size_t nodes) {
    for (size_t i = 0; i < nodes; i++) {
        json_t *hello = agent(a, i, json_pack("{s:i,s:s}", "id", 1, "cmd", "hello"));
        const char *clock = json_string_value(json_object_get(hello, "clock"));
        if (hello && (!clock || strcmp(clock, "faketime")))
            tally_fail("n%zu: hello says clock %s, want faketime", i + 1, clock ? clock : "(none)");
        else if (hello) pass("the agent answers hello over the local stream");
        json_decref(hello);
    }
}

/* A clock bump in faketime mode lands in the node's clock.offset file (the one every
 * process under the shim maps). */
static void check_clock(fl_agents *a, const fl_node *node) {
    json_decref(agent(a, 0, json_pack("{s:i,s:s,s:s,s:i}", "id", 2, "cmd", "clock", "op",
                                      "bump", "delta_ms", 250)));
    char path[4200], err[FL_CLOCK_ERR_BYTES];
    snprintf(path, sizeof path, "%s/clock.offset", node->workdir);
    fl_clock_offset *c = fl_clock_offset_open(path, false, err);
    long long offset = c ? (long long)fl_clock_offset_get(c) : 0;
    fl_clock_offset_close(c);
    if (!c) tally_fail("%s", err);
    else if (offset != 250000000LL) tally_fail("%s: offset %lld ns, want 250000000", path, offset);
    else pass("a clock bump reaches the node's offset file");
}

static json_t *signal_request(int id, const char *pidfile, const char *sig) {
    return json_pack("{s:i,s:s,s:s,s:s}", "id", id, "cmd", "signal", "pidfile", pidfile, "sig",
                     sig);
}

/* Pause, resume and kill the daemon on node 0 through its agent, then start it again. */
static void check_signals(fl_agents *a, fl_target_ctx *t, const fl_daemon *d, const char *pidfile) {
    fl_service s = {.name = d->name, .writes_pidfile = true};
    long pid = fl_service_pid(t, &s, 0);
    if (pid <= 0) return tally_fail("no live pid in %s", pidfile);
    json_decref(agent(a, 0, signal_request(3, pidfile, "STOP")));
    wait_state(pid, 'T');
    if (proc_state(pid) != 'T') tally_fail("pid %ld is '%c' after STOP, want T", pid, proc_state(pid));
    else if (fl_daemon_answers(t, d, 0, 300)) tally_fail("a paused daemon answered a ping");
    else pass("SIGSTOP through the agent pauses the daemon");
    json_decref(agent(a, 0, signal_request(4, pidfile, "CONT")));
    if (!fl_daemon_answers(t, d, 0, 2000)) tally_fail("the daemon does not answer after CONT");
    else pass("SIGCONT through the agent resumes it");
    json_decref(agent(a, 0, signal_request(5, pidfile, "KILL")));
    wait_state(pid, '-');
    if (proc_state(pid) != '-') tally_fail("pid %ld is '%c' after KILL", pid, proc_state(pid));
    else pass("SIGKILL through the agent ends it");
    char err[2048];
    if (fl_daemon_start(t, d, 0, err, sizeof err) != 0) return tally_fail("restart: %s", err);
    long again = fl_service_pid(t, &s, 0);
    if (again <= 0 || again == pid) tally_fail("pid after restart %ld (before %ld)", again, pid);
    else pass("restarted by targets/support after the kill");
}

/* How many running processes' command lines contain text (/proc). */
static int processes_with(const char *text) {
    DIR *proc = opendir("/proc");
    int count = 0;
    for (struct dirent *e; proc && (e = readdir(proc));) {
        char path[300], line[8192];
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(line, 1, sizeof line - 1, f) : 0;
        if (f) fclose(f);
        for (size_t i = 0; i < n; i++) line[i] = line[i] ? line[i] : ' ';
        line[n] = '\0';
        count += strstr(line, text) != NULL;
    }
    if (proc) closedir(proc);
    return count;
}

/* An agent that exits at once (n2's clock file cannot be opened: it is a folder) fails
 * the start, naming its node and what it said; n1's agent, started beside it, is stopped. */
static void check_start_failure(fl_control *ctl, const char *dir) {
    char path[4300], err[2048];
    snprintf(path, sizeof path, "%s/n2/clock.offset", dir);
    unlink(path);
    if (mkdir(path, 0755) != 0) return tally_fail("mkdir %s", path);
    fl_agents agents;
    int rc = fl_agents_start(&agents, ctl, 60, err, sizeof err);
    if (rc == 0) {
        fl_agents_stop(&agents);
        return tally_fail("agents started although n2's clock file is a folder");
    }
    if (!strstr(err, "n2: starting the agent: it exited at once; it said: faultline-agent: "))
        return tally_fail("a failed start says: %s", err);
    snprintf(path, sizeof path, "%s/n1/bin/faultline-agent", dir);
    int left = processes_with(path);
    if (left != 0) return tally_fail("%d agent(s) of n1 still running after the failed start", left);
    pass("an agent that exits at once fails the start, naming its node; the other is stopped");
}

/* Agents with a 5-s watchdog, sent no call for 7 s: the heartbeats fl_agents sends on
 * its own (a call was last made 3 s ago) keep both alive, so both still answer. Nothing
 * else feeds them here, as nothing does while a slow node is still being set up. */
static void check_fed_alone(fl_control *ctl) {
    char err[2048];
    fl_agents agents;
    if (fl_agents_start(&agents, ctl, 5, err, sizeof err) != 0) return tally_fail("agents: %s", err);
    sleep(7);
    int before = tally_failures();
    for (size_t i = 0; i < ctl->nodes->count; i++)
        json_decref(agent(&agents, i, json_pack("{s:i,s:s}", "id", 1, "cmd", "hello")));
    fl_agents_stop(&agents);
    if (tally_failures() == before)
        pass("agents left 7 s without a call outlive their 5-s watchdog: fl_agents feeds them");
}

/* check_fork_waits_for_upload's threads: an upload (from a FIFO the test feeds) and a
 * command on the other node, each saying when it is done. */
typedef struct side_call {
    fl_remote *remote;
    const char *from, *to;
    atomic_bool done;
    int rc;
    char err[FL_REMOTE_ERR_BYTES];
} side_call;

static void *upload_side(void *arg) {
    side_call *c = arg;
    c->rc = fl_remote_upload(c->remote, c->from, c->to, c->err);
    atomic_store(&c->done, true);
    return NULL;
}

static void *exec_side(void *arg) {
    side_call *c = arg;
    fl_exec_result r = {0};
    c->rc = fl_remote_exec(c->remote, "true", 10000, &r, c->err);
    if (c->rc == 0) fl_exec_result_free(&r);
    atomic_store(&c->done, true);
    return NULL;
}

/* No command starts (forks) while an upload's file is open for writing: a child forked
 * then would hold that file open until it exec'd, and running the file meanwhile fails
 * "Text file busy" (an agent uploaded to one node and started at once failed so while
 * another node's command was forking; agents are set up on every node at once). Here an
 * upload to n1 is held open by feeding it from a FIFO, and a command on n2 must wait
 * for it to finish. */
static void check_fork_waits_for_upload(fl_control *ctl, const char *dir) {
    char fifo[4300], to[4300];
    snprintf(fifo, sizeof fifo, "%s/slow-source", dir);
    snprintf(to, sizeof to, "%s/n1/slow-copy", dir);
    if (mkfifo(fifo, 0600) != 0) return tally_fail("mkfifo %s", fifo);
    side_call up = {.remote = ctl->remotes[0], .from = fifo, .to = to};
    side_call cmd = {.remote = ctl->remotes[1]};
    pthread_t ut, ct;
    pthread_create(&ut, NULL, upload_side, &up);
    FILE *feed = fopen(fifo, "w"); /* once the upload opened it */
    if (!feed) {
        tally_fail("opening %s to feed the upload", fifo);
        exit(1); /* the upload waits on it for ever */
    }
    fputs("first half\n", feed);
    fflush(feed);
    usleep(300 * 1000); /* the copy has its file open */
    pthread_create(&ct, NULL, exec_side, &cmd);
    usleep(500 * 1000);
    bool ran_meanwhile = atomic_load(&cmd.done);
    fputs("second half\n", feed);
    fclose(feed);
    pthread_join(ut, NULL);
    pthread_join(ct, NULL);
    unlink(fifo);
    if (up.rc != 0 || cmd.rc != 0)
        return tally_fail("upload: %s; command: %s", up.rc ? up.err : "ok", cmd.rc ? cmd.err : "ok");
    if (ran_meanwhile) return tally_fail("a command started on n2 while an upload to n1 was being written");
    pass("a command waits while an upload's file is open for writing (no fork inherits it)");
}

/* A nodes file of two local nodes in dir; its path in path. */
static int write_nodes(const char *dir, char *path, size_t bytes) {
    snprintf(path, bytes, "%s/nodes.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f,
            "{\"remote\": \"local\", \"nodes\": [\n"
            "  {\"name\": \"n1\", \"host\": \"127.0.0.1\", \"workdir\": \"%s/n1\"},\n"
            "  {\"name\": \"n2\", \"host\": \"127.0.0.2\", \"workdir\": \"%s/n2\"}]}\n",
            dir, dir);
    return fclose(f);
}

int main(void) {
    char dir[] = "/tmp/fl-remote-local.XXXXXX", path[4200], err[2048];
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    fl_nodes nodes;
    fl_control ctl;
    fl_agents agents;
    if (write_nodes(dir, path, sizeof path) != 0 || fl_nodes_read(path, &nodes, err) != 0)
        return fprintf(stderr, "nodes file: %s\n", err), 1;
    if (fl_control_open(&ctl, &nodes, false, 5000, err, sizeof err) != 0)
        return fprintf(stderr, "local remotes: %s\n", err), 1;
    fl_target_ctx t = {.nodes = &nodes, .control = &ctl, .run_dir = dir, .log = stderr};
    /* A port of its own, so that runs side by side do not meet. */
    const fl_daemon qkv = {.name = "quorumkv", .binary = "fl-quorumkv",
                           .port = 20000 + (int)(getpid() % 20000)};
    char pidfile[4300];
    snprintf(pidfile, sizeof pidfile, "%s/n1/quorumkv/quorumkv.pid", dir);

    if (fl_agents_start(&agents, &ctl, 60, err, sizeof err) != 0) {
        tally_fail("agents: %s", err);
    } else {
        check_hello(&agents, nodes.count);
        check_clock(&agents, &nodes.nodes[0]);
        if (fl_daemon_setup(&t, &qkv, err, sizeof err) != 0) tally_fail("setup: %s", err);
        for (size_t i = 0; i < nodes.count && !tally_failures(); i++)
            if (fl_daemon_start(&t, &qkv, i, err, sizeof err) != 0) tally_fail("start: %s", err);
        if (!tally_failures()) pass("fl-quorumkv started on both local nodes and answers");
        if (!tally_failures()) check_signals(&agents, &t, &qkv, pidfile);
        json_decref(agent(&agents, 0, json_pack("{s:i,s:s}", "id", 6, "cmd", "status")));
        fl_agents_stop(&agents);
    }
    fl_service s = {.name = qkv.name, .writes_pidfile = true};
    long pids[2] = {fl_service_pid(&t, &s, 0), fl_service_pid(&t, &s, 1)};
    for (size_t i = 0; i < nodes.count; i++)
        if (fl_daemon_stop(&t, &qkv, i, err, sizeof err) != 0) tally_fail("stop: %s", err);
    for (size_t i = 0; i < 2; i++)
        if (pids[i] > 0 && proc_state(pids[i]) != '-') {
            tally_fail("n%zu: pid %ld alive after stop", i + 1, pids[i]);
            kill((pid_t)pids[i], SIGKILL);
        }
    if (!tally_failures()) pass("stopped on both nodes, nothing left running");
    check_fork_waits_for_upload(&ctl, dir);
    check_fed_alone(&ctl);
    check_start_failure(&ctl, dir);
    fl_control_close(&ctl);
    fl_nodes_free(&nodes);
    char rm[4300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0) tally_fail("could not remove %s", dir);
    printf("# %d failed\n", tally_failures());
    return tally_failures() ? 1 : 0;
}

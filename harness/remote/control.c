/* One remote per node, opened and used in parallel (see control.h). */
#include "control.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netns.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct task {
    fl_control *c;
    size_t node;
    bool trust_new_hosts;
    int timeout_ms;
    const char *command;
    fl_node_result *result;
} task;

static void *connect_one(void *arg) {
    task *t = arg;
    const fl_nodes *n = t->c->nodes;
    const fl_node *node = &n->nodes[t->node];
    fl_remote_target target = {node->name,   node->host,         node->port,
                               node->user,   node->key,          n->known_hosts,
                               t->trust_new_hosts, node->sudo,   t->timeout_ms,
                               node->netns};
    double start = now_ms();
    /* fl_nodes_read let only "ssh" and "local" through. */
    const fl_remote_ops *ops = fl_remote_ops_named(n->remote ? n->remote : "ssh");
    if (fl_remote_connect(ops, &target, &t->c->remotes[t->node], t->c->errors[t->node]) != 0)
        t->c->remotes[t->node] = NULL;
    t->c->connect_ms[t->node] = now_ms() - start;
    return NULL;
}

static void *exec_one(void *arg) {
    task *t = arg;
    fl_node_result *r = t->result;
    fl_remote *s = t->c->remotes[t->node];
    double start = now_ms();
    if (!s) {
        r->rc = -1;
        snprintf(r->error, sizeof r->error, "%s", t->c->errors[t->node]);
        return NULL;
    }
    r->rc = fl_remote_exec(s, t->command, t->timeout_ms, &r->r, r->error);
    r->ms = now_ms() - start;
    return NULL;
}

void fl_control_each(const fl_control *c, void *(*fn)(void *), void *tasks, size_t task_bytes) {
    pthread_t ids[FL_NODES_MAX];
    bool started[FL_NODES_MAX] = {false};
    char *task_at = tasks;
    for (size_t i = 0; i < c->nodes->count; i++)
        started[i] = pthread_create(&ids[i], NULL, fn, task_at + i * task_bytes) == 0;
    for (size_t i = 0; i < c->nodes->count; i++) {
        if (started[i]) pthread_join(ids[i], NULL);
        else fn(task_at + i * task_bytes); /* no thread to be had: on this one */
    }
}

int fl_control_open(fl_control *c, const fl_nodes *nodes, bool trust_new_hosts,
                    int timeout_ms, char *err, size_t err_bytes) {
    memset(c, 0, sizeof *c);
    c->nodes = nodes;
    if (fl_netns_prepare(nodes, err, err_bytes) != 0) return -1;
    task tasks[FL_NODES_MAX];
    for (size_t i = 0; i < nodes->count; i++)
        tasks[i] = (task){c, i, trust_new_hosts, timeout_ms, NULL, NULL};
    fl_control_each(c, connect_one, tasks, sizeof *tasks);
    int unreachable = 0;
    for (size_t i = 0; i < nodes->count; i++) unreachable += c->remotes[i] == NULL;
    return unreachable;
}

void fl_control_exec_all(fl_control *c, const char *command, int timeout_ms,
                         fl_node_result *results) {
    task tasks[FL_NODES_MAX];
    for (size_t i = 0; i < c->nodes->count; i++) {
        memset(&results[i], 0, sizeof results[i]);
        tasks[i] = (task){c, i, false, timeout_ms, command, &results[i]};
    }
    fl_control_each(c, exec_one, tasks, sizeof *tasks);
}

void fl_control_close(fl_control *c) {
    for (size_t i = 0; c->nodes && i < c->nodes->count; i++)
        if (c->remotes[i]) fl_remote_close(c->remotes[i]);
    memset(c, 0, sizeof *c);
}

/* fl-raftkv: a Raft-replicated key-value store, the second in-tree system under test. The
 * protocol is the Raft core's (../core, a pure state machine); the Raft host (server.h)
 * runs it, with the key-value map (kv_app.c) as its state machine. Correct mode is
 * linearizable; --bug turns on a seeded bug of the core. Exit codes: host_main.c. */
#include "server.h"

extern const rkv_app rkv_kv_app;

int main(int argc, char **argv) { return rkv_host_main(argc, argv, &rkv_kv_app); }

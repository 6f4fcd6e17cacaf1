/* fl-lockd: the lock service of lockd (DESIGN.md "Targets"): the Raft host of
 * targets/raftkv/server with the lock table (lock_app.c) as its state machine. Exit codes
 * as every Raft host daemon's (host_main.c). */
#include "server.h"

extern const rkv_app lockd_app;

int main(int argc, char **argv) { return rkv_host_main(argc, argv, &lockd_app); }

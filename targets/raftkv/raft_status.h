/* What the controller asks of a Raft host daemon (fl-raftkv, fl-lockd: both answer
 * `status` with their role and the leader they follow): whether the cluster serves (a
 * majority follows one leader) and who says it leads. Shared by their adapters. */
#ifndef FL_RAFT_STATUS_H
#define FL_RAFT_STATUS_H

#include <stdint.h>

#include "daemon.h"
#include "target.h"

/* Wait (up to 20 s) until a majority of the nodes follow one leader that says it leads.
 * 0, or -1 with err naming the log to read (d->name's). */
int fl_raft_status_ready(fl_target_ctx *t, const fl_daemon *d, char *err, size_t bytes);
/* The nodes that say they lead now (a deposed leader may still say so: both count). */
int fl_raft_status_primaries(fl_target_ctx *t, const fl_daemon *d, uint64_t *nodes);

#endif

/* Scripted scenarios for raft-sim --script (see scenario.c for each schedule). */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stdio.h>

#include "sim.h"

bool scenario_exists(const char *name);
/* Runs the named scenario in *s (initialised here; the caller sim_free's it): 0 when
 * every check held, 1 on a violation (in s->oracle), -1 for an unknown name. */
int scenario_run(sim *s, const char *name, unsigned bugs, bool verbose, FILE *out);

#endif

/* When a run first showed an anomaly: the suite's summary table (and night-to-night
 * comparisons) want "how long until the bug showed", not only whether it did. */
#ifndef FL_FIRST_ANOMALY_H
#define FL_FIRST_ANOMALY_H

/* Seconds from the run's start to the completion of the earliest op that a checker's
 * anomaly names (the linearizable checker's failing op of each invalid key — the moment
 * the impossible result was seen — and the last op of each session-guarantee violation
 * shown), from RUN_DIR/results.json and the op's
 * "time" in RUN_DIR/history.jsonl; -1 when the run names none or the files cannot be
 * read. */
double fl_first_anomaly_s(const char *run_dir);

#endif

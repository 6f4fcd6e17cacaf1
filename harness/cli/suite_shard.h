/* --shard I/N: which tests of a suite one of N CI workers runs. The split depends only
 * on the suite file (the tests' order and their estimated lengths), never on the
 * machine, the clock or the seeds, so N workers given the same file cover it once. */
#ifndef FL_SUITE_SHARD_H
#define FL_SUITE_SHARD_H

#include <stddef.h>

/* "I/N" with 1 <= I <= N <= 1000. 0, or 64 with the message printed. */
int fl_shard_parse(const char *text, int *index, int *count);

/* shard_of[i] (1..count) for each of n tests with these estimated lengths: the longest
 * test first (ties: file order) to the shard with the least estimated time so far (ties:
 * the lowest number) — greedy longest-processing-time, so a nightly's long tests spread
 * over the workers. Tests of equal length go round-robin: test i to shard (i mod N) + 1. */
void fl_shard_assign(const double *seconds, size_t n, int count, int *shard_of);

#endif

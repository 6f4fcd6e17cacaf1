/* What keeps a fuzzer's run the same from one time to the next (fuzz/README.md,
 * "How CI runs them"): fuzz_fixed.c is linked into every fuzzer. */
#ifndef FL_FUZZ_FIXED_H
#define FL_FUZZ_FIXED_H

#include <stddef.h>

/* Make a scratch directory and put its path in path (bytes long): /dev/shm/NAME, or
 * /tmp/NAME where /dev/shm cannot be written, when no such directory exists yet, so that
 * the paths the code under test compares are the same every run; else (a run beside this
 * one, or one that crashed and left its directory) a new NAME.XXXXXX, with a note on
 * stderr. The directory and what is in it are removed when the fuzzer exits normally
 * (libFuzzer's exit after -runs; a crash leaves it, with the crash's input, for a look).
 * 0, or -1 with errno. */
int fuzz_scratch_dir(char *path, size_t bytes, const char *name);

#endif

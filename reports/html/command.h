/* The command line that reproduces a run, for the top of its report. */
#ifndef FL_REPORT_COMMAND_H
#define FL_REPORT_COMMAND_H

#include <jansson.h>

/* Append s to out as one POSIX shell word: unchanged when it only has characters no
 * shell treats specially (and does not start with =, which zsh expands), else in
 * single quotes (a ' inside as '\''). */
void rp_shell_quote(const char *s, char *out, size_t bytes);

/* From test.json: its "argv" (an array of strings) when present, with --seed SEED
 * added when argv does not give one; otherwise `faultline test` rebuilt from the
 * resolved settings in "config": every setting that shapes the run (not --store,
 * --test-count or --name), settings that are unset (null, or a target option that is
 * "") left out, each word quoted for a POSIX shell where it needs it. Read back by
 * `faultline test`, it resolves to the same test.json config (tests/reports/
 * test_reproduce.c). A new string (free it), or NULL when test.json has neither. */
char *rp_reproduce_command(const json_t *test);

#endif

/* For the plain (non-cmocka) test programs that drive a system and go on after a failed
 * check to report every one: a failure printed as "FAIL …" on stderr and counted. */
#ifndef FL_TEST_TALLY_H
#define FL_TEST_TALLY_H

__attribute__((format(printf, 1, 2))) void tally_fail(const char *fmt, ...);
/* How many failures so far. */
int tally_failures(void);

#endif

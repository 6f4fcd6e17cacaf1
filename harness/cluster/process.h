/* Running local programs (ip, ssh-keygen, unshare) for the local cluster: argv only,
 * never a shell, stderr captured for the error message. */
#ifndef FL_PROCESS_H
#define FL_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

/* Run argv and wait; stdin from `input` (NULL: /dev/null). 0 when it exited 0; else -1
 * and err holds the command and what it printed on stderr. */
int fl_run(const char *const argv[], const char *input, char *err, size_t err_bytes);
/* Run argv and wait, stdin /dev/null, stdout and stderr together into out (bytes long,
 * NUL-ended): the last bytes - 1 of them when it printed more. Its exit status (0-255),
 * or -1 with err when it could not be run or died of a signal. */
int fl_run_capture(const char *const argv[], char *out, size_t bytes, char *err,
                   size_t err_bytes);
/* Start argv detached (own session, stdin /dev/null, stdout and stderr to log_path);
 * its pid, or -1. */
pid_t fl_spawn_detached(const char *const argv[], const char *log_path, char *err,
                        size_t err_bytes);
/* Is pid alive and running a program whose command line contains `needle`? */
int fl_pid_running(pid_t pid, const char *needle);

#endif

/* POSIX shell quoting: arguments as single words for a command line run on a node. */
#ifndef FL_SHELL_QUOTE_H
#define FL_SHELL_QUOTE_H

#include <stddef.h>

/* The argument as one word, whatever it holds (malloc'd). Always single quotes (''
 * for the empty string; NULL counts as empty), ' as '\''. NULL only when out of memory. */
char *fl_shell_quote(const char *arg);
/* argv quoted and joined with spaces (malloc'd); NULL only when out of memory. */
char *fl_shell_join(const char *const *argv, size_t argc);

#endif

/* A list-append key's elements as the postgres target keeps them in its `lst` column:
 * decimal integers joined by commas ("1,2,3"). Read back from the server, so outside
 * input: fuzz/fuzz_target_replies.c feeds it any text. */
#ifndef FL_PG_LIST_TEXT_H
#define FL_PG_LIST_TEXT_H

#include <stddef.h>

#include <jansson.h>

/* "1,2,3" -> [1, 2, 3] into *out (new reference); "" is []. 0, or -1 with err naming
 * what is not a list of integers (never a shortened list). */
int fl_pg_list_parse(const char *text, json_t **out, char *err, size_t bytes);

#endif

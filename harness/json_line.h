/* Line numbers inside a JSON text that parsed: jansson keeps none for values, but an
 * error about a suite file's third test should say where that test is. */
#ifndef FL_JSON_LINE_H
#define FL_JSON_LINE_H

#include <stddef.h>

/* The 1-based line where the top-level object's member key starts its value, or (index
 * >= 0) where the index-th element of that member's array starts; 0 when not found. */
int fl_json_line_of(const char *text, const char *key, long index);

#endif

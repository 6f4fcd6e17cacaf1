/* The zoo's pages in the store (DESIGN.md "Zoo"): `faultline zoo` leaves
 * STORE/zoo/<YYYYmmddTHHMMSSZ>/zoo.json (the detection matrix and every run) and zoo.html
 * (the same, self-contained), with STORE/zoo/latest naming the newest. This reads a
 * zoo.json back (an earlier night's, to compare with; the store index's list of zoo
 * pages) and writes the page. */
#ifndef FL_ZOO_H
#define FL_ZOO_H

#include <stddef.h>

#include <jansson.h>

#define FL_ZOO_ROWS_MAX 1000       /* rows a zoo.json may hold */
#define FL_ZOO_NAME_BYTES_MAX 200  /* a row's name, target or mode */
#define FL_ZOO_FILE_BYTES_MAX (64 * 1024 * 1024)

/* A zoo.json's text read back: what an earlier night is compared on, checked and
 * normalised (the file is outside input: it may be damaged, or from another build).
 *   {"started": STRING, "exit": INT or null,
 *    "rows": [{"name", "target", "mode" (strings; target and mode may be null),
 *              "correct": BOOL, "runs": runs made, "detected", "unknown", "errors"}]}
 * "runs" is the length of the row's "runs" list; detected, unknown and errors must be
 * integers from 0 to runs, adding up to at most runs; names non-empty UTF-8 of at most
 * FL_ZOO_NAME_BYTES_MAX bytes and distinct; at most FL_ZOO_ROWS_MAX rows. Anything else
 * is refused: NULL with err saying what. */
json_t *fl_zoo_parse(const char *text, size_t len, char *err, size_t bytes);
/* The same from a file (at most FL_ZOO_FILE_BYTES_MAX bytes). */
json_t *fl_zoo_read(const char *path, char *err, size_t bytes);

/* The zoo pages of store_dir, newest first: for each STORE/zoo/<stamp>/ (a UTC stamp,
 * maybe with -N) whose zoo.json reads back, fl_zoo_read's object plus "href" (the page,
 * relative to the store: "zoo/<stamp>/zoo.html") and "stamp". Pages that do not read
 * back are left out. Never NULL (an empty list when there is no zoo). */
json_t *fl_store_scan_zoos(const char *store_dir);

/* dir/zoo.html for zoo (the object written as zoo.json), through a temporary file
 * renamed over it: the matrix, each run a link to its report.html (run directories
 * are relative to the store, two levels up). 0, or -1 with err. */
int fl_zoo_page_write(const char *dir, const json_t *zoo, char *err, size_t bytes);

#endif

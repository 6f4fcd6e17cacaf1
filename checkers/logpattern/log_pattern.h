/* The log-pattern checker: regular expressions (pcre2) run over the daemon logs that
 * the harness fetched from every node, to catch what a history cannot show — a panic,
 * a failed assertion, a sanitizer report, a crash — even when every op looked fine.
 *
 * Input: a run directory (DESIGN.md "Run store") whose node logs sit in
 * RUN_DIR/nodes/<node>/: every regular file there, and in the directories right below
 * it (nodes/<node>/<dir>/<file>), is a log. Deeper directories, symbolic links and other
 * special files are skipped and listed (a symlink could lead anywhere; a fifo would
 * block); so are entries of nodes/ that are not directories.
 *
 * Patterns: each has a name and a regex (pcre2 syntax, matched byte-wise against one
 * line at a time, without its line end; no UTF mode, so invalid UTF-8 in logs is fine).
 * The defaults:
 *   panic      \bpanic(ked)?\b              Go "panic:", Rust "panicked at", kernel panics
 *   assertion  Assertion .* failed|assertion failed   glibc assert(), Rust assert!
 *   asan       ERROR: AddressSanitizer|ERROR: LeakSanitizer
 *   ubsan      runtime error:                UBSan reports
 *   tsan       WARNING: ThreadSanitizer
 *   segfault   Segmentation fault|SIGSEGV
 * User patterns, given as "NAME=REGEX" (NAME: letters, digits, '_', '-', '.'; at most
 * 64 bytes; the regex is all after the first '='), are added to the defaults; one named
 * like a default replaces it; with replace_defaults only the user's patterns are used.
 *
 * Reading: line by line through a fixed 64 KiB buffer, never a whole file; a line
 * longer than that is matched in 64 KiB pieces that share its line number (a match
 * spanning two pieces is missed: logs with such lines are not what these patterns are
 * for). Only the first max_file_bytes of a file are scanned; larger files are listed in
 * truncated_files. Files and directories are visited in byte order of their names, so
 * results are reproducible.
 *
 * Verdict: false when any pattern matched any line (each match is evidence on its own:
 * the line is quoted); else "unknown" with `reason` when there is no nodes directory,
 * no log file in it, a log that could not be read, or a line pcre2 could not finish
 * matching (e.g. its match limit) — something went unchecked; else true. So a pass
 * means every listed file was read (up to the limit) and nothing matched; and, like any
 * grep, a false is only as good as the pattern (a log that prints "panic" in a benign
 * message matches the default).
 *
 * Result object (DESIGN.md "Checkers"):
 *   {"valid": true|false|"unknown", "reason" (only when unknown),
 *    "patterns": [names, defaults first, in order], "max_file_bytes",
 *    "files_scanned", "bytes_scanned",
 *    "matches": [{"pattern", "node", "file" (path relative to RUN_DIR), "line"
 *        (1-based), "text": the line (without its line end) cut to its first 300 bytes
 *        at a character boundary, invalid UTF-8 bytes replaced by U+FFFD, and
 *        "text_truncated": true when it was cut}, …] first 100, in file order (a line
 *        matching two patterns gives two matches),
 *    "match_count", "by_pattern": {name: matches, for every pattern},
 *    "truncated_files": [{"file", "size_bytes", "scanned_bytes"}] first 100,
 *    "skipped": [{"file", "reason"}] first 100, "skipped_count",
 *    "unreadable": [{"file", "error"}] first 100, "unreadable_count",
 *    "match_error_count", "match_error" (only when some: {"pattern", "file", "line",
 *        "error": pcre2's message} of the first)}
 *   Names of nodes and files that are not UTF-8 are shown with U+FFFD as in text.
 *
 * Returns the result (new reference), or NULL with err set when a user pattern is
 * malformed ("pattern NAME: ... at offset N" with pcre2's message), an option is out of
 * range, RUN_DIR itself cannot be opened, or memory runs out. Time: linear in the bytes
 * scanned times the number of patterns; memory: the buffer and the compiled patterns. */
#ifndef FL_LOG_PATTERN_H
#define FL_LOG_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define FL_LOG_PATTERN_MAX_FILE_BYTES_DEFAULT (64u << 20) /* 64 MiB */
#define FL_LOG_PATTERN_NAME_MAX 64

typedef struct fl_log_pattern_options {
    const char *const *patterns; /* "NAME=REGEX" strings */
    size_t pattern_count;
    bool replace_defaults;       /* only the patterns given here */
    size_t max_file_bytes;       /* scan at most this much of each file; 0: the default */
} fl_log_pattern_options;

/* o may be NULL (the defaults). */
json_t *fl_check_log_patterns(const char *run_dir, const fl_log_pattern_options *o,
                              char *err, size_t err_bytes);

/* Compile the patterns o names without scanning anything, so a command line can be
 * refused before a run: 0, or -1 with err set as fl_check_log_patterns sets it. */
int fl_log_patterns_validate(const fl_log_pattern_options *o, char *err, size_t err_bytes);

/* The i-th default pattern's name (NULL past the last) and, in *regex, its regex. */
const char *fl_log_pattern_default(size_t i, const char **regex);

#endif

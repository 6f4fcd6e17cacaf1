/* The log-pattern checker's pattern set (log_pattern.h "Patterns"): the defaults and
 * the user's NAME=REGEX strings, compiled with pcre2, matched one line at a time with
 * one match-data block for all. */
#ifndef FL_LP_PATTERNS_H
#define FL_LP_PATTERNS_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log_pattern.h"

typedef struct lp_pattern {
    char *name;         /* owned */
    pcre2_code *code;   /* owned */
    bool user;          /* given by the user (a default it replaced counts as given) */
    uint64_t matches;   /* lines it matched so far */
} lp_pattern;

typedef struct lp_patterns {
    lp_pattern *list;   /* defaults first (in their order), then the user's */
    size_t count;
    pcre2_match_data *match_data; /* one ovector pair: only whether it matched counts */
} lp_patterns;

/* 0, or -1 with err set (a malformed user pattern names it). */
int lp_patterns_build(lp_patterns *s, const fl_log_pattern_options *o, char *err,
                      size_t err_bytes);
void lp_patterns_free(lp_patterns *s);

/* 1 when pattern i matches line, 0 when not, or a negative pcre2 error code. */
int lp_pattern_match(lp_patterns *s, size_t i, const char *line, size_t len);

#endif

/* Names of the session guarantees, and the parser of "ryw,mr,mw,wfr" lists used by the
 * command line to say which guarantees a system claims. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "session.h"

#define NAME_MAX_BYTES 64

static const struct {
    unsigned bit;
    const char *short_name, *long_name;
} names[] = {
    {FL_SESSION_RYW, "ryw", "read-your-writes"},
    {FL_SESSION_MR, "mr", "monotonic-reads"},
    {FL_SESSION_MW, "mw", "monotonic-writes"},
    {FL_SESSION_WFR, "wfr", "writes-follow-reads"},
};

const char *fl_session_guarantee_name(unsigned bit) {
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].bit == bit) return names[i].short_name;
    return NULL;
}

static unsigned bit_of(const char *name) {
    if (!strcasecmp(name, "all")) return FL_SESSION_ALL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i].short_name) || !strcasecmp(name, names[i].long_name))
            return names[i].bit;
    return 0;
}

int fl_session_guarantees_parse(const char *text, unsigned *out, char *why, size_t why_bytes) {
    unsigned bits = 0;
    size_t names_seen = 0;
    const char *p = text ? text : "";
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && isspace((unsigned char)*p)) p++, len--;
        while (len && isspace((unsigned char)p[len - 1])) len--;
        char name[NAME_MAX_BYTES];
        unsigned bit = 0;
        if (len > 0 && len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            bit = bit_of(name);
        }
        if (!bit) {
            snprintf(why, why_bytes, "unknown session guarantee \"%.*s\": expected ryw, mr, mw, "
                     "wfr (or read-your-writes, monotonic-reads, monotonic-writes, "
                     "writes-follow-reads, all), separated by commas", (int)(len < 40 ? len : 40), p);
            return -1;
        }
        bits |= bit;
        names_seen++;
        if (!comma) break;
        p = comma + 1;
        if (!*p) {
            snprintf(why, why_bytes, "a session guarantee list must not end with a comma");
            return -1;
        }
    }
    *out = names_seen ? bits : FL_SESSION_ALL;
    return 0;
}

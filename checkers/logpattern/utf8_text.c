/* Bytes as JSON strings, invalid UTF-8 replaced (see utf8_text.h). The ranges are
 * those of RFC 3629 table "UTF8-octets", so what passes here passes jansson. */
#include "utf8_text.h"

#include <stdlib.h>
#include <string.h>

static bool in(unsigned char c, unsigned char lo, unsigned char hi) {
    return c >= lo && c <= hi;
}

size_t utf8_sequence_length(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (in(c, 0xC2, 0xDF)) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F; /* no surrogates */
    else if (in(c, 0xE1, 0xEF)) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F; /* nothing past U+10FFFF */
    else if (in(c, 0xF1, 0xF3)) len = 4;
    else return 0;
    if (n < len || !in(s[1], lo, hi)) return 0;
    for (size_t k = 2; k < len; k++)
        if (!in(s[k], 0x80, 0xBF)) return 0;
    return len;
}

json_t *utf8_text_json(const char *s, size_t len, size_t max_bytes, bool *truncated) {
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *in_bytes = (const unsigned char *)s;
    size_t limit = len < max_bytes ? len : max_bytes;
    char *out = malloc(limit * 3 + 1); /* each byte at worst becomes 3 */
    if (!out) return NULL;
    size_t i = 0, o = 0;
    while (i < limit) {
        size_t n = utf8_sequence_length(in_bytes + i, len - i);
        if (n == 0) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i += 1;
            continue;
        }
        if (i + n > limit) break; /* a character that does not fit is left out whole */
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    *truncated = i < len;
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

/* Escaping for XML, HTML and URL paths (see xml_text.h). */
#include "xml_text.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

long fl_utf8_decode(const unsigned char *s, size_t len, size_t *used) {
    assert(s && len > 0);
    *used = 1;
    unsigned char b = s[0];
    if (b < 0x80) return b;
    size_t need;
    long cp, min;
    if (b >= 0xC2 && b <= 0xDF) need = 1, cp = b & 0x1F, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) need = 2, cp = b & 0x0F, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) need = 3, cp = b & 0x07, min = 0x10000;
    else return -1; /* a continuation byte, C0/C1 (always overlong) or F5..FF */
    if (len <= need) return -1;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    *used = need + 1;
    return cp;
}

bool fl_xml_char_allowed(long cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

static const char *entity(unsigned char c, bool attribute) {
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return attribute ? "&quot;" : NULL; /* only attributes are quoted */
    case '\'': return attribute ? "&#39;" : NULL;
    case '\r': return "&#13;";
    case '\t': return attribute ? "&#9;" : NULL;
    case '\n': return attribute ? "&#10;" : NULL;
    default: return NULL;
    }
}

void fl_xml_escape(FILE *out, const char *s, size_t len, bool attribute) {
    assert(out);
    assert(s || len == 0);
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t used;
        long cp = fl_utf8_decode(p + i, len - i, &used);
        if (cp < 0) {
            fputs(FL_UTF8_REPLACEMENT, out);
        } else if (fl_xml_char_allowed(cp)) {
            const char *e = cp < 0x80 ? entity((unsigned char)cp, attribute) : NULL;
            if (e) fputs(e, out);
            else fwrite(p + i, 1, used, out);
        } /* else: a character XML cannot carry at all, dropped */
        i += used;
    }
}

void fl_xml_puts(FILE *out, const char *s, bool attribute) {
    fl_xml_escape(out, s, strlen(s), attribute);
}

char *fl_utf8_repair(const char *s, size_t len) {
    assert(s || len == 0);
    /* at worst every byte becomes the 3-byte replacement */
    if (len > (SIZE_MAX - 1) / 3) return NULL;
    char *copy = malloc(len * 3 + 1), *w = copy;
    if (!copy) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t used;
        long cp = fl_utf8_decode(p + i, len - i, &used);
        if (cp < 0) {
            memcpy(w, FL_UTF8_REPLACEMENT, 3);
            w += 3;
        } else if (cp != 0) {
            memcpy(w, p + i, used);
            w += used;
        }
        i += used;
    }
    *w = '\0';
    return copy;
}

int fl_url_encode(const char *s, bool keep_slash, char *out, size_t bytes) {
    static const char hex[] = "0123456789ABCDEF";
    assert(s && out && bytes > 0);
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p) ||
                     (keep_slash && *p == '/');
        if (w + (plain ? 1 : 3) >= bytes) {
            out[0] = '\0';
            return -1;
        }
        if (plain) {
            out[w++] = (char)*p;
        } else {
            out[w++] = '%';
            out[w++] = hex[*p >> 4];
            out[w++] = hex[*p & 15];
        }
    }
    out[w] = '\0';
    return 0;
}

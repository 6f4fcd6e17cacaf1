/* Text made safe to put in XML or HTML (escaped, valid UTF-8, XML 1.0 characters only)
 * and in URLs (percent-encoded path segments). History values, test names and file
 * names are arbitrary bytes; everything the reports write goes through here. */
#ifndef FL_XML_TEXT_H
#define FL_XML_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define FL_UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* The code point of the UTF-8 sequence at s (len > 0 bytes left) with its length in
 * *used, or -1 with *used = 1 when the byte at s does not start a valid sequence
 * (a stray continuation byte, an overlong form, a surrogate, a code point past
 * U+10FFFF, or a sequence cut short). Each such byte is replaced on its own, so one bad
 * byte never swallows the valid text after it. */
long fl_utf8_decode(const unsigned char *s, size_t len, size_t *used);

/* Whether XML 1.0 allows the code point (its Char production): tab, newline, CR,
 * U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF. */
bool fl_xml_char_allowed(long code_point);

/* Writes s[0..len) as XML (or HTML) character data, or as an attribute value when
 * attribute is set: & < > become &amp; &lt; &gt;, and in attributes " ' become &quot;
 * &#39; too (values may be quoted either way); characters XML 1.0
 * forbids (control characters but tab/newline/CR, NUL, U+FFFE, U+FFFF) are dropped; a
 * byte that is not valid UTF-8 becomes U+FFFD. CR is written as &#13; (parsers would
 * turn it into a newline), and in attributes tab and newline become &#9; and &#10;
 * (parsers would turn them into spaces). */
void fl_xml_escape(FILE *out, const char *s, size_t len, bool attribute);
void fl_xml_puts(FILE *out, const char *s, bool attribute); /* s NUL-terminated */

/* A malloc'd, NUL-terminated copy of s[0..len) that is valid UTF-8: each invalid byte
 * replaced by U+FFFD, NUL bytes dropped (jansson refuses invalid UTF-8; file names may
 * hold any byte). NULL when out of memory. */
char *fl_utf8_repair(const char *s, size_t len);

/* Percent-encodes s for a URL path: every byte but A-Z a-z 0-9 - . _ ~ (and '/' when
 * keep_slash) as %XX, so a name never reads as a scheme, query or fragment. 0, or -1
 * when out (bytes long, NUL included) is too small. */
int fl_url_encode(const char *s, bool keep_slash, char *out, size_t bytes);

#endif

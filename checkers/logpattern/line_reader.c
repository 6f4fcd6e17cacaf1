/* Lines of a file through one fixed buffer (see line_reader.h). */
#include "line_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int line_reader_init(line_reader *r, int fd, uint64_t limit_bytes) {
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->limit_bytes = limit_bytes;
    r->buf = malloc(LINE_READER_BYTES);
    return r->buf ? 0 : -1;
}

void line_reader_free(line_reader *r) {
    free(r->buf);
    r->buf = NULL;
}

/* Move the pending bytes to the front and read more after them: 0, or -1 (errno). */
static int fill(line_reader *r) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    uint64_t room = LINE_READER_BYTES - r->end, left = r->limit_bytes - r->read_bytes;
    size_t want = (size_t)(room < left ? room : left);
    if (want == 0) {
        r->eof = true; /* the limit: the caller sees the end of the input */
        return 0;
    }
    ssize_t n;
    do n = read(r->fd, r->buf + r->end, want);
    while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    if (n == 0) r->eof = true;
    r->end += (size_t)n;
    r->read_bytes += (uint64_t)n;
    return 0;
}

int line_reader_next(line_reader *r, line_piece *piece) {
    for (;;) {
        size_t pending = r->end - r->start;
        char *nl = memchr(r->buf + r->start, '\n', pending);
        if (nl) {
            *piece = (line_piece){r->buf + r->start, (size_t)(nl - (r->buf + r->start)), true};
            r->start += piece->len + 1;
            return 1;
        }
        /* No newline: a full buffer or the end of input hands out what there is. */
        if (pending == LINE_READER_BYTES || (r->eof && pending > 0)) {
            *piece = (line_piece){r->buf + r->start, pending, false};
            r->start = r->end;
            return 1;
        }
        if (r->eof) return 0;
        if (fill(r) != 0) return -1;
    }
}

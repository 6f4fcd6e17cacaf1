/* Lines of a file through one fixed buffer, for the log-pattern checker: never more
 * than LINE_READER_BYTES in memory, whatever the file holds; a longer line comes out in
 * pieces; reading stops after a byte limit. */
#ifndef FL_LP_LINE_READER_H
#define FL_LP_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINE_READER_BYTES (64u * 1024u)

typedef struct line_reader {
    int fd;               /* not owned */
    char *buf;            /* LINE_READER_BYTES, owned */
    size_t start, end;    /* the bytes read and not yet handed out: buf[start..end) */
    uint64_t read_bytes;  /* read from fd so far (never more than limit_bytes) */
    uint64_t limit_bytes;
    bool eof;             /* end of file, or the limit reached */
} line_reader;

/* One line or piece of a line. */
typedef struct line_piece {
    const char *text;     /* valid until the next call */
    size_t len;           /* without the '\n' */
    bool line_ends;       /* a '\n' ended it (else the buffer filled, or the input ended) */
} line_piece;

/* 0, or -1 when out of memory. */
int line_reader_init(line_reader *r, int fd, uint64_t limit_bytes);
/* 1 with *piece set; 0 at the end; -1 on a read error (errno set). */
int line_reader_next(line_reader *r, line_piece *piece);
void line_reader_free(line_reader *r);

#endif

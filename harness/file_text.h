/* A whole file in memory: the one reader for files the controller reads at once (suite
 * files, target files, a VM node's keys and boot image). */
#ifndef FL_FILE_TEXT_H
#define FL_FILE_TEXT_H

#include <stddef.h>

/* The file's bytes, NUL-terminated (so text can be used as a string), its length in *len
 * (may be NULL); malloc'd. NULL with errno set when it cannot be read. */
char *fl_file_text(const char *path, size_t *len);

#endif

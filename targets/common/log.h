/* Log lines on stderr for the in-tree servers: "2024-05-01T12:00:00.123Z fl-quorumkv n2:
 * message", one write(2) per line so lines never interleave mid-way. */
#ifndef FL_TARGET_LOG_H
#define FL_TARGET_LOG_H

/* prog and who are copied; who may be NULL until the node's id is known. */
void fl_log_init(const char *prog, const char *who);
void fl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

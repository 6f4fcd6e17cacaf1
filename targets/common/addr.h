/* Addresses on a server's command line: "host:port" (IPv4; a name is resolved once, at
 * start) and peer lists "n1=10.213.0.11:7001,n2=10.213.0.12:7001". */
#ifndef FL_TARGET_ADDR_H
#define FL_TARGET_ADDR_H

#include <netinet/in.h>
#include <stddef.h>

#define FL_NAME_BYTES 64      /* a node id, with its NUL */
#define FL_ADDR_TEXT_BYTES 64 /* "host:port" as given, with its NUL */

typedef struct fl_peer_addr {
    char name[FL_NAME_BYTES];      /* [A-Za-z0-9_.-]+ */
    char text[FL_ADDR_TEXT_BYTES]; /* the address as given */
    struct sockaddr_in addr;
} fl_peer_addr;

/* 0 and *out, or -1 with err naming the text and what is wrong with it. */
int fl_addr_parse(const char *text, struct sockaddr_in *out, char *err, size_t err_bytes);
/* A comma-separated list of name=host:port, at most max entries, names unique:
 * 0 and out[0..*count), or -1 with err. */
int fl_peers_parse(const char *text, fl_peer_addr *out, size_t max, size_t *count, char *err,
                   size_t err_bytes);
/* True if name is a usable node id. */
int fl_name_valid(const char *name);

#endif

/* --bind for `faultline serve`: HOST:PORT to a socket address, and whether it is
 * loopback (see serve.h). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

int fl_serve_parse_bind(const char *bind, struct sockaddr_storage *addr, socklen_t *len,
                        char *err, size_t bytes) {
    char host[256], port[16];
    const char *colon = strrchr(bind, ':');
    if (!colon) { /* a port alone */
        snprintf(host, sizeof host, "%s", FL_SERVE_DEFAULT_HOST);
        snprintf(port, sizeof port, "%.15s", bind);
    } else if (bind[0] == '[') { /* [IPv6]:PORT */
        const char *close = strchr(bind, ']');
        if (!close || close + 1 != colon)
            return snprintf(err, bytes, "--bind %s: write IPv6 addresses as [ADDRESS]:PORT", bind), -1;
        snprintf(host, sizeof host, "%.*s", (int)(close - bind - 1), bind + 1);
        snprintf(port, sizeof port, "%.15s", colon + 1);
    } else {
        if (memchr(bind, ':', (size_t)(colon - bind)))
            return snprintf(err, bytes, "--bind %s: write IPv6 addresses as [ADDRESS]:PORT", bind), -1;
        snprintf(host, sizeof host, "%.*s", (int)(colon - bind), bind);
        snprintf(port, sizeof port, "%.15s", colon + 1);
    }
    char *end;
    long number = strtol(port, &end, 10);
    if (!port[0] || *end || number < 0 || number > 65535)
        return snprintf(err, bytes, "--bind %s: the port must be a number from 0 to 65535", bind), -1;
    if (!host[0])
        return snprintf(err, bytes, "--bind %s: no host (127.0.0.1:PORT serves this machine only)", bind), -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV}, *found = NULL;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0) return snprintf(err, bytes, "--bind %s: %s", bind, gai_strerror(rc)), -1;
    memcpy(addr, found->ai_addr, found->ai_addrlen);
    *len = found->ai_addrlen;
    freeaddrinfo(found);
    return 0;
}

bool fl_serve_is_loopback(const struct sockaddr *addr) {
    if (addr->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
    if (addr->sa_family != AF_INET6) return false;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)addr)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

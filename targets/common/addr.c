/* Parsing of host:port and peer lists (see addr.h). */
#include "addr.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fl_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= FL_NAME_BYTES) return 0;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int resolve_ipv4(const char *host, struct in_addr *out) {
    if (inet_pton(AF_INET, host, out) == 1) return 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) return -1;
    *out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 0;
}

int fl_addr_parse(const char *text, struct sockaddr_in *out, char *err, size_t err_bytes) {
    char host[FL_ADDR_TEXT_BYTES];
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof host) {
        snprintf(err, err_bytes, "address '%s': expected host:port (IPv4)", text);
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 1 || port > 65535) {
        snprintf(err, err_bytes, "address '%s': the port must be a number in 1..65535", text);
        return -1;
    }
    *out = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (resolve_ipv4(host, &out->sin_addr) != 0) {
        snprintf(err, err_bytes, "address '%s': '%s' is neither an IPv4 address nor a name "
                 "that resolves to one", text, host);
        return -1;
    }
    return 0;
}

/* One "name=host:port" item, already cut out of the list. */
static int parse_peer(const char *item, fl_peer_addr *p, char *err, size_t err_bytes) {
    const char *eq = strchr(item, '=');
    size_t name_len = eq ? (size_t)(eq - item) : 0;
    if (!eq || name_len == 0 || name_len >= sizeof p->name) {
        snprintf(err, err_bytes, "peer '%s': expected name=host:port", item);
        return -1;
    }
    memcpy(p->name, item, name_len);
    p->name[name_len] = '\0';
    if (!fl_name_valid(p->name)) {
        snprintf(err, err_bytes, "peer '%s': a name is letters, digits, '_', '.' or '-'", item);
        return -1;
    }
    if (strlen(eq + 1) >= sizeof p->text) {
        snprintf(err, err_bytes, "peer '%s': address too long", item);
        return -1;
    }
    snprintf(p->text, sizeof p->text, "%s", eq + 1);
    return fl_addr_parse(p->text, &p->addr, err, err_bytes);
}

int fl_peers_parse(const char *text, fl_peer_addr *out, size_t max, size_t *count, char *err,
                   size_t err_bytes) {
    assert(max > 0);
    *count = 0;
    char *copy = strdup(text);
    if (!copy) abort();
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save)) {
        if (*count == max) {
            snprintf(err, err_bytes, "--peers: more than %zu peers", max);
            rc = -1;
        } else if ((rc = parse_peer(item, &out[*count], err, err_bytes)) == 0) {
            for (size_t i = 0; i < *count && rc == 0; i++)
                if (!strcmp(out[i].name, out[*count].name)) {
                    snprintf(err, err_bytes, "--peers: '%s' appears twice", out[i].name);
                    rc = -1;
                }
            (*count)++;
        }
    }
    free(copy);
    if (rc == 0 && *count == 0) {
        snprintf(err, err_bytes, "--peers: empty list");
        rc = -1;
    }
    return rc;
}

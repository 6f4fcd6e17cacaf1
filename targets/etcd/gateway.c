/* etcd's v3 JSON gateway over libcurl (see gateway.h). */
#include "gateway.h"
#include "reply.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct fl_etcd_conn {
    CURL *curl;
    char base[160];          /* http://host:2379 */
    char *body;              /* the answer being read */
    size_t len, cap;
    bool too_big;
};

#define REPLY_MAX (16u << 20) /* an answer larger than this is not one of ours */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t take(char *data, size_t size, size_t n, void *arg) {
    fl_etcd_conn *c = arg;
    size_t bytes = size * n;
    if (c->len + bytes + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + bytes + 1) cap *= 2;
        char *grown = cap <= REPLY_MAX ? realloc(c->body, cap) : NULL;
        if (!grown) {
            c->too_big = true;
            return 0; /* curl then fails the transfer */
        }
        c->body = grown, c->cap = cap;
    }
    assert(c->len + bytes < c->cap); /* room for the bytes and the NUL */
    memcpy(c->body + c->len, data, bytes);
    c->len += bytes;
    c->body[c->len] = '\0';
    return bytes;
}

fl_etcd_conn *fl_etcd_conn_open(const char *host) {
    pthread_once(&curl_once, curl_init);
    fl_etcd_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return NULL;
    }
    /* An IPv6 literal needs brackets in a URL. */
    snprintf(c->base, sizeof c->base, strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d",
             host, FL_ETCD_CLIENT_PORT);
    return c;
}

void fl_etcd_conn_close(fl_etcd_conn *c) {
    if (!c) return;
    curl_easy_cleanup(c->curl);
    free(c->body);
    free(c);
}

fl_etcd_outcome fl_etcd_post(fl_etcd_conn *c, const char *path, const json_t *body, int timeout_ms,
                             json_t **reply, char *err, size_t bytes) {
    assert(c && path[0] == '/' && body && bytes > 0);
    *reply = NULL;
    char url[256];
    snprintf(url, sizeof url, "%s%s", c->base, path);
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) return snprintf(err, bytes, "out of memory"), FL_ETCD_NOT_SENT;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    c->len = 0, c->too_big = false;
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* worker threads: no SIGALRM for timeouts */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 2000 ? timeout_ms : 2000));
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never through a proxy the environment names */
    /* A fresh connection per request: curl silently re-sends a request whose reused
     * connection died before any answer, and a put sent twice — the second time after
     * later writes — would be a history the server never made. */
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(headers);
    free(text);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
        snprintf(err, bytes, "%s: %s", c->base, curl_easy_strerror(rc));
        return FL_ETCD_NOT_SENT;
    }
    if (rc != CURLE_OK) {
        snprintf(err, bytes, "%s", c->too_big ? "answer too large" :
                 rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : curl_easy_strerror(rc));
        return FL_ETCD_NO_ANSWER;
    }
    json_error_t jerr;
    json_t *parsed = c->len ? json_loadb(c->body, c->len, 0, &jerr) : NULL;
    if (!json_is_object(parsed)) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        snprintf(err, bytes, "HTTP %ld without a JSON object: %.80s", status, c->len ? c->body : "");
        json_decref(parsed);
        return FL_ETCD_NO_ANSWER; /* not an answer we can read: the effect is unknown */
    }
    *reply = parsed;
    return FL_ETCD_REPLIED;
}





bool fl_etcd_status(const char *host, int timeout_ms, char *member, char *leader, size_t bytes,
                    char *err, size_t err_bytes) {
    fl_etcd_conn *c = fl_etcd_conn_open(host);
    if (!c) return snprintf(err, err_bytes, "out of memory"), false;
    json_t *body = json_object(), *reply = NULL;
    fl_etcd_outcome o = fl_etcd_post(c, "/v3/maintenance/status", body, timeout_ms, &reply, err,
                                     err_bytes);
    json_decref(body);
    fl_etcd_conn_close(c);
    if (o != FL_ETCD_REPLIED) return false;
    const char *e = fl_etcd_error(reply);
    if (e) {
        snprintf(err, err_bytes, "%s", e);
        json_decref(reply);
        return false;
    }
    fl_etcd_status_ids(reply, member, leader, bytes);
    json_decref(reply);
    return true;
}

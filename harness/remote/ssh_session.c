/* The SSH remote's session: connect (TCP_NODELAY), check the host key against
 * known_hosts (trust on first use when asked), log in with the key, and close. */
#include "ssh_internal.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

/* libssh2_init is not thread-safe and libssh2_exit would pull the crypto library out
 * from under live sessions, so: once per process, never undone. */
static void init_libssh2(void) {
    init_rc = libssh2_init(0);
}

/* ---- connecting ---- */

static fl_ssh *ssh_alloc(const fl_ssh_target *t) {
    fl_ssh *s = calloc(1, sizeof *s);
    pthread_condattr_t ca;
    if (!s)
        return NULL;
    s->sock = s->wake_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->sftp_mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->io_cv, &ca);
    pthread_cond_init(&s->state_cv, &ca);
    pthread_condattr_destroy(&ca);
    s->sudo = t->sudo;
    s->name = strdup(t->name);
    bool v6 = strchr(t->host, ':') != NULL;
    if (asprintf(&s->where, v6 ? "%s ([%s]:%d)" : "%s (%s:%d)", t->name, t->host, t->port) < 0)
        s->where = NULL;
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!s->name || !s->where || s->wake_fd < 0) {
        fl_ssh_close(s);
        return NULL;
    }
    return s;
}

/* One address: non-blocking connect, waited for with poll() up to the deadline. */
static int connect_one(const struct addrinfo *ai, int64_t deadline) {
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, soerr = 0, saved;
    socklen_t len = sizeof soerr;
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS)
            goto err;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int64_t left = deadline - ssh_now_ms();
        int n = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (n <= 0) {
            errno = n == 0 ? ETIMEDOUT : errno;
            goto err;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            goto err;
        if (soerr) {
            errno = soerr;
            goto err;
        }
    }
    /* Without it every command waits on Nagle and delayed ACK: `true` took 44 ms, now 1.5. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        goto err;
    return fd;
err:
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int tcp_connect(fl_ssh *s, const fl_ssh_target *t, int timeout_ms, char *err) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL, *ai;
    char port[16], ms[32];
    int64_t deadline = ssh_now_ms() + timeout_ms;
    snprintf(port, sizeof port, "%d", t->port);
    int gai = getaddrinfo(t->host, port, &hints, &res);
    if (gai) {
        ssh_set_err(err, "%s: cannot resolve %s: %s", s->where, t->host,
                gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
        return -1;
    }
    errno = EADDRNOTAVAIL;
    for (ai = res; ai && s->sock < 0; ai = ai->ai_next)
        s->sock = connect_one(ai, deadline);
    freeaddrinfo(res);
    if (s->sock >= 0)
        return 0;
    if (errno == ETIMEDOUT)
        ssh_set_err(err, "%s: no answer in %s", s->where, ssh_fmt_ms(ms, timeout_ms));
    else
        ssh_set_err(err, "%s: connect: %s", s->where, strerror(errno));
    return -1;
}

static int knownhost_keybits(int hostkey_type) {
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

/* OpenSSH's order of host key algorithms, with the libssh2 1.10 names. */
static const struct {
    const char *alg;
    int bits;
} host_algs[] = {
    {"ssh-ed25519", LIBSSH2_KNOWNHOST_KEY_ED25519},
    {"ecdsa-sha2-nistp256", LIBSSH2_KNOWNHOST_KEY_ECDSA_256},
    {"ecdsa-sha2-nistp384", LIBSSH2_KNOWNHOST_KEY_ECDSA_384},
    {"ecdsa-sha2-nistp521", LIBSSH2_KNOWNHOST_KEY_ECDSA_521},
    {"ssh-rsa", LIBSSH2_KNOWNHOST_KEY_SSHRSA},
};

/* Asks for a host key of a type known_hosts already holds for this host, as OpenSSH does;
 * left to itself libssh2 prefers ECDSA and would call an ed25519-only line "not found".
 * A check with a dummy key tells MISMATCH exactly when a line of that type exists. */
static void prefer_known_types(fl_ssh *s, LIBSSH2_KNOWNHOSTS *kh, const fl_ssh_target *t) {
    char known[256] = "", rest[256] = "";
    int port = t->port == 22 ? -1 : t->port;
    for (size_t i = 0; i < sizeof host_algs / sizeof host_algs[0]; i++) {
        int type = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | host_algs[i].bits;
        bool have = libssh2_knownhost_checkp(kh, t->host, port, "?", 1, type, NULL) ==
                    LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
        char *list = have ? known : rest;
        size_t n = strlen(list);
        snprintf(list + n, sizeof known - n, "%s%s", n ? "," : "", host_algs[i].alg);
    }
    char prefs[520];
    snprintf(prefs, sizeof prefs, "%s%s%s", known, known[0] ? "," : "", rest);
    /* Failure only means this libssh2 knows none of them; its own default then stands. */
    libssh2_session_method_pref(s->session, LIBSSH2_METHOD_HOSTKEY, prefs);
}

/* "SHA256:..." as ssh-keygen -l prints it, for messages about a host key. */
static void fingerprint(LIBSSH2_SESSION *session, char out[64]) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *h =
        (const unsigned char *)libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
    size_t o = 0;
    if (!h) {
        snprintf(out, 64, "(no fingerprint)");
        return;
    }
    o += (size_t)snprintf(out, 64, "SHA256:");
    for (int i = 0; i < 32; i += 3) {
        uint32_t v = (uint32_t)h[i] << 16 | (i + 1 < 32 ? (uint32_t)h[i + 1] << 8 : 0) |
                     (i + 2 < 32 ? h[i + 2] : 0);
        int chars = i + 2 < 32 ? 4 : 3; /* 32 bytes: 42 full chars + 1, no padding */
        for (int k = 0; k < chars; k++)
            out[o++] = b64[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
}

/* Appends the one line for this host rather than rewriting the file with
 * libssh2_knownhost_writefile: nodes connect in parallel, and each rewrite would drop the
 * lines the others added in the meantime. O_APPEND keeps each line whole. */
static int append_known_host(fl_ssh *s, LIBSSH2_KNOWNHOSTS *kh, struct libssh2_knownhost *entry,
                             const char *path, char *err) {
    char line[4096];
    size_t len = 0;
    struct stat st;
    char last = '\n';
    int rc = libssh2_knownhost_writeline(kh, entry, line, sizeof line, &len,
                                         LIBSSH2_KNOWNHOST_FILE_OPENSSH);
    if (rc) {
        char *msg = NULL;
        libssh2_session_last_error(s->session, &msg, NULL, 0);
        ssh_set_err(err, "%s: libssh2_knownhost_writeline: %s", s->where, msg ? msg : "?");
        return -1;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        goto err;
    /* A hand-edited file may lack its last newline; ours must not join that line. */
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        int rfd = open(path, O_RDONLY | O_CLOEXEC);
        if (rfd >= 0 && pread(rfd, &last, 1, st.st_size - 1) != 1)
            last = '\n';
        if (rfd >= 0)
            close(rfd);
    }
    if (last != '\n' && write(fd, "\n", 1) != 1)
        goto err;
    if (write(fd, line, len) != (ssize_t)len || close(fd) < 0) {
        fd = -1;
        goto err;
    }
    return 0;
err:
    ssh_set_err(err, "%s: cannot add the host key to %s: %s", s->where, path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* The node's host key against known_hosts; an unknown one is added when new hosts are
 * trusted (TOFU), a different one is always refused. */
static int check_host_key(fl_ssh *s, LIBSSH2_KNOWNHOSTS *kh, const fl_ssh_target *t, char *err) {
    size_t len = 0;
    int type = 0;
    char fp[64], hostname[300];
    struct libssh2_knownhost *entry = NULL;
    const char *key = libssh2_session_hostkey(s->session, &len, &type);
    if (!key) {
        ssh_set_err(err, "%s: libssh2_session_hostkey: the node sent no host key", s->where);
        return -1;
    }
    int bits = knownhost_keybits(type);
    int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits;
    int rc = libssh2_knownhost_checkp(kh, t->host, t->port == 22 ? -1 : t->port, key, len, mask,
                                      NULL);
    fingerprint(s->session, fp);
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return 0;
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
        ssh_set_err(err, "%s: host key does not match the one in %s — the node was rebuilt or "
                     "someone is in the middle; remove its line if the change is expected "
                     "(the node now offers %s)",
                s->where, t->known_hosts, fp);
        return -1;
    }
    if (t->port == 22)
        snprintf(hostname, sizeof hostname, "%s", t->host);
    else
        snprintf(hostname, sizeof hostname, "[%s]:%d", t->host, t->port);
    if (rc != LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
        ssh_set_err(err, "%s: libssh2_knownhost_checkp failed on %s", s->where, t->known_hosts);
        return -1;
    }
    if (!t->trust_new_hosts) {
        /* No ssh-keyscan hint: run from the host's namespace it would send a cluster
         * address out of the machine. */
        ssh_set_err(err, "%s: host key %s is not in %s; check it and rerun with "
                     "--trust-new-hosts to record it (trust on first use)",
                s->where, fp, t->known_hosts);
        return -1;
    }
    char comment[128];
    snprintf(comment, sizeof comment, "faultline %s", t->name);
    if (libssh2_knownhost_addc(kh, hostname, NULL, key, len, comment, strlen(comment), mask,
                               &entry)) {
        ssh_set_err(err, "%s: libssh2_knownhost_addc refused the host key", s->where);
        return -1;
    }
    return append_known_host(s, kh, entry, t->known_hosts, err);
}

/* Reads known_hosts, orders the host key algorithms by it, shakes hands, checks the key. */
static int handshake(fl_ssh *s, const fl_ssh_target *t, int timeout_ms, char *err) {
    LIBSSH2_KNOWNHOSTS *kh = NULL;
    char ms[32];
    int rc = -1;
    op o;
    ssh_op_init(&o, s, timeout_ms, false);
    kh = libssh2_knownhost_init(s->session);
    if (!kh) {
        ssh_set_err(err, "%s: libssh2_knownhost_init failed", s->where);
        goto err;
    }
    /* A missing file is an empty one: the check below then names the file. */
    if (access(t->known_hosts, F_OK) == 0 &&
        libssh2_knownhost_readfile(kh, t->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
        char *msg = NULL;
        libssh2_session_last_error(s->session, &msg, NULL, 0);
        ssh_set_err(err, "%s: cannot read %s: libssh2_knownhost_readfile: %s", s->where,
                t->known_hosts, msg ? msg : "?");
        goto err;
    }
    prefer_known_types(s, kh, t);
    OP_CALL(&o, rc, libssh2_session_handshake(s->session, s->sock));
    if (rc == FL_E_TIMEOUT)
        ssh_set_err(err, "%s: no SSH handshake in %s (the port answers but says nothing)",
                s->where, ssh_fmt_ms(ms, timeout_ms));
    else if (rc < 0)
        ssh_op_err(&o, err, "SSH handshake: libssh2_session_handshake");
    else
        rc = check_host_key(s, kh, t, err);
    s->up = rc == 0;
err:
    ssh_op_end(&o);
    if (kh)
        libssh2_knownhost_free(kh);
    return rc < 0 ? -1 : 0;
}

static int authenticate(fl_ssh *s, const fl_ssh_target *t, int timeout_ms, char *err) {
    char *pub = NULL;
    int rc;
    op o;
    if (access(t->key_path, R_OK) < 0) {
        ssh_set_err(err, "%s: cannot read private key %s: %s", s->where, t->key_path,
                strerror(errno));
        return -1;
    }
    if (asprintf(&pub, "%s.pub", t->key_path) < 0) {
        ssh_set_err(err, "%s: out of memory", s->where);
        return -1;
    }
    ssh_op_init(&o, s, timeout_ms, false);
    /* Without the .pub file libssh2 (OpenSSL) derives the public key from the private one.
     * The passphrase is "" rather than NULL: NULL makes libssh2 call strlen(NULL) on an
     * encrypted PEM key. */
    const char *pubp = access(pub, R_OK) == 0 ? pub : NULL;
    OP_CALL(&o, rc, libssh2_userauth_publickey_fromfile_ex(s->session, t->user,
                                                           (unsigned)strlen(t->user), pubp,
                                                           t->key_path, ""));
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
        ssh_set_err(err, "%s: the node refused key %s for user %s "
                     "(libssh2_userauth_publickey_fromfile_ex: %s); is %s in ~%s/.ssh/authorized_keys "
                     "there?",
                s->where, t->key_path, t->user, o.lib_msg, pubp ? pub : "its public key",
                t->user);
    else if (rc == FL_E_TIMEOUT)
        ssh_set_err(err, "%s: no answer to the login of %s in %s", s->where, t->user,
                ssh_fmt_ms((char[32]){0}, timeout_ms));
    else if (rc < 0)
        ssh_set_err(err, "%s: cannot log in as %s with key %s: "
                     "libssh2_userauth_publickey_fromfile_ex: %s",
                s->where, t->user, t->key_path, o.lib_msg);
    ssh_op_end(&o);
    free(pub);
    return rc < 0 ? -1 : 0;
}

int fl_ssh_connect(const fl_ssh_target *t, fl_ssh **out, char err[FL_SSH_ERR_BYTES]) {
    fl_ssh *s = NULL;
    int timeout_ms = t->connect_timeout_ms > 0 ? t->connect_timeout_ms : DEFAULT_CONNECT_MS;
    *out = NULL;
    err[0] = '\0';
    if (!t->name || !t->host || !t->user || !t->key_path || !t->known_hosts || t->port <= 0 ||
        t->port > 65535) {
        ssh_set_err(err, "%s: fl_ssh_connect: name, host, port, user, key_path and known_hosts "
                     "are all needed",
                t->name ? t->name : "?");
        return -1;
    }
    pthread_once(&init_once, init_libssh2);
    if (init_rc) {
        ssh_set_err(err, "%s: libssh2_init failed (%d)", t->name, init_rc);
        return -1;
    }
    if (!(s = ssh_alloc(t))) {
        ssh_set_err(err, "%s: out of memory", t->name);
        return -1;
    }
    if (tcp_connect(s, t, timeout_ms, err) < 0)
        goto err;
    /* The session's abstract pointer is s, which is how ssh_recv finds it. */
    s->session = libssh2_session_init_ex(NULL, NULL, NULL, s);
    if (!s->session) {
        ssh_set_err(err, "%s: libssh2_session_init_ex failed", s->where);
        goto err;
    }
    libssh2_session_callback_set(s->session, LIBSSH2_CALLBACK_RECV, (void *)ssh_recv);
    libssh2_session_set_blocking(s->session, 0);
    /* Until *out is set no other thread can see s, so these calls need no turn-taking. */
    if (handshake(s, t, timeout_ms, err) < 0 || authenticate(s, t, timeout_ms, err) < 0)
        goto err;
    *out = s;
    return 0;
err:
    fl_ssh_close(s);
    return -1;
}

const char *fl_ssh_name(const fl_ssh *s) {
    return s->name;
}

bool fl_ssh_sudo(const fl_ssh *s) {
    return s->sudo;
}

/* Retries a libssh2 call of fl_ssh_close for a short while; no other thread uses s now. */
#define CLOSE_CALL(s, rc, call)                                                  \
    for (int tries_ = 0; ((rc) = (call)) == LIBSSH2_ERROR_EAGAIN && tries_ < 200; tries_++) \
        poll(&(struct pollfd){.fd = (s)->sock, .events = POLLIN | POLLOUT}, 1, 10)

void fl_ssh_close(fl_ssh *s) {
    int rc;
    if (!s)
        return;
    if (s->session) {
        if (s->up && !s->broken[0])
            CLOSE_CALL(s, rc, libssh2_session_disconnect(s->session, "faultline: done"));
        /* Channels still waiting for the node to confirm their close (timed-out commands)
         * would hold up libssh2_session_free; with the socket shut they give up at once. */
        if (s->sock >= 0)
            shutdown(s->sock, SHUT_RDWR);
        if (s->sftp)
            CLOSE_CALL(s, rc, libssh2_sftp_shutdown(s->sftp));
        CLOSE_CALL(s, rc, libssh2_session_free(s->session));
        (void)rc;
    }
    if (s->sock >= 0)
        close(s->sock);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->sftp_mu);
    pthread_cond_destroy(&s->io_cv);
    pthread_cond_destroy(&s->state_cv);
    free(s->name);
    free(s->where);
    free(s);
}

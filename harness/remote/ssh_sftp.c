/* The SSH remote's files: upload and download over SFTP, one transfer per session at a
 * time, into a temporary file renamed when complete (see ssh.h). */
#include "ssh_internal.h"

/* ---- files over SFTP ---- */

#define FL_E_LOCAL (-1003) /* a local file call failed; lib_msg has the errno text */

static int local_fail(op *o, const char *what, const char *path) {
    snprintf(o->lib_msg, sizeof o->lib_msg, "%s %s: %s", what, path, strerror(errno));
    o->lib_rc = FL_E_LOCAL;
    return FL_E_LOCAL;
}

/* Starts SFTP on first use (the caller holds sftp_mu). */
static int sftp_start(op *o) {
    fl_ssh *s = o->s;
    LIBSSH2_SFTP *sftp = NULL;
    int rc;
    if (s->sftp)
        return 0;
    if ((rc = ssh_take_turn(o, &s->opener)) < 0) /* libssh2_sftp_init opens a channel */
        return rc;
    OP_CALL(o, rc, (sftp = libssh2_sftp_init(s->session)) ? 0
                                                          : libssh2_session_last_errno(s->session));
    ssh_give_turn(o, &s->opener);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&s->mu);
    s->sftp = sftp;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static LIBSSH2_SFTP_HANDLE *sftp_open(op *o, const char *path, unsigned long flags, long mode) {
    LIBSSH2_SFTP_HANDLE *h = NULL;
    int rc;
    OP_CALL(o, rc, (h = libssh2_sftp_open_ex(o->s->sftp, path, (unsigned)strlen(path), flags,
                                             mode, LIBSSH2_SFTP_OPENFILE))
                       ? 0 : libssh2_session_last_errno(o->s->session));
    (void)rc;
    return h;
}

/* Writes the whole file. libssh2_sftp_write pipelines: it returns once the first piece is
 * acknowledged and must be called again with the rest of the same bytes. */
static int send_file(op *o, int fd, LIBSSH2_SFTP_HANDLE *h, char *buf, const char *path) {
    for (;;) {
        ssize_t n = read(fd, buf, SFTP_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return local_fail(o, "reading", path);
        if (n == 0)
            return 0;
        for (size_t done = 0; done < (size_t)n;) {
            int rc;
            OP_CALL(o, rc, (int)libssh2_sftp_write(h, buf + done, (size_t)n - done));
            if (rc < 0)
                return rc;
            if (rc == 0 && (rc = ssh_op_wait(o)) < 0) /* nothing acknowledged yet */
                return rc;
            done += (size_t)rc;
        }
    }
}

static int recv_file(op *o, LIBSSH2_SFTP_HANDLE *h, int fd, char *buf, const char *path) {
    for (;;) {
        int rc;
        OP_CALL(o, rc, (int)libssh2_sftp_read(h, buf, SFTP_CHUNK));
        if (rc <= 0)
            return rc; /* 0: end of file */
        for (ssize_t done = 0, w; done < rc; done += w) {
            w = write(fd, buf + done, (size_t)(rc - done));
            if (w < 0 && errno == EINTR)
                w = 0;
            else if (w < 0)
                return local_fail(o, "writing", path);
        }
    }
}

/* Closes a handle even when the transfer failed, with a deadline of its own. */
static int sftp_close(fl_ssh *s, LIBSSH2_SFTP_HANDLE *h, op *result) {
    op o;
    int rc;
    ssh_op_init(&o, s, CLOSE_GRACE_MS * 5, false);
    OP_CALL(&o, rc, libssh2_sftp_close_handle(h));
    ssh_op_end(&o);
    if (rc < 0 && result)
        *result = o;
    return rc;
}

/* A transfer that stalled leaves libssh2's SFTP state mid-request; the link is as good as
 * dead anyway, so the session says so instead of failing strangely later. */
static void xfer_done(op *o, int rc) {
    ssh_op_end(o);
    if (rc != FL_E_TIMEOUT)
        return;
    pthread_mutex_lock(&o->s->mu);
    snprintf(o->s->broken, sizeof o->s->broken,
             "an SFTP transfer made no progress for %d s; reconnect", SFTP_STALL_MS / 1000);
    pthread_mutex_unlock(&o->s->mu);
}

static void xfer_err(const op *o, char *err, const char *dir, const char *from, const char *to,
                     const char *call) {
    char what[FL_SSH_ERR_BYTES];
    snprintf(what, sizeof what, "%s %s -> %s: %s", dir, from, to, call);
    if (o->lib_rc == FL_E_TIMEOUT)
        ssh_set_err(err, "%s: %s: no progress in %d s", o->s->where, what, SFTP_STALL_MS / 1000);
    else
        ssh_op_err(o, err, what);
}

/* Open, write, set the mode (the node's umask applied at open), close. */
static int upload_to(op *o, int fd, mode_t mode, const char *local_path, const char *remote_path,
                     char *buf, const char **call) {
    LIBSSH2_SFTP_ATTRIBUTES attrs = {.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS, .permissions = mode};
    LIBSSH2_SFTP_HANDLE *h;
    int rc;
    *call = "libssh2_sftp_init";
    if ((rc = sftp_start(o)) < 0)
        return rc;
    *call = "libssh2_sftp_open_ex";
    h = sftp_open(o, remote_path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                  (long)mode);
    if (!h)
        return o->lib_rc;
    *call = "libssh2_sftp_write";
    rc = send_file(o, fd, h, buf, local_path);
    if (rc == 0) {
        *call = "libssh2_sftp_fsetstat";
        OP_CALL(o, rc, libssh2_sftp_fsetstat(h, &attrs));
    }
    /* A failed write can surface only at close, so its error counts when all else went well. */
    int crc = sftp_close(o->s, h, rc == 0 ? o : NULL);
    if (rc == 0 && crc < 0) {
        *call = "libssh2_sftp_close_handle";
        rc = crc;
    }
    return rc;
}

int fl_ssh_upload(fl_ssh *s, const char *local_path, const char *remote_path,
                  char err[FL_SSH_ERR_BYTES]) {
    struct stat st;
    const char *call = "";
    char *buf = NULL;
    int rc = -1, fd;
    op o;
    err[0] = '\0';
    fd = open(local_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        ssh_set_err(err, "%s: upload %s -> %s: %s", s->name, local_path, remote_path,
                strerror(errno));
        goto err;
    }
    if (!S_ISREG(st.st_mode)) {
        ssh_set_err(err, "%s: upload %s -> %s: not a regular file", s->name, local_path,
                remote_path);
        goto err;
    }
    if (!(buf = malloc(SFTP_CHUNK))) {
        ssh_set_err(err, "%s: upload %s: out of memory", s->name, local_path);
        goto err;
    }
    pthread_mutex_lock(&s->sftp_mu);
    ssh_op_init(&o, s, SFTP_STALL_MS, true);
    rc = upload_to(&o, fd, st.st_mode & 0777, local_path, remote_path, buf, &call);
    if (rc < 0)
        xfer_err(&o, err, "upload", local_path, remote_path, call);
    xfer_done(&o, rc);
    pthread_mutex_unlock(&s->sftp_mu);
err:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc < 0 ? -1 : 0;
}

/* Open, read the mode, copy into fd, close. */
static int download_from(op *o, const char *remote_path, int fd, const char *tmp_path, char *buf,
                         mode_t *mode, const char **call) {
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    LIBSSH2_SFTP_HANDLE *h;
    int rc;
    *call = "libssh2_sftp_init";
    if ((rc = sftp_start(o)) < 0)
        return rc;
    *call = "libssh2_sftp_open_ex";
    if (!(h = sftp_open(o, remote_path, LIBSSH2_FXF_READ, 0)))
        return o->lib_rc;
    *call = "libssh2_sftp_fstat";
    memset(&attrs, 0, sizeof attrs);
    OP_CALL(o, rc, libssh2_sftp_fstat(h, &attrs));
    if (rc == 0 && (attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
        *mode = (mode_t)(attrs.permissions & 0777);
    if (rc == 0) {
        *call = "libssh2_sftp_read";
        rc = recv_file(o, h, fd, buf, tmp_path);
    }
    sftp_close(o->s, h, NULL); /* nothing was written through it: its errors do not matter */
    return rc;
}

/* Into a temporary file beside local_path, renamed over it only when complete, so that a
 * failed download never leaves half a file under the real name. */
int fl_ssh_download(fl_ssh *s, const char *remote_path, const char *local_path,
                    char err[FL_SSH_ERR_BYTES]) {
    const char *call = "";
    char *tmp = NULL, *buf = NULL;
    mode_t mode = 0644;
    int rc = -1, fd = -1, saved = 0;
    op o;
    err[0] = '\0';
    if (asprintf(&tmp, "%s.XXXXXX", local_path) < 0 || !(buf = malloc(SFTP_CHUNK))) {
        ssh_set_err(err, "%s: download %s: out of memory", s->name, remote_path);
        goto err;
    }
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        ssh_set_err(err, "%s: download %s -> %s: creating %s: %s", s->name, remote_path, local_path,
                tmp, strerror(errno));
        goto err;
    }
    pthread_mutex_lock(&s->sftp_mu);
    ssh_op_init(&o, s, SFTP_STALL_MS, true);
    rc = download_from(&o, remote_path, fd, tmp, buf, &mode, &call);
    if (rc < 0)
        xfer_err(&o, err, "download", remote_path, local_path, call);
    xfer_done(&o, rc);
    pthread_mutex_unlock(&s->sftp_mu);
    /* The node's mode exactly, not reduced by our umask. */
    if (rc == 0 && fchmod(fd, mode) < 0)
        saved = errno;
    if (close(fd) < 0 && !saved)
        saved = errno;
    if (rc == 0 && !saved && rename(tmp, local_path) < 0)
        saved = errno;
    if (rc == 0 && saved) {
        ssh_set_err(err, "%s: download %s -> %s: saving %s: %s", s->name, remote_path, local_path,
                tmp, strerror(saved));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
err:
    free(tmp);
    free(buf);
    return rc < 0 ? -1 : 0;
}

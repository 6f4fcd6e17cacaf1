/* Raft messages to the peers, on this node's outgoing connections to them (kept up, with
 * backoff, by fl_srv: ../../common/srv.h). Raft messages go out on them only (a peer's
 * messages to us come on its own connection); a message for a peer without a connection,
 * or whose queue is full, is dropped: the core resends what matters. */
#include "server.h"

void rkv_peer_send(rkv_server *s, const raft_msg *m) {
    if (m->to < 0 || (size_t)m->to >= s->opt->peer_count || (size_t)m->to == s->opt->self) return;
    fl_srv_peer *p = &s->srv.peer[m->to];
    rkv_conn *c = p->conn;
    /* A connection still connecting queues too: the hello and these go once it is up. */
    if (!c || c->doomed || fl_buf_len(&c->io.out) > RKV_PEER_QUEUE_BYTES_MAX) {
        p->dropped++;
        return;
    }
    if (rkv_encode_raft(&c->io.out, m) != 0) {
        fl_srv_doom(&s->srv, c, "send queue full: the peer stopped reading");
        return;
    }
    fl_srv_touch(&s->srv, c);
}

const char *rkv_leader_name(const rkv_server *s) {
    raft_status st;
    raft_status_get(s->raft, &st);
    return st.leader >= 0 && (size_t)st.leader < s->opt->peer_count ? s->opt->peers[st.leader].name
                                                                    : NULL;
}

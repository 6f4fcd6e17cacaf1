/* Raft messages on the wire: one JSON object per message (jansson), for the daemon's
 * peer connections. The decoder is a parser of outside input: it takes any bytes and
 * gives a message that passes raft_msg_check, or an error — never a crash.
 *
 *   {"type":"vote","from":0,"to":1,"term":3,"last_index":7,"last_term":2}
 *   {"type":"vote_resp","from":1,"to":0,"term":3,"granted":true}
 *   {"type":"append","from":0,"to":1,"term":3,"prev_index":7,"prev_term":2,"commit":6,
 *    "read_seq":4,"entries":[{"index":8,"term":3,"kind":"noop"},
 *                            {"index":9,"term":3,"kind":"cmd","data":"BASE64"}]}
 *   {"type":"append_resp","from":1,"to":0,"term":3,"success":false,"index":7,"hint":5,
 *    "read_seq":4}                      (hint is 0 on success)
 *   {"type":"snapshot","from":0,"to":1,"term":3,"last_index":40,"last_term":3,
 *    "read_seq":4,"data":"BASE64"}
 *
 * Every field of a type is required and no other is allowed; integers are >= 0 and below
 * 2^53; bytes are canonical padded base64. */
#ifndef RAFT_CODEC_H
#define RAFT_CODEC_H

#include <stddef.h>

#include <jansson.h>

#include "raft_msg.h"

#define RAFT_CODEC_ERR_BYTES 160

/* A new JSON object (the caller owns the reference); NULL only when memory runs out. */
json_t *raft_msg_to_json(const raft_msg *m);
/* 0 with *m filled in (release it with raft_msg_free), or -1 with err and *m empty. nodes
 * is the cluster size: ids outside 0..nodes-1 are rejected. */
int raft_msg_from_json(const json_t *j, int nodes, raft_msg *m, char *err, size_t err_bytes);
/* The same from text (one JSON object, duplicate keys rejected). */
int raft_msg_decode(const char *text, size_t len, int nodes, raft_msg *m, char *err,
                    size_t err_bytes);

#endif

#!/usr/bin/env python3
# A faultline client for fl-quorumkv: JSON lines in ({"op": …, "host", "port"}), JSON
# lines out ({"type", "value", "error"}); one TCP connection to the node, as the
# built-in adapter keeps. A request that may have been sent is "info", never "fail".
import json, socket, sys

conn = None
for line in sys.stdin:
    req = json.loads(line)
    op = req["op"]
    sent = False
    try:
        if conn is None:
            conn = socket.create_connection((req["host"], req["port"]), timeout=10)
            replies = conn.makefile("r")
        msg = {"id": 1, "f": op["f"], "key": op.get("key"), "value": op.get("value")}
        conn.sendall((json.dumps(msg) + "\n").encode())
        sent = True
        reply = json.loads(replies.readline())
        out = {"type": reply["type"], "value": reply.get("value")}
        if reply["type"] != "ok":
            out["error"] = reply.get("error", "")
    except (OSError, ValueError) as e:  # refused before sending: certainly not done
        out = {"type": "info" if sent else "fail", "error": str(e)}
        conn = None
    print(json.dumps(out), flush=True)

#!/usr/bin/env python3
# A faultline client for Redis (redis-py): one JSON line in per op, one out. Values are
# stored as JSON text; cas is a Lua script (atomic on the server). "fail" only when the
# op certainly did nothing (a refused connection, a READONLY replica, a cas mismatch).
import json, os, sys
import redis

r = redis.Redis(host=os.environ["FL_HOST"], port=int(os.environ["FL_PORT"]),
                socket_timeout=1.5, socket_connect_timeout=1)
cas = r.register_script("if redis.call('get', KEYS[1]) == ARGV[1] then "
                        "redis.call('set', KEYS[1], ARGV[2]) return 1 else return 0 end")
for line in sys.stdin:
    op = json.loads(line)["op"]
    f, key = op["f"], str(op.get("key"))
    try:
        if f == "read":
            v = r.get(key)
            out = {"type": "ok", "value": None if v is None else json.loads(v)}
        elif f == "write":
            r.set(key, json.dumps(op["value"]))
            out = {"type": "ok"}
        elif f == "cas":
            old, new = op["value"]
            done = cas(keys=[key], args=[json.dumps(old), json.dumps(new)])
            out = {"type": "ok"} if done else {"type": "fail", "error": "cas-mismatch"}
        elif f == "ping":
            out = {"type": "ok" if r.ping() else "fail"}
        else:
            out = {"type": "fail", "error": "unknown op " + f}
    except redis.exceptions.ResponseError as e:    # the server refused it (READONLY)
        out = {"type": "fail", "error": str(e)}
    except redis.exceptions.RedisError as e:       # timeouts, resets: it may have happened
        refused = isinstance(e, redis.exceptions.ConnectionError) and "refused" in str(e)
        out = {"type": "fail" if refused or f in ("read", "ping") else "info", "error": str(e)}
    print(json.dumps(out), flush=True)

#!/usr/bin/env bash
# A faultline client for etcd in shell: curl to the v3 JSON gateway, jq for JSON. Keys
# and values travel base64-encoded (the gateway's rule); values are stored as JSON text.
# A read that fails did nothing (fail); a write whose answer was lost may have (info).
url="http://$FL_HOST:$FL_PORT/v3/kv"
b64() { printf '%s' "$1" | base64 -w0; }
while IFS= read -r line; do
  f=$(jq -r .op.f <<<"$line")
  key=$(b64 "$(jq -c .op.key <<<"$line")")
  case $f in
  read)
    if reply=$(curl -sf --max-time 2 -X POST "$url/range" -d "{\"key\":\"$key\"}"); then
      value=$(jq -r '.kvs[0].value // empty' <<<"$reply")
      if [ -n "$value" ]; then echo "{\"type\":\"ok\",\"value\":$(base64 -d <<<"$value")}"
      else echo '{"type":"ok","value":null}'; fi
    else echo '{"type":"fail","error":"read failed"}'; fi ;;
  write)
    value=$(b64 "$(jq -c .op.value <<<"$line")")
    if curl -sf --max-time 2 -X POST "$url/put" -d "{\"key\":\"$key\",\"value\":\"$value\"}" >/dev/null
    then echo '{"type":"ok"}'
    else echo '{"type":"info","error":"write unanswered"}'; fi ;;
  ping) curl -sf --max-time 2 "http://$FL_HOST:$FL_PORT/health" >/dev/null &&
          echo '{"type":"ok"}' || echo '{"type":"fail","error":"no health"}' ;;
  *) echo "{\"type\":\"fail\",\"error\":\"unknown op $f\"}" ;;
  esac
done

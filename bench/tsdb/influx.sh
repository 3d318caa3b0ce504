# Sourced by bench.sh: start_influx DIR starts InfluxDB 1.x on loopback with everything under
# DIR (meta, data, wal) on free ports; sets INFLUX_URL, INFLUX_PID, INFLUX_DATA, INFLUX_WAL.
# The cache is snapshotted to TSM files after 1 s without writes and shards are fully
# compacted after 5 s, so bytes on disk can be measured after a short settling wait.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_influx() {
  local dir="$1" http_port rpc_port
  http_port="$(free_port)"; rpc_port="$(free_port)"
  mkdir -p "$dir"
  INFLUX_DATA="$dir/data"; INFLUX_WAL="$dir/wal"
  influxd config 2>/dev/null | python3 -c '
import re, sys
d, http, rpc = sys.argv[1], sys.argv[2], sys.argv[3]
section = ""
for line in sys.stdin:
    s = line.strip()
    if s.startswith("["): section = s.strip("[]")
    def kv(key, val):
        global line
        if re.match(r"\s*" + key + r"\s*=", line): line = re.sub(r"=.*", "= " + val, line)
    if section == "": kv("bind-address", "\"127.0.0.1:%s\"" % rpc)
    if section == "meta": kv("dir", "\"%s/meta\"" % d)
    if section == "data":
        kv("dir", "\"%s/data\"" % d); kv("wal-dir", "\"%s/wal\"" % d)
        kv("cache-snapshot-write-cold-duration", "\"1s\""); kv("compact-full-write-cold-duration", "\"5s\"")
        kv("query-log-enabled", "false")
    if section == "monitor": kv("store-enabled", "false")
    if section == "http":
        kv("bind-address", "\"127.0.0.1:%s\"" % http); kv("log-enabled", "false")
    sys.stdout.write(line)
' "$dir" "$http_port" "$rpc_port" > "$dir/influxdb.conf"
  influxd -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
  INFLUX_PID=$!
  INFLUX_URL="http://127.0.0.1:$http_port"
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null -w '%{http_code}' "$INFLUX_URL/ping" 2>/dev/null | grep -q 204; then return 0; fi
    kill -0 "$INFLUX_PID" 2>/dev/null || { cat "$dir/influxd.log" >&2; return 1; }
    sleep 0.1
  done
  echo "influxd did not answer /ping" >&2
  return 1
}

stop_influx() {
  [[ -n "${INFLUX_PID:-}" ]] || return 0
  kill "$INFLUX_PID" 2>/dev/null || true
  wait "$INFLUX_PID" 2>/dev/null || true
  INFLUX_PID=""
}

#!/usr/bin/env bash
# tsdb: engine ingest, bytes/sample, queries vs SQLite and InfluxDB 1.6 (anchors, same run); kill -9 at full ingest
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds=3600; influx_seconds=600; kill_seconds=20
if [[ "${1:-}" == "--quick" ]]; then seconds=120; influx_seconds=60; kill_seconds=3; fi
cmake --build "$BUILD_DIR" --target tsdb_bench -j1 >&2
work="$(mktemp -d)"
source "$here/influx.sh"
trap 'stop_influx; rm -rf "$work"' EXIT
bin="$BUILD_DIR/bin/tsdb_bench"
# SKAB's 8 sensor columns + 10,000 series at 1 Hz for $seconds s, against SQLite.
"$bin" compare /work/shared/data/skab "$work/compare" "$seconds" | tee "$work/compare.json" >&2
rm -rf "$work/compare"
# 10,000 series x $influx_seconds s against InfluxDB on loopback.
start_influx "$work/influx"
"$bin" influx "$INFLUX_URL" "$INFLUX_PID" "$INFLUX_DATA" "$INFLUX_WAL" "$work" "$influx_seconds" 10000 | tee "$work/influx.json" >&2
stop_influx
rm -rf "$work/influx" "$work/engine" "$work/engine-raw"
# kill -9 after $kill_seconds s of ingest into 1,000 series, reopen, verify.
"$bin" kill "$work" "$kill_seconds" 1000 | tee "$work/kill.json" >&2
python3 - "$work"/compare.json "$work"/influx.json "$work"/kill.json <<'PY'
import json, sys
out = {}
for path in sys.argv[1:]:
    out.update(json.loads(open(path).read().strip().splitlines()[-1]))
print(json.dumps(out))
PY

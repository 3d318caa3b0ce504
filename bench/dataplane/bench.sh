#!/usr/bin/env bash
# MQTT ingest msg/s: raw Mosquitto publisher -> subscriber (anchor) vs publisher -> broker plugin -> durable spool (fsync periodic|always), and end to end device -> edge agent -> server (sustained, partition drain, agent RSS)
set -euo pipefail
quick=""
[[ "${1:-}" == "--quick" ]] && quick="--quick"
cmake --build "$BUILD_DIR" --target dataplane_bench dataplane_e2e_bench iotwins iotwins_broker -j1 >&2
tmp="$BUILD_DIR/bench-dataplane-tmp"
"$BUILD_DIR/bin/dataplane_bench" "$tmp" $quick | tee "$tmp.plugin.log" >&2 || true
"$BUILD_DIR/bin/dataplane_e2e_bench" "$BUILD_DIR/bin/iotwins" "$tmp-e2e" $quick | tee "$tmp.e2e.log" >&2 || true
# One JSON object last: the plugin bench's keys as they were, the end-to-end ones prefixed e2e_.
python3 - "$tmp.plugin.log" "$tmp.e2e.log" <<'PY'
import json, sys
def last(path):
    lines = [l for l in open(path).read().splitlines() if l.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"ok": False}
plugin, e2e = last(sys.argv[1]), last(sys.argv[2])
out = dict(plugin)
out.update({"e2e_" + k: v for k, v in e2e.items()})
out["ok"] = bool(plugin.get("ok")) and bool(e2e.get("ok"))
print(json.dumps(out))
PY
rm -f "$tmp.plugin.log" "$tmp.e2e.log"

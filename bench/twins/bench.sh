#!/usr/bin/env bash
# Twins: micro (shadow updates/s on one core, query evaluation over 100k twins) and end to end with the real server + edge agent (reported/telemetry updates/s from MQTT into persisted twins vs raw Mosquitto, REST GET p50/p99 at 64 connections vs /healthz, queries over 100k twins)
set -euo pipefail
: "${BUILD_DIR:?bench/run sets BUILD_DIR}"
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
cmake --build "$BUILD_DIR" --target twins_bench twins_e2e_bench iotwins iotwins_broker -j1 >&2
min_time=1
reps=3
if [[ $quick == 1 ]]; then min_time=0.2; reps=1; fi
out="$(mktemp)"
e2e="$(mktemp)"
trap 'rm -f "$out" "$e2e"' EXIT
taskset -c 0 "$BUILD_DIR/bin/twins_bench" --benchmark_min_time="$min_time" \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_format=json --benchmark_out="$out" --benchmark_out_format=json >&2
quickflag=""
[[ $quick == 1 ]] && quickflag="--quick"
"$BUILD_DIR/bin/twins_e2e_bench" "$BUILD_DIR/bin/iotwins" "$BUILD_DIR/bench-twins-tmp" $quickflag | tee "$e2e" >&2 || true
# One JSON object last: the micro-benchmark's keys as they were, the end-to-end ones prefixed e2e_.
python3 - "$out" "$quick" "$e2e" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
lines = [l for l in open(sys.argv[3]).read().splitlines() if l.strip()]
try:
    e2e = json.loads(lines[-1])
except (IndexError, ValueError):
    e2e = {"ok": False}
rate = {}
for b in data["benchmarks"]:
    # With repetitions only aggregates are reported; without, the single run.
    if b.get("aggregate_name", "median") != "median":
        continue
    name = b["run_name"] if "run_name" in b else b["name"]
    rate[name] = b["items_per_second"]
apply_ = rate["BM_ApplyReportedUpdate"]
text = rate["BM_ApplyUpdateFromText"]
anchor = rate["BM_AnchorJsonParseDump"]
query = rate["BM_QueryEvaluate"]
ditto, orion = 800.0, 2700.0  # published figures named by the issue
out = {
    "benchmark": "twins",
    "quick": sys.argv[2] == "1",
    "apply_reported_update_per_s": round(apply_),
    "apply_update_from_text_per_s": round(text),
    "query_docs_per_s": round(query),
    "query_100k_docs_ms": round(100000 / query * 1000, 2),
    "units": {"apply": "updates/s on one core", "query": "documents evaluated/s on one core"},
    "anchors": {
        "nlohmann_parse_dump_per_s": round(anchor),
        "ditto_modifies_per_s_published": ditto,
        "orion_ld_updates_per_s_published_2cpu": orion,
    },
    "ratios": {
        "apply_from_text_vs_parse_dump": round(text / anchor, 3),
        "apply_from_text_vs_ditto": round(text / ditto, 1),
        "apply_from_text_vs_orion_ld": round(text / orion, 1),
    },
}
out.update({"e2e_" + k: v for k, v in e2e.items()})
out["ok"] = bool(e2e.get("ok"))
print(json.dumps(out))
PY

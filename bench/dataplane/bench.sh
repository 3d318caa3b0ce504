#!/usr/bin/env bash
# MQTT ingest msg/s: raw Mosquitto publisher -> subscriber (anchor) vs publisher -> broker plugin -> durable spool (fsync periodic|always)
set -euo pipefail
quick=""
[[ "${1:-}" == "--quick" ]] && quick="--quick"
cmake --build "$BUILD_DIR" --target dataplane_bench iotwins_broker -j1 >&2
"$BUILD_DIR/bin/dataplane_bench" "$BUILD_DIR/bench-dataplane-tmp" $quick

#!/usr/bin/env bash
# iotwins up: seconds from the command to the factory chain started (CREATE_COMPLETE) and to the plant's first sample in the cloud store (warm build, fresh data dir), with the time to the server ready in the same run as the anchor
set -euo pipefail
: "${BUILD_DIR:?bench/run sets BUILD_DIR}"
: "${IOTWINS_SOURCE_DIR:?bench/run sets IOTWINS_SOURCE_DIR}"
runs=5
[[ "${1:-}" == "--quick" ]] && runs=1
cmake --build "$BUILD_DIR" --target iotwins iotwins_broker -j1 >&2
exec python3 "$IOTWINS_SOURCE_DIR/bench/up/measure.py" "$BUILD_DIR/bin/iotwins" "$IOTWINS_SOURCE_DIR" "$runs"

#!/usr/bin/env bash
# tsdb: embedded engine ingest rate, bytes/sample after sealing, query latency; SQLite on the same data as anchor
set -euo pipefail
root="${IOTWINS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
seconds=3600
[[ "${1:-}" == "--quick" ]] && seconds=120
cmake --build "$BUILD_DIR" --target tsdb_bench -j1 >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# SKAB's 8 sensor columns + 10,000 series at 1 Hz for $seconds s; last line is the JSON object.
"$BUILD_DIR/bin/tsdb_bench" /work/shared/data/skab "$work" "$seconds"

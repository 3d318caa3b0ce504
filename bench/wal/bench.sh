#!/usr/bin/env bash
# WAL appends/s (100 B records; fsync always|batch|never; 1 and 8 writers) vs raw write+fdatasync
set -euo pipefail
seconds=5
[[ "${1:-}" == "--quick" ]] && seconds=1
cmake --build "$BUILD_DIR" --target wal_bench -j1 >&2
dir="$BUILD_DIR/bench-wal-tmp"
"$BUILD_DIR/bin/wal_bench" "$dir" "$seconds"

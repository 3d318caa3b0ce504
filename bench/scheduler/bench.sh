#!/usr/bin/env bash
# Scheduler: 100k task placements on 10k nodes, one core: placements/s and p50/p99 per placement, vs a naive exhaustive scheduler (same run) and published Kubernetes/Nomad rates
set -euo pipefail
cmake --build "$BUILD_DIR" --target scheduler_bench -j1 >&2
if [[ "${1:-}" == "--quick" ]]; then
  "$BUILD_DIR/bin/scheduler_bench" --nodes 10000 --requests 20000 --naive 200
else
  "$BUILD_DIR/bin/scheduler_bench" --nodes 10000 --requests 100000 --naive 2000
fi

#!/usr/bin/env bash
# Orchestrator: time from deploying examples/chains/factory.yaml to every node instance started on three real agents (vs a one-task deployment in the same run, vs INDIGO/IM's minutes), 100 deployments in parallel, healing after a task crash and after a node goes down
set -euo pipefail
: "${BUILD_DIR:?bench/run sets BUILD_DIR}"
quick=""
[[ "${1:-}" == "--quick" ]] && quick="--quick"
cmake --build "$BUILD_DIR" --target orchestrator_bench iotwins iotwins_broker -j1 >&2
"$BUILD_DIR/bin/orchestrator_bench" "$BUILD_DIR/bin/iotwins" "$BUILD_DIR/bench-orchestrator-tmp" $quick

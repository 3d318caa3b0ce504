#!/usr/bin/env bash
# Simulation speed: simulated s per wall s (one pump at 1 Hz, 1,000 assets) and sweep runs/s on 1 vs 2 threads; anchor: bisection solver
set -euo pipefail
cmake --build "$BUILD_DIR" --target simulation_bench -j1 >&2
"$BUILD_DIR/bin/simulation_bench" "$@"

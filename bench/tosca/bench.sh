#!/usr/bin/env bash
# TOSCA: parse+validate+instance model of a 1,000-node-template document vs raw yaml-cpp parse (goal < 100 ms)
set -euo pipefail
iterations=30
[[ "${1:-}" == "--quick" ]] && iterations=5
cmake --build "$BUILD_DIR" --target tosca_bench -j1 >&2
"$BUILD_DIR/bin/tosca_bench" --nodes 1000 --iterations "$iterations"

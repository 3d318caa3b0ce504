#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on one core, from its committed seed corpus.
#   fuzz/run.sh NAME [SECONDS=120]        e.g. fuzz/run.sh fuzz_telemetry 600
#   fuzz/run.sh --list                    the targets and their corpus/dictionary
# Environment: BUILD_DIR (default build-fuzz), WORK_DIR (default /tmp/iotwins-fuzz), UNIT_TIMEOUT
# (seconds one input may take, default 10; raise it on a loaded machine, where a starved
# process can exceed it without any slow input): new inputs
# go to WORK_DIR/NAME/corpus so the committed corpus stays small; crashes to WORK_DIR/NAME/.
# Prints libFuzzer's final line (cov, ft, corp, exec/s) and final stats.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build_dir="${BUILD_DIR:-$root/build-fuzz}"
work_dir="${WORK_DIR:-/tmp/iotwins-fuzz}"

# name | directory under fuzz/ | corpus | dictionary (or -) | max_len
targets="
fuzz_telemetry|telemetry|corpus|telemetry.dict|4096
fuzz_batch_frame|batch_frame|corpus|-|65536
fuzz_object_chunk|object_chunk|corpus|-|4096
fuzz_tsdb_chunk|tsdb_chunk|corpus|-|8192
fuzz_twin_query|twin_query|corpus_query|query.dict|1024
fuzz_twin_update|twin_query|corpus_update|-|8192
fuzz_tosca|tosca|corpus|-|16384
fuzz_plan_input|plan_input|corpus|plan.dict|8192
fuzz_expression|expression|corpus|expression.dict|512
fuzz_skab_csv|skab_csv|corpus|-|4096
fuzz_analytics_params|analytics_params|corpus|-|2048
fuzz_detector_model|detector_model|corpus|-|16384
fuzz_plant|plant|corpus|-|4096
fuzz_task_spec|task_spec|corpus|-|8192
fuzz_desired_delta|desired_delta|corpus|-|4096
fuzz_config_yaml|config_yaml|corpus|-|2048
fuzz_node_json|node_json|corpus|-|4096
fuzz_http_target|http_target|corpus|-|1024
fuzz_jwt|jwt|corpus|-|4096
"

if [[ -z "${1:-}" ]]; then
  echo "usage: fuzz/run.sh NAME [SECONDS] | --list" >&2
  exit 2
fi
if [[ "$1" == "--list" ]]; then
  echo "$targets" | sed '/^$/d' | tr '|' '\t'
  exit 0
fi
name="$1"
seconds="${2:-120}"
line="$(echo "$targets" | grep "^$name|" || true)"
if [[ -z "$line" ]]; then
  echo "unknown target '$name' (fuzz/run.sh --list)" >&2
  exit 2
fi
IFS='|' read -r _ dir corpus dict max_len <<<"$line"
binary="$build_dir/bin/$name"
if [[ ! -x "$binary" ]]; then
  echo "$binary is not built: make fuzz (or cmake --build $build_dir --target $name)" >&2
  exit 2
fi
# UBSan only reports and carries on by default; a finding must stop the run like an ASan one.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# Symbolised stack traces (function, file:line) need llvm-symbolizer; any version will do.
if symbolizer="$(command -v llvm-symbolizer || command -v llvm-symbolizer-16)"; then
  export UBSAN_OPTIONS="$UBSAN_OPTIONS:external_symbolizer_path=$symbolizer"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:external_symbolizer_path=$symbolizer"
fi
out="$work_dir/$name"
mkdir -p "$out/corpus"
# One process is one core; -jobs=1 would only add a supervisor and move the log to ./fuzz-0.log.
args=(-max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len"
      -timeout="${UNIT_TIMEOUT:-10}" -print_final_stats=1 -artifact_prefix="$out/")
[[ "$dict" != "-" ]] && args+=(-dict="$here/$dir/$dict")
# A crash ends the run with a non-zero status; the artifact path is in the log.
set +e
"$binary" "${args[@]}" "$out/corpus" "$here/$dir/$corpus" >"$out/log" 2>&1
status=$?
set -e
grep -aE "^#[0-9]+[[:space:]]+DONE|^stat::|ERROR:|SUMMARY:|runtime error|Test unit written|artifact_prefix" "$out/log" || tail -5 "$out/log"
exit $status

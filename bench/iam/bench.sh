#!/usr/bin/env bash
# IAM: JWT sign/verify (ES256, RS256) against raw OpenSSL ECDSA, scrypt hash time, authorizer and API-token checks.
set -euo pipefail
: "${BUILD_DIR:?bench/run sets BUILD_DIR}"
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
cmake --build "$BUILD_DIR" --target iam_bench -j1 >&2
min_time=1
reps=3
if [[ $quick == 1 ]]; then min_time=0.2; reps=1; fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
taskset -c 0 "$BUILD_DIR/bin/iam_bench" --benchmark_min_time="$min_time" \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_format=json --benchmark_out="$out" --benchmark_out_format=json >&2
python3 - "$out" "$quick" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
rate = {}
for b in data["benchmarks"]:
    if b.get("aggregate_name", "median") != "median":
        continue
    name = b["run_name"] if "run_name" in b else b["name"]
    rate[name] = b["items_per_second"]
sign, verify, rs = rate["BM_JwtSignEs256"], rate["BM_JwtVerifyEs256"], rate["BM_JwtVerifyRs256"]
a_sign, a_verify = rate["BM_AnchorEcdsaSign"], rate["BM_AnchorEcdsaVerify"]
print(json.dumps({
    "benchmark": "iam",
    "quick": sys.argv[2] == "1",
    "jwt_sign_es256_per_s": round(sign),
    "jwt_verify_es256_per_s": round(verify),
    "jwt_verify_rs256_per_s": round(rs),
    "password_hash_ms": round(1000 / rate["BM_PasswordHashDefault"], 1),
    "authorizer_decisions_per_s": round(rate["BM_AuthorizerDecide"]),
    "api_token_checks_per_s": round(rate["BM_ApiTokenAuthenticate"]),
    "units": {"rates": "operations/s on one core", "password_hash_ms": "ms per scrypt hash (ln=15, r=8, p=1)"},
    "anchors": {"openssl_ecdsa_p256_sign_per_s": round(a_sign), "openssl_ecdsa_p256_verify_per_s": round(a_verify)},
    "ratios": {
        "jwt_verify_vs_raw_ecdsa_verify": round(verify / a_verify, 3),
        "jwt_sign_vs_raw_ecdsa_sign": round(sign / a_sign, 3),
    },
}))
PY

#!/usr/bin/env bash
# The fuzz targets (cargo-fuzz, libFuzzer), built with nightly.
#
#   fuzz/run.sh smoke            build every target, run each for SMOKE_SECONDS (20) from the
#                                committed seeds; exits non-zero if any target fails (CI)
#   fuzz/run.sh long [TARGET...] run each TARGET (default: all) for RUNS executions
#                                (default 10 million for the byte parsers, 1 million for
#                                starttls_dialogue, prtg_params and nagios_range)
#
# Inputs found along the way go to fuzz/corpus/TARGET (grown corpus, not committed), crashes
# to fuzz/artifacts/TARGET/, output to fuzz/logs/TARGET.log (smoke-TARGET.log when smoke).
# One job, niced: the machine is shared. Reproduce a crash by running the target's binary
# on the file: fuzz/target/x86_64-unknown-linux-gnu/release/TARGET (smoke build, with
# AddressSanitizer) or fuzz/target/long/x86_64-unknown-linux-gnu/release/TARGET (long build).
set -euo pipefail
cd "$(dirname "$0")"

ALL=(tls_probe der_reader ldap_response ocsp_response crl certificate http_answer
    starttls_dialogue prtg_params nagios_range audit_file)
# Checks every allocation and the whole process against a bound: nothing may allocate without
# a cap. A hang of more than TIMEOUT seconds on one input is a failure too.
LIMITS=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout="${TIMEOUT:-10}")

tools() {
    if ! cargo +nightly --version >/dev/null 2>&1; then
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
        cargo install cargo-fuzz --locked
    fi
}

# Release builds with debug assertions and overflow checks. The smoke run uses
# AddressSanitizer (every allocation checked against -malloc_limit_mb); the long runs build
# without it, several times faster, into their own folder (target/long): the allocation cap
# of the fuzz crate's allocator and -rss_limit_mb still hold there.
build() {
    CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" nice -n 10 cargo +nightly fuzz build \
        --debug-assertions "$@"
}

SANITIZED=target/x86_64-unknown-linux-gnu/release
UNSANITIZED=target/long/x86_64-unknown-linux-gnu/release
BIN=$SANITIZED
# smoke-TARGET.log for the smoke run, so that it never overwrites a long run's log.
LOG_PREFIX=

binary() {
    echo "$BIN/$1"
}

runs_for() {
    case "$1" in
    starttls_dialogue | prtg_params | nagios_range) echo "${RUNS:-1000000}" ;;
    *) echo "${RUNS:-10000000}" ;;
    esac
}

# run TARGET OPTIONS...: the fuzzer over the grown corpus and the seeds.
run() {
    local target=$1
    shift
    mkdir -p "corpus/$target" "artifacts/$target" logs
    echo "== $target $*"
    local status=0 log="logs/$LOG_PREFIX$target.log"
    nice -n 10 "$(binary "$target")" "corpus/$target" "seeds/$target" \
        "${LIMITS[@]}" -artifact_prefix="artifacts/$target/" -print_final_stats=1 "$@" \
        >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' \
        "$log" || true
    if [ "$status" -ne 0 ]; then
        echo "FAILED: $target (exit $status); the end of $log:"
        tail -n 40 "$log"
        return 1
    fi
}

case "${1:-}" in
smoke)
    LOG_PREFIX=smoke-
    tools
    build
    failed=()
    for target in "${ALL[@]}"; do
        run "$target" -max_total_time="${SMOKE_SECONDS:-20}" || failed+=("$target")
    done
    if [ "${#failed[@]}" -ne 0 ]; then
        echo "fuzz smoke failed: ${failed[*]}"
        exit 1
    fi
    echo "fuzzing: ${#ALL[@]} passed, 0 failed"
    ;;
long)
    shift
    targets=("$@")
    [ "${#targets[@]}" -ne 0 ] || targets=("${ALL[@]}")
    tools
    build --sanitizer none --target-dir target/long
    BIN=$UNSANITIZED
    failed=()
    for target in "${targets[@]}"; do
        run "$target" -runs="$(runs_for "$target")" || failed+=("$target")
    done
    if [ "${#failed[@]}" -ne 0 ]; then
        echo "fuzz long run failed: ${failed[*]}"
        exit 1
    fi
    ;;
*)
    sed -n '2,/^set /p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

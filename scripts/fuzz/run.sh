#!/usr/bin/env bash
# Builds the cargo-fuzz targets in rust/fuzz and runs each one in turn (at the lowest CPU priority), then prints the
# executions of every target from libFuzzer's final stats. Fails on the first crash, leaving the input that caused it in
# $FUZZ_WORK/artifacts/TARGET/.
#
#   scripts/fuzz/run.sh [TARGET...]         every target when none is named
#   FUZZ_TIME=60     seconds per target (the default)
#   FUZZ_RUNS=N      executions per target instead of a time (`make fuzz-long`: FUZZ_RUNS=1300000, 10.4 million in all)
#   FUZZ_REPLAY=1    only replay the seeds and the corpus grown so far, once each (a quick regression check)
#   FUZZ_WORK=DIR    where the growing corpora and crash artifacts live ($CARGO_TARGET_DIR/fuzz by default)
#   FUZZ_SANITIZER   cargo fuzz's --sanitizer: address by default; none (`make fuzz-long`) runs about twice as fast,
#                    and the targets are safe Rust
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
fuzz_dir="$repo/rust/fuzz"
PATH="$(dirname "$("$repo/scripts/fuzz/install.sh")"):$PATH"
target_dir="${CARGO_TARGET_DIR:-$fuzz_dir/target}"
export CARGO_TARGET_DIR="$target_dir"
work="${FUZZ_WORK:-$target_dir/fuzz}"
sanitizer="${FUZZ_SANITIZER:-address}"

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cd "$fuzz_dir" && cargo +nightly fuzz list --fuzz-dir .)
fi

mkdir -p "$work"
echo "fuzz: building the targets (cargo +nightly fuzz build, sanitizer $sanitizer)" >&2
if ! (cd "$fuzz_dir" && cargo +nightly fuzz build --fuzz-dir . --sanitizer "$sanitizer") >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "fuzz: the build failed" >&2
    exit 1
fi
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
bin_dir="$target_dir/$triple/release"

if [ -n "${FUZZ_RUNS:-}" ]; then
    limit=(-runs="$FUZZ_RUNS")
    budget="$FUZZ_RUNS executions"
elif [ -n "${FUZZ_REPLAY:-}" ]; then
    limit=(-runs=0)
    budget="a replay"
else
    limit=(-max_total_time="${FUZZ_TIME:-60}")
    budget="${FUZZ_TIME:-60} s"
fi

total=0
summary=()
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    artifacts="$work/artifacts/$target/"
    mkdir -p "$corpus" "$artifacts"
    # New inputs go to the first directory: the seeds in the repository stay as they are.
    inputs=("$corpus" "$fuzz_dir/seeds/$target")
    log="$work/$target.log"
    echo "fuzz: $target, $budget (log: $log)" >&2
    start=$SECONDS
    status=0
    # -max_len bounds one input: the largest seed is 10 KiB (an over-long event).
    nice -n "${FUZZ_NICE:-19}" "$bin_dir/$target" "${inputs[@]}" "${limit[@]}" -max_len=16384 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
    executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    if [ "$status" -ne 0 ]; then
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written' -A2 "$log" >&2 || tail -20 "$log" >&2
        echo "fuzz: $target FAILED after ${executions:-?} executions; reproduce with:" >&2
        echo "  (cd rust/fuzz && cargo +nightly fuzz run --fuzz-dir . $target ARTIFACT)" >&2
        exit 1
    fi
    total=$((total + ${executions:-0}))
    summary+=("$(printf '%-16s %12s executions  %5d s' "$target" "$executions" $((SECONDS - start)))")
done
printf '%s\n' "${summary[@]}"
printf '%-16s %12s executions, no crash\n' "total" "$total"

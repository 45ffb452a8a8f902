#!/bin/bash
# tests/fuzz/run.sh: runs one libFuzzer target and prints one line of
# figures for it: executions, coverage (libFuzzer's cov: and ft: at the
# end of the run), the size of the corpus and the crashes.  The working
# corpus is BUILD/fuzz/corpus/NAME, seeded from SEEDS (kept in the tree);
# crashes, leaks, timeouts and out-of-memory inputs go to
# BUILD/fuzz/artifacts/NAME/.  Exits 1 when the target found any.
# Usage: tests/fuzz/run.sh BUILD NAME SEEDS time SECONDS
#        tests/fuzz/run.sh BUILD NAME SEEDS runs COUNT
set -u
cd "$(dirname "$0")/../.."
build=$1 name=$2 seeds=$3 mode=$4 n=$5
bin=$build/fuzz/$name
corpus=$build/fuzz/corpus/$name
arts=$build/fuzz/artifacts/$name
log=$build/fuzz/$name.log
mkdir -p "$corpus" "$arts"
stamp=$(mktemp "$build/fuzz/.stamp.XXXXXX")
case $mode in
time) limit=-max_total_time=$n ;;
runs) limit=-runs=$n ;;
*) echo "run.sh: mode is time or runs" >&2; exit 2 ;;
esac
start=$(date +%s)
# libxlutil's own leaks (tests/fuzz/lsan.supp) are not findings.
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
# Any one allocation over 64 MiB is a finding: a guest or a client must
# not make xres allocate without bound.
"$bin" $limit -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=64 -print_final_stats=1 -artifact_prefix="$arts/" \
    "$corpus" "$seeds" > "$log" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
found=$(find "$arts" -type f -newer "$stamp")
crashes=$(grep -c . <<<"$found")
rm -f "$stamp"
printf 'fuzz %-18s execs %-9s cov %-5s ft %-6s corpus %-5s crashes %s (%ss)\n' \
    "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$secs"
if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
    echo "fuzz $name: libFuzzer exited $rc; see $log and $arts/" >&2
    grep -E '^(==[0-9]+==|SUMMARY|.*runtime error)' "$log" | head -5 >&2
    # Where it happened, and the input, so that a finding in a run whose
    # files are gone (a package build's) can be replayed from its output:
    # base64 -d > x && BUILD/fuzz/NAME x
    grep -E '^ +#[0-9]+ 0x' "$log" | head -14 >&2
    grep . <<<"$found" | head -2 | while read -r a; do
        echo "fuzz $name: input $(basename "$a"), $(stat -c %s "$a") bytes," \
            "base64:" >&2
        head -c 3000 "$a" | base64 -w 100 >&2
    done
    exit 1
fi

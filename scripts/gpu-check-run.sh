#!/usr/bin/env bash
# The `run` script of a GPU check bundle (scripts/gpu-check --bundle DIR copies it to DIR/run).
#
#   DIR/run [--bench|--no-bench] [REPORT_DIR]      (REPORT_DIR defaults to DIR/report)
#
# Runs the bundled gpu_* tests, `smoothscale doctor --json` and (with a CUDA device, or with
# --bench) `smoothscale bench --backend cuda`, and writes REPORT_DIR/report.txt and report.json
# (with bench.json, bench.log and plan.txt beside them). Needs bash,
# python3 and a glibc new enough for what bundle.json records; no Rust, no FFmpeg. Exit status:
# 0 when nothing failed (skips are fine), 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
commit="@COMMIT@"

bench="${SMOOTHSCALE_GPU_CHECK_BENCH:-auto}"
report_dir=""
for arg in "$@"; do
  case "$arg" in
    --bench) bench=yes ;;
    --no-bench) bench=no ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "run: unknown option $arg" >&2; exit 2 ;;
    *) report_dir="$arg" ;;
  esac
done
report_dir="${report_dir:-$here/report}"
mkdir -p "$report_dir"

# A failure before the tests can start still leaves a report.
fail_early() {
  echo "run: $1" >&2
  printf 'smoothscale GPU check: FAIL\nsource: bundle of commit %s\n%s\n' "$commit" "$1" \
    > "$report_dir/report.txt"
  python3 -c 'import json,sys; json.dump({"schema": "smoothscale-gpu-check/1", "result": "fail",
    "source": sys.argv[1], "error": sys.argv[2]}, open(sys.argv[3], "w"), indent=2)' \
    "bundle of commit $commit" "$1" "$report_dir/report.json" 2>/dev/null || true
  exit 1
}

command -v python3 >/dev/null 2>&1 || fail_early "python3 is needed to run the bundle"
work="$(mktemp -d "${TMPDIR:-/tmp}/smoothscale-gpu-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 -c 'import sys, tarfile
safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
for archive in sys.argv[2:]:
    with tarfile.open(archive) as t:
        t.extractall(sys.argv[1], **safe)' "$work" "$here/libs.tar.xz" "$here/bin.tar.xz" \
  || fail_early "cannot unpack the bundle's archives into $work"
# Each bundled file's glibc need against this machine's (a too-new library the machine also has
# is taken from the machine).
glibc_note="$(python3 "$here/gpu-check-host.py" "$here/bundle.json" "$work" 2>"$work/host.err")" \
  || fail_early "$(cat "$work/host.err")"

# The bundled libraries first. The C++ runtime (libstdc++, libgcc_s) is taken from the host when
# the host's is recent enough, so NVIDIA's libraries loaded later see the newest one; else ours.
libs="$work/lib"
cxx=host
if ! LD_LIBRARY_PATH="$libs" "$work/bin/smoothscale" --version >/dev/null 2>&1; then
  libs="$libs:$work/lib-cxx"
  cxx=bundled
fi
# NVRTC usually lives in the CUDA toolkit's lib64, which the loader may not search.
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -d "$d" ] && libs="$libs:$d"
done
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The tests' compiled-in paths (cargo's binary, ../shared) do not exist here.
export SMOOTHSCALE_TEST_BIN="$work/bin/smoothscale"
export SMOOTHSCALE_SHARED_DIR="$here/shared"

tests=()
for exe in "$work"/tests/*; do
  [ -f "$exe" ] && tests+=(--test "$(basename "$exe")=$exe")
done
status=0
python3 "$here/gpu-check-report.py" --smoothscale "$work/bin/smoothscale" ${tests[@]+"${tests[@]}"} \
  --out "$report_dir" --bench "$bench" \
  --source "bundle of commit $commit (C++ runtime: $cxx; $glibc_note)" \
  || status=$?
exit "$status"

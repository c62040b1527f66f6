# Sourced by scripts/test-slurm and scripts/test-kubernetes (from the repository root): sets
# $smoothscale_bin ($SMOOTHSCALE_BIN, else the `cargo build` of the test suite, reused) and
# exports the models folder ($SMOOTHSCALE_MODELS, else scripts/fetch-models) and the ONNX Runtime
# library ($SMOOTHSCALE_ORT_LIB, else scripts/fetch-onnxruntime) for the runs it starts.
# shellcheck shell=bash
export PATH="$HOME/.cargo/bin:$PATH"
if [ -n "${SMOOTHSCALE_BIN:-}" ]; then
  smoothscale_bin=$(realpath "$SMOOTHSCALE_BIN")
else
  timeout 3600 cargo build --quiet --bin smoothscale
  smoothscale_bin=$(realpath "${CARGO_TARGET_DIR:-target}/debug/smoothscale")
fi
if [ ! -x "$smoothscale_bin" ]; then
  echo "no smoothscale binary at $smoothscale_bin" >&2
  exit 1
fi
SMOOTHSCALE_MODELS="${SMOOTHSCALE_MODELS:-$(timeout 600 bash scripts/fetch-models | tail -n 1)}"
SMOOTHSCALE_ORT_LIB="${SMOOTHSCALE_ORT_LIB:-$(timeout 600 bash scripts/fetch-onnxruntime | tail -n 1)}"
export SMOOTHSCALE_MODELS SMOOTHSCALE_ORT_LIB
# The test drivers import tests/deploy/common.py: no __pycache__ in the tree.
export PYTHONDONTWRITEBYTECODE=1

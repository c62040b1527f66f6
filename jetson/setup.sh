#!/usr/bin/env bash
# Prepares a Jetson Thor running JetPack 7.1 or newer (Jetson Linux R38.4+) to build smoothscale,
# then builds it: `bash jetson/setup.sh [--check] [--no-build]`.
#
#   --check      only check the board and the JetPack version, install nothing
#   --no-build   install the packages but do not run `cargo build --release`
#
# Written from NVIDIA's documentation; it has not been run on a Jetson yet.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=0
build=1
for arg in "$@"; do
    case "$arg" in
        --check) check_only=1 ;;
        --no-build) build=0 ;;
        *) echo "usage: bash jetson/setup.sh [--check] [--no-build]" >&2; exit 2 ;;
    esac
done

fail() { echo "jetson/setup.sh: $*" >&2; exit 1; }
say() { echo "jetson/setup.sh: $*"; }

# --- The board and its Jetson Linux (L4T) release. JetPack 7.1 ships Jetson Linux 38.4.
[ "$(uname -m)" = aarch64 ] || fail "this is $(uname -m), not a Jetson (aarch64); on a PC use scripts/setup"
release=""
if [ -r /etc/nv_tegra_release ]; then
    # "# R38 (release), REVISION: 4.0, GCID: ..., BOARD: ..., EABI: aarch64, DATE: ..."
    line=$(head -n1 /etc/nv_tegra_release)
    major=$(sed -n 's/^# R\([0-9]*\) .*/\1/p' <<<"$line")
    minor=$(sed -n 's/.*REVISION: \([0-9]*\)\..*/\1/p' <<<"$line")
    [ -n "$major" ] && [ -n "$minor" ] && release="$major.$minor"
    source_of_release="/etc/nv_tegra_release"
fi
if [ -z "$release" ] && command -v dpkg-query >/dev/null; then
    version=$(dpkg-query -W -f='${Version}' nvidia-l4t-core 2>/dev/null || true)
    release=$(sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p' <<<"$version")
    source_of_release="the nvidia-l4t-core package ($version)"
fi
[ -n "$release" ] || fail "no Jetson Linux found (neither /etc/nv_tegra_release nor the \
nvidia-l4t-core package): flash JetPack 7.1 or newer with SDK Manager first"
major=${release%%.*}
minor=${release#*.}
if [ "$major" -lt 38 ] || { [ "$major" -eq 38 ] && [ "$minor" -lt 4 ]; }; then
    fail "Jetson Linux R$release (from $source_of_release) is older than R38.4 (JetPack 7.1). \
R36.x is JetPack 6 (Orin), R38.2 is JetPack 7.0. Upgrade to JetPack 7.1 or newer."
fi
model=$(tr -d '\0' </proc/device-tree/model 2>/dev/null || echo unknown)
case "$model" in
    *Thor*) ;;
    *) say "warning: the board is '$model', not a Jetson Thor; continuing, untested" ;;
esac
say "Jetson Linux R$release on '$model': OK"
[ "$check_only" -eq 1 ] && exit 0

# --- Packages from the JetPack apt repositories (and Ubuntu's).
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
available() { apt-cache show "$1" >/dev/null 2>&1; }

# The newest cuda-toolkit-X-Y JetPack offers (JetPack 7.x: CUDA 13).
cuda=$(apt-cache pkgnames cuda-toolkit- | grep -E '^cuda-toolkit-[0-9]+-[0-9]+$' | sort -V | tail -n1 || true)
[ -n "$cuda" ] || fail "no cuda-toolkit-X-Y package in the apt sources: is the JetPack repository \
(repo.download.nvidia.com/jetson) configured? 'sudo apt install nvidia-jetpack' sets it all up"

required=("$cuda" libnvinfer-dev libnvonnxparsers-dev
          libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
          libavfilter-dev libavdevice-dev ffmpeg clang libclang-dev pkg-config
          build-essential curl ca-certificates
          # The Video Codec SDK headers (Ubuntu's nv-codec-headers, architecture all): the
          # smoothscale binary links smoothscale-nvcodec-sys (for `doctor`), whose build needs them.
          libffmpeg-nvenc-dev)
# On Thor, the NVDEC/NVENC libraries libnvcuvid.so.1 and libnvidia-encode.so.1 come from the L4T
# multimedia packages.
optional=(nvidia-l4t-multimedia nvidia-l4t-multimedia-utils)

missing=()
for p in "${required[@]}"; do
    available "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || fail "not in the apt sources: ${missing[*]}"
install=("${required[@]}")
for p in "${optional[@]}"; do
    if available "$p"; then install+=("$p"); else say "note: $p is not available, skipped"; fi
done
say "installing ${install[*]}"
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${install[@]}"

# CUDA lives in /usr/local/cuda; the build looks for nvcc and the headers there.
export PATH="/usr/local/cuda/bin:$PATH"
command -v nvcc >/dev/null || fail "nvcc is not in /usr/local/cuda/bin after installing $cuda"
for lib in libnvcuvid.so.1 libnvidia-encode.so.1; do
    ldconfig -p | grep -F "$lib" >/dev/null || say "note: $lib is not installed; NVDEC/NVENC will be unavailable"
done

# --- Rust (the same way scripts/setup does it) and the build.
if ! command -v cargo >/dev/null; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        say "installing the Rust toolchain with rustup"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi
[ "$build" -eq 1 ] || exit 0
say "cargo build --release"
# SMOOTHSCALE_REQUIRE_FATBIN=1: build.rs fails instead of falling back to embedding the kernel
# source for NVRTC, so this build always carries the nvcc fat binary (SASS for sm_87/sm_110).
NVCC=$(command -v nvcc) SMOOTHSCALE_REQUIRE_FATBIN=1 SMOOTHSCALE_REQUIRE_TRT_SHIM=1 \
    cargo build --release
say "the CUDA kernels are embedded as an nvcc fat binary (built with $(command -v nvcc))"
say "built target/release/smoothscale; see jetson/README.md for the power mode and the service"

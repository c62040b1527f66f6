#!/usr/bin/env bash
# Prepares a Jetson Thor running JetPack 7.1 or newer (Jetson Linux R38.4+, Ubuntu 24.04, CUDA 13
# SBSA) to build smoothscale, then builds it:
#
#   bash jetson/setup.sh [--check] [--no-build] [--dry-run]
#
#   --check      only check the board and the JetPack version, install nothing
#   --no-build   install the packages but do not run `cargo build --release`
#   --dry-run    check the board, then print every package and command the setup would run,
#                changing nothing (no apt, no rustup, no build)
#
# SMOOTHSCALE_JETSON_FAKE="RELEASE MODEL", e.g. "38.4 NVIDIA Jetson AGX Thor Developer Kit",
# stands in for the board's detection (aarch64, /etc/nv_tegra_release, the device-tree model) so
# the plan can be checked on any machine (tests/jetson_setup.rs). It is refused without --dry-run.
#
# Written from NVIDIA's documentation. Checked on x86-64 only: its dry run (with the fake
# detection) and the shellcheck linter. It has not been run on a Jetson yet.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bash jetson/setup.sh [--check] [--no-build] [--dry-run]" >&2; exit 2; }

check_only=0
build=1
dry_run=0
for arg in "$@"; do
    case "$arg" in
        --check) check_only=1 ;;
        --no-build) build=0 ;;
        --dry-run) dry_run=1 ;;
        *) usage ;;
    esac
done

fail() { echo "jetson/setup.sh: $*" >&2; exit 1; }
say() { echo "jetson/setup.sh: $*"; }

# Every command that changes the machine goes through `run`: printed, shell-quoted, and run
# unless this is a dry run.
run() {
    local quoted
    quoted=$(printf ' %q' "$@")
    echo "+${quoted}"
    [ "$dry_run" -eq 1 ] || "$@"
}
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# --- The board and its Jetson Linux (L4T) release. JetPack 7.1 ships Jetson Linux 38.4, JetPack
# 7.0 Jetson Linux 38.2 (NVIDIA's JetPack 7.0 and 7.1 "Downloads and Notes" pages,
# https://developer.nvidia.com/embedded/jetpack/downloads).
fake="${SMOOTHSCALE_JETSON_FAKE:-}"
if [ -n "$fake" ]; then
    [ "$dry_run" -eq 1 ] || fail "SMOOTHSCALE_JETSON_FAKE is honoured only with --dry-run"
    release=${fake%% *}
    model=${fake#* }
    source_of_release="SMOOTHSCALE_JETSON_FAKE"
else
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
    model=$(tr -d '\0' </proc/device-tree/model 2>/dev/null || echo unknown)
fi
[[ "$release" =~ ^[0-9]+\.[0-9]+$ ]] || fail "cannot read the Jetson Linux release '$release' (from $source_of_release)"
major=${release%%.*}
minor=${release#*.}
if [ "$major" -lt 38 ] || { [ "$major" -eq 38 ] && [ "$minor" -lt 4 ]; }; then
    fail "Jetson Linux R$release (from $source_of_release) is older than R38.4 (JetPack 7.1). \
R36.x is JetPack 6 (Orin), R38.2 is JetPack 7.0. Upgrade to JetPack 7.1 or newer."
fi
case "$model" in
    *Thor*) ;;
    *) say "warning: the board is '$model', not a Jetson Thor; continuing, untested" ;;
esac
say "Jetson Linux R$release on '$model': OK"
[ "$check_only" -eq 1 ] && exit 0
[ "$dry_run" -eq 0 ] || say "dry run: nothing is changed; every command below is printed, not run"

# --- Packages. Sources, for each name:
# - nvidia-cuda-dev: JetPack's sub-meta-package with the CUDA 13 toolkit (nvcc, headers); NVIDIA's
#   Jetson AGX Thor Developer Kit User Guide, "JetPack SDK Setup"
#   (https://docs.nvidia.com/jetson/agx-thor-devkit/user-guide/latest/setup_jetpack.html), which
#   also warns against Ubuntu's nvidia-cuda-toolkit: it is not the CUDA built for Jetson.
# - libnvinfer-dev, libnvonnxparsers-dev: TensorRT's Debian packages (headers; they pull in
#   libnvinfer.so.10 and libnvonnxparser.so.10), as named in NVIDIA's TensorRT installation guide
#   (https://docs.nvidia.com/deeplearning/tensorrt/latest/installing-tensorrt/installing.html) and
#   installed by JetPack's nvidia-tensorrt-dev; the build compiles the TensorRT shim against the
#   headers in /usr/include/aarch64-linux-gnu.
# - libffmpeg-nvenc-dev: Ubuntu 24.04's FFmpeg nv-codec-headers (12.1.14.0, Video Codec SDK 12.1
#   API; architecture all). smoothscale-nvcodec-sys reads them through pkg-config `ffnvcodec`.
# - The FFmpeg development libraries, clang (bindgen), pkg-config, build-essential, curl: Ubuntu.
required=(nvidia-cuda-dev libnvinfer-dev libnvonnxparsers-dev
          libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
          libavfilter-dev libavdevice-dev ffmpeg clang libclang-dev pkg-config
          build-essential curl ca-certificates python3-pip
          libffmpeg-nvenc-dev)
# - nvidia-l4t-multimedia: Jetson Linux's multimedia package; on Thor the NVDEC/NVENC libraries
#   libnvcuvid.so.1 and libnvidia-encode.so.1 of the Video Codec SDK (which supports Jetson Thor
#   from SDK 13.0 and JetPack 7.1: Video Codec SDK 13.0 Read Me,
#   https://docs.nvidia.com/video-technologies/video-codec-sdk/13.0/read-me/index.html). Installed
#   where apt offers it; `smoothscale doctor` says afterwards whether the libraries load.
optional=(nvidia-l4t-multimedia)

if [ "$dry_run" -eq 1 ]; then
    say "would check that apt offers: ${required[*]}"
    say "would install where apt offers them: ${optional[*]}"
    run "${sudo_cmd[@]}" apt-get update -qq
    run "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${required[@]}" "${optional[@]}"
else
    run "${sudo_cmd[@]}" apt-get update -qq
    available() { apt-cache show "$1" >/dev/null 2>&1; }
    missing=()
    for p in "${required[@]}"; do
        available "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] || fail "not in the apt sources: ${missing[*]}; is the JetPack \
repository (repo.download.nvidia.com/jetson) configured? 'sudo apt install nvidia-jetpack' sets it all up"
    install=("${required[@]}")
    for p in "${optional[@]}"; do
        if available "$p"; then install+=("$p"); else say "note: $p is not available, skipped"; fi
    done
    run "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${install[@]}"
fi

# --- CUDA lives in /usr/local/cuda; the build looks for nvcc and the headers there.
export PATH="/usr/local/cuda/bin:$PATH"
if [ "$dry_run" -eq 1 ]; then
    say "would check: nvcc in /usr/local/cuda/bin, libnvcuvid.so.1 and libnvidia-encode.so.1 in the linker cache, pkg-config ffnvcodec"
else
    command -v nvcc >/dev/null || fail "nvcc is not in /usr/local/cuda/bin after installing nvidia-cuda-dev"
    for lib in libnvcuvid.so.1 libnvidia-encode.so.1; do
        ldconfig -p | grep -F "$lib" >/dev/null || say "note: $lib is not installed; NVDEC/NVENC will be unavailable"
    done
    headers=$(pkg-config --modversion ffnvcodec) || fail "pkg-config finds no ffnvcodec (libffmpeg-nvenc-dev)"
    say "Video Codec headers: ffnvcodec $headers"
fi

# --- ONNX Runtime's aarch64 library for the CPU path (pinned wheel, sha256-checked).
run bash scripts/fetch-onnxruntime

# --- Rust (the same way scripts/setup does it).
if ! command -v cargo >/dev/null; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        say "installing the Rust toolchain with rustup"
        run sh -c "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal"
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi

# --- The build. SMOOTHSCALE_REQUIRE_TRT_SHIM=1: a build that cannot find JetPack's TensorRT
# headers fails instead of leaving TensorRT out.
[ "$build" -eq 1 ] || exit 0
# SMOOTHSCALE_REQUIRE_FATBIN=1: build.rs fails instead of falling back to embedding the kernel
# source for NVRTC, so this build always carries the nvcc fat binary (SASS for sm_87/sm_110).
# A dry run names the nvcc the real run has checked for above.
nvcc_path=/usr/local/cuda/bin/nvcc
[ "$dry_run" -eq 1 ] || nvcc_path=$(command -v nvcc)
run env NVCC="$nvcc_path" SMOOTHSCALE_REQUIRE_FATBIN=1 SMOOTHSCALE_REQUIRE_TRT_SHIM=1 cargo build --release
[ "$dry_run" -eq 1 ] && exit 0
say "the CUDA kernels are embedded as an nvcc fat binary (built with $nvcc_path)"
say "built target/release/smoothscale; see jetson/README.md for the power mode and the service"

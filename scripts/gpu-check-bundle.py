#!/usr/bin/env python3
"""Builds the GPU check bundle: a folder that runs the GPU tests, doctor and bench on a machine
without Rust or FFmpeg (called by `scripts/gpu-check --bundle DIR`; see that script).

DIR gets `run` (from scripts/gpu-check-run.sh), `gpu-check-report.py` with `gpu-check-bench.py`,
`gpu-check-host.py`, the shared data the GPU tests name, `bundle.json` (every file with its size and sha256, the commit,
the glibc of this machine and the highest GLIBC_x.y each bundled ELF file needs) and two xz
archives: `libs.tar.xz` (the shared libraries the executables load, minus glibc and NVIDIA's; cached between builds in
target/gpu-bundle-cache, since compressing them takes minutes) and `bin.tar.xz` (the smoothscale
binary and the gpu_* test executables, stripped of debug info). The libraries alone are about
160 MiB, so the archives are what keeps the bundle under the size limit.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

LIMIT_BYTES = 60 * 1024 * 1024
DATA_FILE_LIMIT = 8 * 1024 * 1024  # a shared file bigger than this is left out
GLIBC_LIBS = re.compile(r"^(ld-linux.*|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libanl|"
                        r"libutil|libnsl|libBrokenLocale|libthread_db|libnss_\w+)\.so")
NVIDIA_LIBS = re.compile(r"^lib(cuda|nvcuvid|nvidia-\w+|nvrtc\w*|nvinfer\w*|nvonnxparser|"
                         r"cudart|cublas\w*|cudnn\w*)\.so")
CXX_RUNTIME = re.compile(r"^(libstdc\+\+|libgcc_s)\.so")
GLIBC_NEED = re.compile(r"Name: GLIBC_(\d+(?:\.\d+)+)\b")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def shared_libs(executables):
    """{soname: resolved path} of every library the executables load (ldd: the whole closure),
    without glibc and NVIDIA's. Fails on a library ldd cannot find."""
    libs = {}
    for exe in executables:
        out = subprocess.run(["ldd", exe], stdout=subprocess.PIPE, check=True).stdout.decode()
        for line in out.splitlines():
            parts = line.split()
            if "=>" not in parts:
                continue
            name, target = parts[0], parts[parts.index("=>") + 1]
            if GLIBC_LIBS.match(name) or NVIDIA_LIBS.match(name):
                continue  # the GPU machine's own
            if target == "not":
                sys.exit("gpu-check: {} needs {}, which is not found here".format(exe, name))
            libs[name] = target
    return libs


def glibc_needs(path):
    """The highest GLIBC_x.y in an ELF file's version needs, as a tuple ((0,) for none)."""
    out = subprocess.run(["readelf", "-V", "-W", path], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    needs = out.split(".gnu.version_r", 1)[1] if ".gnu.version_r" in out else ""
    return max([tuple(int(x) for x in v.split(".")) for v in GLIBC_NEED.findall(needs)],
               default=(0,))


def dotted(v):
    return ".".join(str(x) for x in v)


def stage_elf(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    subprocess.run(["strip", "--strip-debug", "-o", dst, src], check=True)
    os.chmod(dst, 0o755)


def write_archive(src_dir, members, archive):
    tmp = archive + ".tmp"
    with tarfile.open(tmp, "w:xz", preset=9) as tar:
        for m in members:
            tar.add(os.path.join(src_dir, m), arcname=m)
    os.replace(tmp, archive)


def shared_data(shared, test_sources):
    """(files to bundle [(relative path, source)], left out [dict]): every string literal of the
    GPU tests that names a file or folder of the shared folder (or of its media/)."""
    wanted, left_out, seen = [], [], set()
    for src in test_sources:
        with open(src) as f:
            literals = re.findall(r'"([^"\\\n]+)"', f.read())
        for lit in literals:
            for rel in (os.path.join("media", lit), lit):
                path = os.path.normpath(os.path.join(shared, rel))
                if path in seen or not path.startswith(os.path.normpath(shared) + os.sep) \
                        or not os.path.exists(path):
                    continue
                seen.add(path)
                rel = os.path.relpath(path, shared)
                files = [path] if os.path.isfile(path) else sorted(
                    os.path.join(d, n) for d, _, ns in os.walk(path) for n in ns)
                size = sum(os.path.getsize(p) for p in files)
                if size > DATA_FILE_LIMIT:
                    left_out.append({"path": rel, "size": size, "reason": "over {} MiB".format(
                        DATA_FILE_LIMIT >> 20)})
                    continue
                wanted += [(os.path.relpath(p, shared), p) for p in files]
                break
    return wanted, left_out


def build(args):
    out = os.path.abspath(args.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    staging = tempfile.mkdtemp(prefix="gpu-bundle-")
    try:
        bins = [("bin/smoothscale", args.smoothscale)]
        bins += [("tests/" + t.split("=", 1)[0], t.split("=", 1)[1]) for t in args.test]
        for rel, src in bins:
            stage_elf(src, os.path.join(staging, rel))
        libs = shared_libs([src for _, src in bins])
        lib_members = []
        for name, src in sorted(libs.items()):
            rel = ("lib-cxx/" if CXX_RUNTIME.match(name) else "lib/") + name
            stage_elf(os.path.realpath(src), os.path.join(staging, rel))
            lib_members.append(rel)
        elf_members = [rel for rel, _ in bins] + lib_members
        needs = {m: glibc_needs(os.path.join(staging, m)) for m in elf_members}
        needed = dotted(max(needs.values()))
        needed_by = sorted(m for m in elf_members if dotted(needs[m]) == needed)

        key = hashlib.sha256("".join(m + sha256(os.path.join(staging, m)) for m in lib_members)
                             .encode()).hexdigest()[:16]
        cache = os.path.join(args.cache, "libs-{}.tar.xz".format(key))
        if not os.path.exists(cache):
            print("gpu-check: compressing {} libraries (xz -9, a few minutes; cached in {})"
                  .format(len(lib_members), args.cache), flush=True)
            os.makedirs(args.cache, exist_ok=True)
            write_archive(staging, lib_members, cache)
        shutil.copyfile(cache, os.path.join(out, "libs.tar.xz"))
        write_archive(staging, [rel for rel, _ in bins], os.path.join(out, "bin.tar.xz"))
        archived = [{"path": m, "size": os.path.getsize(os.path.join(staging, m)),
                     "sha256": sha256(os.path.join(staging, m)), "glibc": dotted(needs[m])}
                    for m in elf_members]
    finally:
        shutil.rmtree(staging)

    data, left_out = shared_data(args.shared, args.test_source)
    for rel, src in data:
        dst = os.path.join(out, "shared", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    for script in (args.report_script, args.bench_script, args.host_script):
        shutil.copyfile(script, os.path.join(out, os.path.basename(script)))
    with open(args.run_template) as f:
        run = f.read().replace("@COMMIT@", args.commit)
    with open(os.path.join(out, "run"), "w") as f:
        f.write(run)
    os.chmod(os.path.join(out, "run"), 0o755)

    files = sorted(os.path.relpath(os.path.join(d, n), out)
                   for d, _, ns in os.walk(out) for n in ns)
    manifest = {
        "schema": "smoothscale-gpu-bundle/1",
        "commit": args.commit,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "build_glibc": os.confstr("CS_GNU_LIBC_VERSION"),
        "glibc_needed": needed,
        "glibc_needed_by": needed_by,
        "files": [{"path": p, "size": os.path.getsize(os.path.join(out, p)),
                   "sha256": sha256(os.path.join(out, p))} for p in files],
        "archived": archived,
        "shared_left_out": left_out,
    }
    manifest["total_bytes"] = sum(f["size"] for f in manifest["files"])
    with open(os.path.join(out, "bundle.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    total = manifest["total_bytes"] + os.path.getsize(os.path.join(out, "bundle.json"))
    for item in left_out:
        print("gpu-check: left out of the bundle: shared/{} ({:.1f} MiB, {})".format(
            item["path"], item["size"] / 2 ** 20, item["reason"]))
    print("gpu-check: bundle {}: {:.1f} MiB in {} files ({} libraries, {} test executables, "
          "{} shared data files); needs glibc >= {} ({}); built on {}".format(
              out, total / 2 ** 20, len(files) + 1, len(lib_members), len(args.test), len(data),
              needed, ", ".join(needed_by[:4]), manifest["build_glibc"]))
    if total > LIMIT_BYTES:
        sys.exit("gpu-check: the bundle is {:.1f} MiB, over the {} MiB limit".format(
            total / 2 ** 20, LIMIT_BYTES >> 20))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoothscale", required=True)
    ap.add_argument("--test", action="append", default=[], metavar="TARGET=EXE")
    ap.add_argument("--test-source", action="append", default=[], metavar="FILE.rs")
    ap.add_argument("--shared", required=True, help="the shared data folder (../shared)")
    ap.add_argument("--commit", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--report-script", required=True)
    ap.add_argument("--bench-script", required=True)
    ap.add_argument("--host-script", required=True)
    ap.add_argument("--run-template", required=True)
    build(ap.parse_args())


if __name__ == "__main__":
    main()

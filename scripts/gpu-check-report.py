#!/usr/bin/env python3
"""Runs the GPU checks and writes report.txt and report.json (schema smoothscale-gpu-check/1).

Shared by `scripts/gpu-check` (in the source tree) and a bundle's `run` (on a GPU machine
without Rust). It is given the test executables and the smoothscale binary; it runs each test
of each executable on its own (`--exact NAME --nocapture --test-threads=1`), so a crash in one
test cannot hide the others and each test's output is its own. A test is `skipped` when it
passed and printed a `skipped: REASON` line, `failed` when it exited non-zero or timed out.
Then `smoothscale doctor --json` and, when a CUDA device is present (or when asked),
`smoothscale bench --backend cuda --json` (and its `--plan` for this GPU): its stages against the
roofline go in the report, and the check fails if a frame-path stage (decode, encode, end to end)
copied pixels between host and device on a GPU with NVENC. Exit status: 0 when nothing failed,
1 otherwise.

Python 3.6 or later, standard library only.
"""

import argparse
import datetime
import importlib.util
import json
import os
import re
import subprocess
import sys

SCHEMA = "smoothscale-gpu-check/1"
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
_spec = importlib.util.spec_from_file_location(
    "gpu_check_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpu-check-bench.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
OUTPUT_KEEP = 20000  # characters of a failed test's output kept in the report
# `common::gpu::skip` prints `skipped: REASON`; `common::shared_clip` prints `skipping: ...`.
SKIP_LINE = re.compile(r"(?m)(?:^|\.\.\. )skipp(?:ed|ing): (.+?)\s*$")
SUMMARY = re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")
PANIC = re.compile(r"panicked at [^\n]*\n([^\n]+)")


def run_captured(cmd, timeout, env=None):
    """Runs cmd with stdout and stderr in one stream: (exit code or None on timeout, text)."""
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout, env=env)
        return proc.returncode, proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace")
    except OSError as e:
        return 127, "cannot start {}: {}".format(cmd[0], e)


def exit_text(code):
    if code is None:
        return "timed out"
    if code < 0:
        return "killed by signal {}".format(-code)
    return "exit code {}".format(code)


def parse_outcome(code, output, timeout):
    """The outcome of one test run alone: (status, reason)."""
    if code is None:
        return "failed", "timed out after {} s".format(timeout)
    summary = SUMMARY.search(output)
    if code != 0:
        panic = PANIC.search(output)
        return "failed", panic.group(1).strip() if panic else exit_text(code)
    if not summary:
        return "failed", "no libtest summary in the output ({})".format(exit_text(code))
    passed, failed, ignored = (int(g) for g in summary.groups())
    if failed:
        return "failed", "{} failed".format(failed)
    if ignored and not passed:
        return "ignored", "marked #[ignore]"
    if passed != 1:
        return "failed", "expected one test to run, {} did".format(passed)
    skip = SKIP_LINE.search(output)
    if skip:
        return "skipped", skip.group(1)
    return "passed", None


def list_tests(exe, timeout):
    """The test names of a libtest executable, or raises RuntimeError with its output."""
    code, out = run_captured([exe, "--list", "--format", "terse"], timeout)
    if code != 0:
        raise RuntimeError("{} --list: {}\n{}".format(exe, exit_text(code), out))
    return [line[:-len(": test")] for line in out.splitlines() if line.endswith(": test")]


def run_tests(binaries, timeout):
    """Runs every test of every (target name, executable): a list of result dicts."""
    results = []
    for target, exe in binaries:
        try:
            names = list_tests(exe, 120)
        except RuntimeError as e:
            results.append({"binary": target, "name": "(list)", "status": "failed",
                            "reason": "the test executable does not start", "seconds": 0.0,
                            "output": str(e)[-OUTPUT_KEEP:]})
            continue
        for name in names:
            start = datetime.datetime.now()
            code, out = run_captured(
                [exe, "--exact", name, "--nocapture", "--test-threads=1"], timeout)
            seconds = (datetime.datetime.now() - start).total_seconds()
            status, reason = parse_outcome(code, out, timeout)
            entry = {"binary": target, "name": name, "status": status, "reason": reason,
                     "seconds": round(seconds, 3), "exit_code": code}
            if status == "failed":
                entry["output"] = out[-OUTPUT_KEEP:]
            results.append(entry)
            print("gpu-check: {:7} {}::{}{}".format(
                status, target, name, " ({})".format(reason) if reason else ""), flush=True)
    return results


def run_doctor(binary):
    code, out = run_captured([binary, "doctor", "--json"], 120)
    if code != 0:
        return None, "smoothscale doctor --json: {}\n{}".format(exit_text(code), out[-4000:])
    try:
        start = out.index("{")
        return json.loads(out[start:]), None
    except ValueError as e:
        return None, "smoothscale doctor --json printed no JSON ({}): {}".format(e, out[-4000:])


def device_count(doctor):
    return len(((doctor or {}).get("cuda") or {}).get("gpus") or [])


def run_bench(binary, mode, doctor, out_dir, timeout):
    """mode: auto (only with a CUDA device), yes or no. A dict for the report: the CUDA bench
    (`bench --backend cuda`) and the plan of this GPU (`--plan`, in plan.txt)."""
    if mode == "no":
        return {"status": "skipped", "reason": "not asked for (--no-bench)"}
    if mode == "auto" and device_count(doctor) == 0:
        return {"status": "skipped", "reason": "no CUDA device"}
    _, plan = run_captured([binary, "bench", "--backend", "cuda", "--plan"], 120)
    with open(os.path.join(out_dir, "plan.txt"), "w") as f:
        f.write(plan)
    json_path = os.path.join(out_dir, "bench.json")
    if os.path.exists(json_path):  # never report an earlier run's file
        os.remove(json_path)
    code, out = run_captured([binary, "bench", "--backend", "cuda", "-q", "--json", json_path],
                             timeout)
    with open(os.path.join(out_dir, "bench.log"), "w") as f:
        f.write(out)
    result = {"status": "passed" if code == 0 else "failed", "exit_code": code,
              "reason": None if code == 0 else exit_text(code), "log": "bench.log",
              "plan": "plan.txt"}
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    if code != 0 and errors:
        result["reason"] = "{}: {}".format(exit_text(code), errors[-1])
    try:
        with open(json_path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        result["json"] = None
        if code == 0:
            result.update(status="failed", reason="no readable bench.json: {}".format(e))
        return result
    result["json"] = "bench.json"
    return bench.describe(data, result)


def proc_field(path, key):
    """The value of the first `key : value` line of a /proc file, or None."""
    try:
        with open(path) as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return None


def machine():
    uname = os.uname()
    os_name = None
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    mem = (proc_field("/proc/meminfo", "MemTotal") or "").split()
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        glibc = None
    code, smi = run_captured(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                              "--format=csv,noheader"], 60)
    return {"hostname": uname.nodename, "os": os_name, "kernel": uname.release,
            "arch": uname.machine, "cpu": proc_field("/proc/cpuinfo", "model name"),
            "logical_cpus": os.cpu_count(), "memory_bytes": int(mem[0]) * 1024 if mem else None, "glibc": glibc,
            "nvidia_smi": smi.strip().splitlines() if code == 0 else None}


def summarise(tests, doctor_error, bench):
    counts = {s: sum(1 for t in tests if t["status"] == s)
              for s in ("passed", "failed", "skipped", "ignored")}
    failed = counts["failed"] > 0 or doctor_error is not None or bench["status"] == "failed"
    return counts, ("fail" if failed else "pass")


def gib(n):
    return "{:.1f} GiB".format(n / 1024 ** 3) if isinstance(n, (int, float)) else "?"


def render_text(report):
    """The human report: the machine, the device(s), each test with its status, the bench."""
    m, d = report["machine"], report["doctor"] or {}
    lines = ["smoothscale GPU check: {} ({})".format(report["result"].upper(), report["created"]),
             "source: {}".format(report["source"]),
             "machine: {} | {} | kernel {} | {} | {} x{} | {} | {}".format(
                 m["hostname"], m["os"], m["kernel"], m["arch"], m["cpu"],
                 m["logical_cpus"], gib(m["memory_bytes"]), m["glibc"])]
    for row in m["nvidia_smi"] or []:
        lines.append("nvidia-smi: " + row)
    if report["doctor_error"]:
        lines.append("doctor: FAILED: " + report["doctor_error"])
    cuda = d.get("cuda") or {}
    driver = cuda.get("driver")
    lines.append("CUDA driver: " + ("supports CUDA {}".format(driver.get("cuda_version"))
                                    if driver else "missing ({})".format(cuda.get("reason"))))
    for gpu in cuda.get("gpus") or []:
        lines.append("device {}: {}, compute {}, {}".format(
            gpu.get("ordinal"), gpu.get("name"), gpu.get("compute_capability"),
            gib(gpu.get("memory_bytes"))))
    if cuda.get("gpu_error"):
        lines.append("devices: " + cuda["gpu_error"])
    for key, lib in sorted((d.get("libraries") or {}).items()):
        lines.append("{}: {}".format(key, "{} {}".format(lib.get("library"), lib.get("version"))
                                     if lib.get("ok") else "missing ({})".format(lib.get("reason"))))
    c = report["summary"]
    lines.append("")
    lines.append("tests: {passed} passed, {failed} failed, {skipped} skipped, {ignored} ignored"
                 .format(**c))
    for t in report["tests"]:
        lines.append("  {:7} {}::{} ({:.1f} s){}".format(
            t["status"].upper(), t["binary"], t["name"], t["seconds"],
            ": " + t["reason"] if t["reason"] else ""))
    b = report["bench"]
    lines.append("")
    lines.append("bench: {}{}".format(b["status"], ": " + b["reason"] if b.get("reason") else ""))
    lines += bench.table(b)
    for t in report["tests"]:
        if t["status"] == "failed":
            lines += ["", "--- output of {}::{} ---".format(t["binary"], t["name"]),
                      t.get("output", "").rstrip()]
    return "\n".join(lines) + "\n"


def write_report(report, out_dir):
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "report.txt"), "w") as f:
        f.write(render_text(report))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoothscale", required=True, help="the smoothscale binary")
    ap.add_argument("--test", action="append", default=[], metavar="TARGET=EXE",
                    help="a GPU test executable and its target name (repeatable)")
    ap.add_argument("--out", required=True, help="the report folder (created)")
    ap.add_argument("--bench", choices=("auto", "yes", "no"), default="auto")
    ap.add_argument("--source", default="unknown", help="where the build came from")
    ap.add_argument("--test-timeout", type=int, default=600, help="seconds per test")
    ap.add_argument("--bench-timeout", type=int, default=3600)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    binaries = [tuple(t.split("=", 1)) for t in args.test]
    if any(len(b) != 2 for b in binaries):
        ap.error("--test takes TARGET=EXE")
    report = {"schema": SCHEMA, "source": args.source,
              "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "machine": machine()}
    report["tests"] = run_tests(binaries, args.test_timeout)
    report["doctor"], report["doctor_error"] = run_doctor(args.smoothscale)
    report["bench"] = run_bench(args.smoothscale, args.bench, report["doctor"], args.out,
                                args.bench_timeout)
    report["summary"], report["result"] = summarise(report["tests"], report["doctor_error"],
                                                    report["bench"])
    write_report(report, args.out)
    sys.stdout.write(render_text(report))
    print("gpu-check: report written to {}".format(os.path.join(args.out, "report.txt")))
    return 0 if report["result"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())

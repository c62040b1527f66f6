#!/usr/bin/env python3
"""Unit tests of scripts/gpu-check-report.py and gpu-check-bundle.py (run by scripts/test): the
outcome parser on libtest output, a whole run against stand-in executables, one of whose tests
fails, and the choice of the shared data a bundle carries."""

import contextlib
import importlib.util
import io
import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in scripts/
_spec = importlib.util.spec_from_file_location("gpu_check_report",
                                               os.path.join(HERE, "gpu-check-report.py"))
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)
_spec = importlib.util.spec_from_file_location("gpu_check_bundle",
                                               os.path.join(HERE, "gpu-check-bundle.py"))
bundle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bundle)

PASSED = """
running 1 test
test opens ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.01s
"""
SKIPPED = """
running 1 test
test gate ... skipped: no CUDA device (libcuda.so.1 is not installed)
ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""
CLIP_SKIPPED = """
running 1 test
test decodes ... skipping: /x/shared/media/a.mp4 is absent (../shared is not on this machine)
ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""
FAILED = """
running 1 test
test frames_match ... skipped: not really
thread 'frames_match' panicked at tests/gpu_x.rs:12:5:
assertion `left == right` failed: frame 3 differs
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
FAILED

failures:

failures:
    frames_match

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
"""
IGNORED = """
running 1 test
test later ... ignored

test result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""
NOTHING = """
running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 4 filtered out; finished in 0.00s
"""


class ParseOutcome(unittest.TestCase):
    def test_passed(self):
        self.assertEqual(report.parse_outcome(0, PASSED, 60), ("passed", None))

    def test_skipped_keeps_the_reason(self):
        self.assertEqual(report.parse_outcome(0, SKIPPED, 60),
                         ("skipped", "no CUDA device (libcuda.so.1 is not installed)"))

    def test_an_absent_shared_clip_is_a_skip(self):
        status, reason = report.parse_outcome(0, CLIP_SKIPPED, 60)
        self.assertEqual(status, "skipped")
        self.assertIn("a.mp4 is absent", reason)

    def test_a_panic_is_a_failure_even_after_a_skip_line(self):
        self.assertEqual(report.parse_outcome(101, FAILED, 60),
                         ("failed", "assertion `left == right` failed: frame 3 differs"))

    def test_a_crash_names_the_signal(self):
        self.assertEqual(report.parse_outcome(-11, "running 1 test\ntest x ... ", 60),
                         ("failed", "killed by signal 11"))

    def test_a_timeout_is_a_failure(self):
        self.assertEqual(report.parse_outcome(None, "", 60), ("failed", "timed out after 60 s"))

    def test_ignored(self):
        self.assertEqual(report.parse_outcome(0, IGNORED, 60)[0], "ignored")

    def test_a_test_that_did_not_run_is_a_failure(self):
        self.assertEqual(report.parse_outcome(0, NOTHING, 60)[0], "failed")
        self.assertEqual(report.parse_outcome(0, "garbage", 60)[0], "failed")


# A stand-in libtest executable: `--list --format terse`, and `--exact NAME ...` printing the
# canned output of NAME and exiting with its code.
FAKE_TEST = """#!{python}
import sys
cases = {cases!r}
if "--list" in sys.argv:
    for name in cases:
        print(name + ": test")
    sys.exit(0)
code, out = cases[sys.argv[sys.argv.index("--exact") + 1]]
sys.stdout.write(out)
sys.exit(code)
"""
FAKE_SMOOTHSCALE = """#!/bin/sh
[ "$1" = doctor ] && echo '{"schema": "smoothscale-doctor/1", "cuda": {"driver": null,
  "reason": "no libcuda", "gpus": []}, "libraries": {}}'
"""


class WholeRun(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def script(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
        return path

    @staticmethod
    def quiet_main(argv):
        with contextlib.redirect_stdout(io.StringIO()):
            return report.main(argv)

    def run_check(self, cases):
        exe = self.script("gpu_fake", FAKE_TEST.format(python=sys.executable, cases=cases))
        binary = self.script("smoothscale", FAKE_SMOOTHSCALE)
        out = os.path.join(self.dir.name, "report")
        code = self.quiet_main(["--smoothscale", binary, "--test", "gpu_fake=" + exe,
                                "--out", out])
        with open(os.path.join(out, "report.json")) as f:
            data = json.load(f)
        with open(os.path.join(out, "report.txt")) as f:
            text = f.read()
        return code, data, text

    def test_a_failing_test_fails_the_check(self):
        code, data, text = self.run_check({"a": (0, PASSED), "b": (101, FAILED),
                                           "c": (0, SKIPPED)})
        self.assertEqual(code, 1)
        self.assertEqual(data["schema"], "smoothscale-gpu-check/1")
        self.assertEqual(data["result"], "fail")
        self.assertEqual([t["status"] for t in data["tests"]], ["passed", "failed", "skipped"])
        self.assertIn("frame 3 differs", data["tests"][1]["output"])
        self.assertIn("FAILED  gpu_fake::b", text)
        self.assertIn("--- output of gpu_fake::b ---", text)

    def test_skips_alone_pass_and_bench_waits_for_a_device(self):
        code, data, text = self.run_check({"a": (0, PASSED), "c": (0, SKIPPED)})
        self.assertEqual(code, 0)
        self.assertEqual(data["summary"], {"passed": 1, "failed": 0, "skipped": 1, "ignored": 0})
        self.assertEqual(data["bench"], {"status": "skipped", "reason": "no CUDA device"})
        self.assertIn("CUDA driver: missing (no libcuda)", text)

    def test_an_executable_that_does_not_start_fails_the_check(self):
        binary = self.script("smoothscale", FAKE_SMOOTHSCALE)
        out = os.path.join(self.dir.name, "report")
        code = self.quiet_main(["--smoothscale", binary, "--test",
                                "gpu_gone=/nonexistent/gpu_gone", "--out", out])
        self.assertEqual(code, 1)
        with open(os.path.join(out, "report.json")) as f:
            self.assertEqual(json.load(f)["tests"][0]["name"], "(list)")


# A stand-in smoothscale with one CUDA device: `doctor --json`, `bench --plan`, and
# `bench --backend cuda --json PATH` writing the report in $FAKE_BENCH (exit $FAKE_BENCH_EXIT).
FAKE_GPU_SMOOTHSCALE = """#!{python}
import json, os, sys
args = sys.argv[1:]
if args[0] == "doctor":
    print(json.dumps({{"schema": "smoothscale-doctor/1", "libraries": {{}},
                      "cuda": {{"driver": {{"cuda_version": "13.0"}},
                               "gpus": [{{"ordinal": 0, "name": "NVIDIA Test"}}]}}}}))
elif "--plan" in args:
    print("workload cuda-1088p on NVIDIA Test")
else:
    with open(args[args.index("--json") + 1], "w") as f:
        f.write(os.environ["FAKE_BENCH"])
    code = int(os.environ.get("FAKE_BENCH_EXIT", "0"))
    if code:
        print("error: something broke")
    sys.exit(code)
"""


def cuda_bench(nvenc, e2e_pixels):
    """A `bench --backend cuda` report: a skipped stage and a measured end to end."""
    gpu = {"achieved_tflops": 300.0, "achieved_gbps": 900.0, "fraction_of_peak": 0.31,
           "floor_per_frame_s": 0.019, "bound": "compute", "clip_s": 20.0, "script_speedup": 45.0,
           "copies_per_frame": {"pixels_to_device": 0, "pixels_to_host": e2e_pixels,
                                "other_to_device": 8, "other_to_host": 0}}
    return json.dumps({
        "schema": "smoothscale-bench/1", "backend": "cuda", "nvenc": nvenc,
        "workload": {"name": "cuda-1088p"}, "peak": {"key": "h100"},
        "engines": [{"stage": "end_to_end", "cache": "hit"},
                    {"stage": "rife_flow", "cache": "built", "build_s": 60.5}],
        "stages": [
            {"name": "upscale_x2plus_fp8", "status": "skipped", "reason": "no fp8 here"},
            {"name": "end_to_end", "status": "measured", "per_frame_s": 0.062,
             "frames_per_s": 16.1, "device_peak_bytes": 8 << 30, "gpu": gpu}]})


class CudaBench(WholeRun):
    def run_bench(self, report_json, exit_code=0):
        exe = self.script("gpu_fake", FAKE_TEST.format(python=sys.executable,
                                                        cases={"a": (0, PASSED)}))
        binary = self.script("smoothscale", FAKE_GPU_SMOOTHSCALE.format(python=sys.executable))
        out = os.path.join(self.dir.name, "report")
        os.environ["FAKE_BENCH"] = report_json
        os.environ["FAKE_BENCH_EXIT"] = str(exit_code)
        self.addCleanup(os.environ.pop, "FAKE_BENCH", None)
        self.addCleanup(os.environ.pop, "FAKE_BENCH_EXIT", None)
        code = self.quiet_main(["--smoothscale", binary, "--test", "gpu_fake=" + exe,
                                "--out", out])
        with open(os.path.join(out, "report.json")) as f:
            data = json.load(f)
        with open(os.path.join(out, "report.txt")) as f:
            text = f.read()
        return code, data, text

    def test_the_table_goes_in_the_report(self):
        code, data, text = self.run_bench(cuda_bench(nvenc=False, e2e_pixels=4 << 20))
        self.assertEqual(code, 0, text)
        b = data["bench"]
        self.assertEqual((b["status"], b["peak"], b["nvenc"]), ("passed", "h100", False))
        self.assertEqual(b["engines"], {"hits": 1, "built": 1, "build_s": 60.5})
        self.assertIn("encoder software (no NVENC)", text)
        self.assertIn("  upscale_x2plus_fp8               skipped: no fp8 here", text)
        row = [l for l in text.splitlines() if l.strip().startswith("end_to_end")][0]
        self.assertEqual(row.split()[1:], ["62.000", "16.1", "300.0", "900", "31", "8192",
                                           str(4 << 20)])
        self.assertIn("20.0 s per clip, 45x faster than the script's 900 s", text)
        with open(os.path.join(self.dir.name, "report", "plan.txt")) as f:
            self.assertIn("cuda-1088p", f.read())

    def test_a_pixel_copy_on_the_frame_path_fails_a_gpu_with_nvenc(self):
        code, data, _ = self.run_bench(cuda_bench(nvenc=True, e2e_pixels=4096))
        self.assertEqual(code, 1)
        self.assertEqual(data["bench"]["status"], "failed")
        self.assertIn("end_to_end (4096 bytes/frame)", data["bench"]["reason"])
        code, data, _ = self.run_bench(cuda_bench(nvenc=True, e2e_pixels=0))
        self.assertEqual((code, data["bench"]["status"]), (0, "passed"))

    def test_a_failed_bench_keeps_its_error_line(self):
        code, data, _ = self.run_bench(cuda_bench(nvenc=True, e2e_pixels=0), exit_code=1)
        self.assertEqual(code, 1)
        self.assertEqual(data["bench"]["reason"], "exit code 1: error: something broke")


class BundledData(unittest.TestCase):
    def test_the_shared_files_the_gpu_tests_name_and_only_small_ones(self):
        with tempfile.TemporaryDirectory() as d:
            shared = os.path.join(d, "shared")
            for rel, size in (("media/a.mp4", 10), ("media/big.mp4", bundle.DATA_FILE_LIMIT + 1),
                              ("media/unused.mp4", 10), ("golden/case/x.npy", 20)):
                os.makedirs(os.path.dirname(os.path.join(shared, rel)), exist_ok=True)
                with open(os.path.join(shared, rel), "wb") as f:
                    f.truncate(size)
            src = os.path.join(d, "gpu_x.rs")
            with open(src, "w") as f:
                f.write('shared_clip("a.mp4"); shared_clip("big.mp4"); dir("golden/case");\n'
                        'shared_clip("absent.mp4"); open("../shared/media/a.mp4"); "{}"\n')
            wanted, left_out = bundle.shared_data(shared, [src])
        self.assertEqual(sorted(rel for rel, _ in wanted),
                         [os.path.join("golden", "case", "x.npy"), os.path.join("media", "a.mp4")])
        self.assertEqual([x["path"] for x in left_out], [os.path.join("media", "big.mp4")])


class HostGlibc(unittest.TestCase):
    def check(self, archived):
        with tempfile.TemporaryDirectory() as d:
            for e in archived:
                os.makedirs(os.path.join(d, os.path.dirname(e["path"])), exist_ok=True)
                open(os.path.join(d, e["path"]), "w").close()
            manifest = os.path.join(d, "bundle.json")
            with open(manifest, "w") as f:
                json.dump({"archived": archived, "glibc_needed": "99.1",
                           "build_glibc": "glibc 99.1"}, f)
            proc = subprocess.run([sys.executable, os.path.join(HERE, "gpu-check-host.py"),
                                   manifest, d], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            left = sorted(e["path"] for e in archived if os.path.exists(os.path.join(d, e["path"])))
        return proc.returncode, proc.stdout.decode() + proc.stderr.decode(), left

    def test_a_too_new_library_the_host_has_is_taken_from_the_host(self):
        code, out, left = self.check([{"path": "lib/libc.so.6", "glibc": "99.1"},
                                      {"path": "lib/libfoo.so.1", "glibc": "2.2.5"}])
        self.assertEqual(code, 0, out)
        self.assertIn("from this machine instead: libc.so.6", out)
        self.assertEqual(left, ["lib/libfoo.so.1"])

    def test_a_too_new_program_is_refused_by_name(self):
        code, out, _ = self.check([{"path": "bin/smoothscale", "glibc": "99.1"},
                                   {"path": "lib/libnot-on-this-host.so.7", "glibc": "99.0"}])
        self.assertEqual(code, 1)
        self.assertIn("too old for bin/smoothscale (needs 99.1), lib/libnot-on-this-host.so.7", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)

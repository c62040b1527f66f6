#!/usr/bin/env python3
"""Unit tests of scripts/gpu-check-report.py (run by scripts/test): the outcome parser on
libtest output, and a whole run against stand-in executables, one of whose tests fails."""

import contextlib
import importlib.util
import io
import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gpu_check_report",
                                               os.path.join(HERE, "gpu-check-report.py"))
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

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


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""deploy/slurm-array.sh on a running Slurm cluster (started by scripts/test-slurm).

Usage: slurm_array.py WORK_DIR JOBCOMP_FILE

Needs SLURM_CONF (the cluster), smoothscale on PATH and the models (SMOOTHSCALE_MODELS) in the
environment: sbatch passes its environment on to the tasks. Three submissions of a 3-task array
over the same 6 clips (2 per shard), in WORK_DIR:

  A  in the middle of its first clip, task 0's smoothscale is sent SIGKILL (as by the OOM killer
     or a crash; Slurm turns any scancel into SIGTERM first) and task 1 is cancelled (`scancel`:
     SIGTERM, and SIGKILL if still running after KillWait); task 2 runs to the end.
  B  the resubmission: redoes exactly what A did not finish.
  C  submitted while B's task 1 is in the middle of a clip: reports that clip busy, and does no
     clip that another run did.

Each task's log (the script's #SBATCH --output) and report must agree and list only clips of the
task's shard; at the end every clip was done exactly once, its output decodes to the frames its
completion record counts, and no temporary file is left. Exit status 0 when every check holds,
1 otherwise (the failed check on stderr).
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from common import (Failure, check, check_done_once, check_not_done, check_outputs,
                    check_task, make_clip, names_by_shard, temporaries)

TASKS = 3
SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "slurm-array.sh"
# Frames of each clip, by its place in its shard. A task's first clip must still be running when
# the test acts on it: shard 1's first clip (cancelled in A, then busy for C while B redoes it)
# the longest, shard 0's first clip (killed in A) long enough to be caught in the middle.
LONG, MEDIUM, SHORT = 3600, 480, 24
WAIT_S = 600


def slurm(*args):
    return subprocess.run(list(args), check=True, timeout=60, capture_output=True,
                          text=True).stdout


def wait_for(condition, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while not condition():
        check(time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


class Cluster:
    def __init__(self, work, jobcomp):
        self.inputs = work / "in"
        self.out = work / "out"
        self.logs = work / "logs"
        self.jobcomp = Path(jobcomp)

    def submit(self):
        """sbatch of the deploy script, from the logs folder (the script's --output is relative).
        CPUs and memory are lowered to fit any machine (the script asks for 8 CPUs and 8 GB)."""
        out = subprocess.run(
            ["sbatch", "--parsable", f"--array=0-{TASKS - 1}", "--cpus-per-task=1", "--mem=1G",
             str(SCRIPT), str(self.inputs), str(self.out), "--interpolate", "2x"],
            cwd=self.logs, check=True, timeout=60, capture_output=True, text=True).stdout
        job = out.strip().split(";")[0]
        print(f"submitted array job {job}", flush=True)
        return job

    def ended(self, job):
        """{task: the jobcomp line's fields} for the tasks of `job` that have ended."""
        ended = {}
        text = self.jobcomp.read_text() if self.jobcomp.exists() else ""
        for line in text.splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            if fields.get("ArrayJobId") == job:
                ended[int(fields["ArrayTaskId"])] = fields
        return ended

    def running(self, job, task):
        return slurm("squeue", "-h", "-j", f"{job}_{task}", "-t", "all", "-o", "%T").strip() \
            == "RUNNING"

    def wait_ended(self, job, tasks=range(TASKS)):
        wait_for(lambda: all(t in self.ended(job) for t in tasks),
                 f"tasks {list(tasks)} of job {job} to end")
        return self.ended(job)

    def in_progress(self, name):
        """Whether a batch is writing `name` now (its temporary output exists)."""
        return any(self.out.glob(f".{name}.*.partial"))

    def writer(self, name, job, task):
        """The pid of the process writing `name` (its temporary output is .NAME.PID.partial),
        checked to be task `task` of `job`."""
        (partial,) = self.out.glob(f".{name}.*.partial")
        pid = int(partial.name[len(name) + 2:-len(".partial")])
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        env = dict(v.decode(errors="replace").split("=", 1) for v in environ if b"=" in v)
        found = (env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID"))
        check(found == (job, str(task)), f"{partial} is written by {found}, not {job}_{task}")
        return pid

    def task(self, job, task, expected, killed=False):
        """Checks one task's log and report (none when it was killed); returns {clip: status}."""
        log = self.logs / f"smoothscale-{job}_{task}.log"
        report = self.out / ".smoothscale" / f"report-{job}_{task}.json"
        check(log.is_file(), f"no log {log} (the script's #SBATCH --output)")
        check(report.exists() != killed, f"{report}: exists {report.exists()}, killed {killed}")
        return check_task(f"task {job}_{task}", f"{task}/{TASKS}", expected[task], log,
                          None if killed else report)


def state(fields):
    return fields["JobState"], fields["ExitCode"]


class Test:
    """The clips, which task interrupts which, and who did each clip."""

    def __init__(self, work, jobcomp):
        self.cluster = Cluster(Path(work), jobcomp)
        self.shards = names_by_shard(TASKS, 2)
        self.names = sorted(n for s in self.shards.values() for n in s)
        self.frames = {n: SHORT for n in self.names}
        self.killed, self.cancelled = self.shards[0][0], self.shards[1][0]
        self.frames[self.cancelled], self.frames[self.killed] = LONG, MEDIUM
        self.done_by = {}

    def tally(self, label, statuses):
        for name, status in statuses.items():
            if status == "done":
                self.done_by.setdefault(name, []).append(label)

    def first(self):
        """A: task 0 killed and task 1 cancelled, each in the middle of its first clip."""
        cluster, shards, killed, cancelled = self.cluster, self.shards, self.killed, self.cancelled
        a = cluster.submit()
        wait_for(lambda: cluster.in_progress(killed), f"task {a}_0 to start {killed}")
        time.sleep(1)
        check(cluster.running(a, 0) and cluster.in_progress(killed),
              f"{a}_0 left {killed} early")
        os.kill(cluster.writer(killed, a, 0), signal.SIGKILL)
        wait_for(lambda: cluster.in_progress(cancelled), f"task {a}_1 to start {cancelled}")
        time.sleep(1)
        check(cluster.running(a, 1) and cluster.in_progress(cancelled),
              f"{a}_1 left {cancelled} early")
        slurm("scancel", f"{a}_1")
        ended = cluster.wait_ended(a)
        check(state(ended[0]) == ("FAILED", "0:9"), f"{a}_0: {state(ended[0])}, expected killed")
        check(state(ended[1])[0] == "CANCELLED", f"{a}_1: {state(ended[1])}, expected CANCELLED")
        check(state(ended[2]) == ("COMPLETED", "0:0"), f"{a}_2: {state(ended[2])}")
        statuses = [cluster.task(a, t, shards, killed=t == 0) for t in range(TASKS)]
        check(statuses[0] == {}, f"{a}_0 finished something before its kill: {statuses[0]}")
        check(statuses[1] == {cancelled: "interrupted"},
              f"{a}_1 should say {cancelled} was interrupted: {statuses[1]}")
        check(statuses[2] == {n: "done" for n in shards[2]}, f"{a}_2: {statuses[2]}")
        for t, s in enumerate(statuses):
            self.tally(f"{a}_{t}", s)
        check_outputs(cluster.out, shards[2], self.frames)
        check_not_done(cluster.out, shards[0] + shards[1])
        left = temporaries(cluster.out)
        check(len(left) == 1 and left[0].startswith(f".{killed}."),
              f"only the killed task's temporary output should be left, found {left}")
        print(f"A: {a}_0 killed in {killed}, {a}_1 cancelled in {cancelled}, {a}_2 done",
              flush=True)

    def again(self):
        """B redoes what A did not finish; C comes while B's task 1 is on the cancelled clip."""
        cluster, shards, cancelled = self.cluster, self.shards, self.cancelled
        b = cluster.submit()
        wait_for(lambda: {0, 2} <= set(cluster.ended(b)) and cluster.in_progress(cancelled),
                 f"tasks {b}_0 and {b}_2 to end while {b}_1 works on {cancelled}")
        check(cluster.running(b, 1) and cluster.in_progress(cancelled),
              f"{b}_1 finished {cancelled} before the second submission: lengthen it")
        c = cluster.submit()
        ended = {job: cluster.wait_ended(job) for job in [b, c]}
        for job, tasks in ended.items():
            for t, fields in tasks.items():
                check(state(fields) == ("COMPLETED", "0:0"), f"{job}_{t}: {state(fields)}")
        sb = [cluster.task(b, t, shards) for t in range(TASKS)]
        sc = [cluster.task(c, t, shards) for t in range(TASKS)]
        check(sb[0] == {n: "done" for n in shards[0]}, f"{b}_0 should redo shard 0: {sb[0]}")
        check(sb[2] == {n: "skipped" for n in shards[2]}, f"{b}_2 should skip shard 2: {sb[2]}")
        for t in [0, 2]:
            check(sc[t] == {n: "skipped" for n in shards[t]}, f"{c}_{t} should skip: {sc[t]}")
        check(sb[1].get(cancelled) == "done", f"{b}_1 should redo {cancelled}: {sb[1]}")
        check(sc[1].get(cancelled) == "busy",
              f"{c}_1 should find {cancelled} busy (being redone by {b}_1): {sc[1]}")
        second = shards[1][1]
        check({sb[1].get(second), sc[1].get(second)} in [{"done", "busy"}, {"done", "skipped"}],
              f"{second}: {b}_1 says {sb[1].get(second)}, {c}_1 says {sc[1].get(second)}")
        for job, runs in [(b, sb), (c, sc)]:
            for t, s in enumerate(runs):
                self.tally(f"{job}_{t}", s)
        print(f"B and C: {b}_1 redid {cancelled} while {c}_1 found it busy", flush=True)


def main(work, jobcomp):
    test = Test(work, jobcomp)
    cluster = test.cluster
    for d in [cluster.inputs, cluster.logs]:
        d.mkdir(parents=True)
    for name in test.names:
        make_clip(cluster.inputs / name, test.frames[name])
    print(f"clips by shard: {test.shards}; {test.killed} and {test.cancelled} are interrupted",
          flush=True)
    test.first()
    test.again()
    check_done_once(test.done_by, test.names)
    check_outputs(cluster.out, test.names, test.frames)
    check(not temporaries(cluster.out), f"temporary files left: {temporaries(cluster.out)}")
    print(f"each clip done exactly once: {test.done_by}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1], sys.argv[2])
    except (Failure, subprocess.SubprocessError, OSError, ValueError) as e:
        stderr = getattr(e, "stderr", None)
        print(f"test-slurm: FAILED: {e}" + (f"\n{stderr}" if stderr else ""), file=sys.stderr)
        sys.exit(1)
    print("test-slurm: every check passed", flush=True)

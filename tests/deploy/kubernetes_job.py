#!/usr/bin/env python3
"""The environment contract of deploy/kubernetes-indexed-job.yaml, without a cluster.

Usage: kubernetes_job.py MANIFEST WORK_DIR SMOOTHSCALE

Reads the Job (PyYAML) and runs its pods the way Kubernetes would: for each completion index,
the container's args (the image's entrypoint is smoothscale) with `$(VAR)` expanded from the
container's env plus JOB_COMPLETION_INDEX, the volume's mountPath mapped to WORK_DIR/data, at
most `parallelism` pods at a time. Checks that JOB_COMPLETIONS equals `completions`, that each
pod's log and report name its own shard and list only that shard's clips, that every clip was
done exactly once, and that a retried pod does nothing again. Exit status 0 when every check
holds, 1 otherwise.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

from common import (Failure, check, check_done_once, check_outputs, check_task, make_clip,
                    names_by_shard, temporaries)

FRAMES = 6
TIMEOUT_S = 600


def expand(text, env):
    """Kubernetes' `$(VAR)` expansion in args (`$$` escapes a `$`; unknown names stay)."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
                  text)


def pod_command(container, mount, data, index, binary):
    env = {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}
    env["JOB_COMPLETION_INDEX"] = str(index)
    args = [expand(a, env) for a in container["args"]]
    args = [data + a[len(mount):] if a.startswith(mount + "/") else a for a in args]
    return [binary] + args, env


def main(manifest, work, binary):
    job = yaml.safe_load(Path(manifest).read_text())
    spec = job["spec"]
    check(spec.get("completionMode") == "Indexed", "the Job is not an Indexed Job")
    completions, parallelism = spec["completions"], spec.get("parallelism", 1)
    pod = spec["template"]["spec"]
    check(len(pod["containers"]) == 1, "one container expected")
    container = pod["containers"][0]
    declared = {e["name"]: e.get("value") for e in container.get("env", [])}
    check(declared.get("JOB_COMPLETIONS") == str(completions),
          f"JOB_COMPLETIONS={declared.get('JOB_COMPLETIONS')!r}, but completions: {completions}")
    check("auto" in container["args"] and "--shard" in container["args"],
          "the pods do not run --shard auto")
    (mount,) = [m["mountPath"] for m in container["volumeMounts"]]

    work = Path(work)
    data = work / "data"
    inputs, out = data / "in", data / "out"
    inputs.mkdir(parents=True)
    shards = names_by_shard(completions, 2)
    names = sorted(n for s in shards.values() for n in s)
    for name in names:
        make_clip(inputs / name, FRAMES)
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLURM_", "JOB_COMPLETION"))}

    def run_pods(indexes, tag):
        waiting, running, codes = list(indexes), {}, {}
        deadline = time.monotonic() + TIMEOUT_S
        while waiting or running:
            while waiting and len(running) < parallelism:
                index = waiting.pop(0)
                argv, env = pod_command(container, mount, str(data), index, binary)
                log = open(work / f"pod-{index}{tag}.log", "w")
                running[index] = subprocess.Popen(argv, env={**base, **env}, stdout=log,
                                                   stderr=subprocess.STDOUT)
                log.close()
            for index, proc in list(running.items()):
                if proc.poll() is not None:
                    codes[index] = proc.returncode
                    del running[index]
            if time.monotonic() > deadline:
                for proc in running.values():
                    proc.kill()
                raise Failure(f"pods {sorted(running)} still running after {TIMEOUT_S} s")
            time.sleep(0.1)
        for index, code in codes.items():
            check(code == 0, f"pod {index}{tag} exited {code} (log: {work}/pod-{index}{tag}.log)")

    run_pods(range(completions), "")
    done_by = {}
    for index in range(completions):
        statuses = check_task(f"pod {index}", f"{index}/{completions}", shards[index],
                              work / f"pod-{index}.log", out / f"report-{index}.json")
        check(statuses == {n: "done" for n in shards[index]}, f"pod {index}: {statuses}")
        for name in statuses:
            done_by.setdefault(name, []).append(f"pod {index}")
    check_done_once(done_by, names)
    check_outputs(out, names, {n: FRAMES for n in names})
    check(not temporaries(out), f"temporary files left: {temporaries(out)}")
    # A retried pod (same index) finds its clips done.
    retried = completions - 1
    run_pods([retried], "-retry")
    statuses = check_task(f"pod {retried} retried", f"{retried}/{completions}", shards[retried],
                          work / f"pod-{retried}-retry.log", out / f"report-{retried}.json")
    check(statuses == {n: "skipped" for n in shards[retried]},
          f"the retried pod {retried} redid work: {statuses}")
    print(f"{completions} pods, {parallelism} at a time: each clip done exactly once ({done_by}); "
          f"a retried pod skipped its {len(shards[retried])} clips", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(*sys.argv[1:])
    except (Failure, subprocess.SubprocessError, OSError, ValueError, KeyError) as e:
        print(f"test-kubernetes: FAILED: {e}", file=sys.stderr)
        sys.exit(1)

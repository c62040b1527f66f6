"""What the deploy tests (tests/deploy/slurm_array.py, tests/deploy/kubernetes_job.py) share.

Clip names spread evenly over the shards, tiny clips made with the ffmpeg CLI, the statuses a
batch reports (its --report JSON and its per-clip log lines), and the checks on an output folder.
The shard of a name is worked out here from the rule the README documents (SHA-256 of the file
name, first 8 bytes big-endian, modulo N), independently of smoothscale's own code.
"""

import hashlib
import json
import re
import subprocess
from pathlib import Path


class Failure(Exception):
    """A check that did not hold; its message says which and what was seen."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def shard_of(name, count):
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def names_by_shard(count, per_shard):
    """`per_shard` names (clip00.mp4, clip01.mp4, ...) for each of `count` shards, in name order."""
    shards = {i: [] for i in range(count)}
    n = 0
    while any(len(names) < per_shard for names in shards.values()):
        name = f"clip{n:02d}.mp4"
        names = shards[shard_of(name, count)]
        if len(names) < per_shard:
            names.append(name)
        n += 1
    return shards


def make_clip(path, frames, size="96x64", rate=12):
    """An H.264 clip of `frames` frames of ffmpeg's moving test pattern."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc=size={size}:rate={rate}",
         "-frames:v", str(frames), "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", str(path)],
        check=True, timeout=120)


def decoded_frames(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        check=True, timeout=120, capture_output=True, text=True).stdout
    return int(out.strip())


def report_statuses(path):
    """(shard, {input name: status}) from a batch's --report JSON."""
    report = json.loads(Path(path).read_text())
    return report["shard"], {c["input"]: c["status"] for c in report["clips"]}


LINE = re.compile(r"^\[\d+/\d+\] (\S+): (done|skipped|busy|interrupted)\b")
SHARD = re.compile(r"^shard (\d+/\d+): (\d+) of (\d+) clips$")


def log_statuses(path):
    """(shard, {input name: status}) from the lines a batch prints (its stderr); shard is None
    when the log has no shard line."""
    shard, statuses = None, {}
    for line in Path(path).read_text(errors="replace").splitlines():
        if m := SHARD.match(line):
            shard = m.group(1)
        elif m := LINE.match(line):
            check(m.group(1) not in statuses, f"{path}: {m.group(1)} handled twice")
            statuses[m.group(1)] = m.group(2)
        elif line.startswith("error: "):
            raise Failure(f"{path}: {line}")
    return shard, statuses


def check_task(label, shard, expected, log, report=None):
    """One array task: its log (and report, when given) agree, name shard `shard`, and list
    only clips of that shard. Returns {name: status}."""
    log_shard, statuses = log_statuses(log)
    check(log_shard == shard, f"{label}: log says shard {log_shard}, expected {shard}")
    if report is not None:
        report_shard, from_report = report_statuses(report)
        check(report_shard == shard, f"{label}: report says shard {report_shard}, expected {shard}")
        check(from_report == statuses,
              f"{label}: the report {from_report} and the log {statuses} disagree")
    strays = sorted(set(statuses) - set(expected))
    check(not strays, f"{label} (shard {shard}) handled clips of other shards: {strays}")
    return statuses


def check_outputs(out_dir, names, input_frames):
    """Every clip of `names` is done: its output decodes to the frames its completion record
    counts (2x interpolation of `input_frames[name]` frames)."""
    out_dir = Path(out_dir)
    state = out_dir / ".smoothscale"
    for name in names:
        output = out_dir / name
        record_path = state / f"{name}.json"
        check(output.is_file(), f"{output} is missing")
        check(record_path.is_file(), f"{record_path} (completion record) is missing")
        record = json.loads(record_path.read_text())
        check(record["input"]["path"] == name and record["settings"]["rate"] == "2x",
              f"{record_path} describes other work: {record['input']}, {record['settings']}")
        check(record["output"]["size"] == output.stat().st_size,
              f"{record_path} notes {record['output']['size']} bytes, {output} has "
              f"{output.stat().st_size}")
        frames = decoded_frames(output)
        check(frames == record["output_frames"],
              f"{output} decodes to {frames} frames, its record says {record['output_frames']}")
        check(frames == 2 * input_frames[name],
              f"{output}: {frames} frames, expected 2 x {input_frames[name]}")


def check_not_done(out_dir, names):
    """Neither an output nor a completion record for any clip of `names`."""
    out_dir = Path(out_dir)
    for name in names:
        for path in [out_dir / name, out_dir / ".smoothscale" / f"{name}.json"]:
            check(not path.exists(), f"{path} exists, but {name} was never finished")


def temporaries(out_dir):
    """The temporary files of ours in `out_dir`: outputs being written and records being
    renamed."""
    out_dir = Path(out_dir)
    found = [p.name for p in out_dir.glob(".*.partial")]
    found += [p.name for p in (out_dir / ".smoothscale").glob("*.tmp")]
    return sorted(found)


def check_done_once(done_by, names):
    """`done_by` maps each clip to the runs that report it done: exactly one each."""
    for name in names:
        runs = done_by.get(name, [])
        check(len(runs) == 1, f"{name} was done {len(runs)} times: {runs}")
    strays = sorted(set(done_by) - set(names))
    check(not strays, f"unexpected clips done: {strays}")

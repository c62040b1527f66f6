#!/usr/bin/env python3
"""The CUDA bench in a GPU check report (loaded by gpu-check-report.py): what a `smoothscale
bench --backend cuda` JSON says, whether a frame-path stage copied pixels between host and device
on a GPU with NVENC (that fails the check: there no pixel should leave the GPU), and the text
table of its stages against the roofline. Python 3.6 or later, standard library only."""

# Stages whose frames flow from NVDEC to NVENC.
FRAME_PATH = ("decode_", "encode", "end_to_end")


def frame_path_copies(bench):
    """[(stage, pixel bytes per frame)] of the measured frame-path stages that copied pixels."""
    found = []
    for s in bench.get("stages") or []:
        copies = (s.get("gpu") or {}).get("copies_per_frame") or {}
        pixels = (copies.get("pixels_to_device") or 0) + (copies.get("pixels_to_host") or 0)
        if s.get("status") == "measured" and s["name"].startswith(FRAME_PATH) and pixels > 0:
            found.append((s["name"], pixels))
    return found


def stage_row(s):
    """The report's summary of one bench stage."""
    g = s.get("gpu") or {}
    copies = g.get("copies_per_frame") or {}
    row = {k: s.get(k) for k in ("name", "status", "reason", "per_frame_s", "frames_per_s",
                                 "device_peak_bytes")}
    row.update({k: g.get(k) for k in ("achieved_tflops", "achieved_gbps", "fraction_of_peak",
                                      "floor_per_frame_s", "bound", "clip_s", "script_speedup",
                                      "note")})
    if copies:
        row["pixel_copy_bytes_per_frame"] = ((copies.get("pixels_to_device") or 0)
                                             + (copies.get("pixels_to_host") or 0))
    return row


def describe(bench, result):
    """Adds what the bench JSON `bench` says to the report's `result` dict; fails it on a pixel
    copy on the frame path of a GPU with NVENC."""
    result["workload"] = (bench.get("workload") or {}).get("name")
    result["peak"] = (bench.get("peak") or {}).get("key")
    result["nvenc"] = bench.get("nvenc")
    engines = bench.get("engines") or []
    result["engines"] = {"hits": sum(1 for e in engines if e.get("cache") == "hit"),
                         "built": sum(1 for e in engines if e.get("cache") == "built"),
                         "build_s": round(sum(e.get("build_s") or 0 for e in engines), 1)}
    result["stages"] = [stage_row(s) for s in bench.get("stages") or []]
    copied = frame_path_copies(bench)
    if bench.get("nvenc") and copied:
        result.update(status="failed", reason="pixels copied between host and device on the frame "
                      "path of a GPU with NVENC: " + ", ".join(
                          "{} ({:.0f} bytes/frame)".format(n, b) for n, b in copied))
    return result


def fmt(value, spec, scale=1.0):
    return "-" if value is None else format(value * scale, spec)


def table(b):
    """The bench's stages against the roofline, as text lines."""
    if not b.get("stages"):
        return []
    engines = b.get("engines") or {}
    lines = ["  workload {}, roofline {}, encoder {}, engines {} from the cache, {} built ({} s)"
             .format(b.get("workload"), b.get("peak") or "no peak known",
                     {True: "NVENC", False: "software (no NVENC)"}.get(b.get("nvenc"), "?"),
                     engines.get("hits"), engines.get("built"), engines.get("build_s"))]
    lines.append("  {:32} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>11}".format(
        "stage", "ms/frame", "frames/s", "TFLOP/s", "GB/s", "% floor", "dev MiB", "px B/frame"))
    for s in b["stages"]:
        if s.get("status") != "measured":
            lines.append("  {:32} {}: {}".format(
                s["name"], "FAILED" if s.get("status") == "failed" else "skipped",
                s.get("reason") or ""))
            continue
        lines.append("  {:32} {:>9} {:>9} {:>8} {:>8} {:>7} {:>9} {:>11}".format(
            s["name"], fmt(s.get("per_frame_s"), ".3f", 1e3), fmt(s.get("frames_per_s"), ".1f"),
            fmt(s.get("achieved_tflops"), ".1f"), fmt(s.get("achieved_gbps"), ".0f"),
            fmt(s.get("fraction_of_peak"), ".0f", 100.0),
            fmt(s.get("device_peak_bytes"), ".0f", 1.0 / 2 ** 20),
            fmt(s.get("pixel_copy_bytes_per_frame"), ".0f")))
        if s.get("clip_s") is not None:
            lines.append("  {:32} {:.1f} s per clip, {:.0f}x faster than the script's 900 s".format(
                "", s["clip_s"], s.get("script_speedup") or 0))
    return lines

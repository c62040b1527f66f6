#!/usr/bin/env python3
"""Check an ONNX model with the official checker and run it with ONNX Runtime.

Usage: onnx_check.py MODEL OUTDIR [NAME=INPUT.npy ...]

Runs onnx.checker.check_model(full_check=True) (which includes strict shape inference), then,
when inputs are given, runs the model on the CPU with ONNX Runtime and writes each output to
OUTDIR/<output name>.npy. Prints one JSON line describing the graph inputs/outputs and the
output shapes. Exit status 0 on success, 1 on any failure (with the reason on stderr).
"""

import json
import os
import sys


def dims(value_info):
    out = []
    for d in value_info.type.tensor_type.shape.dim:
        out.append(d.dim_param if d.HasField("dim_param") else d.dim_value)
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    import numpy as np
    import onnx
    import onnxruntime as ort

    model_path, out_dir = argv[1], argv[2]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    report = {
        "inputs": {i.name: dims(i) for i in model.graph.input},
        "outputs": {o.name: dims(o) for o in model.graph.output},
        "opset": [op.version for op in model.opset_import if op.domain in ("", "ai.onnx")],
    }
    feeds = {}
    for arg in argv[3:]:
        name, _, path = arg.partition("=")
        feeds[name] = np.load(path).astype(np.float32)
    if feeds:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
        sess = ort.InferenceSession(
            model_path, sess_options=opts, providers=["CPUExecutionProvider"]
        )
        names = [o.name for o in sess.get_outputs()]
        results = sess.run(names, feeds)
        os.makedirs(out_dir, exist_ok=True)
        shapes = {}
        for name, value in zip(names, results):
            np.save(os.path.join(out_dir, name + ".npy"), np.ascontiguousarray(value, dtype=np.float32))
            shapes[name] = list(value.shape)
        report["result_shapes"] = shapes
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as exc:  # report any checker/runtime failure as a plain message
        print(f"onnx_check failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)

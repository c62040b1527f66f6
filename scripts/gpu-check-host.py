#!/usr/bin/env python3
"""Checks that this machine's glibc can run an unpacked GPU check bundle (called by its `run`).

    gpu-check-host.py BUNDLE_JSON UNPACKED_DIR

bundle.json records the highest GLIBC_x.y each bundled ELF file needs. A bundled library that
needs a newer glibc than this machine's is removed from UNPACKED_DIR when the machine has a
library of the same soname (the loader then takes the machine's); a program, or a library the
machine lacks, that needs a newer glibc is an error naming it. Prints one line saying what it did;
exits 1 (with the reason on stderr) when the bundle cannot run here.
"""

import json
import os
import subprocess
import sys


def version(text):
    return tuple(int(x) for x in text.split("."))


def host_sonames():
    """The sonames of the machine's loader cache (`ldconfig -p`), x86-64 ones."""
    for ldconfig in ("ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        try:
            out = subprocess.run([ldconfig, "-p"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout.decode("utf-8", "replace")
        except OSError:
            continue
        return {line.split()[0] for line in out.splitlines()[1:]
                if "=>" in line and "x86-64" in line}
    return set()


def main(bundle_json, unpacked):
    with open(bundle_json) as f:
        manifest = json.load(f)
    try:
        host_text = os.confstr("CS_GNU_LIBC_VERSION").split()[1]
    except (ValueError, OSError, AttributeError, IndexError):
        sys.exit("cannot tell this machine's glibc version; the bundle needs glibc >= {}".format(
            manifest["glibc_needed"]))
    host = version(host_text)
    too_new = [e for e in manifest["archived"] if e.get("glibc") and version(e["glibc"]) > host]
    sonames = host_sonames() if too_new else set()
    from_host, errors = [], []
    for entry in too_new:
        name = os.path.basename(entry["path"])
        if entry["path"].startswith("lib") and name in sonames:
            os.remove(os.path.join(unpacked, entry["path"]))
            from_host.append(name)
        else:
            errors.append("{} (needs {})".format(entry["path"], entry["glibc"]))
    if errors:
        sys.exit("this machine's glibc is {}, too old for {}; the bundle was built on "
                 "{} and needs up to {}: rebuild it on an older distribution".format(
                     host_text, ", ".join(errors), manifest["build_glibc"],
                     manifest["glibc_needed"]))
    print("glibc {} (bundle needs up to {}{})".format(
        host_text, manifest["glibc_needed"],
        "; from this machine instead: " + ", ".join(from_host) if from_host else ""))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gpu-check-host.py BUNDLE_JSON UNPACKED_DIR")
    main(sys.argv[1], sys.argv[2])

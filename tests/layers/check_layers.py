#!/usr/bin/env python3
"""Checks that the build's layer rule holds: each layer's include path reaches its own src/ and the
public headers of the layers below it, and nothing else.

Usage: check_layers.py SOURCE_ROOT COMPILER... -- LAYER=DIR,DIR,... ...

For each layer the compiler preprocesses a translation unit that includes one header the layer may
use (which must be found) and, one at a time, headers it must not reach: a public header of a layer
above it, and a private header of another layer. Each of those must fail with the header not found.
The include folders are the same lists the top-level meson.build gives each layer's library.
"""
import os
import subprocess
import sys
import tempfile

# What each layer may include, and what must stay out of its reach.
ALLOWED = {
    "runtime": ["weft/runtime/task.hpp", "weft/runtime/internal/loop_io.hpp"],
    "executors": ["weft/runtime/task.hpp", "weft/executors/executor.hpp",
                  "weft/runtime/internal/loop_io.hpp"],
    "net": ["weft/runtime/task.hpp", "weft/executors/executor.hpp", "weft/net/stream.hpp",
            "weft/runtime/internal/loop_io.hpp"],
}
FORBIDDEN = {
    "runtime": ["weft/executors/executor.hpp", "weft/net/stream.hpp"],
    "executors": ["weft/net/stream.hpp", "loop_impl.hpp", "runtime.hpp"],
    "net": ["loop_impl.hpp", "runtime.hpp", "yield_until.hpp", "process_pool/protocol.hpp"],
}


def preprocess(compiler, includes, header):
    """Preprocesses `#include <header>` (existence only: __has_include avoids pulling in the
    header's own dependencies); returns whether the header was found and the compiler's output."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "probe.cpp")
        with open(src, "w") as f:
            f.write("#if !__has_include(<%s>)\n#error not reachable: %s\n#endif\n" % (header, header))
        args = compiler + ["-std=c++20", "-E", "-o", os.devnull, src]
        args += ["-I" + i for i in includes]
        p = subprocess.run(args, capture_output=True, text=True)
        return p.returncode == 0, p.stderr


def include_fails(compiler, includes, header):
    """Compiles a real `#include <header>`: returns whether it failed because the header was not
    found (any other failure does not count)."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "upward.cpp")
        with open(src, "w") as f:
            f.write("#include <%s>\n" % header)
        args = compiler + ["-std=c++20", "-fsyntax-only", src] + ["-I" + i for i in includes]
        p = subprocess.run(args, capture_output=True, text=True)
        return p.returncode != 0 and ("No such file" in p.stderr or "not found" in p.stderr)


def main():
    root = sys.argv[1]
    sep = sys.argv.index("--")
    compiler = sys.argv[2:sep]
    layers = {}
    for spec in sys.argv[sep + 1:]:
        name, dirs = spec.split("=", 1)
        layers[name] = [os.path.join(root, x) for x in dirs.split(",")]
    failures = []
    for name, includes in layers.items():
        for h in ALLOWED[name]:
            found, err = preprocess(compiler, includes, h)
            if not found:
                failures.append("%s cannot reach <%s>, which it may use:\n%s" % (name, h, err))
        for h in FORBIDDEN[name]:
            found, _ = preprocess(compiler, includes, h)
            if found:
                failures.append("%s reaches <%s>, which it must not" % (name, h))
            elif not include_fails(compiler, includes, h):
                failures.append("#include <%s> in %s did not fail as not found" % (h, name))
    for f in failures:
        print("FAIL:", f)
    checked = sum(len(ALLOWED[n]) + len(FORBIDDEN[n]) for n in layers)
    print("%d layers, %d includes checked, %d failures" % (len(layers), checked, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Turns the ```cpp blocks of weft's docs into translation units, so that the build compiles them.

docs/README.md describes the conventions (markers are HTML comments just above a block):

    <!-- weft:body -->                 the block is the body of a weft::task<void> coroutine
    <!-- weft:prelude ... -->          hidden declarations placed before the block
    <!-- weft:needs net -->            compiled only in builds with net/ (or: process_pool, redis_pool)
    <!-- weft:excerpt examples/X.cpp -->  not compiled here: its lines must appear, in order, in X
    <!-- weft:fails MESSAGE -->        must NOT compile, with MESSAGE in the compiler's output
    <!-- weft:skip REASON -->          not compiled (pseudo-code, say)

Commands:

    list    --group G MD...            the names of the files `extract` writes for group G
    deps    MD...                      the files the excerpts refer to (relative to --root)
    extract --group G --outdir D --root R MD...
                                       writes group G's files into D; checks every excerpt
    verify  --root R --build-root B --groups G,... MD...
                                       every docs/*.md is listed, every block parses, every
                                       excerpt matches its file, every weft:fails block fails
                                       to compile with its message, using the flags the build
                                       compiled the other blocks with (the `docs` test)

Groups: core (always), net, process_pool.

Pages are docs/*.md, every one of which must be listed, and the top-level README.md.
"""

import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

GROUPS = ("core", "net", "process_pool", "redis_pool")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([^\s`]*)")
MARKER = re.compile(r"^weft:(\w+)\s*(.*)$", re.S)
CPP_ALIASES = {"c++", "cxx", "cc", "hpp", "c++20"}


class DocError(Exception):
    pass


class Block:
    def __init__(self, md, line, code, markers):
        self.md = md  # path as given
        self.line = line  # 1-based line of the first code line
        self.code = code
        self.body = False
        self.prelude = []
        self.group = "core"
        self.excerpt = None
        self.skip = None
        self.fails = None
        for kind, arg, at in markers:
            if kind == "body":
                self.body = True
            elif kind == "prelude":
                self.prelude.append(arg)
            elif kind == "needs":
                if arg.strip() not in GROUPS[1:]:
                    raise DocError(f"{md}:{at}: weft:needs takes one of {GROUPS[1:]}, not {arg!r}")
                self.group = arg.strip()
            elif kind == "excerpt":
                if not arg.strip():
                    raise DocError(f"{md}:{at}: weft:excerpt needs a file path")
                self.excerpt = arg.strip()
            elif kind == "fails":
                if not arg.strip():
                    raise DocError(f"{md}:{at}: weft:fails needs the expected compiler message")
                self.fails = " ".join(arg.split())
            elif kind == "skip":
                if not arg.strip():
                    raise DocError(f"{md}:{at}: weft:skip needs a reason")
                self.skip = arg.strip()
            else:
                raise DocError(f"{md}:{at}: unknown marker weft:{kind}")
        if self.excerpt and (self.body or self.prelude or self.skip or self.fails):
            raise DocError(f"{md}:{line}: weft:excerpt cannot be combined with other markers")

    @property
    def compiled(self):
        return self.excerpt is None and self.skip is None and self.fails is None


def parse(md):
    """Every ```cpp block of md, with the weft: markers directly above it."""
    with open(md, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    pending = []  # markers whose comment ended on the line just above
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("<!--"):
            start = i
            text = stripped[4:]
            while "-->" not in text:
                i += 1
                if i >= len(lines):
                    raise DocError(f"{md}:{start + 1}: unterminated HTML comment")
                text += "\n" + lines[i]
            text = text[: text.index("-->")].strip()
            m = MARKER.match(text)
            if m:
                pending.append((m.group(1), m.group(2), start + 1))
            elif text.startswith("weft"):
                raise DocError(f"{md}:{start + 1}: malformed marker {text!r}")
            i += 1
            continue
        fm = FENCE.match(line)
        if fm:
            indent, fence, lang = fm.group(1), fm.group(2), fm.group(3).lower()
            start = i
            code = []
            i += 1
            while i < len(lines) and not (lines[i].strip().startswith(fence) and
                                          lines[i].strip().strip(fence[0]) == ""):
                code.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            if i >= len(lines):
                raise DocError(f"{md}:{start + 1}: unterminated code fence")
            if lang in CPP_ALIASES:
                raise DocError(f"{md}:{start + 1}: write ```cpp (not ```{lang}) so that the block "
                               "is compiled, or ```text for code that is not C++")
            if lang == "cpp":
                blocks.append(Block(md, start + 2, "\n".join(code) + "\n", pending))
            elif pending:
                raise DocError(f"{md}:{pending[-1][2]}: weft: marker above a ```{lang} block")
            pending = []
            i += 1
            continue
        if pending:
            raise DocError(f"{md}:{pending[-1][2]}: a weft: marker must be directly above a "
                           "```cpp block (no blank line or text between)")
        i += 1
    if pending:
        raise DocError(f"{md}:{pending[-1][2]}: weft: marker at the end of the file")
    return blocks


DOCS_DIR = os.path.dirname(os.path.abspath(__file__))


def stem(md):
    """The page's name in generated file and function names: docs/README.md gives `README`, a
    page outside docs/ (the top-level README.md) `top_README`, so that the two never clash."""
    name = os.path.splitext(os.path.basename(md))[0].replace("-", "_").replace(".", "_")
    if os.path.dirname(os.path.abspath(md)) != DOCS_DIR:
        name = "top_" + name
    return name


def named_blocks(mds, group=None):
    """(file name, block) for every compiled block, numbered per page."""
    out = []
    for md in mds:
        n = 0
        for b in parse(md):
            if not b.compiled:
                continue
            n += 1
            if group is None or b.group == group:
                out.append((f"doc_{stem(md)}_{n:02d}.cpp", b))
    return out


def display_path(md, root):
    try:
        return os.path.relpath(os.path.abspath(md), os.path.abspath(root)) if root else md
    except ValueError:
        return md


def render(b, root):
    src = display_path(b.md, root)
    out = [f"// Generated from {src}:{b.line} by docs/extract_blocks.py: edit the page, not this.\n"]
    prelude = "\n".join(p.strip("\n") for p in b.prelude)
    if b.body:
        out.append("#include <weft/weft.hpp>\n")
        if b.group == "process_pool":
            out.append("#include <weft/executors/process_pool.hpp>\n")
        if b.group == "net":
            out.append("#include <weft/net/http/client.hpp>\n")
        out.append("#include <chrono>\n#include <string>\n#include <vector>\n")
        out.append("using namespace std::chrono_literals;\n")
        if prelude:
            out.append(prelude + "\n")
        fn = "weft_doc_" + stem(b.md) + "_" + str(b.line)
        out.append(f"weft::task<void> {fn}();\n")
        out.append(f"weft::task<void> {fn}() {{\n")
        out.append(f'#line {b.line} "{src}"\n')
        out.append(b.code)
        out.append("    co_return;\n}\n")
    else:
        # The prelude goes after the block's leading includes and using-directives.
        lines = b.code.split("\n")
        head = 0
        if prelude:
            for k, l in enumerate(lines):
                t = l.strip()
                if t and not t.startswith(("#include", "using ", "//")):
                    break
                head = k + 1
        if head:
            out.append(f'#line {b.line} "{src}"\n')
            out.append("\n".join(lines[:head]) + "\n")
        if prelude:
            out.append(prelude + "\n")
        out.append(f'#line {b.line + head} "{src}"\n')
        out.append("\n".join(lines[head:]))
    return "".join(out)


def check_excerpt(b, root):
    """Each line of the block appears in the file, in order; `// ...` lines skip any lines."""
    path = os.path.join(root, b.excerpt)
    if not os.path.isfile(path):
        raise DocError(f"{b.md}:{b.line}: weft:excerpt names {b.excerpt}, which does not exist")
    with open(path, encoding="utf-8") as f:
        source = [l.rstrip() for l in f.read().split("\n")]
    pos = 0
    gap = True  # the first line may be anywhere
    for k, raw in enumerate(b.code.rstrip("\n").split("\n")):
        want = raw.rstrip()
        if want.strip() == "// ...":
            gap = True
            continue
        if gap:
            try:
                pos = source.index(want, pos) + 1
            except ValueError:
                raise DocError(f"{b.md}:{b.line + k}: not in {b.excerpt} (after its line {pos}): "
                               f"{want.strip()!r}") from None
            gap = False
        else:
            if pos >= len(source) or source[pos] != want:
                got = source[pos].strip() if pos < len(source) else "<end of file>"
                raise DocError(f"{b.md}:{b.line + k}: differs from {b.excerpt}:{pos + 1}: "
                               f"{want.strip()!r} vs {got!r} (mark skipped lines with `// ...`)")
            pos += 1


def compile_command(build_root):
    """A compile command of one of the docs libraries, as the build ran it (compile_commands.json),
    as (directory, argv without the source, the output and the dependency-file options)."""
    path = os.path.join(build_root, "compile_commands.json")
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
    except OSError as e:
        raise DocError(f"cannot read {path}: {e}") from None
    for e in entries:
        if "libweft-docs-" not in e.get("output", ""):
            continue
        argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
        out = []
        skip = False
        for k, arg in enumerate(argv):
            if skip:
                skip = False
                continue
            if arg in ("-MQ", "-MF", "-MT", "-o", "-c"):
                skip = True
                continue
            if arg in ("-MD", "-MMD") or arg == e["file"] or (k == 0 and arg == "ccache"):
                continue
            if arg.startswith("-fdiagnostics-color"):
                arg = "-fdiagnostics-color=never"
            out.append(arg)
        return e["directory"], out
    raise DocError(f"no docs library in {path}: is the build configured with tests?")


def check_fails(b, root, build_root, n):
    """Compiles the block, which must fail with its message."""
    directory, argv = compile_command(build_root)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, f"doc_fails_{n:02d}.cpp")
        with open(src, "w", encoding="utf-8") as f:
            f.write(render(b, root))
        r = subprocess.run(argv + ["-fsyntax-only", src], cwd=directory, capture_output=True,
                           text=True, check=False)
    output = " ".join((r.stdout + r.stderr).split())
    if r.returncode == 0:
        raise DocError(f"{b.md}:{b.line}: this block is marked weft:fails but compiles")
    if b.fails not in output:
        first = next((l for l in (r.stdout + r.stderr).splitlines() if "error" in l), "")
        raise DocError(f"{b.md}:{b.line}: fails to compile, but without the message "
                       f"{b.fails!r}; first error: {first.strip()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["list", "deps", "extract", "verify"])
    ap.add_argument("--group", choices=GROUPS)
    ap.add_argument("--outdir")
    ap.add_argument("--root", default=".")
    ap.add_argument("--build-root", help="verify: where compile_commands.json is")
    ap.add_argument("--groups", default="core",
                    help="verify: the groups this build compiles, comma-separated")
    ap.add_argument("md", nargs="+")
    a = ap.parse_args()
    try:
        if a.command == "list":
            for name, _ in named_blocks(a.md, a.group or "core"):
                print(name)
        elif a.command == "deps":
            seen = []
            for md in a.md:
                for b in parse(md):
                    if b.excerpt and b.excerpt not in seen:
                        seen.append(b.excerpt)
            print("\n".join(seen))
        elif a.command == "extract":
            if not a.outdir or not a.group:
                ap.error("extract needs --group and --outdir")
            if a.group == "core":
                for md in a.md:
                    for b in parse(md):
                        if b.excerpt:
                            check_excerpt(b, a.root)
            os.makedirs(a.outdir, exist_ok=True)
            for name, b in named_blocks(a.md, a.group):
                with open(os.path.join(a.outdir, name), "w", encoding="utf-8") as f:
                    f.write(render(b, a.root))
        else:  # verify
            listed = {os.path.abspath(m) for m in a.md}
            missing = [p for p in sorted(glob.glob(os.path.join(DOCS_DIR, "*.md")))
                       if os.path.abspath(p) not in listed]
            if missing:
                raise DocError("pages not listed in docs/meson.build (their blocks would not be "
                               "compiled): " + ", ".join(os.path.basename(p) for p in missing))
            groups = a.groups.split(",")
            counts = {g: 0 for g in GROUPS}
            excerpts = skipped = failing = 0
            for md in a.md:
                for b in parse(md):
                    if b.excerpt:
                        check_excerpt(b, a.root)
                        excerpts += 1
                    elif b.skip:
                        skipped += 1
                    elif b.fails:
                        if b.group not in groups:
                            skipped += 1
                            continue
                        if not a.build_root:
                            ap.error("verify needs --build-root for weft:fails blocks")
                        failing += 1
                        check_fails(b, a.root, a.build_root, failing)
                    else:
                        counts[b.group] += 1
            print(f"{len(a.md)} pages: " +
                  ", ".join(f"{n} {g} blocks compiled" for g, n in counts.items()) +
                  f", {failing} blocks fail to compile as they should, {excerpts} excerpts "
                  f"checked, {skipped} skipped")
    except DocError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

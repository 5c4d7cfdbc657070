#!/usr/bin/env python3
"""The documents against the code: what README.md and docs/*.md name must exist as named.

  tests/docs_test.py ALEXNET_BINARY

- every repository path they name (src/..., tools/..., tests/..., bench/..., docs/...) exists;
- the README's table of architectures lists exactly the ones the binary knows, with the
  parameter counts `alexnet arch --json` gives;
- every flag shown with an `alexnet COMMAND` in a recipe is one that command's --help lists.

Prints each mismatch as FILE:LINE and exits 1 if there is one.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = re.compile(r"(?<![\w/.~-])((?:src|tools|tests|bench|docs|include|examples|python)/[\w./+*<>-]*[\w/*>])")


def documents():
    yield "README.md"
    for f in sorted(os.listdir(os.path.join(ROOT, "docs"))):
        if f.endswith(".md"):
            yield "docs/" + f


def check_paths(doc, lines, problems):
    for n, line in enumerate(lines, 1):
        for path in PATH.findall(line):
            if any(c in path for c in "<>*{}$"):
                continue  # a pattern, not a file
            if not os.path.exists(os.path.join(ROOT, path)):
                problems.append(f"{doc}:{n}: names {path}, which does not exist")


def binary_output(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, check=True).stdout


def check_architectures(binary, lines, problems):
    known = re.search(r"architecture \(([^)]*)\)", binary_output(binary, "arch", "--help")).group(1)
    known = {a.strip() for a in known.split(",")}
    rows = {}
    for n, line in enumerate(lines, 1):
        m = re.match(r"\| `(alexnet[\w-]*)` \|.*\| ([\d,]+) \|$", line)
        if m:
            rows[m.group(1)] = (n, int(m.group(2).replace(",", "")))
    if set(rows) != known:
        problems.append(f"README.md: the architectures table lists {sorted(rows)}, the binary knows {sorted(known)}")
    for arch, (n, count) in rows.items():
        if arch not in known:
            continue
        classes = "10" if arch == "alexnet-mini" else "1000"  # the data sets they are for
        plan = json.loads(binary_output(binary, "arch", arch, "--classes", classes, "--json"))
        params = sum(_numel(l) for l in plan["layers"])
        if params != count:
            problems.append(f"README.md:{n}: {arch} has {count:,} parameters in the table, {params:,} in the binary")


def _numel(layer):
    total = 0
    for key in ("weight_shape", "bias_shape"):
        shape = layer.get(key)
        if shape:
            size = 1
            for d in shape:
                size *= d
            total += size
    return total


def check_flags(binary, doc, lines, problems, helps):
    in_code = False
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        snippets = [line.split(" #")[0]] if in_code else re.findall(r"`([^`]*alexnet [^`]*)`", line)
        for snippet in snippets:
            for m in re.finditer(r"(?:^|[\s/(])alexnet ([a-z]+)((?: +[^|;&)]*)?)", snippet):
                command, rest = m.group(1), m.group(2) or ""
                if command not in helps:
                    try:
                        helps[command] = binary_output(binary, command, "--help")
                    except subprocess.CalledProcessError:
                        helps[command] = None
                if helps[command] is None:
                    continue  # "alexnet" as a word, not a command
                for flag in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest):
                    if not re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", helps[command]):
                        problems.append(f"{doc}:{n}: `alexnet {command}` has no flag {flag}")


def main():
    binary = sys.argv[1]
    problems, helps = [], {}
    for doc in documents():
        lines = open(os.path.join(ROOT, doc), encoding="utf-8").read().split("\n")
        check_paths(doc, lines, problems)
        check_flags(binary, doc, lines, problems, helps)
        if doc == "README.md":
            check_architectures(binary, lines, problems)
    for p in problems:
        print(p)
    print(f"docs: {len(problems)} mismatches" if problems else "docs: every path, architecture and flag they name exists")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

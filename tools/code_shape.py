#!/usr/bin/env python3
"""The shape the code keeps (docs/design.md): no source file over 400 lines, no function over
50, no class or struct with more than 15 data members. Exempt: the Winograd kernels (their
transforms are written out, unrolled, as the papers give them) and the unpickler's opcode
switch (one case per opcode). Prints each breach as FILE:LINE and exits 1 if there is one.

  tools/code_shape.py [ROOT]     (default: the repository's src/ and include/)

Functions and members are found by reading braces, not by a compiler: a definition is a brace
block whose head has a parameter list and is not a control statement, a lambda or an
initialiser; a data member is a declaration at a class's top level without a parameter list.
"""
import os
import re
import sys

MAX_FILE_LINES, MAX_FUNCTION_LINES, MAX_MEMBERS = 400, 50, 15
EXEMPT_FILES = re.compile(r"(^|/)winograd[^/]*\.(cpp|hpp)$")
EXEMPT_FUNCTIONS = {("src/formats/pickle.cpp", "Unpickler::run")}
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|else|do|try)\b")


def code_lines(text):
    """The text's lines with strings, characters and comments blanked."""
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])*'", "''", text)
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return [re.sub(r"//.*", "", l) for l in text.split("\n")]


def head_before(lines, i, col):
    """The statement head ending at lines[i][:col], joined over the lines before it."""
    head, k = lines[i][:col], i
    while k > 0 and i - k < 8:
        prev = lines[k - 1].strip()
        if not prev or prev.endswith((";", "{", "}")) or prev.startswith("#") or prev.endswith(":") and not prev.endswith("::"):
            break
        k -= 1
        head = lines[k] + " " + head
    return head, k


def is_function_head(head):
    h = head.strip()
    if ")" not in h or CONTROL.match(h) or re.search(r"\b(namespace|class|struct|enum|union)\b", h):
        return False
    if re.search(r"\]\s*(\(.*\))?\s*(mutable\s*)?(->[^{]*)?$", h) or re.search(r"\[[^\]]*\]\s*\(", h):
        return False  # a lambda
    return "=" not in h.split("(")[0] and not h.startswith("return")


def function_name(head):
    m = re.search(r"([\w:~]+)\s*\((?!.*\b[\w:~]+\s*\()", head.split(")")[0] + ")")
    names = re.findall(r"([\w:~]+)\s*\(", head)
    return names[0] if names else (m.group(1) if m else "?")


def functions(path, lines):
    """(length, first line, name) of each function definition, lambdas counted in their function."""
    stack, found = [], []
    for i, line in enumerate(lines):
        for col, ch in enumerate(line):
            if ch == "{":
                head, k = head_before(lines, i, col)
                outer = any(f for f, _, _ in stack)
                is_fn = not outer and is_function_head(head)
                stack.append((is_fn, k, function_name(head) if is_fn else ""))
            elif ch == "}" and stack:
                is_fn, k, name = stack.pop()
                if is_fn:
                    found.append((i - k + 1, k + 1, name))
    return found


def member_counts(lines):
    """(members, line, name) of each class or struct."""
    text = "\n".join(lines)
    out = []
    for m in re.finditer(r"(?<!enum )\b(class|struct)\s+(\w+)(\s*:[^;{]*)?\s*\{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        flat, depth, body = [], 0, False
        for ch in text[m.end():i - 1]:
            if ch == "{":
                if depth == 0:  # an inline body or a nested type, not an initialiser
                    stmt = "".join(flat).rsplit(";", 1)[-1].strip()
                    body = bool(re.search(r"(\)|\bconst|\boverride|\bnoexcept)$", stmt) or
                                re.search(r"\b(struct|class|enum|union)\b[^=]*$", stmt))
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0 and body:
                    flat.append(";")  # ends the statement: the next declaration is one of its own
            elif depth == 0:
                flat.append(ch)
        count = 0
        for stmt in "".join(flat).split(";"):
            s = re.sub(r"^\s*(public|private|protected)\s*:", "", stmt.strip()).strip()
            if not s or s.startswith(("using", "friend", "static", "typedef", "enum", "template", "class", "struct", "#")):
                continue
            decl = s.split("=")[0]
            depth_t, commas, call = 0, 0, False
            for ch in decl:
                call |= ch == "(" and depth_t == 0
                depth_t += {"<": 1, ">": -1, "(": 1, ")": -1}.get(ch, 0)
            depth_t = 0
            for ch in s:  # declarators: the commas outside templates and calls
                depth_t += {"<": 1, ">": -1, "(": 1, ")": -1}.get(ch, 0)
                commas += ch == "," and depth_t == 0
            if call or "operator" in decl:
                continue  # a function, a constructor
            count += commas + 1
        out.append((count, text[:m.start()].count("\n") + 1, m.group(2)))
    return out


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = sys.argv[1:] or [os.path.join(repo, "src"), os.path.join(repo, "include")]
    breaches = []
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for f in sorted(files):
                if not f.endswith((".cpp", ".hpp")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, repo)
                text = open(path, encoding="utf-8", errors="replace").read()
                lines = code_lines(text)
                exempt = EXEMPT_FILES.search(rel)
                if not exempt and text.count("\n") > MAX_FILE_LINES:
                    breaches.append(f"{rel}:1: {text.count(chr(10))} lines, more than {MAX_FILE_LINES}")
                for n, line, name in functions(path, lines):
                    if n > MAX_FUNCTION_LINES and not exempt and (rel, name) not in EXEMPT_FUNCTIONS:
                        breaches.append(f"{rel}:{line}: {name} is {n} lines, more than {MAX_FUNCTION_LINES}")
                for n, line, name in member_counts(lines):
                    if n > MAX_MEMBERS:
                        breaches.append(f"{rel}:{line}: {name} has {n} data members, more than {MAX_MEMBERS}")
    for b in breaches:
        print(b)
    print(f"code shape: {len(breaches)} breaches" if breaches else "code shape: every file, function and class within bounds")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())

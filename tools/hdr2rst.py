#!/usr/bin/env python3
"""hdr2rst: the API reference, made from the headers' doc blocks.

`make docs` runs it before Sphinx:

    tools/hdr2rst.py OUT.inc HEADER...

For each header it writes a section to OUT.inc (reStructuredText that
docs/api.rst includes): the header's opening comment as prose, then
one Sphinx C-domain entry (``.. c:function::``, ``.. c:macro::``,
``.. c:struct::``, ``.. c:enum::``) per public declaration, with the
comment above it turned into text and fields:

    name - summary          the summary (the "name - " is dropped)
    @arg: what it is        :param arg: what it is
    Context: / Return:      :Context: field / :returns: field
    Cost:                   :Cost: field
    a tab-indented line     a code example (a literal block)

A comment followed by a blank line, or by a group of #defines, is
prose for what follows, not the doc of one declaration.  A public
function with no doc block is an error: the header is the contract,
and a function with no contract has no place in it.  Standard library
only; exits 1 with one line per problem.
"""

import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent

COMMENT = re.compile(r"/\*(.*?)\*/", re.S)
FIELD = re.compile(r"(?:(?<=^)|(?<=\.\s))(Context|Return|Cost):\s*")
ATTRS = re.compile(r"\b__\w+(?:\([^)]*\))?")


def comment_lines(body):
    """The lines of a /* */ comment, without the leading ' * '; a line
    that was tab-indented keeps a leading tab (it is code)."""
    out = []
    for raw in body.split("\n"):
        line = re.sub(r"^\s*\*?", "", raw, count=1)
        if line.startswith("\t"):
            out.append("\t" + line.strip("\t").rstrip())
        else:
            out.append(line.strip())
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def escape(text):
    """Make comment prose safe as inline reStructuredText."""
    text = text.replace("\\", "\\\\")
    for ch in "*`|":
        text = text.replace(ch, "\\" + ch)
    return re.sub(r"(\w)_(?=\W|$)", r"\1\\_", text)


def paragraphs(lines):
    """Split into ('text', str), ('list', [items]) and ('code', [lines])
    blocks."""
    blocks, para, items, code = [], [], [], []

    def flush():
        if para:
            blocks.append(("text", " ".join(para)))
        if items:
            blocks.append(("list", list(items)))
        if code:
            blocks.append(("code", list(code)))
        para.clear()
        items.clear()
        code.clear()

    for line in lines:
        if line.startswith("\t"):
            if not code:
                flush()
            code.append(line[1:])
        elif not line:
            flush()
        elif line.startswith("- "):
            if code:
                flush()
            items.append(line[2:])
        else:
            if code:
                flush()
            if items:
                items[-1] += " " + line
            else:
                para.append(line)
    flush()
    return blocks


def render_paragraphs(blocks, indent):
    """reST for (kind, value) blocks: text, a bullet list or a literal."""
    out = []
    for kind, val in blocks:
        if kind == "text":
            out += [indent + escape(val), ""]
        elif kind == "list":
            out += [indent + "- " + escape(v) for v in val] + [""]
        else:
            out += [indent + "::", ""]
            out += [indent + "   " + v.expandtabs(8) for v in val] + [""]
    return out


def render_prose(lines, indent=""):
    """Prose between entries; a "---- title ----" line becomes a rubric."""
    out = []
    if lines and re.fullmatch(r"-{2,}\s*(.*?)\s*-{2,}", lines[0]):
        title = re.fullmatch(r"-{2,}\s*(.*?)\s*-{2,}", lines[0]).group(1)
        out += [f"{indent}.. rubric:: {escape(title)}", ""]
        lines = lines[1:]
    return out + render_paragraphs(paragraphs(lines), indent)


def render_doc(name, lines, indent="   "):
    """The body of one entry: summary and prose, then its fields."""
    if lines and re.match(re.escape(name) + r"\s+-\s+", lines[0]):
        lines = [re.sub(r"^\S+\s+-\s+", "", lines[0])] + lines[1:]
    prose, fields, current = [], [], None
    for line in lines:
        m = re.match(r"@(\w+):\s*(.*)", line)
        if m:
            current = ["param " + m.group(1), m.group(2)]
            fields.append(current)
            continue
        if current and line and not line.startswith("\t") and \
                not FIELD.match(line):
            current[1] += " " + line
            continue
        current = None
        prose.append(line)
    # Context:, Return: and Cost: may start anywhere in a paragraph.
    out_prose = []
    for kind, val in paragraphs(prose):
        if kind != "text":
            out_prose.append((kind, val))
            continue
        parts = FIELD.split(val)
        if parts[0].strip():
            out_prose.append(("text", parts[0].strip()))
        for key, body in zip(parts[1::2], parts[2::2]):
            key = {"Return": "returns"}.get(key, key)
            fields.append([key, body.strip()])
    out = render_paragraphs(out_prose, indent)
    for key, body in fields:
        out.append(f"{indent}:{key}: {escape(body)}")
    if fields:
        out.append("")
    return out


def next_declaration(text, pos):
    """The declaration starting at pos (after blank space): its kind,
    name, signature and end; None if what follows is not one."""
    m = re.compile(r"[ \t]*\n?").match(text, pos)
    start = m.end()
    rest = text[start:]
    d = re.match(r"#define\s+(\w+)(\([^)]*\))?[^\n]*", rest)
    if d:
        return "macro", d.group(1), d.group(1) + (d.group(2) or ""), \
            start + d.end()
    s = re.match(r"(struct|enum)\s+(\w+)\s*\{.*?\n\};", rest, re.S)
    if s:
        return s.group(1), s.group(2), s.group(0), start + s.end()
    f = re.match(r"([A-Za-z_][^;{}#/]*?\b(\w+)\s*\([^;{]*?\))\s*(;|\{)",
                 rest, re.S)
    if f:
        end = start + f.end()
        if f.group(3) == "{":
            depth = 1
            while depth and end < len(text):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
        sig = " ".join(ATTRS.sub("", f.group(1)).split())
        sig = re.sub(r"^(static\s+)?(inline\s+)?", "", sig)
        return "function", f.group(2), sig, end
    return None


def header_section(path, problems):
    text = path.read_text()
    rel = path.relative_to(ROOT)
    out = [f"``{rel}``", "-" * (len(str(rel)) + 4), ""]
    comments = list(COMMENT.finditer(text))
    if comments:
        out += render_prose(comment_lines(comments[0].group(1)))
    documented = set()
    for c in comments[1:]:
        lines = comment_lines(c.group(1))
        after = text[c.end():]
        if after.startswith("\n\n") or after.startswith("\n#endif"):
            out += render_prose(lines)
            continue
        decl = next_declaration(text, c.end())
        if not decl:
            continue
        kind, name, sig, end = decl
        group = kind == "macro" and re.match(r"\s*#define", text[end:])
        if group:
            out += render_prose(lines)
            continue
        documented.add(name)
        out += entry(kind, name, sig, lines)
    # Every public function must have been documented above.
    code = COMMENT.sub(lambda m: " " * len(m.group(0)), text)
    for m in re.finditer(r"^(?!static)[A-Za-z_][^;{}#/\n]*?\b(\w+)\s*\("
                         r"[^;{]*?\)\s*;", code, re.M | re.S):
        name = m.group(1)
        if name not in documented and not m.group(0).startswith("#"):
            line = text.count("\n", 0, m.start()) + 1
            problems.append(f"{rel}:{line}: {name}() has no doc block "
                            f"directly above it")
    for m in re.finditer(r"^#define\s+(\w+)", text, re.M):
        name = m.group(1)
        if name not in documented and not name.endswith("_H") and \
                not name.startswith("_"):
            out += [f".. c:macro:: {name}", ""]
    return out


def entry(kind, name, sig, lines):
    if kind == "function":
        head = f".. c:function:: {sig}"
    elif kind == "macro":
        head = f".. c:macro:: {sig}"
    else:
        head = f".. c:{kind}:: {name}"
    body = render_doc(name, lines)
    if kind in ("struct", "enum"):
        body += ["   ::", ""] + ["      " + s.expandtabs(8)
                                   for s in sig.split("\n")] + [""]
    return [head, ""] + body


def main(argv):
    if len(argv) < 3:
        print("usage: hdr2rst.py OUT.inc HEADER...", file=sys.stderr)
        return 2
    problems, out = [], []
    for h in argv[2:]:
        out += header_section((ROOT / h).resolve(), problems)
    for p in problems:
        print(p)
    if problems:
        print(f"hdr2rst: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    Path(argv[1]).parent.mkdir(parents=True, exist_ok=True)
    Path(argv[1]).write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

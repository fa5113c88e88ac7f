#!/usr/bin/env python3
"""The kernel command line as a GRUB environment block.

tools/mkiso builds GRUB's configuration into the boot image, where GRUB
runs it without loading its menu code (normal.mod and its dependencies,
a sixth of a second of every boot under TCG).  That configuration is
stored compressed, so it cannot hold the command line: the line sits in
boot/grub/cmdline.env instead, one word per variable (w0, w1, ...), and
the configuration passes "$w0 $w1 ..." to multiboot2.  GRUB drops an
empty variable from a command's words, so unused slots cost nothing; a
variable is one word, so a word must hold no space.

ISO 9660 stores a file's bytes as they are, in one piece: tools/ktest.py
writes a row's block over its template's without remaking the ISO.

    tools/cmdline_env.py "CMDLINE" FILE    write FILE, and print the
                                           words for multiboot2 (tools/mkiso)
"""

import sys

SIGNATURE = b"# GRUB Environment Block\n"
SIZE = 2048  # one CD sector; GRUB reads the block at the file's size
MAX_WORDS = 64
# What tools/mkiso's configuration passes to multiboot2: every slot.
GRUB_ARGS = " ".join(f"$w{i}" for i in range(MAX_WORDS))
# What GRUB's script syntax would read as more than a word's bytes.
GRUB_SYNTAX = set(";&|$`\"'\\{}#\n")


def env_block(cmdline):
    """SIZE bytes holding cmdline's words as w0.. ; ValueError naming
    what does not fit."""
    bad = sorted(set(cmdline) & GRUB_SYNTAX)
    if bad:
        raise ValueError("characters GRUB would interpret in the command "
                         f"line: {''.join(bad)!r} in {cmdline!r}")
    words = cmdline.split()
    if len(words) > MAX_WORDS:
        raise ValueError(f"{len(words)} words in the command line; the "
                         f"ISO's GRUB passes at most {MAX_WORDS}")
    body = SIGNATURE + b"".join(f"w{i}={w}\n".encode()
                                for i, w in enumerate(words))
    if len(body) > SIZE:
        raise ValueError(f"command line of {len(cmdline)} bytes does not "
                         f"fit GRUB's {SIZE}-byte environment block")
    return body + b"#" * (SIZE - len(body))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(f"usage: {argv[0]} \"CMDLINE\" FILE\n")
        return 2
    try:
        block = env_block(argv[1])
    except ValueError as e:
        sys.stderr.write(f"mkiso: {e}\n")
        return 1
    with open(argv[2], "wb") as f:
        f.write(block)
    print(GRUB_ARGS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

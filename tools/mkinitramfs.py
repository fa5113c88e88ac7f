#!/usr/bin/env python3
"""mkinitramfs: write a Linux initramfs (cpio "newc", gzip) from a list.

The format Linux unpacks at boot (its Documentation calls it "newc"):
for each entry a 110-byte ASCII header ("070701", then thirteen 8-digit
hex fields: inode, mode, uid, gid, nlink, mtime, size, devmajor,
devminor, rdevmajor, rdevminor, name size with its NUL, check 0), the
name and a NUL padded to 4 bytes, the data padded to 4 bytes; a last
entry named "TRAILER!!!" ends the archive. No cpio(1) needed.

Usage: mkinitramfs.py OUT.cpio.gz SPEC...  where each SPEC is
  dir:/PATH                 a directory (mode 0755)
  file:/PATH=HOSTFILE       a file with HOSTFILE's bytes (mode 0755)
  char:/PATH=MAJOR,MINOR    a character device node (mode 0600)
  link:/PATH=TARGET         a symbolic link
Parent directories must come before what they hold.
"""

import gzip
import stat
import sys
from pathlib import Path

MAGIC = b"070701"
TRAILER = "TRAILER!!!"


def pad4(data):
    return data + b"\0" * (-len(data) % 4)


def entry(ino, name, mode, data=b"", rdev=(0, 0)):
    """One newc record: header, name, data (both padded to 4 bytes)."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0,
              len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    head = MAGIC + b"".join(b"%08x" % f for f in fields)
    return pad4(head + name_b) + pad4(data)


def parse_spec(spec):
    """'kind:/path=arg' -> (name without the leading /, mode, data, rdev)."""
    kind, _, rest = spec.partition(":")
    path, _, arg = rest.partition("=")
    if not path.startswith("/") or path == "/":
        raise ValueError(f"{spec!r}: the path must be absolute, not /")
    name = path.lstrip("/")
    if kind == "dir":
        return name, stat.S_IFDIR | 0o755, b"", (0, 0)
    if kind == "file":
        return name, stat.S_IFREG | 0o755, Path(arg).read_bytes(), (0, 0)
    if kind == "char":
        major, minor = (int(x) for x in arg.split(","))
        return name, stat.S_IFCHR | 0o600, b"", (major, minor)
    if kind == "link":
        return name, stat.S_IFLNK | 0o777, arg.encode(), (0, 0)
    raise ValueError(f"{spec!r}: unknown kind {kind!r} "
                     "(dir, file, char or link)")


def build(specs):
    """The uncompressed archive for a list of specs."""
    out = []
    for ino, spec in enumerate(specs, start=1):
        name, mode, data, rdev = parse_spec(spec)
        out.append(entry(ino, name, mode, data, rdev))
    out.append(entry(0, TRAILER, 0))
    return b"".join(out)


def read(archive):
    """Parse an uncompressed newc archive back: [(name, mode, data, rdev)].
    For the tooling test (tools/tests/), and to check what was written."""
    items, off = [], 0
    while True:
        head = archive[off:off + 110]
        if head[:6] != MAGIC:
            raise ValueError(f"offset {off}: no newc magic")
        f = [int(head[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        namesize, size = f[11], f[6]
        name_end = off + 110 + namesize
        name = archive[off + 110:name_end - 1].decode()
        data_off = name_end + (-name_end % 4)
        data = archive[data_off:data_off + size]
        off = data_off + size + (-size % 4)
        if name == TRAILER:
            return items
        items.append((name, f[1], data, (f[9], f[10])))


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        archive = build(argv[2:])
    except (ValueError, OSError) as e:
        print(f"mkinitramfs: {e}", file=sys.stderr)
        return 1
    Path(argv[1]).write_bytes(gzip.compress(archive, mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

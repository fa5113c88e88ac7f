"""gdb helpers for hmos: look at the highmem machinery of a halted kernel.

Loaded by tools/gdbinit (`make gdb`, the runner's gdb rows). Commands:

  hmos-pkmap            the pkmap pool: every slot in use or cached, its
                        count, its page and physical address; the cursor
  hmos-kmap-local [T]   a task's kmap_local stack (default: every task)
  hmos-walk ADDR        the page-table walk of a virtual address from
                        the CPU's own CR3: PDPT entry, page-directory
                        entry, PTE, and what they allow together
                        (present, writable, executable, the frame)

They read the kernel's own data structures through the debug stub, so
they work on a kernel stopped anywhere: at a breakpoint, or after ^C.
"""

import gdb

PKMAP_BASE = 0xFFC00000
LAST_PKMAP = 512


def u64(expr):
    return int(gdb.parse_and_eval(expr)) & 0xFFFFFFFFFFFFFFFF


def read_u64(addr):
    mem = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(mem), "little")


def pfn_of(page_ptr):
    mem_map = int(gdb.parse_and_eval("mem_map"))
    size = int(gdb.parse_and_eval("sizeof(struct page)"))
    return (int(page_ptr) - mem_map) // size


class Pkmap(gdb.Command):
    """Print the pkmap pool (mm/highmem.c): slots at 1 (cached) or n+1."""

    def __init__(self):
        super().__init__("hmos-pkmap", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        counts = gdb.parse_and_eval("pkmap_count")
        pages = gdb.parse_and_eval("pkmap_page")
        free = cached = used = 0
        rows = []
        for nr in range(LAST_PKMAP):
            c = int(counts[nr])
            if c == 0:
                free += 1
                continue
            cached += c == 1
            used += c > 1
            if int(pages[nr]) == 0:     # its page was freed: no owner
                rows.append("  slot %3d  %08x  count 1 (cached)  page freed,"
                            " waits for the flush"
                            % (nr, PKMAP_BASE + nr * 4096))
                continue
            pfn = pfn_of(pages[nr])
            rows.append("  slot %3d  %08x  count %d (%s)  pfn %#x  phys %#x"
                        % (nr, PKMAP_BASE + nr * 4096, c,
                           "cached" if c == 1 else "%d users" % (c - 1),
                           pfn, pfn << 12))
        cursor = int(gdb.parse_and_eval("last_pkmap_nr"))
        print("pkmap pool: %d free, %d cached, %d in use; cursor at %d"
              % (free, cached, used, cursor))
        for r in rows:
            print(r)


class KmapLocal(gdb.Command):
    """Print the kmap_local stack of one task (by name) or of every task."""

    def __init__(self):
        super().__init__("hmos-kmap-local", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        head = gdb.parse_and_eval("&task_list")
        task_t = gdb.lookup_type("struct task").pointer()
        offset = int(gdb.parse_and_eval("&((struct task *)0)->all_list"))
        node = head["next"]
        while int(node) != int(head):
            t = gdb.Value(int(node) - offset).cast(task_t)
            name = t["name"].string()
            if not arg or arg == name:
                ctrl = t["kmap_ctrl"]
                idx = int(ctrl["idx"])
                print("%s (cpu %d): %d live kmap_local slot(s)"
                      % (name, int(t["cpu"]), idx))
                for i in range(idx):
                    pte = int(ctrl["pteval"][i]) & 0xFFFFFFFFFFFFFFFF
                    print("  [%2d] pte %016x -> phys %#x" %
                          (i, pte, pte & 0x000FFFFFFFFFF000))
            node = node["next"]


PRESENT, WRITABLE, LARGE, GLOBAL = 1 << 0, 1 << 1, 1 << 7, 1 << 8
NX = 1 << 63
FRAME = 0x000FFFFFFFFFF000
EFER_NXE = 1 << 11


class PhysReader:
    """Read physical memory through QEMU's gdb stub.  The page tables
    hold physical addresses, and the tables a CPU is using need not be
    mapped where the final kernel tables map them (at the first stop
    the boot tables are live), so the walk reads by physical address:
    QEMU's "PhyMemMode" makes the stub's memory accesses physical."""

    def __enter__(self):
        gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
        return self

    def __exit__(self, *exc):
        gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)

    @staticmethod
    def u64(phys):
        return read_u64(phys)


class Walk(gdb.Command):
    """hmos-walk ADDR: walk the PAE page tables the selected CPU is using
    (from its CR3) for virtual address ADDR, and say what the walk
    allows: present, writable, executable.  Executability is decided by
    the NX bit of every level together (and only if EFER.NXE is on), so
    a page-directory entry without NX only lets the PTE decide."""

    def __init__(self):
        super().__init__("hmos-walk", gdb.COMMAND_USER)

    @staticmethod
    def flags(e, level):
        """What entry e of level "PD" or "PT" says.  Bit 7 of a PD entry
        makes it the last level (a 2 MiB page); in a PTE it is PAT."""
        if not e & PRESENT:
            return "NOT present"
        large = level == "PD" and bool(e & LARGE)
        last = level == "PT" or large
        bits = ["present", "writable" if e & WRITABLE else "read-only"]
        if last:
            bits.append("NX" if e & NX else "no NX")
        else:
            bits.append("NX for all below" if e & NX
                        else "no NX: the PTE decides")
        if last and e & GLOBAL:
            bits.append("global")
        if large:
            bits.append("2 MiB page")
        return ", ".join(bits)

    def invoke(self, arg, from_tty):
        if not arg:
            raise gdb.GdbError("usage: hmos-walk ADDR")
        va = int(gdb.parse_and_eval(arg)) & 0xFFFFFFFF
        cr3 = int(gdb.parse_and_eval("$cr3")) & 0xFFFFFFFF
        nxe = bool(int(gdb.parse_and_eval("$efer")) & EFER_NXE)
        thread = gdb.selected_thread()
        print("CR3 %08x (gdb thread %d), EFER.NXE %d" %
              (cr3, thread.num if thread else 0, nxe))
        i3, i2, i1 = va >> 30, (va >> 21) & 511, (va >> 12) & 511
        with PhysReader() as mem:
            pdpte = mem.u64((cr3 & 0xFFFFFFE0) + 8 * i3)
            # A PAE PDPT entry has no writable or NX bit: only present.
            print("%08x: PDPT[%d] = %016x (%s)" % (va, i3, pdpte,
                  "present" if pdpte & PRESENT else "NOT present"))
            if not pdpte & PRESENT:
                return
            pde = mem.u64((pdpte & FRAME) + 8 * i2)
            large = bool(pde & LARGE)
            print("          %-8s= %016x (%s)" %
                  ("PD[%d]" % i2, pde, self.flags(pde, "PD")))
            entries = [pde]
            if pde & PRESENT and not large:
                pte = mem.u64((pde & FRAME) + 8 * i1)
                print("          %-8s= %016x (%s)" %
                      ("PT[%d]" % i1, pte, self.flags(pte, "PT")))
                entries.append(pte)
        last = entries[-1]
        if not last & PRESENT:
            return
        offset = va & (0x1FFFFF if large else 0xFFF)
        frame = last & FRAME & ~(0x1FFFFF if large else 0)
        writable = all(e & WRITABLE for e in entries)
        executable = not nxe or not any(e & NX for e in entries)
        print("          -> phys %#x: %s, %s%s" %
              (frame | offset, "writable" if writable else "read-only",
               "executable" if executable else "NX",
               "" if nxe else " (EFER.NXE off: NX bits are ignored)"))


Pkmap()
KmapLocal()
Walk()
print("hmos gdb helpers: hmos-pkmap, hmos-kmap-local [TASK], hmos-walk ADDR")

"""gdb helpers for hmos: look at the highmem machinery of a halted kernel.

Loaded by tools/gdbinit (`make gdb`). Commands:

  hmos-pkmap            the pkmap pool: every slot in use or cached, its
                        count, its page and physical address; the cursor
  hmos-kmap-local [T]   a task's kmap_local stack (default: every task)
  hmos-walk ADDR        the page-table walk of a kernel virtual address:
                        PDPT entry, page-directory entry, PTE, and what
                        they say (present, writable, NX, global, frame)

They read the kernel's own data structures through the debug stub, so
they work on a kernel stopped anywhere: at a breakpoint, or after ^C.
"""

import gdb

PAGE_OFFSET = 0xC0000000
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


class Walk(gdb.Command):
    """Walk the PAE page tables for a kernel virtual address."""

    def __init__(self):
        super().__init__("hmos-walk", gdb.COMMAND_USER)

    @staticmethod
    def describe(e):
        bits = []
        bits.append("present" if e & 1 else "NOT present")
        if e & 1:
            bits.append("writable" if e & 2 else "read-only")
            bits.append("NX" if e >> 63 else "executable")
            if e & 0x100:
                bits.append("global")
            if e & 0x80:
                bits.append("2 MiB page")
        return ", ".join(bits)

    def invoke(self, arg, from_tty):
        va = int(gdb.parse_and_eval(arg)) & 0xFFFFFFFF
        pdpt = int(gdb.parse_and_eval("&kernel_pdpt"))
        i3, i2, i1 = va >> 30, (va >> 21) & 511, (va >> 12) & 511
        pdpte = read_u64(pdpt + 8 * i3)
        # A PAE PDPT entry has only a present bit that matters here.
        print("%08x: PDPT[%d] = %016x (%s)" % (va, i3, pdpte,
              "present" if pdpte & 1 else "NOT present"))
        if not pdpte & 1:
            return
        pd = (pdpte & 0x000FFFFFFFFFF000) + PAGE_OFFSET
        pde = read_u64(pd + 8 * i2)
        print("          PD[%d]   = %016x (%s)" % (i2, pde,
                                                self.describe(pde)))
        if not pde & 1 or pde & 0x80:
            return
        pt = (pde & 0x000FFFFFFFFFF000) + PAGE_OFFSET
        pte = read_u64(pt + 8 * i1)
        print("          PT[%d]   = %016x (%s)" % (i1, pte,
                                                self.describe(pte)))
        if pte & 1:
            print("          -> phys %#x" % ((pte & 0x000FFFFFFFFFF000)
                                             | (va & 0xFFF)))


Pkmap()
KmapLocal()
Walk()
print("hmos gdb helpers: hmos-pkmap, hmos-kmap-local [TASK], hmos-walk ADDR")

"""The QEMU configurations `make test` boots: one row per machine shape.

tools/ktest.py imports MATRIX and boots every entry (or the subset named
with --config).  To add a configuration, append a Config; nothing else
needs to change.  Each row says why it exists: a row nobody can explain
is a row nobody will keep green.

Fields
  name     short identifier, also the directory under build/test/
  mem      QEMU -m value ("64M", "4G"); passed to the kernel as
           ktest.expect_mem so it can check the memory map it was given
  smp      number of CPUs (-smp); passed as ktest.expect_cpus.  Under TCG
           each vCPU is a host thread, so big smp rows cost --jobs slots
  cmdline  extra kernel arguments (the runner adds the ktest.* ones)
  expect   what a correct kernel does in this configuration:
             "pass"                    QEMU exits 33 and every case is ok
             {"fail": ["suite.case"]}  exactly these cases are `not ok`,
                                       QEMU exits 35 (checks that failure
                                       reporting itself works); with
                                       "lines": [regex...], the log must
                                       also match those, in that order;
                                       with "absent": [regex...], no line
                                       may match any of those.  An empty
                                       "fail" list means "pass" plus the
                                       line checks
             {"refuse": [regex...]}    the kernel refuses the run (no
                                       case fails, QEMU exits 35) and
                                       says why in lines matching these;
                                       with "exit": N, QEMU must exit N
                                       instead (39: the early boot
                                       refused the CPU, boot/entry.S)
             {"panic": "regex"}        the boot ends in a panic whose log
                                       matches regex, before the timeout;
                                       a list of regexes must match lines
                                       in that order; with "quiet_after":
                                       "regex", no line from the first
                                       panic line on may match it
  timeout  seconds before the run is killed and counted as a hang
  tags     free-form labels (e.g. "highmem", "smp") for grouping
  cpu      QEMU -cpu model ("max" unless a row tests a CPU the kernel
           must refuse, e.g. "pentium" or "max,-cx8")
  exit_device  False: boot without QEMU's isa-debug-exit device (and
           without -no-reboot), as on Bochs or hardware.  The kernel
           must then say its exit failed and power off through ACPI:
           QEMU exits 0, accepted for such a row only with the KTAP plan
           complete, the failed-exit and power-off lines in the log and
           one boot only (a triple fault reboots, a hang times out)
  qemu_args  extra QEMU arguments, appended to the runner's, for what the
           fields above do not say: ("-icount", "shift=5,sleep=off") for
           a deterministic run, ("-machine", "acpi=off") for a PC
           without ACPI tables
  loader   who boots the kernel: "qemu" (the default), QEMU's own
           loader (-kernel, the first multiboot: arch/x86/multiboot1.c),
           a third of a second quicker than "grub", GRUB from an ISO
           (multiboot2, as `make run` boots).  A row takes "grub" when
           what it checks is GRUB's side of the boot: its memory map and
           RSDP, a machine of several CPUs it boots, gdb sessions (make
           qemu-gdb boots the ISO); every row also checks that the
           kernel got its line (the judge compares the "command line:"
           it prints)
  elsewhere  suites a ktest=all row leaves out because another row runs
           them on the same machine as far as they can tell: the runner
           then selects every other suite by name (tools/ktest.py:
           kernel_cmdline), so a new suite still runs everywhere.  The
           row says, beside the list, which row that is and why the
           difference between the two cannot change those suites'
           results.  Only the costly suites are worth it (the per-suite
           seconds are in build/test/results.json); the cheap ones run
           everywhere, where a surprise costs nothing to find
"""

from dataclasses import dataclass, field
from typing import Union

Expect = Union[str, dict]


@dataclass(frozen=True)
class Config:
    name: str
    mem: str
    smp: int = 1
    cmdline: str = ""
    expect: Expect = "pass"
    timeout: int = 60
    tags: tuple = field(default_factory=tuple)
    # A monitor session instead of a test run: (typed line, regex its
    # answer must match) pairs.  The runner waits for the prompt before
    # each line; every pair counts as one test case, "monitor.<line>".
    script: tuple = ()
    # A gdb session instead: QEMU waits for gdb, which breaks at
    # gdb_break, runs each command and must print what its regex says.
    gdb_break: str = ""
    gdb: tuple = ()
    # The gdb session debugs the -Og kernel of `make DEBUG=1`
    # (ktest.py --debug-elf), as `make DEBUG=1 gdb` does.
    debug_build: bool = False
    # `make run CMDLINE=...` once for each line, in this order, as a
    # person would type it: each boot must print its own line.
    make_run: tuple = ()
    exit_device: bool = True
    cpu: str = "max"
    qemu_args: tuple = ()
    # The event trace's checker (tools/trace_check.py) on the serial
    # log, after the KTAP verdict: "" runs none, "ok" demands that it
    # pass, anything else is a regex its failure report must match (it
    # must fail: the checker's own test).
    trace_check: str = ""
    elsewhere: tuple = ()
    loader: str = "qemu"

    def __post_init__(self):
        if self.loader not in ("qemu", "grub"):
            raise ValueError(f"row {self.name}: loader {self.loader!r} "
                             "is neither 'qemu' nor 'grub'")

    def cpus(self) -> int:
        """CPUs this run occupies on the host (for --jobs accounting).
        Under -icount every vCPU shares one host thread."""
        if "-icount" in self.qemu_args:
            return 1
        return max(1, self.smp)


# What lowmem=16M on a 4 GiB machine prints (m4g-lowmem16 and the lab
# of docs/labs.rst): too small for mem_map, so the limit is raised.
LOWMEM16_RAISED_ON_4G = (
    r"^lowmem=16M is too small for this machine: mem_map needs 1310720 "
    r"frames \(RAM up to 0x140000000\) x 16 bytes = 20480 KiB of lowmem, "
    r"plus 16 MiB for the kernel: lowmem raised to 36M")


def acpi_bad_row(table, lines):
    """A row that boots with one ACPI table's checksum broken
    (acpi.corrupt=TABLE): after the table's own lines, every such boot
    must end with no MADT and the boot CPU alone."""
    return Config(f"acpi-bad-{table.lower()}", mem="64M", smp=2,
                  cmdline=f"acpi.corrupt={table} ktest=boot,smp "
                          "ktest.expect_cpus=1",
                  expect={"fail": [], "lines": lines + [
                      r"^ACPI: no usable MADT, so nothing lists the CPUs",
                      r"^SMP: 1 of 1 CPUs online"]},
                  timeout=30, tags=("acpi", "fault-injection"),
                  loader="grub" if table == "RSDP" else "qemu")


def crash_row(name, crash, *, mem, smp=1, before="", after="", timeout=30,
              quiet_after=None, tags=(), panic):
    """A row that boots with ktest.crash=crash (tests/test_crash.c) and
    expects a panic whose report matches the panic regexes in order;
    before and after are kernel options around "ktest=crash ..."."""
    expect = {"panic": panic}
    if quiet_after is not None:
        expect["quiet_after"] = quiet_after
    cmdline = " ".join(w for w in (before, "ktest=crash",
                                   f"ktest.crash={crash}", after) if w)
    return Config(name, mem=mem, smp=smp, cmdline=cmdline, expect=expect,
                  timeout=timeout, tags=tags)


def overflow_row(name, crash, *, smp, thread, cpu, region, tags):
    """A row whose crash case overflows thread's kernel stack on cpu:
    the double-fault task must name the thread, the CPU, the region the
    stack pointer is in and whose guard page it hit."""
    return crash_row(name, crash, mem="64M", smp=smp, tags=tags, panic=[
        rf"^PANIC at .*double fault: kernel stack overflow in thread "
        rf"{thread} \(CPU {cpu}\): esp [0-9a-f]{{8}} is in {region}, "
        rf"guard page of thread {thread}'s stack",
        r"^Backtrace:",
        r"crash_recurse\+"])


def deaf_row(name, crash, *, mem, smp, deaf, what, asker, frames):
    """A crash-deaf-* row: CPU deaf stops answering IPIs while a CPU
    matching asker waits for it; the wait must end in a panic that names
    what was asked and the deaf CPU's mask, with frames (regexes) in the
    backtrace above the asker.  The asker spins until smp.answer_ms
    runs out: a quarter of a second, stretched by the runner with the
    host's load (make test's own load alone makes it 0.4 s or so).  A
    CPU that does answer takes microseconds alone, a few milliseconds
    when its host thread has to wait for a core; the deaf CPU halts,
    leaving its core to the others."""
    return crash_row(
        name, crash, mem=mem, smp=smp,
        after=f"ktest.deaf_cpu={deaf} smp.answer_ms=250",
        tags=("crash", "smp"), panic=[
            rf"^PANIC at \S+ in wait_for_cpus\(\): {what} from CPU "
            rf"{asker}: CPUs {1 << deaf:#x} did not answer in \d+ ms",
            r"^Backtrace:", *frames, r"crash_deaf_asker\+"])


def pkmap_refused(call):
    """The first line of the panic that refuses call ("kmap" or
    "kunmap") with interrupts off or in an interrupt handler."""
    return (r"^PANIC at mm/highmem.c:[0-9]+ in pkmap_check_context\(\): "
            + call + r"\(\) with interrupts off or in an interrupt "
            r"handler")


# Threads, locks and sleeping, which look at no memory but their own:
# on machines of the same CPU count they see the same thing.
THREAD_SUITES = ("locking", "sched", "sched_stress")

# The page allocator, driven by one thread: on machines of the same
# memory map it sees the same zones, whatever the CPU count.  Taking
# every page of a zone one at a time is seconds on the large rows.
MEMORY_SUITES = ("pmm",)

MATRIX = [
    # Everything in lowmem: no ZONE_HIGHMEM at all.  kmap* must fall back
    # to the direct map, and the allocator must cope with an empty zone.
    # mm.debug=1 here: freed pages are poisoned (pmm_freed_pages_poisoned).
    # Booted as `make run` boots: through GRUB, whose copy of the RSDP
    # the kernel takes.
    Config("m64", mem="64M", smp=1, cmdline="mm.debug=1", tags=("lowmem",),
           loader="grub", expect={"fail": [], "lines": [
               r"^boot loader: GRUB",
               r"^ACPI: RSDP revision \d+ \(from the boot loader\)"]}),

    # The smallest machine the whole suite runs on (README): 4.25 MiB,
    # about 110 free pages once the kernel is in.  Every case must pass
    # or skip with its reason; vmalloc and vmap run out of memory here,
    # and must say so with NULL, leaving nothing mapped or leaked.  Two
    # CPUs, so the SMP cases and both stress workers meet the shortage.
    Config("m4.25", mem="4352K", smp=2, tags=("lowmem", "small")),

    # 8 MiB: no free block of the largest buddy orders
    # (pmm_blocks_are_aligned tries the orders there are).
    # QEMU's loader (Config.loader) passes no RSDP: the kernel scans.
    Config("m8", mem="8M", smp=1, cmdline="ktest=boot,pmm,vmalloc*,vmap_area",
           timeout=40, tags=("lowmem", "small"), expect={"fail": [], "lines": [
               r"^boot loader: qemu",
               r"^ACPI: RSDP revision \d+ \(found by scanning\)"]}),

    # CPUs the kernel must refuse (boot/entry.S: cpu_needs): each
    # missing feature named, then QEMU left with exit code 0x13 (39)
    # at once instead of a halt the runner would wait out.  max,-cx8
    # lacks only CMPXCHG8B, max,-nx only NX; the Pentium lacks several.
    Config("cpu-no-cx8", mem="64M", smp=1, cpu="max,-cx8", timeout=30,
           expect={"refuse": [
               r"^hmos: this CPU has no CMPXCHG8B \(CPUID 1 EDX bit 8\)",
               r"^hmos: the kernel needs all of the above"], "exit": 39},
           tags=("cpu",)),
    Config("cpu-no-nx", mem="64M", smp=1, cpu="max,-nx", timeout=30,
           expect={"refuse": [
               r"^hmos: this CPU has no NX \(CPUID 0x80000001 EDX bit 20\)",
               r"^hmos: the kernel needs all of the above"], "exit": 39},
           tags=("cpu",)),
    Config("cpu-pentium", mem="64M", smp=1, cpu="pentium", timeout=30,
           expect={"refuse": [
               r"^hmos: this CPU has no PAE ",
               r"^hmos: this CPU has no PGE ",
               r"^hmos: this CPU has no CMOV ",
               r"^hmos: this CPU has no NX ",
               r"^hmos: the kernel needs all of the above"], "exit": 39},
           tags=("cpu",)),

    # More CPUs than NR_CPUS (8): the boot must name the ones it
    # ignores, and smp_expected_cpus_online expects NR_CPUS online and
    # the rest counted as ignored.  Only 8 vCPUs ever run: the others
    # wait for a start-up IPI that never comes.
    Config("smp16-capped", mem="64M", smp=16,
           cmdline="ktest=smp.smp_expected_cpus_online", timeout=90,
           expect={"fail": [], "lines": [
               r"^SMP: the firmware lists 16 CPUs, this kernel has room "
               r"for NR_CPUS = 8: 8 CPU\(s\) ignored, never started "
               r"\(APIC ids 8 9 10 11 12 13 14 15\)"]},
           tags=("smp",)),

    # A small machine with highmem: lowmem clamped to 64 MiB leaves about
    # 448 MiB of ZONE_HIGHMEM below 4 GiB, cheap enough to run every time.
    # locking, sched and sched_stress (threads, locks, wait queues and
    # sleeps on one CPU, no page of memory they look at) run on m64, the
    # same one CPU with the same timer.
    Config("m512-low64", mem="512M", smp=1, cmdline="lowmem=64M",
           elsewhere=THREAD_SUITES, tags=("highmem",)),

    # Default lowmem limit (~896 MiB) plus highmem on both sides of 4 GiB:
    # QEMU puts 3 GiB low (less the PCI hole) and 1 GiB at 4 GiB.  The
    # first row where PAE frame numbers need more than 32 bits.
    # The thread suites run on m64 (as for m512-low64).  GRUB boots it:
    # its multiboot2 memory map must carry the range above 4 GiB.
    # acpi.rsdp=scan: the kernel scans the BIOS area for the RSDP instead
    # of taking GRUB's copy, so the option's path runs too.
    Config("m4g", mem="4G", smp=1, cmdline="acpi.rsdp=scan",
           elsewhere=THREAD_SUITES, tags=("highmem", "above4g"),
           loader="grub", expect={"fail": [], "lines": [
               r"^boot loader: GRUB",
               r"^  \[mem 0x100000000-0x13fffffff\] usable",
               r"^ACPI: RSDP revision \d+ \(found by scanning\)"]}),

    # 5 GiB above 4 GiB: most highmem lives past the 32-bit boundary, so
    # truncated physical addresses show up as wrong data, not luck.  Two
    # CPUs, so AP start-up also runs with ACPI tables above lowmem.
    # The thread suites and cpu_hotplug (tasks moved off a CPU going
    # offline; the page it maps is highmem on smp2 too) run on smp2 and
    # m4.25, the same two CPUs: memory above 4 GiB is not theirs to see.
    # They are over 6 s of this row on a quiet host.  pmm runs on
    # m8g-pmm, the same memory map on one CPU: two seconds of one thread
    # that would otherwise hold this row's second host core.
    Config("m8g", mem="8G", smp=2,
           elsewhere=THREAD_SUITES + ("cpu_hotplug",) + MEMORY_SUITES,
           tags=("highmem", "above4g", "smp")),
    Config("m8g-pmm", mem="8G", smp=1, cmdline="ktest=pmm",
           tags=("highmem", "above4g")),

    # A lowmem= too small for the machine: mem_map (16 bytes for each
    # of 1310720 frames, RAM reaching 5 GiB) alone is 20 MiB of lowmem.
    # The kernel must raise the limit and say why with the arithmetic,
    # not die in the boot allocator; then zones and kmaps must work on
    # a lowmem that small beside 4 GiB of highmem.
    Config("m4g-lowmem16", mem="4G", smp=1,
           cmdline="lowmem=16M ktest=boot,pmm,kmap",
           expect={"fail": [], "lines": [
               LOWMEM16_RAISED_ON_4G,
               r"^zone Normal  pfn 0x000000-0x002400"]},
           tags=("highmem", "above4g", "cmdline")),

    # The crash reports themselves (include/kernel/panic.h): a NULL
    # pointer read must panic with the decoded fault, the region and a
    # backtrace; a runaway recursion must hit the boot stack's guard
    # page and be reported through the double-fault task, not end in a
    # triple fault.
    crash_row("crash-null", "null", mem="64M", tags=("crash",), panic=[
               r"^PANIC at crash_null_dereference\+0x[0-9a-f]+: page fault",
               r"^CPU 0, thread ",
               r"^EAX [0-9a-f]{8}",
               r"^cause: read of 00000000, page not present",
               r"^region: 00000000 is in user space",
               r"^Backtrace:",
               # Each frame points at its source (addr2line, by the
               # runner): the faulting line, and the caller's call.
               r"crash_null_dereference\+0x[0-9a-f]+ "
               r"\(tests/test_crash\.c:\d+\)$",
               r"ktest_run_all\+0x[0-9a-f]+ \(kernel/ktest\.c:\d+"]),
    overflow_row("crash-stack", "stack_overflow", smp=1, thread="boot",
                 cpu=0, region="lowmem direct map", tags=("crash",)),

    # A kthread's stack lives in the vmalloc area with a guard page
    # below: a runaway recursion on it must be reported through the
    # double-fault task, naming the thread and whose guard page it hit.
    overflow_row("crash-kstack", "kthread_stack_overflow", smp=1,
                 thread="crash_deep", cpu=0, region="vmalloc area",
                 tags=("crash", "vmalloc")),
    # The same on an AP's idle stack, through a cross-CPU call that
    # recurses in the IPI handler: AP stacks come from the vmalloc area
    # with a guard page too (arch/x86/smpboot.c).
    overflow_row("crash-ap-stack", "ap_stack_overflow", smp=2,
                 thread="idle/1", cpu=1, region="vmalloc area",
                 tags=("crash", "vmalloc", "smp")),
    # Writing one byte past a vmalloc buffer hits its guard page: the
    # page-fault report names the vmalloc area and the area it guards.
    crash_row("crash-vmalloc-guard", "vmalloc_guard", mem="64M",
              tags=("crash", "vmalloc"), panic=[
               r"^PANIC at crash_vmalloc_guard\+0x[0-9a-f]+: page fault",
               r"^cause: write of [0-9a-f]{8}, page not present",
               r"^region: [0-9a-f]{8} is in vmalloc area",
               r"^region: [0-9a-f]{8} is guard page after the vmalloc area "
               r"at [0-9a-f]{8} \(2 pages\)",
               r"^Backtrace:"]),

    # break=tlb_shootdown turns remote TLB flushes off: the stale-TLB
    # test must then fail (a test that passes with its safety step gone
    # would prove nothing).  Its row is the lab's, lab-tlb-shootdown
    # (tools/ktest_labs.py): the same boot, with the lines the lab asks
    # for.  The vmalloc stress run must fail too, whose workers read
    # areas other CPUs unmap and remap at the same address, in a boot of
    # its own: a kernel that has already run the stale-TLB case holds
    # stale entries for freed thread stacks, and a new thread's stack at
    # a recycled address could crash it instead of failing the case by
    # name.  Only that case runs: the broken kernel would fail others
    # too, which is not what this row checks.
    Config("tlb-broken-vmalloc", mem="512M", smp=4,
           cmdline="break=tlb_shootdown "
                   "ktest=vmalloc_stress.vmalloc_stress_concurrent",
           expect={"fail": ["vmalloc_stress.vmalloc_stress_concurrent"]},
           tags=("smp", "break")),

    # break=pkmap_flush: the pkmap pool wraps without a shootdown, so
    # another CPU can still read a recycled slot's old page, and the
    # shootdown count no longer matches the wraps.  The whole kmap suite
    # runs: exactly those two cases may fail; and the stress test, whose
    # cold sweeps wrap the pool under load, must see stale pages.
    Config("pkmap-broken", mem="512M", smp=2,
           cmdline="break=pkmap_flush lowmem=64M ktest=kmap,highmem_stress",
           expect={"fail": [
               "kmap.kmap_stale_entry_never_visible_on_other_cpu",
               "kmap.kmap_each_wrap_does_one_shootdown",
               "highmem_stress.highmem_stress_all_apis_all_cpus"]},
           tags=("smp", "break", "highmem")),

    # The smallest SMP machine, with highmem (lowmem clamped to 64 MiB):
    # one AP, so every cross-CPU path has exactly one partner.
    # spinlock=ticket
    # and cpu_relax=pause: the choices real hardware gets (the fair
    # ticket lock, PAUSE in spin loops) carry this row, with one vCPU
    # per host core so its hand-overs stay fast.  pmm runs on
    # m512-low64, the same memory map (as it does for smp8).
    Config("smp2", mem="512M", smp=2,
           cmdline="lowmem=64M spinlock=ticket cpu_relax=pause",
           elsewhere=MEMORY_SUITES, tags=("smp", "highmem")),

    # The main configuration: 4 CPUs, highmem on both sides of 4 GiB, and
    # the ACPI tables (near 3 GiB) above lowmem, read through the fixmap.
    # pmm runs on m4g, the same 4 GiB memory map.
    Config("smp4", mem="4G", smp=4, timeout=90, elsewhere=MEMORY_SUITES,
           tags=("smp", "highmem", "above4g")),

    # NR_CPUS: the most CPUs the kernel supports.  Under TCG this is 8
    # vCPU threads on a 2-core host, so it is also the slowest row and
    # the one where an IPI wait or a missed tick would show first.
    # lowmem=64M gives it highmem, so the mapping interfaces and their
    # stress run meet eight CPUs too (smp4-deaf keeps an SMP row with no
    # highmem).
    # locking starts one worker on each of min(CPUs, 4) CPUs, in the
    # test-and-set mode smp4 uses too: smp4 runs the same four workers,
    # and here they took 6 s of the row's 22.  vmalloc_stress too
    # starts four workers at most (smp4 runs them); here its shootdowns
    # would also wait for four idle CPUs, which tlb's cases ask of all
    # eight, and it took 11 s of the row's 31 on a loaded host.
    Config("smp8", mem="512M", smp=8, cmdline="lowmem=64M", timeout=120,
           elsewhere=("locking", "vmalloc_stress") + MEMORY_SUITES,
           tags=("smp", "highmem")),

    # A deterministic SMP run: under -icount shift=5,sleep=off QEMU
    # runs every vCPU on one host thread, by turns, and the guest clock
    # is the instruction count (32 ns each), so an interleaving repeats
    # exactly.  shift=5 rather than the benchmarks' 0: a tick (4 ms at
    # HZ = 250) is then 125,000 instructions, not four million, and the
    # row's waits, counted in ticks, take a thirty-second of the
    # emulation (1 s of host CPU; 1.9 s at shift=4, 3.3 s at shift=3).
    # QEMU 7.2 hands the turn on only when the running vCPU halts or
    # executes PAUSE: a CPU that spins without PAUSE starves the others
    # for good (CPU 1 took no tick at all, its LAPIC showed the call
    # IPI in service at the handler's first instruction for 10 s of
    # the asker's clock).  Hence cpu_relax=pause, which auto never
    # picks under TCG, and PAUSE in the tests' busy threads.  Only
    # suites whose waits span CPUs, and of cpu_hotplug the case that
    # first showed the starvation and the one that calls and shoots
    # down around an offline CPU: its other cases, like the stress
    # suites, spend seconds of ticks with their busy threads, emulated
    # on one host thread (the whole of cpu_hotplug took over 3 minutes
    # on a loaded host at shift=0).
    Config("icount-smp2", mem="512M", smp=2,
           cmdline="lowmem=64M cpu_relax=pause "
                   "ktest=cpu_hotplug.*_moves_running_tasks,"
                   "cpu_hotplug.*_offline_cpu_gets_no_ipis,"
                   "cpu_hotplug_edges,smp,tlb",
           qemu_args=("-icount", "shift=5,sleep=off"), timeout=420,
           tags=("smp", "icount")),

    # QEMU's TCG takes an interrupt only between its translation blocks,
    # runs of instructions that end at a branch: a window of a few
    # instructions with no branch inside can never be interrupted, so a
    # race that needs an interrupt there cannot show.  Under -singlestep
    # each instruction is a block of its own.  The kmap_local map path
    # checks its slot, then saves its PTE, with no branch between them:
    # in the other order a switch in between makes a map report its own
    # slot stale, which kmap_local_preempted_map_is_not_reported_stale
    # shows here (2 stale slots in each of two runs, with the two steps
    # swapped) and on no other row.  Under a second, with kmap_atomic.
    Config("singlestep-smp2", mem="512M", smp=2,
           cmdline="lowmem=64M ktest=kmap_local*,kmap_atomic",
           qemu_args=("-singlestep",), tags=("smp", "kmap", "singlestep")),

    # kmap.debug=1: a guard page on each side of every kmap_local slot
    # (mm/kmap_local.c).  Runs only the kmap suites: the rest of the
    # kernel does not change with it.
    Config("kmap-debug", mem="512M", smp=2,
           cmdline="lowmem=64M kmap.debug=1 ktest=kmap*",
           tags=("kmap", "highmem", "smp")),

    # kmap.force_map=1 on a machine with no highmem at all: every page,
    # lowmem included, goes through the slots, so every kmap_local case
    # runs (instead of skipping) and lowmem must use a slot.
    Config("kmap-force-map", mem="64M", smp=2,
           cmdline="kmap.force_map=1 ktest=kmap*",
           tags=("kmap", "lowmem", "smp")),

    # break=kmap_local_switch (the context switch no longer saves and
    # restores local maps) has the lab's row, lab-kmap-local-switch:
    # exactly the test that proves the switch does must fail.

    # The scenario `make trace` draws (tests/test_trace.c:
    # trace_scenario_runs_and_dumps), traced, then checked: the events'
    # invariants and counts (tools/trace_check.py) and the Chrome JSON
    # made from them against the format's rules.
    Config("trace", mem="512M", smp=3,
           cmdline="lowmem=64M ktest=trace_scenario trace=*",
           trace_check="ok", tags=("trace", "kmap", "smp")),

    # The same with break=kmap_local_switch: the workers' maps are
    # trampled (the case fails) and the checker must find switches that
    # left a task's maps behind without a save.
    Config("trace-broken-switch", mem="512M", smp=3,
           cmdline="lowmem=64M ktest=trace_scenario trace=* "
                   "break=kmap_local_switch",
           expect={"fail": [
               "trace_scenario.trace_scenario_runs_and_dumps"]},
           trace_check=r"switched out holding \d+ local map\(s\) with no "
                       r"kmap_local_save",
           tags=("trace", "kmap", "break")),

    # And with break=pkmap_flush: the pool's wraps send no shootdown,
    # which no case of the scenario can see but the checker must.
    Config("trace-broken-pkmap", mem="512M", smp=3,
           cmdline="lowmem=64M ktest=trace_scenario trace=* "
                   "break=pkmap_flush",
           trace_check=r"pkmap_wrap followed by 0 tlb_send",
           tags=("trace", "kmap", "break")),

    # A write that runs off the end of a kmap_local page under
    # kmap.debug=1 hits the guard page; the fault report must name the
    # slot, the page and the thread.
    crash_row("crash-kmap-guard", "kmap_guard", mem="512M",
              before="lowmem=64M kmap.debug=1", tags=("crash", "kmap"), panic=[
               r"^PANIC at crash_kmap_guard_overrun\+0x[0-9a-f]+: page "
               r"fault",
               r"^cause: write of [0-9a-f]{8}, page not present",
               r"^region: [0-9a-f]{8} is in fixmap",
               r"^kmap: [0-9a-f]{8} is a kmap.debug guard page",
               r"^kmap: overrun past the end of: slot [0-9a-f]{8} \(CPU 0, "
               r"index 0\) maps page pfn 0x[0-9a-f]+ \(phys 0x[0-9a-f]+\) "
               r"for thread boot",
               r"^Backtrace:",
               r"crash_kmap_guard_overrun\+"]),

    # A wild read just past the last CPU's kmap_local slots (no
    # kmap.debug): the report must say no slot lives there, not name a
    # slot of CPU NR_CPUS.
    crash_row("crash-kmap-past-slots", "kmap_past_slots", mem="64M",
              tags=("crash", "kmap"), panic=[
               r"^PANIC at crash_kmap_past_slots\+0x[0-9a-f]+: page fault",
               r"^region: [0-9a-f]{8} is in fixmap",
               r"^kmap: [0-9a-f]{8} is in the kmap slot range but past the "
               r"last CPU's slots",
               r"^Backtrace:",
               r"crash_kmap_past_slots\+"]),

    # kunmap() with interrupts off, while another CPU's kmap() wraps the
    # pool: kmap_lock is held across the wrap's shootdown, so spinning
    # for it with interrupts off would deadlock. It must be refused by
    # name, as kmap() is, not end in a shootdown timeout.
    crash_row("crash-kunmap-irqs-off", "kunmap_irqs_off", mem="512M", smp=2,
              before="lowmem=64M", timeout=60, tags=("crash", "kmap", "smp"),
              panic=[
               pkmap_refused("kunmap") + r" \(thread boot\)",
               r"^Backtrace:",
               r"kunmap\+",
               r"crash_kunmap_irqs_off\+"]),

    # An interrupt handler that returns with a kmap_local_page() map still
    # in place: dispatch must stop there and name the handler, not let the
    # interrupted task inherit the map.
    crash_row("crash-irq-leaks-kmap", "irq_leaks_kmap", mem="512M",
              before="lowmem=64M", tags=("crash", "kmap"), panic=[
               r"^PANIC at \S+: interrupt handler "
               r"crash_leaky_irq_handler\+0x0 \(vector 64\) returned "
               r"with 1 local map\(s\) of its own still mapped",
               r"^Backtrace:",
               r"crash_irq_leaks_kmap\+"]),

    # kmap() with interrupts off and in an interrupt handler, vmap() in
    # one: each refused at once, by name (docs/highmem.rst, "Where it
    # may be called"), not a deadlock in the pool's flush later.
    crash_row("crash-kmap-irqs-off", "kmap_irqs_off", mem="512M",
              before="lowmem=64M", tags=("crash", "kmap"), panic=[
               pkmap_refused("kmap") + r" \(thread boot\)",
               r"^Backtrace:",
               r"misuse_kmap\+", r"crash_misuse\S*\+"]),
    crash_row("crash-kmap-in-irq", "kmap_in_irq", mem="512M",
              before="lowmem=64M", tags=("crash", "kmap"), panic=[
               pkmap_refused("kmap"),
               r"^Backtrace:",
               r"misuse_kmap\+", r"trap_dispatch\+"]),
    crash_row("crash-vmap-in-irq", "vmap_in_irq", mem="512M",
              before="lowmem=64M", tags=("crash", "vmalloc"), panic=[
               r"^PANIC at mm/vmalloc.c:[0-9]+ in check_context\(\): "
               r"vmap from an interrupt handler",
               r"^Backtrace:",
               r"misuse_vmap\+", r"trap_dispatch\+"]),

    # A panic while another CPU prints in a loop with interrupts off:
    # the report must stop it first (an NMI), so none of its lines land
    # inside or after the report, and say so.
    crash_row("crash-panic-stops-others", "panic_stops_others", mem="512M",
              smp=4, quiet_after=r"chatter", tags=("crash", "smp"), panic=[
               r"^PANIC at tests/test_crash.c:[0-9]+ in "
               r"crash_panic_stops_others\(\): deliberate, with another "
               r"CPU printing",
               r"^other CPUs: 3 of 3 stopped",
               r"^Backtrace:",
               r"^---\[ end of panic \]---"]),

    # A CPU that stops answering IPIs (a thread turns interrupts off
    # there for good, ktest.deaf_cpu=N) while another CPU waits for it:
    # the wait must end in a panic naming the deaf CPU, timed on the
    # waiting CPU's own clock.  CPU 0 is the hard case for a shootdown:
    # its tick alone advances jiffies, so a wait counted in jiffies
    # would never end.  The cross-CPU call row silences CPU 2 of four.
    # smp.answer_ms=250 (deaf_row) in place of the default ten seconds:
    # these rows are there to see the report, not to spend ten seconds
    # of a spinning CPU waiting for it.
    deaf_row("crash-deaf-cpu0-shootdown", "deaf_cpu_shootdown", mem="512M",
             smp=4, deaf=0, what="TLB shootdown", asker="[1-3]",
             frames=[r"shootdown\+"]),
    deaf_row("crash-deaf-cpu-call", "deaf_cpu_call", mem="512M", smp=4,
             deaf=2, what="cross-CPU call", asker="[013]",
             frames=[r"call_many\+"]),
    # The second of two asynchronous calls to a deaf CPU must claim the
    # csd the first left queued there: that wait has the deadline too.
    deaf_row("crash-deaf-cpu-claim", "deaf_cpu_call_async", mem="64M", smp=2,
             deaf=1, what="cross-CPU call", asker="0",
             frames=[r"csd_claim\+|csd_prepare\+",
                     r"smp_call_function_single\+"]),

    # No isa-debug-exit device, as under Bochs: ktest.exit=1 must not
    # fall through to the prompt.  The kernel says the exit failed and
    # powers off through ACPI S5 (arch/x86/acpi_sleep.c: the FADT's PM1
    # control ports and the DSDT's \_S5); two CPUs, so the other CPU
    # is running when the machine goes off.  GRUB boots it: its RSDP
    # leads to the MADT that starts the AP and to the FADT that powers
    # the machine off, GRUB's boot of a machine of several CPUs.
    Config("no-exit-device", mem="64M", smp=2, exit_device=False,
           cmdline="ktest=boot,cpu_setup", timeout=30,
           tags=("acpi", "smp"), loader="grub"),

    # An AP that never answers (smp.deaf_apic=2: no start-up IPI for APIC
    # id 2).  Boot must report it, renumber densely and go on with three
    # CPUs, so exactly the "expected CPUs online" case fails.  What the
    # renumbering can break runs here: IPIs, shootdowns, binding,
    # migration and hot-plug by CPU number.  locking and sched_stress
    # only count CPUs (their workers see any three as three) and run on
    # smp4.  pmm stays: no other row has 512 MiB and no highmem.
    # After the boot the deaf AP gets a start-up IPI after all, as a
    # starved host can deliver one late: it must halt in the trampoline
    # (boot/trampoline.S), or the machine resets (exit 0).
    Config("smp4-deaf", mem="512M", smp=4, cmdline="smp.deaf_apic=2",
           elsewhere=("locking", "sched_stress"),
           expect={"fail": ["smp.smp_expected_cpus_online"], "lines": [
               r"^SMP: a start-up IPI sent late to the deaf APIC id 2$"]},
           tags=("smp", "fault-injection")),

    # A PC without ACPI tables (-machine acpi=off, QEMU's -no-acpi):
    # nothing lists the CPUs or an IOAPIC.  The kernel must boot on the
    # boot CPU alone, its local APIC found through the APIC base MSR,
    # say why, and pass every test one CPU can run (the rest skip by
    # name); power-off must say it cannot work, not fault.  Two vCPUs
    # and ktest.expect_cpus=1: the second exists, but nothing names it.
    Config("acpi-off", mem="64M", smp=2, cmdline="ktest.expect_cpus=1",
           qemu_args=("-machine", "acpi=off"),
           expect={"fail": [], "lines": [
               r"^ACPI: no valid RSDP found",
               r"^ACPI: power-off \(S5\) will not work: there is no FADT",
               r"^ACPI: no usable MADT, so nothing lists the CPUs or the "
               r"IOAPIC: booting on the boot CPU alone \(APIC id 0, local "
               r"APIC at 0xfee00000 from the APIC base MSR\)",
               r"^IOAPIC: none known",
               r"^SMP: 1 of 1 CPUs online",
               r"smp_legacy_timer_irq_routed # SKIP the firmware named no "
               r"interrupt controller"]},
           tags=("acpi", "fault-injection")),

    # Bad tables on the way to the MADT (acpi.corrupt=NAME spoils that
    # table's checksum): each is reported by name and the boot goes on
    # as on a PC without ACPI.  A bad RSDP must also fail the BIOS-area
    # scan the kernel falls back to; a bad RSDT hides every table.
    # The bad RSDP is GRUB's copy (acpi_bad_row boots that row by GRUB).
    acpi_bad_row("RSDP", [r"^ACPI: RSDP checksum bad \(sum 0x01\)",
                          r"^ACPI: the boot loader's RSDP is unusable; "
                          r"scanning",
                          r"^ACPI: RSDP checksum bad \(sum 0x01\)",
                          r"^ACPI: no valid RSDP found"]),
    acpi_bad_row("RSDT", [r"^ACPI: RSDT checksum bad \(sum 0x01\)",
                          r"^ACPI: no valid MADT among 0 tables"]),
    acpi_bad_row("MADT", [r"^ACPI: MADT checksum bad \(sum 0x01\)",
                          r"^ACPI: no valid MADT among \d+ tables",
                          r"^ACPI: S5 is SLP_TYP"]),

    # Machines where kmap_local_map_is_not_recorded_in_page_address
    # once failed: the page it allocated still had a cached pkmap slot
    # from an earlier kmap test, so page_address() answered. A freed page
    # now drops its cached address (mm/highmem.c: pkmap_page_freeing).
    Config("m897", mem="897M", smp=1, cmdline="ktest=kmap*",
           timeout=60, tags=("highmem",)),
    Config("m17-low16", mem="17M", smp=1, cmdline="lowmem=16M ktest=kmap*",
           timeout=60, tags=("highmem", "small")),
    Config("q35-1g", mem="1G", smp=2, cmdline="ktest=kmap*",
           qemu_args=("-machine", "q35"), timeout=60,
           tags=("highmem", "q35", "smp")),

    # Asked for tests, ran none: a typo in ktest= (or a list of empty
    # globs) must fail the run, not pass with zero tests.
    Config("ktest-selects-nothing", mem="64M", smp=1, cmdline="ktest=nosuch",
           expect={"refuse": [
               r"ktest: 'nosuch' selects no test",
               r"^# ktest: 0 passed, 0 failed, 0 skipped",
               r"^# ktest: ktest=nosuch selected no test: the run fails"]},
           timeout=30, tags=("cmdline",)),
    Config("ktest-empty-globs", mem="64M", smp=1, cmdline="ktest=,,,",
           expect={"refuse": [
               r"^# ktest: ktest=,,, selected no test: the run fails"]},
           timeout=30, tags=("cmdline",)),

    # The quietest console: the KTAP report is what the run is for, so
    # it still gets out; warnings (level 4) are hidden, and their
    # backtraces with them, never a backtrace without its header.
    Config("loglevel-0", mem="64M", smp=1, cmdline="loglevel=0 ktest=misuse",
           expect={"fail": [], "absent": [r"^Backtrace:", r"^WARNING at",
                                          r"^\s+#\d+\s+[0-9a-f]{8} "]},
           timeout=30, tags=("cmdline",)),

    # lockdep=0 (what make bench boots with): the validator is off and
    # says so where the order graph would be; the lockdep cases skip.
    Config("lockdep-off", mem="64M", smp=1,
           cmdline="lockdep=0 ktest=lockdep,locking",
           expect={"fail": [], "lines": [r"^# lockdep: off$"]},
           timeout=30, tags=("cmdline",)),

    # smp.deaf_apic= naming the boot CPU (or an id no AP has) can only
    # be known wrong once the MADT is read: the boot says so, with the
    # ids that would work, and starts every CPU.
    Config("deaf-apic-boot-cpu", mem="64M", smp=2,
           cmdline="smp.deaf_apic=0 ktest=smp.smp_expected_cpus_online",
           expect={"fail": [], "lines": [
               r"smp.deaf_apic=0 names no AP \(the boot CPU is APIC id 0\); "
               r"ignored\. The APs' APIC ids: 1"]},
           timeout=30, tags=("cmdline", "smp")),

    # A host that takes the vCPU away inside the timer's calibration
    # (timer.calibrate_stall_us: 8 ms by the PIT, between the last TSC
    # read and the LAPIC read of the first try) must cost a second try.
    # Kept, that try's LAPIC count makes every tick 1.8 times too long
    # (182 ms for 25 ticks).  Were the reads not bracketed, a stall
    # just after the LAPIC read would make the TSC read 3.5 GHz for 2.1,
    # and smp_tick_keeps_time_with_the_clock fail on a busy host.
    Config("calibrate-stall", mem="64M", smp=1,
           cmdline="timer.calibrate_stall_us=8000 ktest=smp.smp_tick*",
           expect={"fail": [], "lines": [
               r"^timer: calibrated in [2-8] tries: a LAPIC access took "
               r"too long"]},
           timeout=30, tags=("fault-injection",)),

    # A malformed option on the boot's own command line: the test that
    # checks the boot was clean fails, and says which word was refused.
    Config("cmdline-bad-option", mem="64M", smp=1,
           cmdline="lowmem=64MB ktest=boot.boot_cmdline_bad_options_reported",
           expect={"fail": ["boot.boot_cmdline_bad_options_reported"],
                   "lines": [
               r"cmdline: malformed value '64MB' for option 'lowmem'",
               r"# the boot command line had 1 error\(s\): 'lowmem=64MB'"]},
           timeout=30, tags=("cmdline",)),

    # The serial monitor of `make run` (no tests: ktest=none), driven
    # over the serial port like a person would: each command's answer is
    # checked, bad input must get a short error and the prompt back, and
    # typing must work while the other CPUs run.
    Config("monitor", mem="512M", smp=4, cmdline="ktest=none lowmem=64M",
           timeout=60, tags=("monitor",), script=(
               ("help", r"offline N\s+move every task off CPU N"),
               ("mem", r"zone HighMem\s+\d+ pages managed"),
               ("layout", r"pkmap pool\s+0xffc00000-0xffdfffff"),
               ("cpus", r"^\s*3\s+3\s+yes"),
               # boot runs ps itself, inside task_list_lock: preempt 0x1.
               ("ps", r"^boot\s+running\s+\d\s+-?\d+\s+0\s+0x1\s+0\s"),
               ("frobnicate", r"unknown command 'frobnicate'; type help"),
               ("offline 9", r"expected a CPU number from 0 to 7"),
               # Each refusal names its own reason.
               ("offline 0", r"cpu_offline\(0\): the boot CPU stays online"),
               ("offline 7", r"cpu_offline\(7\): no such CPU"),
               ("offline 3", r"cpu_offline\(3\): done"),
               ("offline 3", r"cpu_offline\(3\): already offline"),
               ("cpus", r"^\s*3\s+3\s+no"),
               ("online 3", r"cpu_online\(3\): done"),
               ("online 3", r"cpu_online\(3\): already online"),
               ("mem 3", r"'mem' takes no arguments"),
               ("pkmap", r"pkmap pool at ffc00000: \d+ free, \d+ cached"),
               ("tlb", r"ranges above \d+ pages become full flushes"),
               ("bench tlb_local*", r"BENCH_JSON .*tlb_local_page"),
               ("demo kmap_local", r"kunmap_local\(A\): the stack is empty"),
               ("demo kmap", r"pkmap_count 0, page_address = 0x00000000, "
                             r"shootdowns \+1"),
               ("demo shootdown", r"vmap_purge\(\) makes the range"),
               ("demo", r"usage: demo kmap_local\|kmap\|shootdown"),
               ("test boot", r"^all passed"),
               ("test nosuch", r"ktest: 'nosuch' selects no test"),
               # Arrow keys (ESC [ A, ESC O B) are keys, not text.
               ("\x1b[A\x1bOBmem", r"zone HighMem\s+\d+ pages managed"),
               ("y" * 140, r"line too long \(the limit is 127 characters\)"),
               # The event trace: record a demo, then dump it.
               ("trace start", r"trace: recording"),
               ("demo kmap_local", r"kunmap_local\(A\): the stack is empty"),
               ("trace dump", r"kmap_local_unmap: idx=0"),
               ("trace frob", r"trace: say start, stop, dump or clear"),
           )),

    # The gdb helpers (tools/gdb/hmos.py) on a kernel stopped inside a
    # kmap test, where one pkmap slot holds a page with three users.
    Config("gdb-helpers", mem="512M", smp=2, cmdline="ktest=kmap lowmem=64M",
           timeout=60, tags=("gdb",), gdb_break="pkmap_slot_count",
           loader="grub", gdb=(
               ("hmos-pkmap", r"slot +\d+ +ffc[0-9a-f]{5} +count 4 "
                              r"\(3 users\) +pfn 0x[0-9a-f]+"),
               ("hmos-kmap-local boot", r"^boot \(cpu \d\): 0 live"),
               ("hmos-walk &kmain", r"PT\[\d+\] += [0-9a-f]{16} "
                                    r"\(present, read-only, no NX.*\n"
                                    r"\s+-> phys 0x[0-9a-f]+: read-only, "
                                    r"executable$"),
               ("hmos-walk &pkmap_count", r"-> phys 0x[0-9a-f]+: writable, "
                                          r"NX$"),
               ("hmos-walk 0", r"PDPT\[0\] = 0+ \(NOT present\)"),
           )),

    # `make DEBUG=1 qemu-gdb` then `make DEBUG=1 gdb`, as a newcomer
    # runs them, stopped early in the boot (memblock_init, before
    # arch_paging_init): the boot page tables, not the final ones, are
    # live, so hmos-walk must start from the CPU's CR3 to find the
    # running code.  And the -Og kernel: kmain's arguments can be read
    # one frame up (at -O2 they are <optimized out> there).
    Config("gdb-first-stop", mem="64M", smp=1, cmdline="ktest=boot",
           timeout=60, tags=("gdb",), gdb_break="memblock_init",
           debug_build=True, loader="grub", gdb=(
               ("hmos-walk $pc", r"-> phys 0x[0-9a-f]+: \w+, executable$"),
               ("frame 1", r"in kmain \(magic=920085129, "
                           r"info_phys=\d+\)"),
           )),

    # `make run CMDLINE=...` twice in a row with different lines: the
    # second boot must get the second line, not the ISO of the first.
    Config("make-run-cmdline", mem="64M", smp=1, timeout=120,
           tags=("make",), make_run=(
               "ktest=boot.boot_cmdline* ktest.exit=1",
               "ktest=boot.boot_ksym* ktest.exit=1",
           )),
]

import ktest_labs  # noqa: E402  (the labs of docs/labs.rst, lab-* rows)
MATRIX += ktest_labs.rows()


def by_name() -> dict:
    """Map name -> Config; also checks the table for mistakes."""
    table = {}
    for cfg in MATRIX:
        if cfg.name in table:
            raise ValueError(f"ktest_matrix: duplicate name {cfg.name!r}")
        check_expect(cfg)
        table[cfg.name] = cfg
    return table


def check_expect(cfg: Config) -> None:
    """Reject malformed expect values at load time, not after a boot."""
    e = cfg.expect
    ok = (e == "pass"
          or (isinstance(e, dict) and isinstance(e.get("fail"), list)
              and set(e) <= {"fail", "lines", "absent"}
              and isinstance(e.get("lines", []), list)
              and isinstance(e.get("absent", []), list))
          or (isinstance(e, dict) and "refuse" in e
              and set(e) <= {"refuse", "exit"}
              and isinstance(e["refuse"], list)
              and isinstance(e.get("exit", 0), int))
          or (isinstance(e, dict) and isinstance(e.get("panic"), (str, list))
              and set(e) <= {"panic", "quiet_after"}
              and isinstance(e.get("quiet_after", ""), str)))
    if not ok:
        raise ValueError(f"ktest_matrix: {cfg.name}: bad expect {e!r}")

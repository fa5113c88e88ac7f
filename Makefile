# hmos: a teaching kernel for highmem on 32-bit x86 (PAE).
#
# `make help` lists the targets and the variables; the lines starting
# with `##` below are what it prints.

##
## Targets:
##   make                  build build/kernel.elf, kernel.iso, kernel.asm
##   make run              boot it in QEMU, serial console on this terminal
##                         (leave with Ctrl-A x)
##   make test             build (and the DEBUG=1 kernel), boot the test
##                         matrix of tools/ktest_matrix.py, judge it
##   make bench            boot the benchmarks: build/bench.json
##   make docs             check docs/, boot once for the pictures, then
##                         Sphinx: build/docs/index.html
##   make lint             the C format, the docs and arch checkers, cppcheck
##   make format           rewrite every .c and .h in .clang-format's format
##   make qemu-gdb         boot QEMU stopped, waiting for gdb on a free port
##                         (written to build/gdb-port); console here
##   make gdb              from a second terminal: attach gdb to it, with
##                         symbols and the helpers of tools/gdb/hmos.py
##   make bochs            boot every test under Bochs with 4 CPUs, judged
##                         by the same KTAP judge (tools/bochs.py)
##   make trace            boot the traced scenario, check it: build/trace.json
##                         (Chrome trace format) and build/trace.svg
##   make trace-view       that JSON in speedscope, headless: a screenshot
##   make linux-bench      Linux 6.1's figures for the same rows (downloads)
##   make compare          hmos and Linux side by side; keeps Linux's
##                         figures in docs/generated/ for make docs
##   make mutate           the mutation score (tools/mutants.txt)
##   make mutate-rst       docs/generated/mutation.rst from build/mutate.json
##   make compile_commands.json   for clangd and other editors (bear)
##   make clangd-check     what clangd reports on every file: no error
##   make clean            remove build/ and build-debug/
##   make help             this text
##
## Variables (make VAR=value ...):
##   CMDLINE="..."         kernel command line for run, qemu-gdb (default
##                         loglevel=6); the options are in README.md
##   MEM=1G SMP=4          QEMU's memory and CPUs for run and qemu-gdb
##   DEBUG=1               build with -Og into build-debug/, so gdb sees
##                         every variable (make DEBUG=1 qemu-gdb, then
##                         make DEBUG=1 gdb)
##   V=1                   show the full commands
##   QEMU=... CROSS=...    the emulator, the cross toolchain's prefix
##

CROSS   ?= i686-linux-gnu-
CC      := $(CROSS)gcc
LD      := $(CROSS)ld
NM      := $(CROSS)nm
OBJDUMP := $(CROSS)objdump
QEMU    ?= qemu-system-i386

# DEBUG=1 is a second kernel, built with -Og into its own folder, so it
# never mixes objects with the -O2 one: at -O2 gdb shows many arguments
# and locals as <optimized out>; -Og keeps them where they can be seen.
DEBUG_BUILD := build-debug
ifeq ($(DEBUG),1)
BUILD   ?= $(DEBUG_BUILD)
OPT     := -Og
else
BUILD   ?= build
OPT     := -O2
endif

# The command line `make run` boots with; the test matrix makes its own.
CMDLINE ?= loglevel=6
SMP     ?= 4
MEM     ?= 1G

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The one architecture. Generic headers in include/arch/ declare its
# hooks and end with #include <asm/NAME.h>, which this path resolves to
# arch/$(ARCH)/include/asm/NAME.h: the bodies. Only include/arch/ may
# include <asm/...>, and only arch/ and boot/ may include the arch's
# private headers (<x86/...>); tools/archcheck, run by make lint, checks
# both, and that generic code names no x86 register, bit or instruction.
ARCH     := x86
INCLUDES := -Iinclude -Iarch/$(ARCH)/include

CFLAGS := -std=gnu11 -ffreestanding -fno-pie -fno-pic -fno-stack-protector \
	  -fno-omit-frame-pointer -fno-strict-aliasing -fno-common \
	  -mgeneral-regs-only -mno-red-zone -march=i686 -m32 \
	  $(OPT) -g -Wall -Wextra -Werror -Wno-unused-parameter \
	  -Wstrict-prototypes -Wmissing-prototypes \
	  $(INCLUDES) -MMD -MP
ASFLAGS := -m32 $(INCLUDES) -MMD -MP -g -D__ASSEMBLY__
LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
	   -Wl,-T,linker.ld -Wl,-z,max-page-size=4096
# Evaluated when a link runs, not when make starts: on a fresh machine
# the deps target installs the cross compiler first.
LIBGCC   = $(shell $(CC) -print-libgcc-file-name 2>/dev/null)

NPROC   := $(shell nproc 2>/dev/null || echo 2)

SRCDIRS := boot arch/x86 kernel mm lib tests
C_SRCS  := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c))
S_SRCS  := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.S))
OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(C_SRCS)) \
	   $(patsubst %.S,$(BUILD)/%.o,$(S_SRCS))

.DELETE_ON_ERROR:
.PHONY: all run test bench qemu-gdb gdb bochs clean deps lint docs help \
	format format-check \
	objs clangd-check trace trace-view FORCE

all: deps $(BUILD)/kernel.iso $(BUILD)/kernel.asm

# A fresh machine has none of the tools: install them the first time.
deps:
	@command -v $(CC) >/dev/null && command -v $(QEMU) >/dev/null && \
	 command -v grub-mkimage >/dev/null && command -v xorriso >/dev/null && \
	 command -v python3 >/dev/null || tools/install-deps

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(ASFLAGS) -c $< -o $@

# The backtrace needs function names inside the kernel. We link twice:
# once with an empty symbol table, then again with the table generated
# from the first link. The table lives after .rodata's code-bearing
# sections, so adding it moves no function: the addresses it records
# stay true in the second link (tools/gensyms checks that they do).
$(BUILD)/kernel.pass1.elf: $(OBJS) $(BUILD)/ksyms0.o linker.ld
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(BUILD)/ksyms0.o $(LIBGCC)

$(BUILD)/ksyms0.o: tools/gensyms | deps
	@mkdir -p $(BUILD)
	$(Q)python3 tools/gensyms --empty > $(BUILD)/ksyms0.S
	$(Q)$(CC) $(ASFLAGS) -c $(BUILD)/ksyms0.S -o $@

$(BUILD)/ksyms.o: $(BUILD)/kernel.pass1.elf tools/gensyms
	$(Q)$(NM) -n $< > $(BUILD)/kernel.pass1.sym
	$(Q)python3 tools/gensyms < $(BUILD)/kernel.pass1.sym > $(BUILD)/ksyms.S
	$(Q)$(CC) $(ASFLAGS) -c $(BUILD)/ksyms.S -o $@

$(BUILD)/kernel.elf: $(OBJS) $(BUILD)/ksyms.o linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(BUILD)/ksyms.o $(LIBGCC)
	$(Q)$(NM) -n $@ | python3 tools/gensyms --verify $(BUILD)/kernel.pass1.sym
	$(Q)$(NM) -n $@ > $(BUILD)/kernel.sym
	$(Q)grub-file --is-x86-multiboot2 $@ || \
		{ echo "kernel.elf has no valid multiboot2 header"; exit 1; }

$(BUILD)/kernel.asm: $(BUILD)/kernel.elf
	$(Q)$(OBJDUMP) -d -S $< > $@

# The ISO carries the command line (in GRUB's grub.cfg), so it must be
# remade when the line changes, not only when the kernel does: this
# file holds the line of the last ISO and is rewritten only when
# CMDLINE differs from it.
$(BUILD)/cmdline: FORCE
	@mkdir -p $(BUILD)
	$(Q)printf '%s\n' "$(CMDLINE)" | cmp -s - $@ || \
		printf '%s\n' "$(CMDLINE)" > $@

$(BUILD)/kernel.iso: $(BUILD)/kernel.elf $(BUILD)/cmdline tools/mkiso
	@$(if $(Q),echo "  ISO     $@ ($(CMDLINE))")
	$(Q)tools/mkiso $< $@ "$(CMDLINE)"

# -nodefaults: no VGA, network card or floppy (the kernel talks on COM1).
QEMU_COMMON := -nodefaults -accel tcg -cpu max -m $(MEM) -smp $(SMP) \
	       -boot d -display none -no-reboot \
	       -device isa-debug-exit,iobase=0xf4,iosize=0x04

# QEMU's exit status 33 is the kernel's "all passed" (ktest.exit=1, or
# the monitor's poweroff): make counts it as success.
run: all
	$(QEMU) $(QEMU_COMMON) -cdrom $(BUILD)/kernel.iso -serial mon:stdio \
		|| [ $$? -eq 33 ]

# The matrix (its gdb rows debug the DEBUG=1 kernel, as a person would:
# build it too), then the lock order it showed against docs/smp.rst.
# Both kernels compile a file per host core (the rest of make runs one
# thing at a time: two QEMUs side by side would skew make bench's clock).
# The runner makes the ISOs it boots, so only the ELFs are built here.
# The checks of the tools (test-tools) run beside the matrix, their
# output held back until it ends.
test:
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) deps $(BUILD)/kernel.elf
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) DEBUG=1 \
		BUILD=$(DEBUG_BUILD) $(DEBUG_BUILD)/kernel.elf
	@rc=0; $(MAKE) --no-print-directory test-tools \
		> $(BUILD)/test-tools.log 2>&1 & tools=$$!; \
	trap 'kill $$tools 2>/dev/null' INT TERM; \
	python3 tools/ktest.py --elf $(BUILD)/kernel.elf \
		--debug-elf $(DEBUG_BUILD)/kernel.elf || rc=$$?; \
	python3 tools/lockorder.py $(BUILD)/test/lockdep-edges.json || rc=1; \
	wait $$tools || rc=1; cat $(BUILD)/test-tools.log; \
	exit $$rc

# Benchmarks report; they never fail the build (docs/bench.rst).
# make bench always boots them again; make docs only when the kernel
# or the collector changed (about a minute on an idle machine).
bench: all
	python3 tools/bench.py --elf $(BUILD)/kernel.elf || true

$(BUILD)/bench.json: $(BUILD)/kernel.elf tools/bench.py
	@$(if $(Q),echo "  BENCH   $@ (make bench: the figures the docs quote)")
	$(Q)python3 tools/bench.py --elf $< > $(BUILD)/bench.log 2>&1 || \
		{ tail -20 $(BUILD)/bench.log; exit 1; }

# Side by side with Linux (docs/bench.rst, "Linux, side by side").
# linux-bench downloads Debian 12's i386 Linux 6.1 and busybox with
# apt-get (tools/linux-fetch says what and how big; cached in
# build/linux), builds linux/hmos_bench/ and boots it in both QEMU
# modes: build/linux-bench.json. compare sets it beside bench.json and
# keeps it, and linux-behave.json, in docs/generated/: the Linux figures
# make docs quotes without a download. The tooling
# they rely on is checked without a download by test-tools, in make test.
.PHONY: linux-bench compare test-tools
linux-bench: deps
	python3 tools/linux_bench.py

compare: $(BUILD)/bench.json
	python3 tools/compare.py --snapshot

test-tools:
	python3 tools/tests/test_linux_tools.py
	python3 tools/mutate.py --check

# Mutation testing (docs/testing.rst): every mutant of tools/mutants.txt
# planted in a scratch copy under build/mutate/, built, and booted in the
# rows that cover it; results in build/mutate.json, reused while neither
# the tree nor the mutant changes. MUTANTS=id1,id2 picks some; J=2 runs
# two at once. mutate-rst writes the score the docs include; test-tools
# checks that page still lists exactly the mutants of the list.
.PHONY: mutate mutate-rst
mutate: deps $(BUILD)/kernel.elf
	python3 tools/mutate.py --only "$(MUTANTS)" -j $(or $(J),1)
	python3 tools/mutate.py --rst

mutate-rst:
	python3 tools/mutate.py --rst

# The event trace (docs/trace.rst): boot the test matrix's `trace` row
# (tests/test_trace.c's scenario with trace=*), which the runner checks
# with tools/trace_check.py, then draw what it recorded.
trace: all
	python3 tools/ktest.py --elf $(BUILD)/kernel.elf --config trace
	python3 tools/trace2chrome.py $(BUILD)/test/trace/serial.log \
		--json $(BUILD)/trace.json --svg $(BUILD)/trace.svg

# The same JSON in speedscope (npm, offline, under build/: never
# committed), drawn by headless Chromium: the timeline of task tw0.
trace-view: trace
	@test -d $(BUILD)/speedscope/node_modules/speedscope || \
		{ mkdir -p $(BUILD)/speedscope && cd $(BUILD)/speedscope && \
		  npm install --no-audit --no-fund speedscope@1.25.0; }
	python3 tools/trace_view.py $(BUILD)/trace.json \
		$(BUILD)/trace-speedscope.png tw0

# docs/trace.rst shows the timeline of that boot.
docs: docs/_gen/trace.svg
docs/_gen/trace.svg: $(BUILD)/kernel.elf
	$(Q)$(MAKE) --no-print-directory trace >/dev/null
	@mkdir -p $(dir $@)
	$(Q)cp $(BUILD)/trace.svg $@

# The docs (docs/conf.py says how they are built). The pictures of the
# memory layout and of the kmap slots come from one boot of this
# kernel: the layout it prints at boot, and the SNAPSHOT lines of the
# kmap_snapshot test (tests/test_kmap_snapshot.c), so they cannot drift
# from the code. The table of what struct page costs comes from one
# boot per size of DOCS_MEMS, each checking its memory map against
# QEMU's (tests/test_boot.c). The boots are redone only when the
# kernel changes.
DOCS_BOOT := $(BUILD)/docs-boot
DOCS_MEMS := 64M 512M 1G 4G 8G 16G 32G 60G
DOCS_MEM_LOGS := $(DOCS_MEMS:%=$(DOCS_BOOT)/mem-%.log)

# $(call docs_boot,LOG,MEM,SMP,KERNEL COMMAND LINE). The guest's RAM is
# an empty sparse file (QEMU's memory-backend-file): only the pages the
# guest touches take disk (about 250 MiB at 60G, mostly mem_map), so
# 60 GiB boots on a host with far less memory; the file is removed
# after the boot.
define docs_boot
	@mkdir -p $(DOCS_BOOT)
	@$(if $(Q),echo "  BOOT    $(1) (-m $(2) -smp $(3): $(4))")
	$(Q)tools/mkiso $< $(1).iso "$(4) ktest.exit=1" >/dev/null
	$(Q)rm -f $(1).ram && truncate -s 0 $(1).ram && rc=0; \
	timeout 120 $(QEMU) -accel tcg -cpu max -m $(2) -smp $(3) -boot d \
		-display none -no-reboot -monitor none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-object memory-backend-file,id=ram0,size=$(2),mem-path=$(1).ram,share=on \
		-machine memory-backend=ram0 \
		-cdrom $(1).iso -serial file:$(1).tmp || rc=$$?; \
	rm -f $(1).ram $(1).iso; \
	if [ $$rc -ne 33 ]; then \
		echo "docs: the kernel boot failed (QEMU exit $$rc):"; \
		tail -20 $(1).tmp; exit 1; fi
	$(Q)mv $(1).tmp $(1)
endef

$(DOCS_BOOT)/serial.log: $(BUILD)/kernel.elf tools/mkiso
	$(call docs_boot,$@,8G,2,ktest=kmap_snapshot)

$(DOCS_BOOT)/mem-%.log: $(BUILD)/kernel.elf tools/mkiso
	$(call docs_boot,$@,$*,1,ktest=boot.boot_memory_map_matches_qemu ktest.expect_mem=$*)

# Every figure the pages quote is a substitution of docs/_gen/figures.rst
# (|kmap_local_highmem|, ...), written by tools/compare.py from
# build/bench.json and the Linux figures kept in docs/generated/.
docs: all $(DOCS_BOOT)/serial.log $(DOCS_MEM_LOGS) $(BUILD)/bench.json \
		docs/_gen/seeit.stamp
	$(Q)python3 tools/doccheck
	$(Q)python3 tools/compare.py --quiet
	$(Q)python3 tools/layout_figure.py $(DOCS_BOOT)/serial.log docs/_gen \
		$(DOCS_MEM_LOGS)
	$(Q)python3 tools/hdr2rst.py docs/_gen/api.inc include/mm/highmem.h \
		include/mm/highmem_helpers.h include/mm/vmalloc.h \
		include/mm/tlbflush.h
	$(Q)sphinx-build -q -W -b html docs $(BUILD)/docs
	@echo "docs: $(BUILD)/docs/index.html"

# docs/seeit.rst shows the monitor, the trace and gdb at work: two boots
# (tools/seeit.py) that type its commands and keep each answer in
# docs/_gen/seeit-*.txt, redone only when the kernel or the script
# changes.
docs/_gen/seeit.stamp: $(BUILD)/kernel.elf tools/seeit.py tools/ktest.py
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  SEEIT   docs/_gen/seeit-*.txt (monitor and gdb, typed)")
	$(Q)python3 tools/seeit.py --elf $< --out docs/_gen
	$(Q)touch $@

# Debugging takes two terminals, as in xv6 and JOS: `make qemu-gdb`
# keeps the serial console (typing at hmos> reaches the kernel, Ctrl-C
# goes to it too) while QEMU waits for gdb on a free port, which
# tools/qemu-gdb writes to $(BUILD)/gdb-port; `make gdb`, in a second
# terminal, reads that port and attaches.
GDB_PORT := $(BUILD)/gdb-port

qemu-gdb: all
	tools/qemu-gdb $(GDB_PORT) $(QEMU) $(QEMU_COMMON) \
		-cdrom $(BUILD)/kernel.iso -serial mon:stdio || [ $$? -eq 33 ]

gdb:
	@test -s $(GDB_PORT) || { echo "gdb: no QEMU is waiting for gdb" \
		"($(GDB_PORT) is missing): run 'make$(if $(filter 1,$(DEBUG)), DEBUG=1) qemu-gdb'" \
		"in another terminal first"; exit 1; }
	@test ! $(BUILD)/kernel.elf -nt $(GDB_PORT) || echo "gdb: warning:" \
		"$(BUILD)/kernel.elf is newer than the kernel QEMU booted;" \
		"restart make qemu-gdb, or the symbols will lie"
	gdb -q -x tools/gdbinit \
		-ex "target remote 127.0.0.1:$$(cat $(GDB_PORT))" \
		-ex "break kmain" -ex "continue" $(BUILD)/kernel.elf

# The test suite under Bochs, a second implementation of the PC
# (tools/bochs.py says how it is judged and how long it takes).
bochs: all
	python3 tools/bochs.py --elf $(BUILD)/kernel.elf

# The compile commands of every C file, for clangd and other editors.
# bear records the compiler runs of a full build, done in a folder of
# its own so that the real build's objects stay as they are. The .S
# files' commands are left out: clangd does not read assembly, and it
# would borrow their flags (no -ffreestanding) for the headers beside.
compile_commands.json: FORCE
	$(Q)rm -rf $(BUILD)/ccdb
	bear --output $@.tmp -- $(MAKE) --no-print-directory -B \
		BUILD=$(BUILD)/ccdb objs
	$(Q)python3 -c 'import json, sys; cmds = json.load(sys.stdin); \
		json.dump([c for c in cmds if c["file"].endswith(".c")], \
			  sys.stdout, indent=2)' < $@.tmp > $@
	$(Q)rm -rf $(BUILD)/ccdb $@.tmp

objs: $(OBJS)

# Every file of the tree as clangd reads it: no error allowed.
clangd-check: compile_commands.json
	tools/clangd-check

help:
	@sed -n 's/^##\( \{0,1\}\)//p' Makefile

# tools/doccheck (docs/ and the README's table of command-line options
# must match the tree), then static analysis. Two cppcheck checks are
# off for the whole tree, for reasons cppcheck cannot see:
# comparePointers (walking a linker section from its start symbol to
# its end symbol is how section tables work) and unusedStructMember
# (hardware and boot-protocol layouts name every field, used or not).
# Every C file and header in one format, the one .clang-format gives
# (clang-format 14, Debian 12's): `make format` rewrites them, `make
# lint` fails on any difference and names the file and line.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || \
	find $(SRCDIRS) include linux -name '*.[ch]')

format:
	$(Q)clang-format -i $(FORMAT_FILES)

format-check:
	$(Q)clang-format --version | grep -q 'version 14\.' || \
		{ echo "format-check: needs clang-format 14 (Debian 12's);" \
		"other versions format differently"; exit 1; }
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES) || \
		{ echo "format-check: run 'make format'"; exit 1; }

lint: format-check
	$(Q)python3 tools/doccheck
	$(Q)python3 tools/archcheck --self-test
	$(Q)python3 tools/archcheck
	cppcheck --quiet --error-exitcode=1 --inline-suppr \
		--enable=warning,style,performance,portability --std=c11 \
		$(INCLUDES) --suppress=missingIncludeSystem \
		--suppress=comparePointers --suppress=unusedStructMember \
		$(SRCDIRS)

clean:
	rm -rf build $(DEBUG_BUILD) docs/_gen compile_commands.json \
		compile_commands.json.tmp

FORCE:

-include $(OBJS:.o=.d)

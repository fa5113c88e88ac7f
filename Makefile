# hmos: a teaching kernel for highmem on 32-bit x86 (PAE).
#
#   make          build build/kernel.elf and build/kernel.iso
#   make run      boot it in QEMU (-smp 4), serial on this terminal
#   make test     boot the test matrix (tools/ktest.py) and judge it
#   make bench    boot the benchmarks (tools/bench.py): build/bench.json
#   make docs     check docs/ against the tree, boot once for the
#                 pictures, then Sphinx: build/docs/index.html
#   make trace    boot the traced scenario, check it: build/trace.json
#                 (Chrome trace format) and build/trace.svg
#   make trace-view  that JSON in speedscope, headless: a screenshot
#   make gdb      boot QEMU waiting for gdb, and attach gdb with symbols
#   make clean    remove build/
#
# V=1 shows the full commands.

CROSS   ?= i686-linux-gnu-
CC      := $(CROSS)gcc
LD      := $(CROSS)ld
NM      := $(CROSS)nm
OBJDUMP := $(CROSS)objdump
QEMU    ?= qemu-system-i386
BUILD   := build

# The command line `make run` boots with; the test matrix makes its own.
CMDLINE ?= loglevel=6
SMP     ?= 4
MEM     ?= 1G

ifeq ($(V),1)
Q :=
else
Q := @
endif

CFLAGS := -std=gnu11 -ffreestanding -fno-pie -fno-pic -fno-stack-protector \
	  -fno-omit-frame-pointer -fno-strict-aliasing -fno-common \
	  -mgeneral-regs-only -mno-red-zone -march=i686 -m32 \
	  -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	  -Wstrict-prototypes -Wmissing-prototypes \
	  -Iinclude -MMD -MP
ASFLAGS := -m32 -Iinclude -MMD -MP -g -D__ASSEMBLY__
LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
	   -Wl,-T,linker.ld -Wl,-z,max-page-size=4096
LIBGCC  := $(shell $(CC) -print-libgcc-file-name 2>/dev/null)

SRCDIRS := boot arch/x86 kernel mm lib tests
C_SRCS  := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c))
S_SRCS  := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.S))
OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(C_SRCS)) \
	   $(patsubst %.S,$(BUILD)/%.o,$(S_SRCS))

.DELETE_ON_ERROR:
.PHONY: all run test bench gdb clean deps lint docs trace trace-view

all: deps $(BUILD)/kernel.iso $(BUILD)/kernel.asm

# A fresh machine has none of the tools: install them the first time.
deps:
	@command -v $(CC) >/dev/null && command -v $(QEMU) >/dev/null && \
	 command -v grub-mkrescue >/dev/null && command -v xorriso >/dev/null && \
	 command -v python3 >/dev/null || tools/install-deps

# arch/x86 and boot may see the x86 internals; generic code may not:
# it reaches the hardware only through the hooks in include/arch/.
$(BUILD)/arch/%.o $(BUILD)/boot/%.o: CFLAGS += -Iarch/x86/include
$(BUILD)/arch/%.o $(BUILD)/boot/%.o: ASFLAGS += -Iarch/x86/include

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
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

$(BUILD)/ksyms0.o: tools/gensyms
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

$(BUILD)/kernel.iso: $(BUILD)/kernel.elf tools/mkiso
	@$(if $(Q),echo "  ISO     $@")
	$(Q)tools/mkiso $< $@ "$(CMDLINE)"

QEMU_COMMON := -accel tcg -cpu max -m $(MEM) -smp $(SMP) -boot d \
	       -display none -no-reboot \
	       -device isa-debug-exit,iobase=0xf4,iosize=0x04

run: all
	$(QEMU) $(QEMU_COMMON) -cdrom $(BUILD)/kernel.iso -serial mon:stdio

test: all
	python3 tools/ktest.py --elf $(BUILD)/kernel.elf

# Benchmarks report; they never fail the build (docs/bench.rst).
bench: all
	python3 tools/bench.py --elf $(BUILD)/kernel.elf || true

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
# from the code. The boot is redone only when the kernel changes.
DOCS_BOOT := $(BUILD)/docs-boot
DOCS_QEMU := -accel tcg -cpu max -m 8G -smp 2 -boot d -display none \
	     -no-reboot -monitor none \
	     -device isa-debug-exit,iobase=0xf4,iosize=0x04

$(DOCS_BOOT)/serial.log: $(BUILD)/kernel.elf tools/mkiso
	@mkdir -p $(DOCS_BOOT)
	@$(if $(Q),echo "  BOOT    $@ (ktest=kmap_snapshot, -m 8G -smp 2)")
	$(Q)tools/mkiso $< $(DOCS_BOOT)/docs.iso \
		"ktest=kmap_snapshot ktest.exit=1" >/dev/null
	$(Q)rc=0; timeout 60 $(QEMU) $(DOCS_QEMU) \
		-cdrom $(DOCS_BOOT)/docs.iso -serial file:$@.tmp || rc=$$?; \
	if [ $$rc -ne 33 ]; then \
		echo "docs: the kernel boot failed (QEMU exit $$rc):"; \
		tail -20 $@.tmp; exit 1; fi
	$(Q)mv $@.tmp $@

docs: all $(DOCS_BOOT)/serial.log
	$(Q)python3 tools/doccheck
	$(Q)python3 tools/layout_figure.py $(DOCS_BOOT)/serial.log docs/_gen
	$(Q)sphinx-build -q -W -b html docs $(BUILD)/docs
	@echo "docs: $(BUILD)/docs/index.html"

gdb: all
	$(QEMU) $(QEMU_COMMON) -cdrom $(BUILD)/kernel.iso -serial mon:stdio -s -S &
	gdb -q -x tools/gdbinit $(BUILD)/kernel.elf

# Static analysis. Two checks are off for the whole tree, for reasons
# cppcheck cannot see: comparePointers (walking a linker section from its
# start symbol to its end symbol is how section tables work) and
# unusedStructMember (hardware and boot-protocol layouts name every
# field, used or not).
lint:
	cppcheck --quiet --error-exitcode=1 --inline-suppr \
		--enable=warning,style,performance,portability --std=c11 \
		-Iinclude -Iarch/x86/include --suppress=missingIncludeSystem \
		--suppress=comparePointers --suppress=unusedStructMember \
		$(SRCDIRS)

clean:
	rm -rf $(BUILD) docs/_gen

-include $(OBJS:.o=.d)

/*
 * The codes the kernel writes to QEMU's isa-debug-exit port (port 0xf4,
 * arch_emulator_exit): QEMU then exits with status (code << 1) | 1, so
 * 0x10 gives 33, the only status a test runner takes as success. A
 * triple fault with -no-reboot exits 0, which is why 0 cannot mean
 * "passed". One list, for C and for the boot assembly.
 */
#ifndef KERNEL_EMULATOR_EXIT_H
#define KERNEL_EMULATOR_EXIT_H

#define QEMU_EXIT_PASS	 0x10 /* every test passed: status 33 */
#define QEMU_EXIT_FAIL	 0x11 /* a test failed, or none ran: 35 */
#define QEMU_EXIT_PANIC	 0x12 /* the kernel panicked: 37 */
#define QEMU_EXIT_NO_CPU 0x13 /* boot/entry.S refused the CPU: 39 */

#endif

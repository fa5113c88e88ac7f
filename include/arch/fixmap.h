/*
 * The architecture's own fixmap slots. <asm/fixmap.h> names them in
 * enum arch_fixed_addresses, from 0 up, ending with FIX_ARCH_END; the
 * generic slots of include/mm/fixmap.h start there. Slots an arch maps
 * for all CPUs must be set at boot, before the other CPUs start
 * (set_fixmap flushes only this CPU's TLB).
 */
#ifndef ARCH_FIXMAP_H
#define ARCH_FIXMAP_H

#include <asm/fixmap.h>

#endif

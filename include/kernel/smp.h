/*
 * Which CPUs are online, and asking another CPU to reschedule.
 * Implemented by the SMP start-up code.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <kernel/percpu.h>

unsigned int num_online_cpus(void);
bool cpu_is_online(unsigned int cpu);
/* Mark cpu on- or offline (kernel/hotplug.c). */
void set_cpu_online(unsigned int cpu, bool online);
/* Send the reschedule IPI to cpu. Context: any. */
void smp_send_reschedule(unsigned int cpu);

#endif

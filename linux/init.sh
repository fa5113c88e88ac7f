#!/bin/busybox sh
# shellcheck shell=dash
# /init of the initramfs tools/linux_bench.py boots Linux with: say
# what this machine is, run the module's behaviour checks with full
# preemption (their preemption case needs a kernel that preempts a
# spinning thread), put back the distribution's default preemption,
# run the benchmark rows, and power off. Every line the runner reads
# starts with HMOS_LINUX, BENCH_JSON or is KTAP.
/bin/busybox mkdir -p /proc /sys
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
export PATH=/bin
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug

echo "HMOS_LINUX uname $(uname -r)"
echo "HMOS_LINUX cpus $(grep -c ^processor /proc/cpuinfo)"
grep -E '^(LowTotal|HighTotal|DirectMap)' /proc/meminfo |
	sed 's/^/HMOS_LINUX meminfo /; s/  */ /g'
dmesg | grep -m1 -o 'tsc: Refined TSC.*\|tsc: Detected .*' |
	sed 's/^/HMOS_LINUX /'
mode=$(cat /sys/kernel/debug/sched/preempt)
echo "HMOS_LINUX preempt $mode"

echo full > /sys/kernel/debug/sched/preempt
insmod /hmos_bench.ko part=behave && rmmod hmos_bench
echo voluntary > /sys/kernel/debug/sched/preempt
echo "HMOS_LINUX preempt for the benchmarks $(cat /sys/kernel/debug/sched/preempt)"
insmod /hmos_bench.ko part=bench && rmmod hmos_bench

echo "HMOS_LINUX done"
poweroff -f

// SPDX-License-Identifier: GPL-2.0
/*
 * hmos_bench: the module's entry. part=bench runs hmos's benchmark
 * rows, part=behave its behaviour checks; each on a kernel thread
 * bound to CPU 0, as hmos's runner is pinned to the CPU it starts on,
 * and insmod returns when the part is done.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include "hmos_bench.h"

static char *part = "bench";
module_param(part, charp, 0444);
MODULE_PARM_DESC(part, "bench (the benchmark rows) or behave (KTAP checks)");

static DECLARE_COMPLETION(part_done);

static int part_thread(void *arg)
{
	if (!strcmp(part, "behave"))
		behave_run_all();
	else
		bench_run_all();
	kthread_complete_and_exit(&part_done, 0);
}

static int __init hmos_bench_init(void)
{
	struct task_struct *th;

	if (strcmp(part, "bench") && strcmp(part, "behave")) {
		pr_err("hmos_bench: part=%s: must be bench or behave\n", part);
		return -EINVAL;
	}
	th = kthread_create(part_thread, NULL, "hmos_%s", part);
	if (IS_ERR(th))
		return PTR_ERR(th);
	kthread_bind(th, 0);
	wake_up_process(th);
	wait_for_completion(&part_done);
	return 0;
}

static void __exit hmos_bench_exit(void)
{
	bench_mm_free();
}

module_init(hmos_bench_init);
module_exit(hmos_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hmos's highmem benchmarks and behaviour checks, on Linux");

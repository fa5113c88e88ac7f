/*
 * Cases of suite "smp" that live in test_smp_async.c; test_smp.c
 * registers them with the rest of the suite, in the order they run.
 */
#ifndef TESTS_SMP_CASES_H
#define TESTS_SMP_CASES_H

struct ktest;

void smp_async_call_waits_for_its_csd(struct ktest *t);
void smp_async_csd_reused_while_its_function_runs(struct ktest *t);

#endif

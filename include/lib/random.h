/*
 * A small seeded pseudo-random generator (xorshift64*), so stress tests
 * are repeatable: the same ktest.seed gives the same sequence.
 */
#ifndef LIB_RANDOM_H
#define LIB_RANDOM_H

#include <stdint.h>

struct rng {
	uint64_t state;
};

void rng_seed(struct rng *rng, uint64_t seed);
uint32_t rng_next(struct rng *rng);
/* A value in [0, bound). */
uint32_t rng_below(struct rng *rng, uint32_t bound);

#endif

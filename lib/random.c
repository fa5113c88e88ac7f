/* xorshift64* (Vigna): fast, good enough for tests, never zero state. */
#include <lib/random.h>

void rng_seed(struct rng *rng, uint64_t seed)
{
	/* Spread the seed so seeds 1, 2, 3 give unrelated sequences. */
	rng->state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	if (!rng->state)
		rng->state = 1;
}

uint32_t rng_next(struct rng *rng)
{
	uint64_t x = rng->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

uint32_t rng_below(struct rng *rng, uint32_t bound)
{
	return bound ? (uint32_t)(((uint64_t)rng_next(rng) * bound) >> 32) : 0;
}

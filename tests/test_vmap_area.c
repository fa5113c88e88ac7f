/*
 * Suite "vmap_area": the range allocator of mm/vmap_area.c on spaces
 * of the tests' own, away from the real vmalloc area: nothing here is
 * mapped, so a case can cut a space into any shape and look at every
 * hole. Each case checks the tree's invariants (vmap_space_check) as
 * it goes, and that no descriptor leaks.
 */
#include <kernel/ktest.h>
#include <kernel/panic.h>
#include <mm/vmalloc.h>
#include <mm/vmap_area.h>

/* A space of 4096 pages at an address aligned to 16 pages. */
#define BASE	    0x10000000u
#define SPACE_PAGES 4096
#define P(n)	    ((size_t)(n)*PAGE_SIZE)
#define AT(n)	    (BASE + P(n))

/*
 * The descriptors come from a pool of the suite's own, emptied by each
 * case's space_init: no case leaks into kmalloc, and live_nodes says
 * how many a space holds (one per hole when nothing is taken). The
 * pool (56 KiB) is vmalloc'ed by the first case and kept, not static:
 * in .bss it would cost every boot that memory, the smallest machines
 * most.
 */
#define POOL 2048
static struct vmap_area *pool, *pool_free;
static long live_nodes;

static struct vmap_area *test_node_alloc(void)
{
	struct vmap_area *n = pool_free;

	if (n) {
		pool_free = n->left;
		*n = (struct vmap_area){ 0 };
		live_nodes++;
	}
	return n;
}

static void test_node_free(struct vmap_area *n)
{
	live_nodes--;
	n->left = pool_free;
	pool_free = n;
}

/* Empty the pool into a new space; false (the case skipped) if no pool. */
static bool space_init(struct ktest *t, struct vmap_space *s,
		       unsigned int pages)
{
	if (!pool)
		pool = vmalloc(POOL * sizeof(*pool));
	if (!pool) {
		kt_skip(t, "no memory for the descriptor pool (56 KiB)");
		return false;
	}
	pool_free = NULL;
	for (unsigned int i = 0; i < POOL; i++) {
		pool[i].left = pool_free;
		pool_free = &pool[i];
	}
	live_nodes = 0;
	s->node_alloc = test_node_alloc;
	s->node_free = test_node_free;
	return vmap_space_init(s, BASE, AT(pages));
}

#define EXPECT_SPACE_OK(t, s)                                                  \
	do {                                                                   \
		char __why[96];                                                \
		const char *__bad = vmap_space_check(s, __why, sizeof(__why)); \
		if (__bad)                                                     \
			KT_FAIL(t, "space check: %s", __bad);                  \
	} while (0)

/* Take size bytes (page-aligned) into a new descriptor; NULL if none. */
static struct vmap_area *take(struct vmap_space *s, size_t size, size_t align)
{
	struct vmap_area *a = test_node_alloc();

	if (a && !vmap_space_take(s, size, align, a)) {
		test_node_free(a);
		a = NULL;
	}
	return a;
}

/* The largest hole of the space: the tree's, or the top's. */
static size_t largest_hole(const struct vmap_space *s)
{
	size_t tree = s->root ? s->root->max_hole : 0;
	size_t top = s->top ? s->top->end - s->top->start : 0;

	return MAX(tree, top);
}

/* Cut the space into areas of the given page counts, in order. */
static bool take_in_order(struct vmap_space *s, const unsigned int *pages,
			  struct vmap_area **out, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (!(out[i] = take(s, P(pages[i]), PAGE_SIZE)))
			return false;
	return true;
}

/* The lowest hole that fits wins: not the largest, not an exact fit. */
static void vmap_area_takes_lowest_fitting_hole(struct ktest *t)
{
	static const unsigned int pages[] = { 2, 4, 2, 8, 2 };
	struct vmap_area *a[ARRAY_SIZE(pages)], *got;
	struct vmap_space s;

	if (!space_init(t, &s, 64))
		return;
	KT_ASSERT_TRUE(t, take_in_order(&s, pages, a, ARRAY_SIZE(a)));
	vmap_space_give(&s, a[1]); /* hole [2, 6) */
	vmap_space_give(&s, a[3]); /* hole [8, 16); then [18, 64) */
	KT_EXPECT_EQ(t, s.nr_holes, 3);
	got = take(&s, P(6), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, AT(8));
	EXPECT_SPACE_OK(t, &s);
	got = take(&s, P(4), PAGE_SIZE); /* exactly [2, 6) */
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, AT(2));
	KT_EXPECT_EQ(t, s.nr_holes, 2);
	got = take(&s, P(3), PAGE_SIZE); /* [14, 16) is too small */
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, AT(18));
	EXPECT_SPACE_OK(t, &s);
}

/* An aligned take skips the hole's unaligned start, and keeps it. */
static void vmap_area_alignment(struct ktest *t)
{
	struct vmap_area *one, *got;
	struct vmap_space s;

	if (!space_init(t, &s, 64))
		return;
	one = take(&s, P(1), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, one);
	got = take(&s, P(4), P(4)); /* from the middle: a split */
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, AT(4));
	KT_EXPECT_EQ(t, s.nr_holes, 2); /* [1, 4) and [8, 64) */
	got = take(&s, P(2), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, AT(1));
	got = take(&s, P(16), P(16)); /* [8, 16) is too low to align */
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, AT(16));
	KT_EXPECT_EQ(t, s.nr_holes, 3); /* [3, 4), [8, 16), [32, 64) */
	KT_EXPECT_TRUE(t, vmap_space_hole_at(&s, AT(3)));
	KT_EXPECT_TRUE(t, vmap_space_hole_at(&s, AT(15)));
	KT_EXPECT_FALSE(t, vmap_space_hole_at(&s, AT(16)));
	EXPECT_SPACE_OK(t, &s);
}

/* A range between two holes joins them: one hole, one node. */
static void vmap_area_merges_with_both_neighbours(struct ktest *t)
{
	static const unsigned int pages[] = { 3, 5, 7 };
	struct vmap_area *a[ARRAY_SIZE(pages)];
	struct vmap_space s;

	if (!space_init(t, &s, 64))
		return;
	KT_ASSERT_TRUE(t, take_in_order(&s, pages, a, ARRAY_SIZE(a)));
	vmap_space_give(&s, a[0]);
	vmap_space_give(&s, a[2]); /* joins the rest of the space */
	KT_EXPECT_EQ(t, s.nr_holes, 2);
	vmap_space_give(&s, a[1]);
	KT_EXPECT_EQ(t, s.nr_holes, 1);
	KT_EXPECT_TRUE(t, s.root == NULL); /* the one hole is the top */
	KT_ASSERT_NOT_NULL(t, s.top);
	KT_EXPECT_EQ(t, s.top->start, AT(0));
	KT_EXPECT_EQ(t, s.top->end, AT(64));
	KT_EXPECT_EQ(t, largest_hole(&s), P(64));
	KT_EXPECT_EQ(t, live_nodes, 1);
	EXPECT_SPACE_OK(t, &s);
}

/* Ranges given back in a random order end as the one hole they were. */
#define SHUFFLED 48
static void vmap_area_out_of_order_frees(struct ktest *t)
{
	struct vmap_area *a[SHUFFLED];
	unsigned int pages[SHUFFLED];
	struct vmap_space s;

	for (unsigned int i = 0; i < SHUFFLED; i++)
		pages[i] = 1 + rng_below(&t->rng, 4);
	if (!space_init(t, &s, SPACE_PAGES))
		return;
	KT_ASSERT_TRUE(t, take_in_order(&s, pages, a, SHUFFLED));
	for (unsigned int i = SHUFFLED - 1; i > 0; i--) {
		unsigned int j = rng_below(&t->rng, i + 1);
		struct vmap_area *tmp = a[i];

		a[i] = a[j];
		a[j] = tmp;
	}
	for (unsigned int i = 0; i < SHUFFLED; i++) {
		KT_EXPECT_TRUE(t, vmap_space_give(&s, a[i]));
		EXPECT_SPACE_OK(t, &s);
	}
	KT_EXPECT_EQ(t, s.nr_holes, 1);
	KT_ASSERT_NOT_NULL(t, s.top);
	KT_EXPECT_EQ(t, s.top->start, AT(0));
	KT_EXPECT_EQ(t, s.top->end, AT(SPACE_PAGES));
	KT_EXPECT_EQ(t, live_nodes, 1);
}

/* A full space, or one with no hole big enough, says no. */
static void vmap_area_exhaustion_fails(struct ktest *t)
{
	struct vmap_area *most, *last;
	struct vmap_space s;

	if (!space_init(t, &s, 64))
		return;
	most = take(&s, P(63), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, most);
	KT_EXPECT_TRUE(t, take(&s, P(2), PAGE_SIZE) == NULL);
	last = take(&s, P(1), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, last);
	KT_EXPECT_TRUE(t, s.root == NULL && s.top == NULL);
	KT_EXPECT_EQ(t, s.nr_holes, 0);
	KT_EXPECT_TRUE(t, take(&s, P(1), PAGE_SIZE) == NULL);
	vmap_space_give(&s, most);
	vmap_space_give(&s, last);
	KT_EXPECT_TRUE(t, take(&s, P(65), PAGE_SIZE) == NULL);
	KT_EXPECT_EQ(t, live_nodes, 1);
	EXPECT_SPACE_OK(t, &s);
}

/* An area's span counts its guard pages: one after, one below a stack. */
static void vmap_area_guard_pages_counted(struct ktest *t)
{
	struct vmap_area *a, *b;
	struct vmap_space s;

	KT_EXPECT_EQ(t, vmap_area_span(3, false), P(4));
	KT_EXPECT_EQ(t, vmap_area_span(3, true), P(5));
	if (!space_init(t, &s, 64))
		return;
	a = take(&s, vmap_area_span(3, false), PAGE_SIZE);
	b = take(&s, vmap_area_span(1, true), PAGE_SIZE);
	KT_ASSERT_TRUE(t, a && b);
	KT_EXPECT_EQ(t, b->start, AT(4));
	KT_EXPECT_EQ(t, b->end, AT(7));
}

/*
 * 1,000 holes made in address order, the worst order for a plain
 * search tree (it would be a list 1,000 deep): an AVL tree of 1,000
 * nodes is at most 14 high (the fewest nodes a height-15 AVL tree can
 * have is 1,596).
 */
#define MANY_HOLES 1000

/*
 * A new space of 2 * MANY_HOLES + 1 one-page areas, every other one
 * given back: MANY_HOLES one-page holes below the top. Returns the
 * areas (those at even indexes still taken), or NULL with the case
 * skipped or failed.
 */
static struct vmap_area **space_with_many_holes(struct ktest *t,
						struct vmap_space *s)
{
	static struct vmap_area **a; /* vmalloc'ed once, kept, as the pool */
	const unsigned int nr = 2 * MANY_HOLES + 1;
	unsigned int made = 0;

	if (!space_init(t, s, SPACE_PAGES))
		return NULL;
	if (!a)
		a = vmalloc(nr * sizeof(*a));
	if (!a) {
		kt_skip(t, "no memory for %u descriptor pointers", nr);
		return NULL;
	}
	for (; made < nr; made++)
		if (!(a[made] = take(s, P(1), PAGE_SIZE)))
			break;
	if (made != nr) {
		KT_FAIL(t, "took %u of %u one-page areas", made, nr);
		return NULL;
	}
	for (unsigned int i = 1; i < nr; i += 2)
		vmap_space_give(s, a[i]);
	return a;
}

static void vmap_area_tree_stays_balanced(struct ktest *t)
{
	struct vmap_space s;
	struct vmap_area **a = space_with_many_holes(t, &s);

	if (!a)
		return;
	KT_EXPECT_EQ(t, s.nr_holes, MANY_HOLES + 1); /* and the tail */
	kt_diag(t, "%lu holes, tree height %u", s.nr_holes, s.root->height);
	KT_ASSERT_LE(t, s.root->height, 14);
	EXPECT_SPACE_OK(t, &s);
	/* The one hole of 3 pages is found among the 2-page ones. */
	vmap_space_give(&s, a[2 * MANY_HOLES - 2]);
	KT_EXPECT_EQ(t, take(&s, P(3), PAGE_SIZE)->start,
		     AT(2 * MANY_HOLES - 3));
	EXPECT_SPACE_OK(t, &s);
}

/*
 * With a thousand holes too small below it, a take comes from the top
 * hole without touching the tree: its root, height and largest hole
 * stay as they were, and the top's start moves up by the size.
 */
static void vmap_area_take_from_top_leaves_tree_alone(struct ktest *t)
{
	struct vmap_area *root, *got;
	unsigned int height;
	uintptr_t top_start;
	struct vmap_space s;

	if (!space_with_many_holes(t, &s))
		return;
	KT_ASSERT_NOT_NULL(t, s.root);
	KT_ASSERT_NOT_NULL(t, s.top);
	root = s.root;
	height = root->height;
	top_start = s.top->start;
	KT_EXPECT_EQ(t, root->max_hole, P(1));
	got = take(&s, P(16), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, top_start);
	KT_EXPECT_EQ(t, s.top->start, top_start + P(16));
	KT_EXPECT_TRUE(t, s.root == root);
	KT_EXPECT_EQ(t, root->height, height);
	KT_EXPECT_EQ(t, root->max_hole, P(1));
	KT_EXPECT_EQ(t, s.nr_holes, MANY_HOLES + 1);
	vmap_space_give(&s, got); /* back into the top */
	KT_EXPECT_EQ(t, s.top->start, top_start);
	EXPECT_SPACE_OK(t, &s);
}

/*
 * Every node's largest hole follows merges and takes: the root's is
 * always the largest of the tree, and the search trusts it.
 */
static void vmap_area_largest_hole_follows_merges(struct ktest *t)
{
	static const unsigned int pages[] = { 1, 2, 1, 3, 1, 4, 1, 5, 1 };
	struct vmap_area *a[ARRAY_SIZE(pages)], *got;
	struct vmap_space s;

	if (!space_init(t, &s, 24))
		return;
	KT_ASSERT_TRUE(t, take_in_order(&s, pages, a, ARRAY_SIZE(a)));
	/* Taken up to page 19: [19, 24) is the one hole, 5 pages. */
	KT_EXPECT_EQ(t, largest_hole(&s), P(5));
	for (unsigned int i = 1; i <= 3; i++)
		vmap_space_give(&s, a[i]); /* grows the hole below: [1, 7) */
	KT_EXPECT_EQ(t, largest_hole(&s), P(6));
	EXPECT_SPACE_OK(t, &s);
	vmap_space_give(&s, a[5]); /* [8, 12) */
	vmap_space_give(&s, a[7]); /* [13, 18) */
	vmap_space_give(&s, a[4]); /* joins [1, 7) and [8, 12) */
	KT_EXPECT_EQ(t, largest_hole(&s), P(11));
	EXPECT_SPACE_OK(t, &s);
	got = take(&s, P(6), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, got);
	KT_EXPECT_EQ(t, got->start, AT(1));
	KT_EXPECT_EQ(t, largest_hole(&s), P(5));
	EXPECT_SPACE_OK(t, &s);
}

/*
 * A seeded mix of takes and gives of random sizes, the tree checked
 * after every one: erasing a hole with two children (its range traded
 * with the next hole's), rotations after merges, splits by alignment.
 */
#define RANDOM_OPS   3000
#define RANDOM_SLOTS 64
static void vmap_area_random_ops_keep_invariants(struct ktest *t)
{
	struct vmap_area *slot[RANDOM_SLOTS] = { 0 };
	unsigned int takes = 0, gives = 0;
	struct vmap_space s;
	char why[96];

	if (!space_init(t, &s, 1024))
		return;
	for (unsigned int op = 0; op < RANDOM_OPS; op++) {
		struct vmap_area **a = &slot[rng_below(&t->rng, RANDOM_SLOTS)];

		if (*a) {
			KT_ASSERT_TRUE(t, vmap_space_give(&s, *a));
			*a = NULL;
			gives++;
		} else {
			size_t align = P(1) << rng_below(&t->rng, 3);

			*a = take(&s, P(1 + rng_below(&t->rng, 24)), align);
			takes += *a != NULL;
		}
		if (vmap_space_check(&s, why, sizeof(why))) {
			KT_FAIL(t, "after operation %u: %s", op, why);
			return;
		}
	}
	kt_diag(t, "%u takes, %u gives, %lu holes at the end", takes, gives,
		s.nr_holes);
	KT_EXPECT_GT(t, gives, RANDOM_OPS / 4);
}

/* A range that is free already is refused by name, nothing changed. */
static void vmap_area_give_refuses_overlap(struct ktest *t)
{
	struct vmap_area bogus = { .start = AT(10), .end = AT(12) };
	struct vmap_area *a;
	unsigned long warns;
	struct vmap_space s;

	if (!space_init(t, &s, 64))
		return;
	a = take(&s, P(8), PAGE_SIZE);
	KT_ASSERT_NOT_NULL(t, a);
	warns = warn_count();
	KT_EXPECT_FALSE(t, vmap_space_give(&s, &bogus));
	KT_EXPECT_WARNED(t, warns, "overlaps hole");
	KT_EXPECT_EQ(t, s.nr_holes, 1);
	KT_EXPECT_EQ(t, s.top->start, AT(8));
	EXPECT_SPACE_OK(t, &s);
	KT_EXPECT_EQ(t, live_nodes, 2); /* a and the hole */
}

static const struct ktest_case vmap_area_cases[] = {
	KTEST_CASE(vmap_area_takes_lowest_fitting_hole),
	KTEST_CASE(vmap_area_alignment),
	KTEST_CASE(vmap_area_merges_with_both_neighbours),
	KTEST_CASE(vmap_area_out_of_order_frees),
	KTEST_CASE(vmap_area_exhaustion_fails),
	KTEST_CASE(vmap_area_guard_pages_counted),
	KTEST_CASE(vmap_area_tree_stays_balanced),
	KTEST_CASE(vmap_area_take_from_top_leaves_tree_alone),
	KTEST_CASE(vmap_area_largest_hole_follows_merges),
	KTEST_CASE(vmap_area_random_ops_keep_invariants),
	KTEST_CASE(vmap_area_give_refuses_overlap),
};
KTEST_SUITE(vmap_area, vmap_area_cases);

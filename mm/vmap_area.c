/*
 * The vmap range allocator: the free ranges of a span of virtual
 * addresses in an AVL tree keyed by address, each node also holding
 * the largest hole of its subtree, and the top hole, the one that
 * reaches the span's end, kept beside the tree (include/mm/vmap_area.h
 * tells why).
 * Used by mm/vmalloc.c under its vmap_lock, and by the unit tests on
 * spaces of their own; it never touches a page table.
 */
#include <kernel/panic.h>
#include <lib/format.h>
#include <mm/vmap_area.h>

static inline size_t hole_size(const struct vmap_area *n)
{
	return n->end - n->start;
}

static inline unsigned int height_of(const struct vmap_area *n)
{
	return n ? n->height : 0;
}

static inline size_t max_of(const struct vmap_area *n)
{
	return n ? n->max_hole : 0;
}

/* Recompute n's height and largest hole from its children. */
static void update(struct vmap_area *n)
{
	n->height = 1 + MAX(height_of(n->left), height_of(n->right));
	n->max_hole = MAX(hole_size(n), MAX(max_of(n->left), max_of(n->right)));
}

/* Put new where old hangs from parent (or at the root). */
static void replace_child(struct vmap_space *s, struct vmap_area *parent,
			  const struct vmap_area *old, struct vmap_area *new)
{
	if (new)
		new->parent = parent;
	if (!parent)
		s->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/*
 * Finish a rotation: y, a child of x, takes x's place under x's parent,
 * with x now below it. Only x and y changed subtrees, so only their
 * heights and largest holes are recomputed (x first: it is now below).
 * Return: y.
 */
static struct vmap_area *lift(struct vmap_space *s, struct vmap_area *x,
			      struct vmap_area *y)
{
	replace_child(s, x->parent, x, y);
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/*
 * The two rotations, mirror images. Each lifts one child of x into x's
 * place and keeps the address order: that child's inner subtree moves
 * across to x.
 */
static struct vmap_area *rotate_left(struct vmap_space *s, struct vmap_area *x)
{
	struct vmap_area *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->left = x;
	return lift(s, x, y);
}

static struct vmap_area *rotate_right(struct vmap_space *s, struct vmap_area *x)
{
	struct vmap_area *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->right = x;
	return lift(s, x, y);
}

/*
 * Update n, and rotate if its subtrees' heights now differ by two (the
 * most one insertion or removal below can make them differ). When the
 * taller child leans the other way, it is rotated first, so the single
 * rotation at n then evens the heights. Return: what is at n's place.
 */
static struct vmap_area *rebalance(struct vmap_space *s, struct vmap_area *n)
{
	int lean = (int)height_of(n->left) - (int)height_of(n->right);

	update(n);
	if (lean > 1) {
		if (height_of(n->left->left) < height_of(n->left->right))
			rotate_left(s, n->left);
		return rotate_right(s, n);
	}
	if (lean < -1) {
		if (height_of(n->right->right) < height_of(n->right->left))
			rotate_right(s, n->right);
		return rotate_left(s, n);
	}
	return n;
}

/*
 * After n changed (its range, or a child): fix it and its ancestors,
 * walking up only while something changes. Once a node comes out of
 * the fix with its height and largest hole as they were, and was not
 * rotated, nothing above it can change: their inputs are the same.
 */
static void fix_upwards(struct vmap_space *s, struct vmap_area *n)
{
	while (n) {
		unsigned int height = n->height;
		size_t max_hole = n->max_hole;
		struct vmap_area *top = rebalance(s, n);

		if (top == n && n->height == height && n->max_hole == max_hole)
			return;
		n = top->parent;
	}
}

static void insert(struct vmap_space *s, struct vmap_area *node)
{
	struct vmap_area **link = &s->root, *parent = NULL;

	while (*link) {
		parent = *link;
		link = node->start < parent->start ? &parent->left
						   : &parent->right;
	}
	node->left = node->right = NULL;
	node->parent = parent;
	node->height = 1;
	node->max_hole = hole_size(node);
	*link = node;
	s->nr_holes++;
	fix_upwards(s, parent);
}

/*
 * Take n's range out of the tree. A node with two children trades
 * ranges with the next hole up (the leftmost of its right subtree,
 * which has no left child) and that node leaves instead: holes have no
 * identity beyond their range. Return: the node that left, for
 * node_free.
 */
static struct vmap_area *erase(struct vmap_space *s, struct vmap_area *n)
{
	struct vmap_area *child, *parent, *traded = NULL;

	if (n->left && n->right) {
		struct vmap_area *next = n->right;

		while (next->left)
			next = next->left;
		n->start = next->start;
		n->end = next->end;
		traded = n;
		n = next;
	}
	child = n->left ? n->left : n->right;
	parent = n->parent;
	replace_child(s, parent, n, child);
	s->nr_holes--;
	fix_upwards(s, parent);
	/*
	 * The walk above may stop below the node that took the next hole's
	 * range (nothing changed there), but that node's own size did.
	 */
	if (traded)
		fix_upwards(s, traded);
	return n;
}

/* Where size bytes aligned to align start in hole n, or 0 if no fit. */
static uintptr_t fit_in(const struct vmap_area *n, size_t size, size_t align)
{
	uintptr_t at = ALIGN_UP(n->start, align);

	if (at < n->start || at >= n->end || n->end - at < size)
		return 0;
	return at;
}

/*
 * The lowest hole of subtree n where the request fits, in address
 * order: left subtree, n, right subtree, skipping any subtree whose
 * largest hole is too small. For an aligned request a subtree whose
 * largest hole is big enough may still hold no fit (the aligned start
 * may leave too little), so the search may turn back and try the next.
 */
static struct vmap_area *lowest_fit_aligned(struct vmap_area *n, size_t size,
					    size_t align, uintptr_t *at)
{
	struct vmap_area *found;

	if (!n || n->max_hole < size)
		return NULL;
	found = lowest_fit_aligned(n->left, size, align, at);
	if (found)
		return found;
	*at = fit_in(n, size, align);
	if (*at)
		return n;
	return lowest_fit_aligned(n->right, size, align, at);
}

/*
 * The same for page alignment, the common case: every hole starts on a
 * page, so a subtree whose largest hole is big enough always holds a
 * fit, and the search never turns back: one path down, no recursion.
 */
static struct vmap_area *lowest_fit(struct vmap_area *n, size_t size,
				    size_t align, uintptr_t *at)
{
	if (align > PAGE_SIZE)
		return lowest_fit_aligned(n, size, align, at);
	if (!n || n->max_hole < size)
		return NULL;
	for (;;) {
		if (n->left && n->left->max_hole >= size)
			n = n->left;
		else if (hole_size(n) >= size)
			break;
		else
			n = n->right; /* its largest hole is the one that fits
				       */
	}
	*at = n->start;
	return n;
}

/* Make node, a range ending at the span's end, the top hole. */
static void set_top(struct vmap_space *s, struct vmap_area *node)
{
	node->left = node->right = node->parent = NULL;
	node->height = 0; /* in no tree */
	node->max_hole = hole_size(node);
	s->top = node;
	s->nr_holes++;
}

bool vmap_space_init(struct vmap_space *s, uintptr_t start, uintptr_t end)
{
	struct vmap_area *all = s->node_alloc();

	BUG_ON(end <= start || (start | end) & (PAGE_SIZE - 1));
	s->start = start;
	s->end = end;
	s->root = NULL;
	s->top = NULL;
	s->nr_holes = 0;
	if (!all)
		return false;
	all->start = start;
	all->end = end;
	set_top(s, all);
	return true;
}

/*
 * Take [at, at + size) from the top hole: its start moves up, and no
 * node of the tree changes. An aligned take that skips the top's first
 * pages leaves them as a hole of the tree (they touch no other hole:
 * the top never does). Return: false if that hole needed a node and
 * none was left.
 */
static bool take_from_top(struct vmap_space *s, uintptr_t at, size_t size)
{
	struct vmap_area *top = s->top;

	if (at != top->start) {
		struct vmap_area *below = s->node_alloc();

		if (!below)
			return false;
		below->start = top->start;
		below->end = at;
		insert(s, below);
	}
	top->start = at + size;
	top->max_hole = hole_size(top);
	if (top->start == top->end) {
		s->top = NULL;
		s->nr_holes--;
		s->node_free(top);
	}
	return true;
}

bool vmap_space_take(struct vmap_space *s, size_t size, size_t align,
		     struct vmap_area *area)
{
	struct vmap_area *hole;
	uintptr_t at = 0;

	BUG_ON(!size || size & (PAGE_SIZE - 1) || align < PAGE_SIZE ||
	       (align & (align - 1)));
	hole = lowest_fit(s->root, size, align, &at);
	if (!hole) {
		/* Nothing below fits: the top is the last chance. */
		if (!s->top || !(at = fit_in(s->top, size, align)) ||
		    !take_from_top(s, at, size))
			return false;
		area->start = at;
		area->end = at + size;
		return true;
	}
	if (at != hole->start && at + size != hole->end) {
		/* From the middle: the part above becomes a hole of its own. */
		struct vmap_area *rest = s->node_alloc();

		if (!rest)
			return false;
		rest->start = at + size;
		rest->end = hole->end;
		hole->end = at;
		fix_upwards(s, hole);
		insert(s, rest);
	} else if (at != hole->start) {
		hole->end = at;
		fix_upwards(s, hole);
	} else if (at + size != hole->end) {
		hole->start = at + size; /* still above the hole below it */
		fix_upwards(s, hole);
	} else {
		s->node_free(erase(s, hole));
	}
	area->start = at;
	area->end = at + size;
	return true;
}

/* The last hole starting below addr, and the first at or above it. */
static void neighbours(const struct vmap_space *s, uintptr_t addr,
		       struct vmap_area **below, struct vmap_area **above)
{
	struct vmap_area *n = s->root;

	*below = *above = NULL;
	while (n) {
		if (n->start < addr) {
			*below = n;
			n = n->right;
		} else {
			*above = n;
			n = n->left;
		}
	}
}

/* The hole a range given back would overlap, or NULL. */
static const struct vmap_area *clash_of(const struct vmap_area *below,
					const struct vmap_area *above,
					uintptr_t start, uintptr_t end)
{
	if (below && below->end > start)
		return below;
	if (above && above->start < end)
		return above;
	return NULL;
}

/*
 * A range given back that reaches the top hole (or, with no top, the
 * span's end) becomes part of the top, with the hole just below it
 * (below, or NULL) if they touch: that one leaves the tree.
 */
static void give_to_top(struct vmap_space *s, struct vmap_area *area,
			struct vmap_area *below)
{
	if (s->top) {
		s->top->start = area->start;
		s->node_free(area);
	} else {
		set_top(s, area);
	}
	if (below) {
		s->top->start = below->start;
		s->node_free(
			erase(s, below)); /* one hole fewer: erase counts */
	}
	s->top->max_hole = hole_size(s->top);
}

bool vmap_space_give(struct vmap_space *s, struct vmap_area *area)
{
	uintptr_t start = area->start, end = area->end;
	const struct vmap_area *clash;
	struct vmap_area *below, *above;
	bool join_below, join_above;

	neighbours(s, start, &below, &above);
	if (!above)
		above = s->top; /* above every hole of the tree */
	clash = clash_of(below, above, start, end);
	if (WARN(start < s->start || end > s->end || end <= start || clash,
		 "vmap_space_give: range %08lx-%08lx of space %08lx-%08lx "
		 "is not taken (%s %08lx-%08lx); refused",
		 (unsigned long)start, (unsigned long)end,
		 (unsigned long)s->start, (unsigned long)s->end,
		 clash ? "it overlaps hole" : "outside the span or empty",
		 (unsigned long)(clash ? clash->start : start),
		 (unsigned long)(clash ? clash->end : end)))
		return false;
	join_below = below && below->end == start;
	join_above = above && above->start == end;
	if ((join_above && above == s->top) || end == s->end) {
		give_to_top(s, area, join_below ? below : NULL);
		return true;
	}
	if (!join_below && !join_above) {
		insert(s, area);
		return true;
	}
	s->node_free(area); /* a neighbour grows over the range instead */
	if (join_below && join_above) {
		/* Bridges two holes: the lower one spans all three. */
		below->end = above->end;
		s->node_free(erase(s, above));
		fix_upwards(s, below);
	} else if (join_below) {
		below->end = end;
		fix_upwards(s, below);
	} else {
		above->start = start; /* still above the hole below it */
		fix_upwards(s, above);
	}
	return true;
}

struct vmap_area *vmap_space_hole_at(const struct vmap_space *s, uintptr_t addr)
{
	struct vmap_area *below, *above;

	if (s->top && addr >= s->top->start && addr < s->top->end)
		return s->top;
	neighbours(s, addr + 1, &below, &above);
	return below && addr < below->end ? below : NULL;
}

/* One node's invariants, then its subtrees'; counts the nodes seen. */
static bool check_node(const struct vmap_space *s, const struct vmap_area *n,
		       const struct vmap_area **prev, unsigned long *count,
		       char *buf, size_t len)
{
	const char *bad = NULL;

	if (!n)
		return true;
	if (!check_node(s, n->left, prev, count, buf, len))
		return false;
	if ((n->left && n->left->parent != n) ||
	    (n->right && n->right->parent != n))
		bad = "a child whose parent link is not its parent";
	else if (n->start >= n->end || n->start < s->start || n->end > s->end)
		bad = "an empty hole, or one outside the span";
	else if (*prev && (*prev)->end >= n->start)
		bad = "out of address order, overlapping or adjacent to the "
		      "hole below (never merged)";
	else if (n->height != 1 + MAX(height_of(n->left), height_of(n->right)))
		bad = "a wrong height";
	else if (height_of(n->left) > height_of(n->right) + 1 ||
		 height_of(n->right) > height_of(n->left) + 1)
		bad = "subtrees whose heights differ by more than one";
	else if (n->max_hole !=
		 MAX(hole_size(n), MAX(max_of(n->left), max_of(n->right))))
		bad = "a wrong largest hole for its subtree";
	if (bad) {
		snprintf(buf, len, "hole %08lx-%08lx: %s",
			 (unsigned long)n->start, (unsigned long)n->end, bad);
		return false;
	}
	*prev = n;
	(*count)++;
	return check_node(s, n->right, prev, count, buf, len);
}

/*
 * The top hole's invariants: it reaches the span's end, starts inside
 * the span, above the highest hole of the tree (highest) and not next
 * to it; with no top, no hole of the tree reaches the end.
 */
static bool check_top(const struct vmap_space *s,
		      const struct vmap_area *highest, char *buf, size_t len)
{
	const struct vmap_area *top = s->top;
	const char *bad = NULL;

	if (!top) {
		if (highest && highest->end == s->end)
			bad = "a hole of the tree reaches the span's end";
	} else if (top->end != s->end) {
		bad = "the top hole does not reach the span's end";
	} else if (top->start >= top->end || top->start < s->start) {
		bad = "the top hole is empty or starts outside the span";
	} else if (highest && highest->end >= top->start) {
		bad = "the top hole overlaps or touches the hole below it";
	} else if (top->max_hole != hole_size(top)) {
		bad = "the top hole's size is stale";
	}
	if (bad)
		snprintf(buf, len, "top %08lx-%08lx: %s",
			 (unsigned long)(top ? top->start : s->end),
			 (unsigned long)s->end, bad);
	return !bad;
}

const char *vmap_space_check(const struct vmap_space *s, char *buf, size_t len)
{
	const struct vmap_area *prev = NULL;
	unsigned long count = 0;

	if (s->root && s->root->parent) {
		snprintf(buf, len, "the root has a parent");
		return buf;
	}
	if (!check_node(s, s->root, &prev, &count, buf, len))
		return buf;
	if (!check_top(s, prev, buf, len))
		return buf;
	count += s->top != NULL;
	if (count != s->nr_holes) {
		snprintf(buf, len, "%lu holes in the tree, %lu counted", count,
			 s->nr_holes);
		return buf;
	}
	return NULL;
}

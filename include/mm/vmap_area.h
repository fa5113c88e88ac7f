/*
 * The vmap range allocator: which addresses of a span of kernel virtual
 * space are free, and which free range a request gets. It knows
 * nothing of page tables, TLBs or pages: mm/vmalloc.c asks it for
 * ranges, maps them, and gives them back after its lazy purge. The
 * unit tests (tests/test_vmap_area.c) drive a space of their own.
 *
 * The free ranges ("holes") of a space are the nodes of a balanced
 * binary search tree keyed by start address (an AVL tree: the heights
 * of a node's two subtrees differ by at most one, so n holes give a
 * tree of height at most about 1.44 log2 n). Each node also records
 * the size of the largest hole in its subtree. That one extra field is
 * what makes the search fast: to find the lowest hole of at least size
 * bytes, go left whenever the left subtree's largest hole is big
 * enough (a fit is there, and it is lower), else take this node if it
 * fits, else go right. One path from the root: O(log n) however many
 * holes there are, where a list walk pays for every hole below the
 * first fit. The price is keeping that field right: every change to a
 * hole, and every rotation, recomputes it on the way back to the root.
 *
 * The top hole, the free range that reaches the span's end, is kept
 * beside the tree, not in it (a memory allocator's "wilderness"). It
 * is the biggest hole of a space filled from the bottom up, so in the
 * tree it would be every ancestor's largest hole, and each take from
 * it, the common case, would recompute the field all the way to the
 * root. Beside the tree, a take that no hole below fits (the root's
 * largest hole says so at once) moves the top's start up, and the tree
 * is not touched: the same cost with a thousand holes as with none.
 * The lowest fit is still the lowest: the top is above every hole of
 * the tree.
 *
 * Holes are never adjacent: a range given back merges with the hole
 * just below it and the one just above it when they touch, so the
 * space holds the fewest holes the free space can be described with.
 *
 * Locking: none of its own. The owner of a space serialises every
 * call (vmalloc.c: vmap_lock); node_alloc and node_free are called
 * with that lock held, so they must not sleep.
 */
#ifndef MM_VMAP_AREA_H
#define MM_VMAP_AREA_H

#include <arch/mmu.h>
#include <kernel/compiler.h>

/*
 * A range [start, end) of a space. While it is free it is a node of
 * the space's tree, and the fields below start/end are the tree's;
 * while it is allocated they are unused, and the owner's descriptor
 * (mm/vmalloc.c: struct vm_area) carries what it needs around it.
 */
struct vmap_area {
	uintptr_t start, end; /* guard pages included */
	/* free only: a node of the space's tree (the top: all 0 but max_hole)
	 */
	struct vmap_area *left, *right, *parent;
	size_t max_hole;     /* largest end - start in this subtree */
	unsigned int height; /* of this subtree: a leaf has 1 */
};

struct vmap_space {
	uintptr_t start, end;	/* the span handed out from */
	struct vmap_area *root; /* the holes below the top; may be NULL */
	struct vmap_area *top;	/* the hole reaching end, or NULL */
	unsigned long nr_holes; /* nodes in the tree, and the top */
	/* Descriptors for holes that a take splits, and for merged ones. */
	struct vmap_area *(*node_alloc)(void);
	void (*node_free)(struct vmap_area *node);
};

/*
 * The bytes an area of nr_pages mapped pages takes in the space: the
 * pages, the guard page after them that every area has, and a guard
 * page before them for a stack (guard_below). Areas are handed out
 * back to back, so the page below an area is always a guard page or a
 * hole: unmapped either way.
 */
static inline size_t vmap_area_span(unsigned int nr_pages, bool guard_below)
{
	return ((size_t)nr_pages + 1 + guard_below) << PAGE_SHIFT;
}

/*
 * Make [start, end) one hole of s (end > start, both page-aligned),
 * with node_alloc and node_free already set.
 * Context: the owner's lock, or boot. Return: false if node_alloc failed.
 */
bool vmap_space_init(struct vmap_space *s, uintptr_t start, uintptr_t end);

/*
 * Take size bytes (a multiple of PAGE_SIZE, not 0) starting at a
 * multiple of align (a power of two, at least PAGE_SIZE) from the
 * lowest hole where they fit: fills area->start and ->end. A take
 * from the middle of a hole (alignment) splits it and needs a node.
 * Cost: O(1) when only the top hole fits (the root's largest hole is
 * too small), else O(log holes) with align PAGE_SIZE; larger
 * alignments may look into more subtrees whose largest hole fits only
 * unaligned.
 * Context: the owner's lock.
 * Return: false if no hole fits (or node_alloc failed to split one).
 */
bool vmap_space_take(struct vmap_space *s, size_t size, size_t align,
		     struct vmap_area *area);

/*
 * Give back [area->start, area->end), which must be in the span and
 * overlap no hole. area becomes the range's node, or is handed to
 * node_free if the range merges into a neighbour.
 * Cost: O(log holes). Context: the owner's lock.
 * Return: false, with a warning naming the range and the hole it
 * overlaps, for a range that is not taken (area is then untouched).
 */
bool vmap_space_give(struct vmap_space *s, struct vmap_area *area);

/*
 * The hole holding addr, or NULL. Cost: O(log holes).
 * Context: the owner's lock.
 */
struct vmap_area *vmap_space_hole_at(const struct vmap_space *s,
				     uintptr_t addr);

/*
 * Check every invariant of the tree: links, address order, no two
 * holes adjacent or overlapping, all in the span, heights, AVL
 * balance, each node's largest hole, the top hole beside the tree
 * (reaching the span's end, clear of the tree's holes), the count.
 * For tests.
 * Context: the owner's lock.
 * Return: NULL, or what is wrong, written into buf.
 */
const char *vmap_space_check(const struct vmap_space *s, char *buf, size_t len);

#endif

/*
 * Circular doubly linked lists with the links inside the listed
 * objects, as in Linux: no allocation to add or remove.
 */
#ifndef KERNEL_LIST_H
#define KERNEL_LIST_H

#include <kernel/compiler.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)     \
	{                        \
		&(name), &(name) \
	}
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void list_init(struct list_head *h)
{
	h->next = h->prev = h;
}

static inline void __list_insert(struct list_head *n, struct list_head *prev,
				 struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* Add n right after head (stack order). */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	__list_insert(n, head, head->next);
}

/* Add n right before head (queue order). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	__list_insert(n, head->prev, head);
}

static inline void list_del(struct list_head *n)
{
	n->next->prev = n->prev;
	n->prev->next = n->next;
	n->next = n->prev = NULL;
}

static inline void list_del_init(struct list_head *n)
{
	list_del(n);
	list_init(n);
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) \
	list_entry((head)->next, type, member)
#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, tmp, head)                       \
	for (pos = (head)->next, tmp = pos->next; pos != (head); \
	     pos = tmp, tmp = pos->next)

#endif

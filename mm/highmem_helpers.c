/*
 * Copy into, copy out of and zero a page that may be highmem
 * (include/mm/highmem_helpers.h). Each helper is a kmap_local_page()
 * around one memcpy or memset: the mapping lives exactly as long as the
 * call, which is the pattern docs/highmem.rst asks callers to follow.
 *
 * The range check comes first and is written so that it cannot wrap:
 * offset + len could overflow size_t for a huge len and pass a naive
 * "offset + len <= PAGE_SIZE" test, so len is compared with what is
 * left of the page after offset instead.
 */
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/highmem.h>
#include <mm/highmem_helpers.h>

/*
 * Is [offset, offset + len) inside one page? If not, warn naming the
 * helper and its arguments, and say no. Context: any.
 */
static bool page_range_ok(const char *who, const struct page *page,
			  size_t offset, size_t len)
{
	if (offset <= PAGE_SIZE && len <= PAGE_SIZE - offset)
		return true;
	WARN(1,
	     "%s(pfn %#lx, offset %zu, len %zu): the range passes the "
	     "end of the page (%u bytes); refused, nothing touched",
	     who, (unsigned long)page_to_pfn(page), offset, len,
	     (unsigned int)PAGE_SIZE);
	return false;
}

bool memcpy_to_page(struct page *page, size_t offset, const void *from,
		    size_t len)
{
	char *va;

	if (!page_range_ok("memcpy_to_page", page, offset, len))
		return false;
	va = kmap_local_page(page);
	if (!va)
		return false; /* kmap_local_page() said why */
	memcpy(va + offset, from, len);
	kunmap_local(va);
	return true;
}

bool memcpy_from_page(void *to, struct page *page, size_t offset, size_t len)
{
	const char *va;

	if (!page_range_ok("memcpy_from_page", page, offset, len))
		return false;
	va = kmap_local_page(page);
	if (!va)
		return false;
	memcpy(to, va + offset, len);
	kunmap_local(va);
	return true;
}

bool memzero_page(struct page *page, size_t offset, size_t len)
{
	char *va;

	if (!page_range_ok("memzero_page", page, offset, len))
		return false;
	va = kmap_local_page(page);
	if (!va)
		return false;
	memset(va + offset, 0, len);
	kunmap_local(va);
	return true;
}

bool copy_highpage(struct page *to, struct page *from)
{
	const void *src = kmap_local_page(from);
	void *dst;

	if (!src)
		return false;
	dst = kmap_local_page(to);
	if (dst) {
		memcpy(dst, src, PAGE_SIZE);
		kunmap_local(dst); /* the last one mapped goes first */
	}
	kunmap_local(src);
	return dst != NULL;
}

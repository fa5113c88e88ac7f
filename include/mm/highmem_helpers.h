/*
 * Small operations on a page that may be highmem: copy into it, copy
 * out of it, zero part of it, copy a whole page to another. Each maps
 * with kmap_local_page() for the length of the call only, so callers
 * need no mapping of their own and no unmap to forget.
 *
 * Each checks that offset and len stay inside the one page: a range
 * that would run past the page's end is a caller's bug that would
 * write into whatever the next slot or the next page holds. It is
 * refused with a warning naming the helper, the page, the offset and
 * the length, and nothing is touched.
 *
 *	memcpy_to_page(page, 100, buf, 16);	// 16 bytes at offset 100
 *	memzero_page(page, 0, PAGE_SIZE);	// the whole page
 */
#ifndef MM_HIGHMEM_HELPERS_H
#define MM_HIGHMEM_HELPERS_H

#include <mm/page.h>

/*
 * memcpy_to_page - copy len bytes from a kernel buffer into a page
 * @page: the destination page, lowmem or highmem
 * @offset: where in the page the copy starts
 * @from: the source, any kernel address
 * @len: how many bytes; offset + len must not pass PAGE_SIZE
 *
 * Context: as kmap_local_page(): any, once the scheduler runs.
 * Return: true if copied; false, with a warning, if the range leaves
 * the page or the page could not be mapped (nothing is written).
 */
bool memcpy_to_page(struct page *page, size_t offset, const void *from,
		    size_t len);

/*
 * memcpy_from_page - copy len bytes out of a page into a kernel buffer
 * @to: the destination, any kernel address
 * @page: the source page, lowmem or highmem
 * @offset: where in the page the copy starts
 * @len: how many bytes; offset + len must not pass PAGE_SIZE
 *
 * Context: as kmap_local_page(): any, once the scheduler runs.
 * Return: true if copied; false, with a warning, if the range leaves
 * the page or the page could not be mapped (nothing is read).
 */
bool memcpy_from_page(void *to, struct page *page, size_t offset, size_t len);

/*
 * memzero_page - zero len bytes of a page
 * @page: the page, lowmem or highmem
 * @offset: where in the page the zeroing starts
 * @len: how many bytes; offset + len must not pass PAGE_SIZE
 *
 * Context: as kmap_local_page(): any, once the scheduler runs.
 * Return: true if zeroed; false, with a warning, if the range leaves
 * the page or the page could not be mapped (nothing is written).
 */
bool memzero_page(struct page *page, size_t offset, size_t len);

/*
 * copy_highpage - copy the whole of one page to another
 * @to: the destination page, lowmem or highmem
 * @from: the source page, lowmem or highmem
 *
 * Two nested local maps, unmapped in reverse order.
 * Context: as kmap_local_page(): any, once the scheduler runs.
 * Return: true if copied; false if either page could not be mapped
 * (kmap_local_page() has said why; nothing is written).
 */
bool copy_highpage(struct page *to, struct page *from);

#endif

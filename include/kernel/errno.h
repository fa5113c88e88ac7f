/*
 * Error numbers, for the few interfaces that return one. The values
 * are Linux's (a fact, so a reader can match them), returned negated:
 * 0 is success, -EFAULT a failure.
 */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define EFAULT 14 /* a bad address: the access faulted */
#define EINVAL 22 /* an argument out of range */

#endif

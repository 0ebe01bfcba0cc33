/* Debian's xnnpack.h includes <pthreadpool.h> but libxnnpack-dev does not pull
 * libpthreadpool-dev in. All the header needs is the opaque handle type, and the
 * bench passes NULL (no thread pool: one thread). Used only when the real header
 * is missing. */
#ifndef OCB_COMPAT_PTHREADPOOL_H
#define OCB_COMPAT_PTHREADPOOL_H
typedef struct pthreadpool *pthreadpool_t;
#endif

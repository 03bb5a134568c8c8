/*
 * fasthub's I/O readiness backends, chosen in C so one generated .c file builds on every OS.
 *
 * The contract the hub relies on (the seam):
 *   fh_poller_open(p, kind)            kind: FH_BACKEND_DEFAULT (epoll on Linux, kqueue on BSD/macOS,
 *                                      poll elsewhere) or FH_BACKEND_POLL; returns 0 or -errno.
 *   fh_poller_set(p, fd, old, new)     make the kernel's interest for fd equal to `new` (FH_READ|FH_WRITE),
 *                                      knowing the hub last set `old`; returns 0 or -errno.
 *   fh_poller_wait(p, out, max, ms)    wait up to ms milliseconds (-1: forever) and fill `out`; returns the
 *                                      count or -errno (-EINTR when a signal arrived).
 *   fh_poller_close(p)                 release everything; safe to call twice.
 * Errors and hang-ups are reported as FH_READ|FH_WRITE so that both waiters wake and meet the error
 * in their own system call, which is where it is meaningful.
 *
 * Some facts the design leans on:
 * - epoll keys registrations by (fd number, open file). When the last descriptor of a file is closed the
 *   kernel drops its registration silently, so a recycled fd number can still look registered to us; the
 *   hub therefore forgets its cached interest in notify_close(), and fh_poller_set() turns a MOD that
 *   fails with ENOENT into an ADD and an ADD that fails with EEXIST into a MOD.
 * - epoll_wait is never restarted after a signal handler, whatever SA_RESTART says (signal(7)), so a
 *   Ctrl-C always gets back to the hub as -EINTR.
 * - poll(2) reports POLLNVAL for an fd that was closed; that is surfaced as an error event.
 */
#ifndef FASTHUB_POLLER_H
#define FASTHUB_POLLER_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#  define FH_HAVE_EPOLL 1
#  include <sys/epoll.h>
#  include <sys/eventfd.h>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || defined(__DragonFly__)
#  define FH_HAVE_KQUEUE 1
#  include <sys/types.h>
#  include <sys/event.h>
#  include <sys/time.h>
#endif

#define FH_READ 1
#define FH_WRITE 2

#define FH_BACKEND_DEFAULT 0
#define FH_BACKEND_EPOLL 1
#define FH_BACKEND_KQUEUE 2
#define FH_BACKEND_POLL 3

typedef struct {
    int fd;
    int events;
} fh_event_t;

typedef struct {
    int kind;
    int bfd;                  /* epoll or kqueue descriptor, -1 for poll */
    void *buf;                /* kernel result buffer (epoll_event or kevent) */
    int bufcap;
    struct pollfd *pfds;      /* poll backend: the interest set */
    int npfds;
    int pcap;
    int *pindex;              /* poll backend: fd -> position in pfds, or -1 */
    int pindex_cap;
} fh_poller_t;

static inline const char *fh_backend_name(int kind) {
    switch (kind) {
    case FH_BACKEND_EPOLL: return "epoll";
    case FH_BACKEND_KQUEUE: return "kqueue";
    case FH_BACKEND_POLL: return "poll";
    default: return "none";
    }
}

static inline int fh_default_backend(void) {
#if defined(FH_HAVE_EPOLL)
    return FH_BACKEND_EPOLL;
#elif defined(FH_HAVE_KQUEUE)
    return FH_BACKEND_KQUEUE;
#else
    return FH_BACKEND_POLL;
#endif
}

static inline int fh_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

static inline int fh_poller_open(fh_poller_t *p, int kind) {
    memset(p, 0, sizeof(*p));
    p->bfd = -1;
    if (kind == FH_BACKEND_DEFAULT)
        kind = fh_default_backend();
    p->kind = kind;
    if (kind == FH_BACKEND_EPOLL) {
#if defined(FH_HAVE_EPOLL)
        p->bfd = epoll_create1(EPOLL_CLOEXEC);
        if (p->bfd < 0)
            return -errno;
        p->bufcap = 1024;
        p->buf = malloc(sizeof(struct epoll_event) * p->bufcap);
        if (!p->buf) { close(p->bfd); p->bfd = -1; return -ENOMEM; }
        return 0;
#else
        return -ENOSYS;
#endif
    }
    if (kind == FH_BACKEND_KQUEUE) {
#if defined(FH_HAVE_KQUEUE)
        int rc;
        p->bfd = kqueue();
        if (p->bfd < 0)
            return -errno;
        rc = fh_set_cloexec(p->bfd);
        if (rc < 0) { close(p->bfd); p->bfd = -1; return rc; }
        p->bufcap = 1024;
        p->buf = malloc(sizeof(struct kevent) * p->bufcap);
        if (!p->buf) { close(p->bfd); p->bfd = -1; return -ENOMEM; }
        return 0;
#else
        return -ENOSYS;
#endif
    }
    if (kind == FH_BACKEND_POLL)
        return 0;
    return -EINVAL;
}

static inline void fh_poller_close(fh_poller_t *p) {
    if (p->bfd >= 0) {
        close(p->bfd);
        p->bfd = -1;
    }
    free(p->buf); p->buf = NULL; p->bufcap = 0;
    free(p->pfds); p->pfds = NULL; p->npfds = 0; p->pcap = 0;
    free(p->pindex); p->pindex = NULL; p->pindex_cap = 0;
}

/* ---- poll backend: a dense pollfd array plus an fd -> slot index ---- */

static inline int fh_poll_index_reserve(fh_poller_t *p, int fd) {
    if (fd < p->pindex_cap)
        return 0;
    int cap = p->pindex_cap ? p->pindex_cap : 64;
    while (cap <= fd) cap *= 2;
    int *ni = (int *)realloc(p->pindex, sizeof(int) * cap);
    if (!ni) return -ENOMEM;
    for (int i = p->pindex_cap; i < cap; i++) ni[i] = -1;
    p->pindex = ni;
    p->pindex_cap = cap;
    return 0;
}

static inline short fh_poll_mask(int mask) {
    short ev = 0;
    if (mask & FH_READ) ev |= POLLIN;
    if (mask & FH_WRITE) ev |= POLLOUT;
    return ev;
}

static inline int fh_poll_set(fh_poller_t *p, int fd, int new_mask) {
    int rc = fh_poll_index_reserve(p, fd);
    if (rc < 0) return rc;
    int slot = p->pindex[fd];
    if (new_mask == 0) {
        if (slot >= 0) {
            int last = p->npfds - 1;
            if (slot != last) {
                p->pfds[slot] = p->pfds[last];
                p->pindex[p->pfds[slot].fd] = slot;
            }
            p->npfds--;
            p->pindex[fd] = -1;
        }
        return 0;
    }
    if (slot < 0) {
        if (p->npfds == p->pcap) {
            int cap = p->pcap ? p->pcap * 2 : 64;
            struct pollfd *np = (struct pollfd *)realloc(p->pfds, sizeof(struct pollfd) * cap);
            if (!np) return -ENOMEM;
            p->pfds = np;
            p->pcap = cap;
        }
        slot = p->npfds++;
        p->pfds[slot].fd = fd;
        p->pindex[fd] = slot;
    }
    p->pfds[slot].events = fh_poll_mask(new_mask);
    p->pfds[slot].revents = 0;
    return 0;
}

static inline int fh_poll_wait(fh_poller_t *p, fh_event_t *out, int maxevents, int timeout_ms) {
    int n = poll(p->pfds, (nfds_t)p->npfds, timeout_ms);
    if (n < 0) return -errno;
    int count = 0;
    for (int i = 0; i < p->npfds && count < maxevents && n > 0; i++) {
        short re = p->pfds[i].revents;
        if (!re) continue;
        n--;
        int ev = 0;
        if (re & (POLLIN | POLLPRI)) ev |= FH_READ;
        if (re & POLLOUT) ev |= FH_WRITE;
        if (re & (POLLERR | POLLHUP | POLLNVAL)) ev |= FH_READ | FH_WRITE;
        out[count].fd = p->pfds[i].fd;
        out[count].events = ev;
        count++;
    }
    return count;
}

/* ---- epoll backend ---- */

#if defined(FH_HAVE_EPOLL)
static inline int fh_epoll_set(fh_poller_t *p, int fd, int old_mask, int new_mask) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.data.fd = fd;
    if (new_mask & FH_READ) ev.events |= EPOLLIN | EPOLLRDHUP;
    if (new_mask & FH_WRITE) ev.events |= EPOLLOUT;
    if (new_mask == 0) {
        if (epoll_ctl(p->bfd, EPOLL_CTL_DEL, fd, &ev) < 0 && errno != ENOENT && errno != EBADF)
            return -errno;
        return 0;
    }
    int op = old_mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(p->bfd, op, fd, &ev) == 0)
        return 0;
    if (op == EPOLL_CTL_MOD && errno == ENOENT)
        op = EPOLL_CTL_ADD;
    else if (op == EPOLL_CTL_ADD && errno == EEXIST)
        op = EPOLL_CTL_MOD;
    else
        return -errno;
    if (epoll_ctl(p->bfd, op, fd, &ev) < 0)
        return -errno;
    return 0;
}

static inline int fh_epoll_wait(fh_poller_t *p, fh_event_t *out, int maxevents, int timeout_ms) {
    struct epoll_event *evs = (struct epoll_event *)p->buf;
    if (maxevents > p->bufcap) maxevents = p->bufcap;
    int n = epoll_wait(p->bfd, evs, maxevents, timeout_ms);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        uint32_t e = evs[i].events;
        int ev = 0;
        if (e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) ev |= FH_READ;
        if (e & EPOLLOUT) ev |= FH_WRITE;
        if (e & (EPOLLERR | EPOLLHUP)) ev |= FH_READ | FH_WRITE;
        out[i].fd = evs[i].data.fd;
        out[i].events = ev;
    }
    return n;
}
#endif

/* ---- kqueue backend ---- */

#if defined(FH_HAVE_KQUEUE)
static inline int fh_kqueue_set(fh_poller_t *p, int fd, int old_mask, int new_mask) {
    struct kevent ch[2];
    int n = 0;
    int changed = old_mask ^ new_mask;
    if (changed & FH_READ) {
        EV_SET(&ch[n], fd, EVFILT_READ, (new_mask & FH_READ) ? EV_ADD : EV_DELETE, 0, 0, NULL);
        n++;
    }
    if (changed & FH_WRITE) {
        EV_SET(&ch[n], fd, EVFILT_WRITE, (new_mask & FH_WRITE) ? EV_ADD : EV_DELETE, 0, 0, NULL);
        n++;
    }
    for (int i = 0; i < n; i++) {
        if (kevent(p->bfd, &ch[i], 1, NULL, 0, NULL) < 0) {
            /* Deleting a filter the kernel already dropped (fd closed) is not an error for us. */
            if (ch[i].flags & EV_DELETE && (errno == ENOENT || errno == EBADF))
                continue;
            return -errno;
        }
    }
    return 0;
}

static inline int fh_kqueue_wait(fh_poller_t *p, fh_event_t *out, int maxevents, int timeout_ms) {
    struct kevent *evs = (struct kevent *)p->buf;
    struct timespec ts, *tsp = NULL;
    if (maxevents > p->bufcap) maxevents = p->bufcap;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    int n = kevent(p->bfd, NULL, 0, evs, maxevents, tsp);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        int ev = 0;
        if (evs[i].filter == EVFILT_READ) ev |= FH_READ;
        if (evs[i].filter == EVFILT_WRITE) ev |= FH_WRITE;
        if (evs[i].flags & (EV_ERROR | EV_EOF)) ev |= FH_READ | FH_WRITE;
        out[i].fd = (int)evs[i].ident;
        out[i].events = ev;
    }
    return n;
}
#endif

static inline int fh_poller_set(fh_poller_t *p, int fd, int old_mask, int new_mask) {
    if (fd < 0) return -EBADF;
    switch (p->kind) {
#if defined(FH_HAVE_EPOLL)
    case FH_BACKEND_EPOLL: return fh_epoll_set(p, fd, old_mask, new_mask);
#endif
#if defined(FH_HAVE_KQUEUE)
    case FH_BACKEND_KQUEUE: return fh_kqueue_set(p, fd, old_mask, new_mask);
#endif
    case FH_BACKEND_POLL: return fh_poll_set(p, fd, new_mask);
    default: return -ENOSYS;
    }
}

static inline int fh_poller_wait(fh_poller_t *p, fh_event_t *out, int maxevents, int timeout_ms) {
    switch (p->kind) {
#if defined(FH_HAVE_EPOLL)
    case FH_BACKEND_EPOLL: return fh_epoll_wait(p, out, maxevents, timeout_ms);
#endif
#if defined(FH_HAVE_KQUEUE)
    case FH_BACKEND_KQUEUE: return fh_kqueue_wait(p, out, maxevents, timeout_ms);
#endif
    case FH_BACKEND_POLL: return fh_poll_wait(p, out, maxevents, timeout_ms);
    default: return -ENOSYS;
    }
}

/* Re-register fd for `mask` whatever the hub believes the kernel has. For fds the hub does not manage:
   one closed behind its back (by C code) may have left a cached registration that the kernel dropped,
   and its number may now name a new file. MOD, or ADD when the kernel has nothing for this fd. */
static inline int fh_poller_rearm(fh_poller_t *p, int fd, int mask) {
    if (fd < 0) return -EBADF;
    switch (p->kind) {
#if defined(FH_HAVE_EPOLL)
    case FH_BACKEND_EPOLL: return fh_epoll_set(p, fd, mask, mask);
#endif
#if defined(FH_HAVE_KQUEUE)
    case FH_BACKEND_KQUEUE: return fh_kqueue_set(p, fd, 0, mask);
#endif
    case FH_BACKEND_POLL: return fh_poll_set(p, fd, mask);
    default: return -ENOSYS;
    }
}

/* ---- cross-thread wake-up: eventfd where there is one, else a non-blocking pipe ---- */

static inline int fh_wakeup_open(int fds[2]) {
#if defined(FH_HAVE_EPOLL)
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd >= 0) {
        fds[0] = fds[1] = efd;
        return 0;
    }
#endif
    if (pipe(fds) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) < 0 || fh_set_cloexec(fds[i]) < 0) {
            int e = errno;
            close(fds[0]); close(fds[1]);
            return -e;
        }
    }
    return 0;
}

static inline void fh_wakeup_send(int wfd) {
    /* Eight bytes suit both an eventfd and a pipe. A full pipe or a saturated eventfd already means
       "wake up", so EAGAIN is fine to ignore. */
    uint64_t one = 1;
    ssize_t r = write(wfd, &one, sizeof(one));
    (void)r;
}

static inline void fh_wakeup_drain(int rfd) {
    char buf[256];
    while (read(rfd, buf, sizeof(buf)) > 0) {
    }
}

static inline void fh_wakeup_close(int fds[2]) {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0 && fds[1] != fds[0]) close(fds[1]);
    fds[0] = fds[1] = -1;
}

/* ---- time ---- */

static inline double fh_monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds to a poll timeout in milliseconds, rounded up so a timer never wakes the loop early. */
static inline int fh_timeout_ms(double seconds) {
    if (seconds < 0) return -1;
    double ms = seconds * 1000.0;
    if (ms >= (double)INT_MAX) return INT_MAX;
    int whole = (int)ms;
    if ((double)whole < ms) whole++;
    return whole;
}

#endif /* FASTHUB_POLLER_H */

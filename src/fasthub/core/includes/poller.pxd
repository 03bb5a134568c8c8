# Declarations of includes/poller.h: the readiness backends, the wake-up fd and the clock.

cdef extern from "poller.h" nogil:
    enum:
        FH_READ
        FH_WRITE
        FH_BACKEND_DEFAULT
        FH_BACKEND_EPOLL
        FH_BACKEND_KQUEUE
        FH_BACKEND_POLL

    ctypedef struct fh_event_t:
        int fd
        int events

    ctypedef struct fh_poller_t:
        int kind
        int bfd

    const char *fh_backend_name(int kind)
    int fh_default_backend()
    int fh_poller_open(fh_poller_t *p, int kind)
    void fh_poller_close(fh_poller_t *p)
    int fh_poller_set(fh_poller_t *p, int fd, int old_mask, int new_mask)
    int fh_poller_rearm(fh_poller_t *p, int fd, int mask)
    int fh_poller_wait(fh_poller_t *p, fh_event_t *out, int maxevents, int timeout_ms)

    int fh_wakeup_open(int fds[2])
    void fh_wakeup_send(int wfd)
    void fh_wakeup_drain(int rfd)
    void fh_wakeup_close(int fds[2])

    double fh_monotonic()
    int fh_timeout_ms(double seconds)

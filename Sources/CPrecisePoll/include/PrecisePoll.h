#ifndef LOVAGE_PRECISE_POLL_H
#define LOVAGE_PRECISE_POLL_H

#include <poll.h>

/// poll(2) with a timeout in microseconds, through ppoll(2): Swift's Glibc module does not expose
/// ppoll (it needs _GNU_SOURCE), and poll's whole milliseconds put a timer up to 1 ms late.
/// A negative timeout waits without limit. Returns what ppoll returns.
int lovage_poll_micros(struct pollfd *descriptors, nfds_t count, long long timeout_micros);

#endif

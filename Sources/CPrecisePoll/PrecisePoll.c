#define _GNU_SOURCE
#include <poll.h>
#include <time.h>
#include "PrecisePoll.h"

int lovage_poll_micros(struct pollfd *descriptors, nfds_t count, long long timeout_micros) {
    if (timeout_micros < 0) {
        return ppoll(descriptors, count, NULL, NULL);
    }
    struct timespec timeout;
    timeout.tv_sec = (time_t)(timeout_micros / 1000000);
    timeout.tv_nsec = (long)(timeout_micros % 1000000) * 1000;
    return ppoll(descriptors, count, &timeout, NULL);
}

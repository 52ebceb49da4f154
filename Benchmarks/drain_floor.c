/*
 * The floor of a prefork drain on this machine: the least a worker with Celery's semantics
 * (acks_late, results on, -O fair, prefetch window = concurrency x multiplier) must do per task,
 * written in C with none of a real worker's work. It runs Lovage's own fetch and result scripts
 * (their SHA1s are arguments: the caller loads the scripts' text from the Swift sources), so
 * redis-server does exactly what it does for Lovage; the parent pipelines a loop iteration's
 * fetch, results and acks in one write and never waits for Redis, as Lovage's does; each task goes
 * to an idle child only (fair scheduling), over a pipe, and the child answers over another.
 *
 * What it leaves out, so that its rate bounds any worker built this way from above: decoding the
 * message (it finds the task id with one string search), the core's decisions, time limits, the
 * child's memory readings, events, remote control, logging. The child runs no body.
 *
 *   drain_floor HOST PORT FETCH_SHA STORE_SHA [CONCURRENCY=2] [PREFETCH_MULTIPLIER=4]
 *
 * Runs until SIGTERM (interop/bench_drain_floor.py measures it as it measures a worker).
 */
#define _GNU_SOURCE
#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CHILDREN = 16, MAX_WINDOW = 1024, ID_MAX = 64, TAG_MAX = 64, MAX_PENDING_REPLIES = 1 << 16 };

struct job { uint32_t index; };
struct done { uint32_t index; uint32_t status; };

struct message { char id[ID_MAX]; char tag[TAG_MAX]; };

static void die(const char *what) { perror(what); exit(2); }

/* The child: read a job, "run" it, answer. One wake-up per task, as fair scheduling has. */
static void child_loop(int in, int out) {
    struct job job;
    for (;;) {
        ssize_t got = read(in, &job, sizeof job);
        if (got == 0) _exit(0);
        if (got != (ssize_t)sizeof job) die("child read");
        struct done done = { job.index, 0 };
        if (write(out, &done, sizeof done) != (ssize_t)sizeof done) die("child write");
    }
}

/* The value of the first `"name": "` member in `raw`, or "" (Celery writes the task id this way). */
static void member(const char *raw, size_t length, const char *name, char *into, size_t capacity) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\": \"", name);
    size_t keyLength = strlen(key);
    into[0] = 0;
    const char *at = memmem(raw, length, key, keyLength);
    if (!at) return;
    at += keyLength;
    const char *end = memchr(at, '"', length - (size_t)(at - raw));
    if (!end || (size_t)(end - at) >= capacity) return;
    memcpy(into, at, (size_t)(end - at));
    into[end - at] = 0;
}

static int64_t now_micros(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: drain_floor HOST PORT FETCH_SHA STORE_SHA [CONCURRENCY] [PREFETCH_MULTIPLIER]\n");
        return 2;
    }
    const char *host = argv[1], *fetchSHA = argv[3], *storeSHA = argv[4];
    int port = atoi(argv[2]);
    int concurrency = argc > 5 ? atoi(argv[5]) : 2;
    int multiplier = argc > 6 ? atoi(argv[6]) : 4;
    if (concurrency < 1 || concurrency > MAX_CHILDREN || multiplier < 1 || concurrency * multiplier > MAX_WINDOW) {
        fprintf(stderr, "drain_floor: concurrency 1-%d and a window of at most %d\n", MAX_CHILDREN, MAX_WINDOW);
        return 2;
    }
    int window = concurrency * multiplier;
    signal(SIGPIPE, SIG_IGN);

    int toChild[MAX_CHILDREN], fromChild[MAX_CHILDREN];
    for (int slot = 0; slot < concurrency; slot++) {
        int down[2], up[2];
        if (pipe(down) || pipe(up)) die("pipe");
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) { close(down[1]); close(up[0]); child_loop(down[0], up[1]); }
        close(down[0]); close(up[1]);
        toChild[slot] = down[1]; fromChild[slot] = up[0];
    }

    redisContext *redis = redisConnect(host, port);
    if (!redis || redis->err) { fprintf(stderr, "drain_floor: cannot connect to %s:%d\n", host, port); return 2; }

    /* The window: messages taken and not yet acknowledged (buffered or running). */
    static struct message held[MAX_WINDOW];
    int freeList[MAX_WINDOW], freeCount = 0;
    for (int i = window - 1; i >= 0; i--) freeList[freeCount++] = i;
    int buffered[MAX_WINDOW], bufferedHead = 0, bufferedCount = 0;
    int running[MAX_CHILDREN];
    for (int slot = 0; slot < concurrency; slot++) running[slot] = -1;
    int heldCount = 0;

    /* Replies expected, in order: 1 = the fetch's, 0 = a write's. */
    static uint8_t expected[MAX_PENDING_REPLIES];
    size_t expectedHead = 0, expectedCount = 0;
    int fetchOutstanding = 0;
    int64_t retryFetchAt = 0;
    /* Finished tasks whose result and ack the next write carries. */
    int finished[MAX_WINDOW], finishedCount = 0;
    const char *queueKeys[] = { "celery", "celery\x06\x16" "3", "celery\x06\x16" "6", "celery\x06\x16" "9" };

    for (;;) {
        /* One pipeline: the fetch first, then each finished task's result, then its ack. */
        int appended = 0;
        if (!fetchOutstanding && heldCount < window && now_micros() >= retryFetchAt) {
            char limit[16], score[32];
            snprintf(limit, sizeof limit, "%d", window - heldCount);
            int64_t now = now_micros();
            snprintf(score, sizeof score, "%lld.%06lld", (long long)(now / 1000000), (long long)(now % 1000000));
            const char *args[] = { "EVALSHA", fetchSHA, "6", "unacked", "unacked_index",
                                   queueKeys[0], queueKeys[1], queueKeys[2], queueKeys[3], limit, score, "0" };
            size_t lengths[12];
            for (int i = 0; i < 12; i++) lengths[i] = strlen(args[i]);
            redisAppendCommandArgv(redis, 12, args, lengths);
            expected[(expectedHead + expectedCount++) % MAX_PENDING_REPLIES] = 1;
            fetchOutstanding = 1;
            appended++;
        }
        for (int i = 0; i < finishedCount; i++) {
            struct message *message = &held[finished[i]];
            char key[128], document[512], date[64];
            int64_t now = now_micros();
            time_t seconds = (time_t)(now / 1000000);
            struct tm utc;
            gmtime_r(&seconds, &utc);
            strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
            snprintf(key, sizeof key, "celery-task-meta-%s", message->id);
            int documentLength = snprintf(document, sizeof document,
                "{\"status\": \"SUCCESS\", \"result\": null, \"traceback\": null, \"children\": [], "
                "\"date_done\": \"%s.%06lld+00:00\", \"task_id\": \"%s\"}", date, (long long)(now % 1000000), message->id);
            const char *store[] = { "EVALSHA", storeSHA, "1", key, "86400", document };
            size_t storeLengths[] = { 7, strlen(storeSHA), 1, strlen(key), 5, (size_t)documentLength };
            redisAppendCommandArgv(redis, 6, store, storeLengths);
            expected[(expectedHead + expectedCount++) % MAX_PENDING_REPLIES] = 0;
            appended++;
        }
        for (int i = 0; i < finishedCount; i++) {
            struct message *message = &held[finished[i]];
            redisAppendCommand(redis, "MULTI");
            redisAppendCommand(redis, "HDEL unacked %s", message->tag);
            redisAppendCommand(redis, "ZREM unacked_index %s", message->tag);
            redisAppendCommand(redis, "EXEC");
            for (int k = 0; k < 4; k++) expected[(expectedHead + expectedCount++) % MAX_PENDING_REPLIES] = 0;
            freeList[freeCount++] = finished[i];
            heldCount--;
            appended++;
        }
        finishedCount = 0;
        if (appended) {
            int done = 0;
            while (!done) if (redisBufferWrite(redis, &done) != REDIS_OK) { fprintf(stderr, "drain_floor: write failed\n"); return 2; }
        }

        struct pollfd fds[MAX_CHILDREN + 1];
        for (int slot = 0; slot < concurrency; slot++) fds[slot] = (struct pollfd){ fromChild[slot], POLLIN, 0 };
        fds[concurrency] = (struct pollfd){ redis->fd, POLLIN, 0 };
        /* A fetch that found the queues empty is tried again 2 ms later (a worker would block in BRPOP). */
        int timeout = !fetchOutstanding && heldCount < window ? 2 : -1;
        if (poll(fds, (nfds_t)concurrency + (expectedCount ? 1 : 0), timeout) < 0) die("poll");

        for (int slot = 0; slot < concurrency; slot++) {
            if (!(fds[slot].revents & (POLLIN | POLLHUP))) continue;
            struct done done;
            if (read(fromChild[slot], &done, sizeof done) != (ssize_t)sizeof done) { fprintf(stderr, "drain_floor: child %d gone\n", slot); return 2; }
            finished[finishedCount++] = (int)done.index;
            running[slot] = -1;
        }
        if (expectedCount && (fds[concurrency].revents & POLLIN)) {
            if (redisBufferRead(redis) != REDIS_OK) { fprintf(stderr, "drain_floor: read failed\n"); return 2; }
            void *raw;
            while (expectedCount && redisGetReplyFromReader(redis, &raw) == REDIS_OK && raw) {
                redisReply *reply = raw;
                int isFetch = expected[expectedHead];
                expectedHead = (expectedHead + 1) % MAX_PENDING_REPLIES;
                expectedCount--;
                if (reply->type == REDIS_REPLY_ERROR) { fprintf(stderr, "drain_floor: %s\n", reply->str); return 2; }
                if (isFetch) {
                    fetchOutstanding = 0;
                    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) retryFetchAt = now_micros() + 2000;
                    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i + 2 < reply->elements; i += 3) {
                        int index = freeList[--freeCount];
                        heldCount++;
                        redisReply *value = reply->element[i + 1], *tag = reply->element[i + 2];
                        member(value->str, value->len, "id", held[index].id, ID_MAX);
                        snprintf(held[index].tag, TAG_MAX, "%.*s", (int)tag->len, tag->str);
                        buffered[(bufferedHead + bufferedCount++) % MAX_WINDOW] = index;
                    }
                }
                freeReplyObject(reply);
            }
        }
        /* Fair scheduling: a task goes only to an idle child. */
        for (int slot = 0; slot < concurrency && bufferedCount; slot++) {
            if (running[slot] >= 0) continue;
            int index = buffered[bufferedHead];
            bufferedHead = (bufferedHead + 1) % MAX_WINDOW;
            bufferedCount--;
            running[slot] = index;
            struct job job = { (uint32_t)index };
            if (write(toChild[slot], &job, sizeof job) != (ssize_t)sizeof job) die("write to child");
        }
    }
    return 0;
}

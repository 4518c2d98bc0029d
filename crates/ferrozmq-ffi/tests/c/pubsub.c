/*
 * A PUB/SUB pair, as a C program writes one against zmq.h: the subscriber takes only the
 * "weather" topic, the publisher publishes two topics until the subscriber has ten weather
 * reports (a subscription takes a moment to reach the publisher), over tcp. Run by
 * tests/c_programs.rs, under valgrind when it is installed.
 */

#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(condition)                                                       \
    do {                                                                       \
        if (!(condition)) {                                                    \
            fprintf (stderr, "%s:%d: check failed: %s (errno %d: %s)\n",       \
                     __FILE__, __LINE__, #condition, zmq_errno (),             \
                     zmq_strerror (zmq_errno ()));                             \
            exit (1);                                                          \
        }                                                                      \
    } while (0)

int main (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *publisher = zmq_socket (ctx, ZMQ_PUB);
    CHECK (publisher);
    CHECK (zmq_bind (publisher, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (publisher, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);

    void *subscriber = zmq_socket (ctx, ZMQ_SUB);
    CHECK (subscriber);
    CHECK (zmq_setsockopt (subscriber, ZMQ_SUBSCRIBE, "weather", 7) == 0);
    CHECK (zmq_connect (subscriber, endpoint) == 0);

    int reports = 0;
    int published = 0;
    while (reports < 10) {
        char update[64];
        int n = snprintf (update, sizeof update, "%s %d",
                          published % 2 ? "sports" : "weather", published);
        CHECK (zmq_send (publisher, update, (size_t) n, 0) == n);
        published++;
        CHECK (published < 100000);

        zmq_pollitem_t item = {subscriber, 0, ZMQ_POLLIN, 0};
        while (zmq_poll (&item, 1, 10) == 1) {
            char received[64];
            int got = zmq_recv (subscriber, received, sizeof received - 1, 0);
            CHECK (got > 0);
            received[got] = '\0';
            CHECK (strncmp (received, "weather ", 8) == 0);
            reports++;
        }
    }
    int linger = 0;
    CHECK (zmq_setsockopt (publisher, ZMQ_LINGER, &linger, sizeof linger) == 0);
    CHECK (zmq_close (subscriber) == 0);
    CHECK (zmq_close (publisher) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok: %d weather reports of %d updates\n", reports, published);
    return 0;
}

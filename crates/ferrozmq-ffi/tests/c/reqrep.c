/*
 * A REQ/REP pair, as a C program writes one against zmq.h: a server thread answers each
 * request with its text reversed, over tcp (the port chosen by the system) and over
 * inproc. Run by tests/c_programs.rs, under valgrind when it is installed.
 */

#include <zmq.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUESTS 100

#define CHECK(condition)                                                       \
    do {                                                                       \
        if (!(condition)) {                                                    \
            fprintf (stderr, "%s:%d: check failed: %s (errno %d: %s)\n",       \
                     __FILE__, __LINE__, #condition, zmq_errno (),             \
                     zmq_strerror (zmq_errno ()));                             \
            exit (1);                                                          \
        }                                                                      \
    } while (0)

static void *server (void *rep)
{
    char buffer[64];
    for (int i = 0; i < REQUESTS; i++) {
        int n = zmq_recv (rep, buffer, sizeof buffer, 0);
        CHECK (n > 0 && n < (int) sizeof buffer);
        char reply[64];
        for (int j = 0; j < n; j++)
            reply[j] = buffer[n - 1 - j];
        CHECK (zmq_send (rep, reply, (size_t) n, 0) == n);
    }
    return NULL;
}

static void round_trips (void *ctx, const char *bind_to)
{
    void *rep = zmq_socket (ctx, ZMQ_REP);
    CHECK (rep);
    CHECK (zmq_bind (rep, bind_to) == 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);

    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, server, rep) == 0);

    void *req = zmq_socket (ctx, ZMQ_REQ);
    CHECK (req);
    CHECK (zmq_connect (req, endpoint) == 0);
    for (int i = 0; i < REQUESTS; i++) {
        char request[32];
        int n = snprintf (request, sizeof request, "request %d", i);
        CHECK (zmq_send (req, request, (size_t) n, 0) == n);
        zmq_msg_t reply;
        CHECK (zmq_msg_init (&reply) == 0);
        CHECK (zmq_msg_recv (&reply, req, 0) == n);
        const char *text = (const char *) zmq_msg_data (&reply);
        for (int j = 0; j < n; j++)
            CHECK (text[j] == request[n - 1 - j]);
        CHECK (zmq_msg_close (&reply) == 0);
    }
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (zmq_close (req) == 0);
    CHECK (zmq_close (rep) == 0);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    round_trips (ctx, "tcp://127.0.0.1:*");
    round_trips (ctx, "inproc://reqrep");
    CHECK (zmq_ctx_term (ctx) == 0);
    printf ("ok: %d round trips\n", 2 * REQUESTS);
    return 0;
}

/*
 * The C side of ferrozmq's libzmq: message lifetimes (a free function called exactly
 * once, after the last copy, on the thread that lets go last), misuse caught instead of
 * crashing (closing twice, storage never initialised, closed handles), and the
 * functions that need no socket. Run by tests/c_programs.rs, under valgrind when it is
 * installed.
 */

#include <zmq.h>
#include <zmq_utils.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks;

#define CHECK(condition)                                                       \
    do {                                                                       \
        checks++;                                                              \
        if (!(condition)) {                                                    \
            fprintf (stderr, "%s:%d: check failed: %s (errno %d: %s)\n",       \
                     __FILE__, __LINE__, #condition, zmq_errno (),             \
                     zmq_strerror (zmq_errno ()));                             \
            exit (1);                                                          \
        }                                                                      \
    } while (0)

/* What the free function saw: how often it ran, on which thread, with what. */
struct freed
{
    int calls;
    pthread_t thread;
    void *data;
};

static void record_free (void *data, void *hint)
{
    struct freed *freed = (struct freed *) hint;
    freed->calls++;
    freed->thread = pthread_self ();
    freed->data = data;
}

static void *close_on_another_thread (void *msg)
{
    CHECK (zmq_msg_close ((zmq_msg_t *) msg) == 0);
    return NULL;
}

static void messages (void)
{
    size_t sizes[] = {0, 1, 40, 41, 4096, 1 << 20};
    size_t i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        zmq_msg_t msg;
        CHECK (zmq_msg_init_size (&msg, sizes[i]) == 0);
        CHECK (zmq_msg_size (&msg) == sizes[i]);
        memset (zmq_msg_data (&msg), 'x', sizes[i]);
        CHECK (sizes[i] == 0 || ((char *) zmq_msg_data (&msg))[sizes[i] - 1] == 'x');
        CHECK (zmq_msg_more (&msg) == 0);
        CHECK (zmq_msg_close (&msg) == 0);
        /* Closing twice is caught: EFAULT, nothing freed twice. */
        CHECK (zmq_msg_close (&msg) == -1 && errno == EFAULT);
    }

    /* Storage never initialised. */
    zmq_msg_t garbage;
    memset (&garbage, 0xA5, sizeof garbage);
    CHECK (zmq_msg_close (&garbage) == -1 && errno == EFAULT);
    CHECK (zmq_msg_data (&garbage) == NULL && errno == EFAULT);
    CHECK (zmq_msg_close (NULL) == -1 && errno == EFAULT);

    /* A buffer handed over: not copied, freed once, after its last copy. */
    struct freed freed = {0, 0, NULL};
    char *buffer = malloc (300);
    memset (buffer, 'b', 300);
    zmq_msg_t original, copy, moved;
    CHECK (zmq_msg_init_data (&original, buffer, 300, record_free, &freed) == 0);
    CHECK (zmq_msg_data (&original) == buffer);
    CHECK (zmq_msg_get (&original, ZMQ_SHARED) == 0);
    CHECK (zmq_msg_init (&copy) == 0);
    CHECK (zmq_msg_copy (&copy, &original) == 0);
    CHECK (zmq_msg_get (&copy, ZMQ_SHARED) == 1);
    CHECK (zmq_msg_data (&copy) == buffer);
    CHECK (zmq_msg_init (&moved) == 0);
    CHECK (zmq_msg_move (&moved, &copy) == 0);
    CHECK (zmq_msg_size (&copy) == 0);
    CHECK (zmq_msg_close (&copy) == 0);
    CHECK (zmq_msg_close (&original) == 0);
    CHECK (freed.calls == 0);

    /* The last copy is closed on another thread: the function runs there. */
    pthread_t other;
    CHECK (pthread_create (&other, NULL, close_on_another_thread, &moved) == 0);
    CHECK (pthread_join (other, NULL) == 0);
    CHECK (freed.calls == 1);
    CHECK (pthread_equal (freed.thread, other));
    CHECK (freed.data == buffer);
    free (buffer);

    /* A failed init leaves the buffer with the caller: the function never runs. */
    freed.calls = 0;
    CHECK (zmq_msg_init_data (NULL, &freed, 1, record_free, &freed) == -1);
    CHECK (freed.calls == 0);

    /* Constant data: never freed. */
    static const char text[] = "constant";
    zmq_msg_t constant;
    CHECK (zmq_msg_init_data (&constant, (void *) text, 8, NULL, NULL) == 0);
    CHECK (zmq_msg_get (&constant, ZMQ_SHARED) == 1);
    CHECK (zmq_msg_close (&constant) == 0);

    /* Routing id and group travel with copies. */
    zmq_msg_t addressed, its_copy;
    CHECK (zmq_msg_init_buffer (&addressed, "hello", 5) == 0);
    CHECK (zmq_msg_set_routing_id (&addressed, 0) == -1 && errno == EINVAL);
    CHECK (zmq_msg_set_routing_id (&addressed, 42) == 0);
    CHECK (zmq_msg_set_group (&addressed, "weather") == 0);
    CHECK (zmq_msg_init (&its_copy) == 0);
    CHECK (zmq_msg_copy (&its_copy, &addressed) == 0);
    CHECK (zmq_msg_close (&addressed) == 0);
    CHECK (zmq_msg_routing_id (&its_copy) == 42);
    CHECK (strcmp (zmq_msg_group (&its_copy), "weather") == 0);
    CHECK (memcmp (zmq_msg_data (&its_copy), "hello", 5) == 0);
    CHECK (zmq_msg_gets (&its_copy, "Socket-Type") == NULL && errno == EINVAL);
    CHECK (zmq_msg_close (&its_copy) == 0);
}

/* The sender of small_parts: each size made, filled, sent and closed in turn, as
 * libzmq's inproc_thr does; its buffers are let go of on this thread, which then ends. */
static const size_t small_sizes[] = {41, 64, 69, 70, 64, 40, 1024, 64};
#define SMALL_ROUNDS 50

/* Checks of the sender thread, which runs beside the main thread's checks: the text of
 * the first that failed comes back from the thread. */
#define SENDER_CHECK(condition)                                                \
    do {                                                                       \
        if (!(condition))                                                      \
            return (void *) #condition;                                        \
    } while (0)

static void *send_small_parts (void *socket)
{
    int round;
    size_t i;
    for (round = 0; round < SMALL_ROUNDS; round++)
        for (i = 0; i < sizeof small_sizes / sizeof small_sizes[0]; i++) {
            zmq_msg_t msg;
            SENDER_CHECK (zmq_msg_init_size (&msg, small_sizes[i]) == 0);
            /* Fresh content reads as zero, whatever an earlier part left behind. */
            SENDER_CHECK (((char *) zmq_msg_data (&msg))[small_sizes[i] - 1] == 0);
            memset (zmq_msg_data (&msg), 'a' + (int) i, small_sizes[i]);
            SENDER_CHECK (zmq_msg_send (&msg, socket, 0) == (int) small_sizes[i]);
            SENDER_CHECK (zmq_msg_size (&msg) == 0);
            SENDER_CHECK (zmq_msg_close (&msg) == 0);
        }
    return NULL;
}

/* Parts of 41 to 69 bytes live in buffers their thread recycles: content, sizes and
 * copies must come out right whichever buffer a part was given, with nothing leaked or
 * freed twice (memcheck). */
static void small_parts (void)
{
    void *ctx = zmq_ctx_new ();
    void *in = zmq_socket (ctx, ZMQ_PAIR);
    void *out = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (zmq_bind (in, "inproc://small-parts") == 0);
    CHECK (zmq_connect (out, "inproc://small-parts") == 0);
    pthread_t sender;
    CHECK (pthread_create (&sender, NULL, send_small_parts, out) == 0);

    zmq_msg_t msg, kept;
    CHECK (zmq_msg_init (&msg) == 0);
    CHECK (zmq_msg_init (&kept) == 0);
    int round;
    size_t i, j;
    for (round = 0; round < SMALL_ROUNDS; round++)
        for (i = 0; i < sizeof small_sizes / sizeof small_sizes[0]; i++) {
            /* The same message received into again and again, as a receive loop does. */
            CHECK (zmq_msg_recv (&msg, in, 0) == (int) small_sizes[i]);
            CHECK (zmq_msg_size (&msg) == small_sizes[i]);
            for (j = 0; j < small_sizes[i]; j++)
                CHECK (((char *) zmq_msg_data (&msg))[j] == 'a' + (int) i);
            if (round == 0 && i == 1) {
                /* A copy shares the buffer, which stays where it was. */
                void *data = zmq_msg_data (&msg);
                CHECK (zmq_msg_copy (&kept, &msg) == 0);
                CHECK (zmq_msg_data (&msg) == data && zmq_msg_data (&kept) == data);
                CHECK (zmq_msg_get (&msg, ZMQ_SHARED) == 1);
            }
        }
    void *failed = NULL;
    CHECK (pthread_join (sender, &failed) == 0);
    if (failed != NULL)
        fprintf (stderr, "sender: check failed: %s\n", (const char *) failed);
    CHECK (failed == NULL);
    /* The copy outlived every later receive into the original. */
    CHECK (zmq_msg_size (&kept) == 64);
    CHECK (((char *) zmq_msg_data (&kept))[63] == 'a' + 1);
    CHECK (zmq_msg_close (&kept) == 0);
    CHECK (zmq_msg_close (&msg) == 0);

    /* A small message closed on another thread than the one that made it. */
    CHECK (zmq_msg_init_size (&msg, 64) == 0);
    pthread_t other;
    CHECK (pthread_create (&other, NULL, close_on_another_thread, &msg) == 0);
    CHECK (pthread_join (other, NULL) == 0);
    CHECK (zmq_msg_close (&msg) == -1 && errno == EFAULT);

    /* C's buffers sent, one copied on the way (up to 4 KiB) and one shared: each arrives
     * whole and its free function runs once, by the time the received part is closed. */
    size_t handed_over[] = {3000, 5000};
    for (i = 0; i < 2; i++) {
        struct freed sent = {0, 0, NULL};
        char *payload = malloc (handed_over[i]);
        memset (payload, 'p', handed_over[i]);
        CHECK (zmq_msg_init_data (&msg, payload, handed_over[i], record_free, &sent) == 0);
        CHECK (zmq_msg_send (&msg, out, 0) == (int) handed_over[i]);
        CHECK (zmq_msg_close (&msg) == 0);
        CHECK (zmq_msg_init (&msg) == 0);
        CHECK (zmq_msg_recv (&msg, in, 0) == (int) handed_over[i]);
        CHECK (((char *) zmq_msg_data (&msg))[handed_over[i] - 1] == 'p');
        CHECK (zmq_msg_close (&msg) == 0);
        CHECK (sent.calls == 1 && sent.data == payload);
        free (payload);
    }

    CHECK (zmq_close (in) == 0);
    CHECK (zmq_close (out) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
}

static void contexts (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx != NULL);
    CHECK (zmq_ctx_get (ctx, ZMQ_IO_THREADS) == ZMQ_IO_THREADS_DFLT);
    CHECK (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS) == ZMQ_MAX_SOCKETS_DFLT);
    CHECK (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE) == (int) sizeof (zmq_msg_t));
    CHECK (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2) == 0);
    CHECK (zmq_ctx_get (ctx, ZMQ_IO_THREADS) == 2);
    CHECK (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 0) == -1 && errno == EINVAL);
    CHECK (zmq_ctx_shutdown (ctx) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    /* A terminated context, NULL, and something that is no context. */
    CHECK (zmq_ctx_term (ctx) == -1 && errno == EFAULT);
    CHECK (zmq_ctx_get (ctx, ZMQ_IO_THREADS) == -1 && errno == EFAULT);
    CHECK (zmq_ctx_term (NULL) == -1 && errno == EFAULT);
    int not_a_context[16] = {0};
    CHECK (zmq_ctx_shutdown (not_a_context) == -1 && errno == EFAULT);

    void *legacy = zmq_init (1);
    CHECK (legacy != NULL);
    CHECK (zmq_term (legacy) == 0);
    CHECK (zmq_init (-1) == NULL && errno == EINVAL);
}

static void add_one (void *counter)
{
    int i;
    for (i = 0; i < 1000; i++)
        zmq_atomic_counter_inc (counter);
}

static void utilities (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    CHECK (ZMQ_MAKE_VERSION (major, minor, patch) == ZMQ_VERSION);
    CHECK (zmq_has ("curve") && zmq_has ("ipc") && zmq_has ("draft"));
    CHECK (!zmq_has ("tipc") && !zmq_has ("pgm"));
    CHECK (strlen (zmq_strerror (ETERM)) > 0);
    CHECK (strlen (zmq_strerror (EAGAIN)) > 0);

    char text[11];
    const uint8_t data[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    CHECK (zmq_z85_encode (text, data, 8) == text);
    CHECK (strcmp (text, "HelloWorld") == 0);
    uint8_t decoded[8];
    CHECK (zmq_z85_decode (decoded, "HelloWorld") == decoded);
    CHECK (memcmp (decoded, data, 8) == 0);
    CHECK (zmq_z85_decode (decoded, "Hello") != NULL);
    CHECK (zmq_z85_decode (decoded, "Hell") == NULL && errno == EINVAL);

    char public_key[41], secret_key[41], derived[41];
    CHECK (zmq_curve_keypair (public_key, secret_key) == 0);
    CHECK (zmq_curve_public (derived, secret_key) == 0);
    CHECK (strcmp (public_key, derived) == 0);

    void *counter = zmq_atomic_counter_new ();
    void *threads[4];
    int i;
    for (i = 0; i < 4; i++)
        threads[i] = zmq_threadstart (add_one, counter);
    for (i = 0; i < 4; i++)
        zmq_threadclose (threads[i]);
    CHECK (zmq_atomic_counter_value (counter) == 4000);
    zmq_atomic_counter_destroy (&counter);
    CHECK (counter == NULL);

    void *watch = zmq_stopwatch_start ();
    zmq_sleep (0);
    CHECK (zmq_stopwatch_intermediate (watch) < 10000000UL);
    zmq_stopwatch_stop (watch);
}

int main (void)
{
    messages ();
    small_parts ();
    contexts ();
    utilities ();
    printf ("ok: %d checks\n", checks);
    return 0;
}

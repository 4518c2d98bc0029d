/*
 * zmq_utils.h — kept for programs that still include it: everything it once declared
 * (stopwatch, sleep, threads, Z85, CURVE keys, atomic counters) is in zmq.h, which this
 * file includes. libzmq's version of this file warns at compile time instead; ferrozmq's
 * stays quiet so that programs built with -Werror keep building.
 *
 * License: MPL-2.0, as the rest of ferrozmq.
 */

#ifndef __ZMQ_UTILS_H_INCLUDED__
#define __ZMQ_UTILS_H_INCLUDED__

#include "zmq.h"

#endif /* __ZMQ_UTILS_H_INCLUDED__ */

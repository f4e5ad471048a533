/* The one way a command that serves until it is told to stop handles SIGTERM and SIGINT.
 *
 * Signals are a process-wide concern, so they stay in the command (src/cmd/...), never in a
 * library or a component (crun keeps them in the command for the same reason): a component offers
 * a run function and a stop function that any thread may call, and the command joins the two with
 * cc_run_until_stopped:
 *
 *     int forward(...)
 *     {
 *             cc_stop_signals_block();            // first: before any thread is started
 *             _cleanup_(audit_forwarder_freep) struct audit_forwarder *fwd = NULL;
 *             r = audit_forwarder_new(&cfg, &fwd, &err);
 *             ...
 *             r = cc_run_until_stopped(run_forwarder, stop_forwarder, fwd, &err);
 *     }
 *
 * where run_forwarder(ctx, err) calls audit_forwarder_run and stop_forwarder(ctx) calls
 * audit_forwarder_stop. cocoond, `kbs serve` and `kms serve` use it the same way.
 *
 * The signals are blocked in every thread (threads inherit the mask of the thread that starts
 * them, hence "first"), and the command's thread takes them with signalfd: no handler runs at an
 * arbitrary point of another thread, and the stop function is called as ordinary code. */
#pragma once

struct cc_error;

/* Blocks SIGTERM and SIGINT in the calling thread, so threads started afterwards inherit the
 * block, and ignores SIGPIPE, so a write to a peer that went away fails with EPIPE instead of
 * ending the process. Call it first in the command, before anything starts a thread. Idempotent. */
void cc_stop_signals_block(void);

/* Runs run(ctx, err) on a new thread while the calling thread waits for SIGTERM or SIGINT. On the
 * first signal it calls stop(ctx) once and waits for run to return; if run returns by itself (its
 * work is done, or it failed), no stop is needed. Returns what run returned. The signals stay
 * blocked afterwards, so a second signal never cuts the command's own clean-up short (wiping a key,
 * closing a queue). Calls cc_stop_signals_block itself, for commands that start no thread before. */
int cc_run_until_stopped(int (*run)(void *ctx, struct cc_error *err), void (*stop)(void *ctx), void *ctx,
			 struct cc_error *err);

/* For a command whose component serves on threads of its own (a cc_server): waits for SIGTERM or
 * SIGINT and returns the signal, calling tick(ctx) every tick_ms meanwhile when tick is given (the KMS
 * plugin reloads its key so). The caller then stops its component as ordinary code:
 *
 *     cc_stop_signals_block();
 *     r = node_daemon_start(&cfg, &daemon, &err);
 *     ...
 *     cc_wait_until_stopped(0, NULL, NULL);
 *     node_daemon_stop(daemon);
 *
 * Returns a negative errno if it cannot wait. */
int cc_wait_until_stopped(int tick_ms, void (*tick)(void *ctx), void *ctx);

/**
 * The lifecycle every long-lived part follows (NatsLink, the sources, the stores, the dispatcher,
 * MqttSink, the heartbeat, the HTTP app, the reloader, the status history, the probes):
 *
 * - constructing a part starts nothing (no timer, no socket);
 * - `start()` begins the work: connect, subscribe, listen, start timers;
 * - `stop(deadlineMs)` is graceful: take no new work, finish what is under way within the
 *   deadline, keep the rest (in the store) for the next run;
 * - `close()` is immediate: release every resource. Idempotent, and safe without start().
 *
 * `[Symbol.asyncDispose]` calls close(), for `await using` in tests. The service starts its parts
 * in data-flow order (store, delivery, sources) and stops them in reverse (docs/architecture.md,
 * "Lifecycle").
 */
export interface Lifecycle extends AsyncDisposable {
  start(): Promise<void>
  stop(deadlineMs: number): Promise<void>
  close(): Promise<void>
}

/** A part with nothing to finish gracefully: stop() is close(). */
export abstract class SimpleLifecycle implements Lifecycle {
  abstract start(): Promise<void>
  abstract close(): Promise<void>

  stop(_deadlineMs: number): Promise<void> {
    return this.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** Something to undo, run by {@link Teardown.run}. */
export type Cleanup = () => unknown

/**
 * A stack of cleanups run in reverse order of registration, like `await using` for code that
 * cannot use it (e.g. `before`/`after` hooks): `t.after(() => teardown.run())`.
 *
 * Every cleanup runs even if an earlier one failed; the failures are then thrown together, so a
 * leak shows up as a failed test instead of a hung run.
 */
export class Teardown {
  readonly #stack: Array<{ what: string; fn: Cleanup }> = []
  #running: Promise<void> | undefined

  /** Registers a cleanup; `what` names it in error messages. */
  add(fn: Cleanup, what = `cleanup #${this.#stack.length + 1}`): void {
    this.#stack.push({ what, fn })
  }

  /** Registers `resource[Symbol.asyncDispose]` and returns the resource, for `const x = td.use(await startX())`. */
  use<T extends AsyncDisposable>(resource: T, what?: string): T {
    this.add(() => resource[Symbol.asyncDispose](), what)
    return resource
  }

  /** Runs the cleanups, last registered first. Idempotent while running; cleanups added later run on the next call. */
  run(): Promise<void> {
    this.#running ??= (async () => {
      const errors: unknown[] = []
      for (let item = this.#stack.pop(); item !== undefined; item = this.#stack.pop()) {
        try {
          await item.fn()
        } catch (err: unknown) {
          errors.push(new Error(`teardown: ${item.what} failed`, { cause: err }))
        }
      }
      if (errors.length === 1) throw errors[0]
      if (errors.length > 1) throw new AggregateError(errors, `teardown: ${errors.length} cleanups failed`)
    })().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.run()
  }
}

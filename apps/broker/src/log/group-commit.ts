/**
 * Group commit: callers that need their writes durable call `request()`; one fdatasync (the `run`
 * function) serves every request made before it started, and requests made while it runs share the
 * next one. With many producers, N acknowledgements cost far fewer than N fdatasyncs.
 */
export class GroupCommit {
  readonly #run: () => Promise<void>;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  constructor(run: () => Promise<void>) {
    this.#run = run;
  }

  /** Resolves once a flush that started after this call has completed. */
  request(): Promise<void> {
    if (!this.#running) return this.#start();
    this.#next ??= this.#running.then(
      () => this.#startQueued(),
      () => this.#startQueued(),
    );
    return this.#next;
  }

  /** Resolves when no flush is running or queued. */
  async idle(): Promise<void> {
    while (this.#running || this.#next) await (this.#next ?? this.#running)?.catch(() => {});
  }

  #startQueued(): Promise<void> {
    this.#next = null;
    return this.#start();
  }

  #start(): Promise<void> {
    const p: Promise<void> = this.#run().finally(() => {
      if (this.#running === p) this.#running = null;
    });
    this.#running = p;
    return p;
  }
}

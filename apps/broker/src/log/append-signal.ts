import { timerDelay } from '../timer-delay.ts';

/**
 * Wakes long-polling fetches instead of having them poll the logs. Two kinds of news: new records
 * appended (everyone may care), and a high watermark that moved (only consumers care: followers
 * read up to the log end, so waking them for it would only make them look again and wait again).
 */
export class AppendSignal {
  #consumers: (() => void)[] = [];
  #followers: (() => void)[] = [];

  /** Records were appended. */
  notify(): void {
    this.#wake(this.#followers);
    this.#followers = [];
    this.#wake(this.#consumers);
    this.#consumers = [];
  }

  /** A high watermark advanced: consumers may now read more. */
  notifyHighWatermark(): void {
    this.#wake(this.#consumers);
    this.#consumers = [];
  }

  #wake(waiters: (() => void)[]): void {
    for (const w of waiters) w();
  }

  /** Resolves on the next relevant signal or after `ms`, whichever comes first. */
  wait(ms: number, follower = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timerDelay(ms)); // a deadline just passed gives ms < 0
      function done() {
        clearTimeout(timer);
        resolve();
      }
      (follower ? this.#followers : this.#consumers).push(done);
    });
  }
}

import pg from 'pg';

export interface ChangeListenerOptions {
  connectionString: string;
  /** A PostgreSQL channel name ([a-z_][a-z0-9_]*; it is quoted as an identifier). */
  channel: string;
  /** Called with each notification's payload, in the order PostgreSQL delivers them. */
  onChange(payload: string): void;
  /**
   * Called with `true` once LISTEN is acknowledged (first time and after every reconnect) and with
   * `false` as soon as the connection is known to be lost: notifications may have been missed from
   * that moment until the next `true`.
   */
  onListening(listening: boolean): void;
  /** Reconnect delay: starts at `initialMs`, doubles per failed attempt, capped at `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * A connection can die without an error reaching us (a silent network drop): a `SELECT 1` every
   * `pingIntervalMs` that does not answer within `pingTimeoutMs` counts as a loss.
   */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
}

/**
 * One dedicated PostgreSQL connection (not from a pool: a pooled connection is shared and recycled,
 * and LISTEN belongs to its session) that LISTENs on one channel, and reconnects with a capped
 * exponential backoff for as long as it is open. It only reports; what a loss means is the caller's
 * business (the instance cache stops serving from memory).
 */
export class ChangeListener {
  readonly #o: Required<Omit<ChangeListenerOptions, 'onChange' | 'onListening'>> & Pick<ChangeListenerOptions, 'onChange' | 'onListening'>;
  #client: pg.Client | null = null;
  #listening = false;
  #closed = false;
  #failures = 0;
  #pid: number | null = null;
  #retry: NodeJS.Timeout | null = null;
  #ping: NodeJS.Timeout | null = null;

  constructor(options: ChangeListenerOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`bad channel name: ${options.channel}`);
    this.#o = { backoff: { initialMs: 100, maxMs: 5_000 }, pingIntervalMs: 5_000, pingTimeoutMs: 3_000, ...options };
  }

  get listening() { return this.#listening; }
  /** The listening session's backend pid (null while not listening); tests terminate it. */
  get pid() { return this.#listening ? this.#pid : null; }

  /** Makes the first attempt; resolves either way (a failure is retried in the background). */
  async start(): Promise<void> {
    this.#ping ??= setInterval(() => this.#checkAlive(), this.#o.pingIntervalMs).unref();
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#ping) clearInterval(this.#ping);
    const client = this.#client;
    this.#client = null;
    this.#setListening(false);
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#o.connectionString, keepAlive: true });
    this.#client = client;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.#client !== client) return; // closed, or already replaced
      this.#client = null;
      this.#setListening(false);
      this.#scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (m) => {
      if (m.channel === this.#o.channel) this.#o.onChange(m.payload ?? '');
    });
    try {
      await client.connect();
      const r = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query(`LISTEN "${this.#o.channel}"`);
      if (lost || this.#client !== client) return;
      this.#pid = r.rows[0]!.pid;
      this.#failures = 0;
      this.#setListening(true);
    } catch {
      onLost();
    }
  }

  #scheduleReconnect() {
    if (this.#closed || this.#retry) return;
    const { initialMs, maxMs } = this.#o.backoff;
    const delay = Math.min(maxMs, initialMs * 2 ** this.#failures);
    this.#failures++;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#connect();
    }, delay * (0.5 + Math.random() / 2)).unref();
  }

  async #checkAlive() {
    const client = this.#client;
    if (!client || !this.#listening) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), this.#o.pingTimeoutMs); });
    const answer = await Promise.race([client.query('SELECT 1').then(() => 'ok' as const, () => 'failed' as const), timeout]);
    clearTimeout(timer);
    // A failed query also emits 'error' on the client (handled there); a timeout does not.
    if (answer === 'timeout' && this.#client === client) client.emit('error', new Error('listener connection did not answer a ping'));
  }

  #setListening(v: boolean) {
    if (this.#listening === v) return;
    this.#listening = v;
    this.#o.onListening(v);
  }
}

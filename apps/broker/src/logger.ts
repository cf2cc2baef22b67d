/** JSON-lines logs on stdout: one object per line, so any collector can parse them. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(base: Record<string, unknown>, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  return {
    log(level, msg, fields = {}) {
      out(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    },
  };
}

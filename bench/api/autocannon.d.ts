// The part of autocannon's API this benchmark uses (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Request { method?: string; path?: string; headers?: Record<string, string>; body?: string }
    interface Options {
      url?: string; connections?: number; duration?: number; headers?: Record<string, string>;
      requests?: (Request & { setupRequest?: (req: Request) => Request })[];
    }
    interface Result { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }
  }
  function autocannon(opts: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}

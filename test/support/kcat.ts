import { spawn } from 'node:child_process';

/**
 * Runs `kcat -P <args>` with `input` on its stdin (one message per line) and resolves with kcat's
 * stderr once it exits 0; a non-zero exit rejects with the code and the end of stderr. Killed after
 * `timeoutMs` so that a hung producer cannot hang the suite.
 */
export function kcatProduce(args: string[], input: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-P', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stderr);
      else reject(new Error(`kcat -P exited ${code}: ${stderr.slice(-2000)}`));
    });
    child.stdin.end(input);
  });
}

import { spawn } from 'node:child_process';
import { ffmpegBin } from '../media/tools';

/**
 * Runs ffmpeg with `-progress pipe:1`, reporting the fraction of `durationSec` encoded, and kills
 * it when the signal aborts (a cancelled generation must not keep a core busy).
 */
export function runFfmpegWithProgress(
  args: string[],
  durationSec: number,
  opts: { signal?: AbortSignal; onProgress?: (f: number) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(abortError(opts.signal));
    const child = spawn(
      ffmpegBin(),
      ['-hide_banner', '-nostats', '-v', 'error', '-progress', 'pipe:1', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    let buf = '';
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m && opts.onProgress) opts.onProgress(Math.min(1, Number(m[1]) / 1e6 / durationSec));
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 8000) err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) return reject(abortError(opts.signal));
      if (code !== 0) return reject(new Error(`ffmpeg exited with ${code ?? sig}: ${err.slice(-1500)}`));
      resolve();
    });
  });
}

export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error('The render was cancelled.');
}

import { execFileSync, spawn } from 'node:child_process';

/**
 * Locates ffmpeg/ffprobe: an explicit FFMPEG_PATH/FFPROBE_PATH, else the system binary (Debian's
 * is newer and has more codecs), else the static build shipped by the npm installer packages.
 */
function locate(name: 'ffmpeg' | 'ffprobe'): string {
  const env = name === 'ffmpeg' ? process.env.FFMPEG_PATH : process.env.FFPROBE_PATH;
  if (env) return env;
  try {
    const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    if (p) return p;
  } catch {
    // not on PATH: fall through to the packaged binary
  }
  return name === 'ffmpeg'
    ? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path
    : (require('@ffprobe-installer/ffprobe') as { path: string }).path;
}

let ffmpegPath: string | undefined;
let ffprobePath: string | undefined;
export function ffmpegBin(): string {
  return (ffmpegPath ??= locate('ffmpeg'));
}
export function ffprobeBin(): string {
  return (ffprobePath ??= locate('ffprobe'));
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs a media tool with arguments (never a shell), collecting stdout as bytes; rejects on non-zero exit. */
export function runTool(
  bin: string,
  args: string[],
  opts: { input?: Buffer; timeoutMs?: number; maxStdoutBytes?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outLen = 0;
    let err = '';
    let killedForSize = false;
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.on('data', (d: Buffer) => {
      outLen += d.length;
      if (opts.maxStdoutBytes && outLen > opts.maxStdoutBytes) {
        killedForSize = true;
        child.kill('SIGKILL');
        return;
      }
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 20000) err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (killedForSize) return reject(new Error(`${bin} produced more than ${opts.maxStdoutBytes} bytes`));
      if (code !== 0) return reject(new Error(`${bin} exited with ${code ?? signal}: ${err.slice(-2000)}`));
      resolve({ stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

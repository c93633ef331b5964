import fs from 'node:fs';

/**
 * CPU time for the per-stage timings in the report. Wall time on a shared machine measures the
 * neighbours as much as the analysis; CPU time of this thread (Linux /proc/thread-self) and of the
 * finished ffmpeg children (cutime + cstime of /proc/self) does not. Falls back to process CPU
 * time where /proc is missing, and to 0 for children.
 */
const TICK_MS = 10; // USER_HZ is 100 on every Linux this runs on

function statFields(file: string): string[] | undefined {
  try {
    const s = fs.readFileSync(file, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU milliseconds used by the calling thread so far. */
export function threadCpuMs(): number {
  const f = statFields('/proc/thread-self/stat');
  if (!f) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the command name.
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** CPU milliseconds of this process's exited and waited-for children (ffmpeg, ffprobe). */
export function childrenCpuMs(): number {
  const f = statFields('/proc/self/stat');
  return f ? (Number(f[13]) + Number(f[14])) * TICK_MS : 0;
}

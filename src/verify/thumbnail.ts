import { ffmpegBin, runTool } from '../media/tools';

/** A small JPEG of the upload (a frame near the start of a video) as a data URL, or null for sound alone. */
export async function thumbnailDataUrl(
  path: string,
  opts: { isImage: boolean; durationSec: number | null },
): Promise<string | null> {
  const seek = opts.isImage ? [] : ['-ss', String(Math.min(1, (opts.durationSec ?? 0) / 2))];
  try {
    const { stdout } = await runTool(
      ffmpegBin(),
      [
        '-v',
        'error',
        '-nostdin',
        ...seek,
        '-i',
        path,
        '-map',
        '0:v:0',
        '-frames:v',
        '1',
        '-vf',
        "scale='min(320,iw)':-2",
        '-q:v',
        '6',
        '-f',
        'image2pipe',
        '-c:v',
        'mjpeg',
        '-',
      ],
      { timeoutMs: 20000, maxStdoutBytes: 512 * 1024 },
    );
    return stdout.length ? `data:image/jpeg;base64,${stdout.toString('base64')}` : null;
  } catch {
    return null;
  }
}

import path from 'node:path';
import type { Command } from 'commander';
import sharp from 'sharp';
import { z } from 'zod';
import { detectFile, embedImageFile, embedVideoFile } from './files';
import type { WatermarkDetection } from './types';

const payloadSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{16}$/, 'the payload must be 16 hexadecimal digits (64 bits)');
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);

async function isImage(p: string): Promise<boolean> {
  if (IMAGE_EXT.has(path.extname(p).toLowerCase())) return true;
  try {
    const m = await sharp(p).metadata();
    return (m.pages ?? 1) === 1 && ['jpeg', 'png', 'webp', 'tiff'].includes(m.format ?? '');
  } catch {
    return false;
  }
}

function payloadCheckText(r: WatermarkDetection): string {
  if (r.payloadCheck === 'ledger') return 'the ledger issued it';
  if (r.payloadCheck === 'picture+sound') return 'the picture and the sound decoded it apart';
  const rate = r.payloadCrcRate ?? 1;
  return `checked by its CRC alone, which a random wrong word passes ${rate.toExponential(1)} of the time; confirm it against the ledger or with --expect`;
}

/** Adds `watermark embed IN OUT --payload HEX` and `watermark detect FILE [--json] [--expect HEX]`. */
export function registerWatermarkCommands(program: Command, getKey: () => Promise<Buffer>): void {
  const wm = program.command('watermark').description('Embed or detect the invisible watermark');
  wm.command('embed <in> <out>')
    .description('Mark an image or a video (H.264/AAC MP4 out; audio is marked too)')
    .requiredOption('--payload <hex>', '64-bit payload as 16 hex digits')
    .action(async (inPath: string, outPath: string, o: { payload: string }) => {
      const payload = payloadSchema.parse(o.payload).toLowerCase();
      const key = await getKey();
      if (await isImage(inPath)) {
        const r = await embedImageFile(inPath, outPath, payload, key);
        process.stdout.write(
          `marked image ${outPath} (luma PSNR ${r.psnrDb.toFixed(1)} dB, SSIM ${r.ssim.toFixed(4)})\n`,
        );
      } else {
        const r = await embedVideoFile(inPath, outPath, payload, key);
        process.stdout.write(
          `marked ${outPath}${r.psnrDb ? ` (luma PSNR ${r.psnrDb.toFixed(1)} dB, lowest sampled SSIM ${r.ssimMin?.toFixed(4)})` : ''}\n`,
        );
      }
    });
  wm.command('detect <file>')
    .description('Look for the watermark and print the payload, p-value and undone geometry')
    .option('--json', 'print the full result as JSON')
    .option('--max-seconds <n>', 'analyse at most this many seconds', '10')
    .option(
      '--expect <hex>',
      'also accept this payload when it decodes below the code-alone threshold (a ledger of one identifier)',
    )
    .action(async (file: string, o: { json?: boolean; maxSeconds: string; expect?: string }) => {
      const key = await getKey();
      const expected = o.expect === undefined ? null : payloadSchema.parse(o.expect).toLowerCase();
      const r = await detectFile(file, key, {
        maxSeconds: z.coerce.number().positive().parse(o.maxSeconds),
        ...(expected
          ? {
              issued: async () => ({ issued: new Set([expected]), issuedCount: 1 }),
              issuedScan: async () => ({ payloads: [expected], issuedCount: 1 }),
            }
          : {}),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const lines = [
        `detected: ${r.detected ? `yes (${r.decidedBy === 'ledger' ? 'the expected payload decoded' : 'by the code alone'})` : 'no'}`,
        `payload: ${r.payloadHex ?? '-'}${r.payloadHex ? ` (${payloadCheckText(r)})` : ''}`,
        `p-value: ${r.pValue.toExponential(2)} (score ${r.score.toFixed(2)})`,
      ];
      if (r.video) {
        const t = r.video.transform;
        lines.push(
          `video: ${r.video.framesUsed} frames, ${r.video.secondsUsed.toFixed(2)} s; scale ${t.scale.toFixed(3)}, rotation ${t.rotationDeg.toFixed(2)} deg, flipped ${t.flipped}, offset ${t.offsetX},${t.offsetY}`,
        );
      }
      if (r.audio)
        lines.push(
          `audio: ${r.audio.secondsUsed.toFixed(2)} s, detected ${r.audio.detected}, payload ${r.audio.payloadHex ?? '-'}, p ${r.audio.pValue.toExponential(2)}; speed ${r.audio.speed}${r.audio.pitchKept ? ' (pitch kept)' : ''}`,
        );
      if (r.reason) lines.push(`reason: ${r.reason}`);
      process.stdout.write(`${lines.join('\n')}\n`);
      if (!r.detected) process.exitCode = 2;
    });
}

/**
 * Sign and read times of Content Credentials for the service's outputs: a 10 s 720p H.264/AAC
 * clip (goal: each under 300 ms), and the JPEG and PNG fixtures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegBin, runTool } from '../src/media/tools';
import { createProvenance, type ManifestInput } from '../src/provenance';
import { fixture } from '../tests/helpers/fixtures';

const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall time, and the CPU time of the whole process (both threads: the engine runs in a worker). */
async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T, number]> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const v = await fn();
  const c = process.cpuUsage(c0);
  return [Number(process.hrtime.bigint() - t0) / 1e6, v, (c.user + c.system) / 1000];
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-bench-'));
  try {
    const clip = path.join(dir, 'clip-720p-10s.mp4');
    await runTool(
      ffmpegBin(),
      [
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=1280x720:rate=30',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000',
        '-t',
        '10',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-movflags',
        '+faststart',
        clip,
      ],
      { timeoutMs: 300_000 },
    );

    const prov = await createProvenance({
      dataDir: dir,
      logger: { info: () => undefined, warn: () => undefined },
    });
    const input: ManifestInput = {
      generationId: 'gen_bench',
      model: { name: 'clipgen', version: '1.0.0' },
      cameoRefs: ['cameo_a'],
      softBinding: { alg: 'com.consentry.watermark.v1', payloadHex: '00112233445566778899aabbccddeeff' },
    };
    const assets: [string, Buffer][] = [
      ['MP4 10 s 720p H.264/AAC', fs.readFileSync(clip)],
      ['JPEG obama-1.jpg', fs.readFileSync(fixture('faces', 'obama-1.jpg'))],
      ['PNG coffee.png', fs.readFileSync(fixture('media', 'coffee.png'))],
    ];

    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
    console.log(
      `Median of ${RUNS} runs; "first" is the first call of the process after start-up. ${os.cpus().length} cores, load average ${load}, Node ${process.version}.\n`,
    );
    console.log(
      '| asset | size | sign first (ms) | sign median (ms) | sign CPU median (ms) | read first (ms) | read median (ms) | read CPU median (ms) | verdict |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const [name, bytes] of assets) {
      const [signFirst, signed] = await timeIt(() => prov.sign(bytes, input));
      const [readFirst, summary] = await timeIt(() => prov.read(signed));
      const sign = { wall: [] as number[], cpu: [] as number[] };
      const read = { wall: [] as number[], cpu: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        const [sw, , sc] = await timeIt(() => prov.sign(bytes, input));
        const [rw, , rc] = await timeIt(() => prov.read(signed));
        sign.wall.push(sw);
        sign.cpu.push(sc);
        read.wall.push(rw);
        read.cpu.push(rc);
      }
      const mb = (bytes.length / 1024 / 1024).toFixed(2);
      const ms = (n: number): string => n.toFixed(0);
      console.log(
        `| ${name} | ${mb} MB | ${ms(signFirst)} | ${ms(median(sign.wall))} | ${ms(median(sign.cpu))} | ${ms(readFirst)} | ${ms(median(read.wall))} | ${ms(median(read.cpu))} | ${summary.verdict} |`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

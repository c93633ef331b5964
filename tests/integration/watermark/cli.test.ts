import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerWatermarkCommands } from '../../../src/watermark';
import { cropAtOffset } from '../../helpers/crops';
import { fixture } from '../../helpers/fixtures';

const key = Buffer.alloc(32, 0x42);
const payload = '00c0ffee12345678';
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

/** Runs `consentry watermark ...` in-process; returns what it printed and the exit code it set. */
async function run(...args: string[]): Promise<{ out: string; code: number | undefined }> {
  const program = new Command().exitOverride();
  registerWatermarkCommands(program, async () => key);
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    await program.parseAsync(['node', 'consentry', 'watermark', ...args]);
  } finally {
    spy.mockRestore();
  }
  const code = process.exitCode === undefined ? undefined : Number(process.exitCode);
  process.exitCode = undefined;
  return { out, code };
}

describe('consentry watermark (command line)', () => {
  it('embeds a payload, reads it back as JSON, and with --expect decides a cropped copy the code alone cannot', async () => {
    const marked = path.join(dir, 'marked.png');
    expect((await run('embed', fixture('faces', 'obama-1.jpg'), marked, '--payload', payload)).out).toMatch(
      /^marked image/,
    );
    const json = JSON.parse((await run('detect', marked, '--json')).out);
    expect(json).toMatchObject({
      detected: true,
      payloadHex: payload,
      decidedBy: 'code',
      payloadCheck: 'crc',
    });
    // a wrong list path passes a 16-bit CRC at most (rank + 1) / 65536 of the time, rank < 16
    expect(json.payloadCrcRate).toBeGreaterThanOrEqual(1 / 65536);
    expect(json.payloadCrcRate).toBeLessThanOrEqual(16 / 65536);
    expect((await run('detect', marked)).out).toContain(`payload: ${payload} (checked by its CRC alone`);

    const cropped = await cropAtOffset(marked, path.join(dir, 'crop.png'), 0.16);
    const alone = await run('detect', cropped);
    expect(alone.out).toMatch(/^detected: no/);
    expect(alone.code).toBe(2);
    const expected = await run('detect', cropped, '--expect', payload);
    expect(expected.out).toMatch(/^detected: yes \(the expected payload decoded\)/);
    expect(expected.out).toContain(`payload: ${payload} (the ledger issued it)`);
    expect(expected.code).toBeUndefined();
    const other = await run('detect', cropped, '--expect', '0123456789abcdef');
    expect(other.out).toMatch(/^detected: no/);
  });

  it('refuses a payload that is not 16 hex digits', async () => {
    await expect(run('detect', fixture('faces', 'obama-1.jpg'), '--expect', 'xyz')).rejects.toThrow(
      /16 hexadecimal digits/,
    );
  });
});

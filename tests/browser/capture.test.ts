import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { fixChallengeForTests } from '../../src/consent/test-seam';
import { backends, signUp, startTestService, type TestService } from '../helpers/runtime';
import { ff, TALKING_B, talkingBChallenge, workDir } from '../integration/consent/consent-helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  // Printed so a skipped run says why; the page needs a real browser with fake media devices.
  console.warn(
    `capture page browser test skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`,
  );
}
const describeIf = haveChromium ? describe : describe.skip;

describeIf('the capture page in a real browser with a fake camera and microphone', () => {
  let svc: TestService;
  let server: Server;
  let browser: Browser;
  let dir: string;
  let base: string;
  let owner: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    dir = workDir();
    // Chromium plays these files as its camera and microphone (looping), from the page's first getUserMedia.
    const y4m = path.join(dir, 'camera.y4m');
    const wav = path.join(dir, 'microphone.wav');
    await ff([
      '-i',
      TALKING_B,
      '-vf',
      'fps=15,scale=480:480',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'yuv4mpegpipe',
      y4m,
    ]);
    await ff(['-i', TALKING_B, '-vn', '-ac', '1', '-ar', '48000', '-c:a', 'pcm_s16le', wav]);
    svc = await startTestService(backends()[0]!);
    fixChallengeForTests(svc.rt.consent, talkingBChallenge());
    owner = await signUp(svc.app, ['cameo_owner']);
    server = svc.app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--autoplay-policy=no-user-gesture-required',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${y4m}`,
        `--use-file-for-fake-audio-capture=${wav}`,
      ],
    });
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await svc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('signs in on a phone-sized screen, records the challenge, uploads, and shows the verdict in plain words', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${base}/capture`);
    await page.fill('#handle', owner.handle);
    await page.fill('#password', 'a long enough password');
    await page.click('#signin-button');
    await page.waitForSelector('#capture:not([hidden])', { timeout: 20000 });
    await page.waitForFunction(
      () => (document.getElementById('preview') as HTMLVideoElement).readyState >= 2,
      undefined,
      { timeout: 20000 },
    );
    await page.click('#start-button');
    // The page shows the steps of the fixed challenge while it records.
    await page.waitForFunction(
      () => /LEFT|RIGHT/.test(document.getElementById('prompt')!.textContent ?? ''),
      undefined,
      { timeout: 15000 },
    );
    await page.waitForSelector('#verdict[data-status]', { timeout: 380000 });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'capture-verdict.png'), fullPage: true });

    const status = await page.getAttribute('#verdict', 'data-status');
    const text = (await page.textContent('#verdict')) ?? '';
    expect(['accepted', 'rejected']).toContain(status);
    expect(text).toMatch(status === 'accepted' ? /^Accepted/ : /^Not accepted: \w/);
    // The browser's WebM reached the analysis (it was readable, with sound): the verdict comes from the checks.
    const row = await svc.rt.db.query<{
      status: string;
      reason_code: string | null;
      recording_bytes: string;
    }>('select status, reason_code, recording_bytes from cameo_enrollments where owner_id = $1', [owner.id]);
    expect(row.rows).toHaveLength(1);
    expect(row.rows[0]!.status).toBe(status);
    expect(row.rows[0]!.reason_code === null || row.rows[0]!.reason_code.startsWith('check_failed:')).toBe(
      true,
    );
    expect(Number(row.rows[0]!.recording_bytes)).toBeGreaterThan(10000);
    expect(await page.locator('#checks li').count()).toBeGreaterThan(3);
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 420000);
});

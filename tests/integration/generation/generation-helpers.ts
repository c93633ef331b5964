import crypto from 'node:crypto';
import fs from 'node:fs';
import sharp from 'sharp';
import request from 'supertest';
import type { Express } from 'express';
import { sealBiometrics } from '../../../src/consent/cameo-crypto';
import { consentRepository } from '../../../src/consent/consent-repository';
import { detectFaces, meanDescriptor } from '../../../src/faces';
import type { Runtime } from '../../../src/runtime/runtime';
import { fixture } from '../../helpers/fixtures';

export type Account = { id: string; handle: string; token: string; auth: { authorization: string } };

interface Face {
  template: Float32Array;
  referenceJpeg: Buffer;
}

const faceCache = new Map<string, Promise<Face>>();

/**
 * A person's face as an accepted enrollment would store it: the template is the mean descriptor
 * of two photos (the real face module), the reference image a generous crop around the face.
 */
export function personFace(person: 'obama' | 'biden'): Promise<Face> {
  let f = faceCache.get(person);
  if (!f) {
    f = (async () => {
      const photos = [1, 2].map((i) => fs.readFileSync(fixture('faces', `${person}-${i}.jpg`)));
      const descriptors = [];
      for (const p of photos) {
        const faces = await detectFaces(p, { detector: 'ssd' });
        if (faces.length !== 1) throw new Error(`${person}: expected one face, found ${faces.length}`);
        descriptors.push(faces[0]!.descriptor);
      }
      const [face] = await detectFaces(photos[0]!, { detector: 'ssd' });
      const meta = await sharp(photos[0]!).metadata();
      const side = Math.round(Math.max(face!.box.width, face!.box.height) * 2);
      const cx = face!.box.x + face!.box.width / 2;
      const cy = face!.box.y + face!.box.height / 2;
      const left = Math.max(0, Math.round(cx - side / 2));
      const top = Math.max(0, Math.round(cy - side / 2));
      const referenceJpeg = await sharp(photos[0]!)
        .extract({
          left,
          top,
          width: Math.min(side, meta.width! - left),
          height: Math.min(side, meta.height! - top),
        })
        .jpeg({ quality: 90 })
        .toBuffer();
      return { template: meanDescriptor(descriptors), referenceJpeg };
    })();
    faceCache.set(person, f);
  }
  return f;
}

/**
 * An active cameo as the consent domain stores one after an accepted enrollment, written through
 * the consent domain's own repository and sealing (the enrollment analysis itself is tested by
 * issue 5 and needs footage only one fixture provides). Then made usable by everyone over HTTP.
 */
export async function seedCameo(
  rt: Runtime,
  app: Express,
  owner: Account,
  person: 'obama' | 'biden',
  settings: { visibility?: string; rules?: string[]; paused?: boolean } = { visibility: 'everyone' },
): Promise<string> {
  const face = await personFace(person);
  const cameoId = crypto.randomUUID();
  const enrollmentId = crypto.randomUUID();
  const sealed = sealBiometrics(rt.secrets.masterKey, cameoId, {
    faceTemplate: face.template,
    voiceTemplate: new Float32Array(64).fill(0.1),
    referenceImageJpeg: face.referenceJpeg,
  });
  await rt.db.transaction(async (tx) => {
    await consentRepository.insertEnrollment(tx, {
      id: enrollmentId,
      ownerId: owner.id,
      ownerHandle: owner.handle,
      challenge: { id: 'seeded' },
      expiresAt: new Date(Date.now() + 3600_000),
    });
    const c = await consentRepository.insertCameo(tx, {
      id: cameoId,
      ownerId: owner.id,
      handle: owner.handle,
      enrollmentId,
      challengeId: 'seeded',
      reportHash: 'seeded',
      wrappedKey: sealed.wrappedKey,
      face: sealed.faceTemplate,
      voice: sealed.voiceTemplate,
      reference: sealed.referenceImage,
      receipt: 'seeded',
      consentedAt: new Date(),
    });
    if (!c) throw new Error('cameo insert conflicted');
    await consentRepository.finishEnrollment(tx, enrollmentId, {
      status: 'accepted',
      report: { seeded: true },
      reportHash: 'seeded',
      fingerprint: null,
      reasonCode: null,
      reason: null,
      cameoId,
    });
  });
  if (Object.keys(settings).length) {
    await request(app).patch(`/v1/cameos/${cameoId}`).set(owner.auth).send(settings).expect(200);
  }
  return cameoId;
}

/** Polls a generation until it reaches one of the stages. */
export async function waitForStage(
  app: Express,
  auth: { authorization: string },
  id: string,
  stages: string[],
  timeoutMs = 240000,
): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await request(app).get(`/v1/generations/${id}`).set(auth).expect(200);
    if (stages.includes(r.body.stage)) return r.body;
    if (Date.now() > until)
      throw new Error(
        `generation ${id} is ${r.body.stage} after ${timeoutMs} ms, waited for ${stages.join('/')}`,
      );
    await new Promise((res) => setTimeout(res, 250));
  }
}

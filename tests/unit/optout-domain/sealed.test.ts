import crypto from 'node:crypto';
import { bytesToDescriptor, descriptorToBytes, seal, unseal } from '../../../src/optout/sealed';

describe('sealed requester ids and face descriptors', () => {
  const master = crypto.randomBytes(32);

  it('opens only with the same master key and the same record context', () => {
    const s = seal(master, 'optout.block:1', Buffer.from('account-42'));
    expect(s.sealed.includes(Buffer.from('account-42'))).toBe(false);
    expect(unseal(master, 'optout.block:1', s).toString()).toBe('account-42');
    expect(() => unseal(master, 'optout.block:2', s)).toThrow();
    expect(() => unseal(crypto.randomBytes(32), 'optout.block:1', s)).toThrow();
  });

  it('round-trips a 128-d descriptor exactly', () => {
    const d = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i) / 3);
    const back = bytesToDescriptor(
      unseal(master, 'optout.face:f', seal(master, 'optout.face:f', descriptorToBytes(d))),
    );
    expect(Array.from(back)).toEqual(Array.from(d));
  });
});

import crypto from 'node:crypto';
import { decryptWith, encryptWith, newDataKey, unwrapDataKey } from '../../../src/keys/envelope';

describe('envelope encryption', () => {
  const master = crypto.randomBytes(32);

  it('round-trips through a wrapped per-record data key', () => {
    const { dataKey, wrapped } = newDataKey(master, 'cameo:1');
    const sealed = encryptWith(dataKey, Buffer.from('template bytes'), 'cameo:1:face');
    const again = unwrapDataKey(master, wrapped, 'cameo:1');
    expect(decryptWith(again, sealed, 'cameo:1:face').toString()).toBe('template bytes');
    expect(sealed.includes(Buffer.from('template bytes'))).toBe(false);
  });

  it('refuses a data key moved to another record, a tampered ciphertext and the wrong master key', () => {
    const { dataKey, wrapped } = newDataKey(master, 'cameo:1');
    expect(() => unwrapDataKey(master, wrapped, 'cameo:2')).toThrow();
    expect(() => unwrapDataKey(crypto.randomBytes(32), wrapped, 'cameo:1')).toThrow();
    const sealed = encryptWith(dataKey, Buffer.from('abc'), 'ctx');
    sealed[sealed.length - 1] ^= 1;
    expect(() => decryptWith(dataKey, sealed, 'ctx')).toThrow();
  });
});

import { decryptWith, encryptWith, newDataKey, unwrapDataKey } from '../keys/envelope';

/**
 * Sealing of a cameo's biometric data with its own data key. Every ciphertext is bound to the
 * cameo id and its field name (AES-GCM associated data), so one cameo's ciphertext cannot be
 * swapped into another cameo's row or another field.
 */
export interface SealedBiometrics {
  wrappedKey: Buffer;
  faceTemplate: Buffer;
  voiceTemplate: Buffer;
  referenceImage: Buffer;
}

export interface OpenBiometrics {
  faceTemplate: Float32Array;
  voiceTemplate: Float32Array;
  referenceImageJpeg: Buffer;
}

const keyContext = (cameoId: string) => `cameo:${cameoId}`;
const fieldContext = (cameoId: string, field: string) => `cameo:${cameoId}:${field}`;

function floatBytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function bytesToFloats(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return new Float32Array(copy.buffer, 0, Math.floor(b.length / 4));
}

export function sealBiometrics(masterKey: Buffer, cameoId: string, data: OpenBiometrics): SealedBiometrics {
  const { dataKey, wrapped } = newDataKey(masterKey, keyContext(cameoId));
  try {
    return {
      wrappedKey: wrapped,
      faceTemplate: encryptWith(dataKey, floatBytes(data.faceTemplate), fieldContext(cameoId, 'face')),
      voiceTemplate: encryptWith(dataKey, floatBytes(data.voiceTemplate), fieldContext(cameoId, 'voice')),
      referenceImage: encryptWith(dataKey, data.referenceImageJpeg, fieldContext(cameoId, 'reference')),
    };
  } finally {
    dataKey.fill(0);
  }
}

export function openFaceTemplate(
  masterKey: Buffer,
  cameoId: string,
  wrappedKey: Buffer,
  sealed: Buffer,
): Float32Array {
  const dataKey = unwrapDataKey(masterKey, wrappedKey, keyContext(cameoId));
  try {
    return bytesToFloats(decryptWith(dataKey, sealed, fieldContext(cameoId, 'face')));
  } finally {
    dataKey.fill(0);
  }
}

export function openBiometrics(masterKey: Buffer, cameoId: string, sealed: SealedBiometrics): OpenBiometrics {
  const dataKey = unwrapDataKey(masterKey, sealed.wrappedKey, keyContext(cameoId));
  try {
    return {
      faceTemplate: bytesToFloats(decryptWith(dataKey, sealed.faceTemplate, fieldContext(cameoId, 'face'))),
      voiceTemplate: bytesToFloats(
        decryptWith(dataKey, sealed.voiceTemplate, fieldContext(cameoId, 'voice')),
      ),
      referenceImageJpeg: decryptWith(dataKey, sealed.referenceImage, fieldContext(cameoId, 'reference')),
    };
  } finally {
    dataKey.fill(0);
  }
}

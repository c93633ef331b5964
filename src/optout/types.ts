/** The opt-out registry's interface to the generation pipeline (re-exported by ./index). */

export interface PolicyMatch {
  entryId: string;
  name: string;
  kind: string;
  owner: string;
  rule: string;
  span?: { start: number; end: number; text: string };
  message: string;
}

/** allowed is true exactly when matches is empty; matches lists only what refuses (licensed uses are not listed). */
export interface PolicyDecision {
  allowed: boolean;
  matches: PolicyMatch[];
}

export interface OptoutService {
  checkPrompt(
    prompt: string,
    ctx: { requesterId: string; source: 'check' | 'generation' },
  ): Promise<PolicyDecision>;
  checkReferenceImages(
    images: Buffer[],
    ctx: { requesterId: string; source: 'check' | 'generation' },
  ): Promise<PolicyDecision>;
  /** Sampled output frames (JPEG/PNG bytes, or decoded faces' descriptors supplied by the caller) after rendering. */
  checkOutputFrames(
    frames: Buffer[],
    ctx: { requesterId: string; faceDescriptors?: Float32Array[] },
  ): Promise<PolicyDecision>;
}

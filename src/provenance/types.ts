export type TrainingMiningUse = 'allowed' | 'notAllowed' | 'constrained';

export interface TrainingMiningSummary {
  /** Every entry of the CAWG (or older C2PA) training-and-data-mining assertion, by key. */
  entries: Record<string, TrainingMiningUse>;
  /** True when the owner refuses use for generative AI training. */
  generativeTrainingNotAllowed: boolean;
  /** True when the owner refuses use as an input to AI inference (e.g. a reference image). */
  inferenceNotAllowed: boolean;
}

export type Verdict = 'valid_trusted' | 'valid_untrusted' | 'tampered' | 'invalid' | 'absent';

export interface ManifestSummary {
  present: boolean;
  validationState: 'valid' | 'invalid' | 'absent';
  /** Whether the signer chains to a configured trust anchor; null when nothing was signed. */
  trusted: boolean | null;
  verdict: Verdict;
  signer: { subject: string; issuer: string } | null;
  /** A trusted timestamp when the manifest has one, else the time the claim states for its creation. */
  signedAt: string | null;
  actions: { action: string; when?: string; softwareAgent?: string; digitalSourceType?: string }[];
  digitalSourceType: string | null;
  generationId: string | null;
  cameoRefs: string[];
  softBinding: { alg: string; payloadHex: string } | null;
  claimGenerator: { name: string; version?: string } | null;
  failureCodes: string[];
  trainingMining?: TrainingMiningSummary;
}

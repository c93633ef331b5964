/** What the generation pipeline receives for each cameo it may use. */
export interface CameoForGeneration {
  cameoId: string;
  ownerId: string;
  handle: string;
  rules: string[];
  referenceImageJpeg: Buffer;
  faceTemplate: Float32Array;
}

/** The consent domain as the rest of the service sees it. */
export interface ConsentService {
  /**
   * Every handle must name an active, unpaused cameo whose owner permits this requester; else
   * PolicyRefusal naming the cameo and the reason in plain words, with details.attempted listing
   * every named cameo that exists ({ cameoId, ownerId }) so each owner can see the attempt.
   */
  resolveCameosForGeneration(requesterId: string, handles: string[]): Promise<CameoForGeneration[]>;
  /** The written rules of these cameos checked against a prompt: [] when fine. */
  checkPromptAgainstRules(
    cameos: CameoForGeneration[],
    prompt: string,
  ): { cameoId: string; rule: string; message: string }[];
  /** True only while every cameo is still active and unpaused (called right before delivery). */
  stillConsenting(cameoIds: string[]): Promise<boolean>;
  /** Nearest active cameo face to a descriptor (for the output scan), or null. */
  nearestCameoFace(
    descriptor: Float32Array,
    opts?: { excludeCameoIds?: string[] },
  ): Promise<{ cameoId: string; distance: number } | null>;
  /** The cameo if `ownerId` owns it, else NotFound. */
  getOwnedCameo(ownerId: string, cameoId: string): Promise<{ id: string; handle: string; status: string }>;
  onRevoked(listener: (cameoId: string) => Promise<void> | void): void;
}

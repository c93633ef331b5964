/** The one interface every video model sits behind: the pipeline never knows which one renders. */
export type Aspect = '16:9' | '9:16' | '1:1';

export const ASPECT_SIZES: Record<Aspect, { width: number; height: number }> = {
  '16:9': { width: 1280, height: 720 },
  '9:16': { width: 720, height: 1280 },
  '1:1': { width: 720, height: 720 },
};

export interface RenderCameo {
  /** Opaque cameo id: models never learn who the person is. */
  cameoId: string;
  referenceImageJpeg: Buffer;
  /**
   * The owner's written rules ("never shown drinking"). The pipeline already refused prompts that
   * break them; a model that can steer its output is told them too. The built-in model cannot
   * interpret them, and the output scan does not judge them.
   */
  rules?: string[];
}

export interface RenderRequest {
  prompt: string;
  durationSec: number;
  width: number;
  height: number;
  seed: number;
  cameos: RenderCameo[];
  referenceImages: Buffer[];
}

export interface RenderOptions {
  signal?: AbortSignal;
  /** A folder the model may write to; the caller removes it. */
  workDir: string;
  /** 0..1 within the render. */
  onProgress?: (fraction: number) => void;
}

export interface RenderResult {
  path: string;
  mimeType: 'video/mp4';
}

export interface VideoModel {
  readonly name: string;
  readonly version: string;
  render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult>;
}

/** The model failed in a way retrying will not fix (bad output format, refusal by the server). */
export class ModelOutputRejected extends Error {}

/** The guarded generation pipeline: requests, the staged job, owners' and operators' views. */
export { createGenerationModule, type GenerationModuleDeps } from './generation-module';
export {
  type GenerationService,
  GENERATION_JOB,
  SWEEP_JOB,
  generationJobId,
  cameoHandles,
} from './generation-service';
export type { GenerationView, GenerationEvent, Stage, Refusal, GenerationLimits } from './generation-schemas';
export { STAGES } from './generation-schemas';

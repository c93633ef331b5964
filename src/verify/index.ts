export { createVerifyModule, type VerifyModuleDeps } from './verify-module';
export {
  createVerifyService,
  MAX_DURATION_SEC,
  type VerifyService,
  type VerifyServiceDeps,
  type ProgressFn,
  type VerifyStage,
} from './verify-service';
export { decide, OPERATING_P_VALUE, VERDICTS, type VerdictName } from './verdict';
export { verifyReportSchema, type VerifyReport, type RecoveredManifest } from './verify-schemas';
export { sniffMedia } from './sniff';

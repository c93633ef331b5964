export type { CameoForGeneration, ConsentService } from './consent-types';
export { createConsentModule } from './consent-module';
export type { ConsentModuleDeps } from './consent-module';
export { checkRules, parseRule, rulesAsConstraints } from './rules';
export { verifyReceipt } from './receipt';
export type { ReceiptClaims, PublicJwk } from './receipt';

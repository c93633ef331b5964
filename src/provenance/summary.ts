/**
 * Reduces c2pa-rs' manifest store JSON to the stable summary the rest of the service uses, so that
 * nothing outside this folder depends on c2pa-rs' JSON shape or version.
 */
import { GENERATION_ASSERTION, SOFT_BINDING_ASSERTION } from './manifest';
import type { ManifestSummary, TrainingMiningSummary, TrainingMiningUse, Verdict } from './types';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function absentSummary(): ManifestSummary {
  return {
    present: false,
    validationState: 'absent',
    trusted: null,
    verdict: 'absent',
    signer: null,
    signedAt: null,
    actions: [],
    digitalSourceType: null,
    generationId: null,
    cameoRefs: [],
    softBinding: null,
    claimGenerator: null,
    failureCodes: [],
  };
}

/** A manifest store exists but c2pa-rs could not even parse it: present, and invalid. */
export function unreadableSummary(code: string): ManifestSummary {
  return {
    ...absentSummary(),
    present: true,
    validationState: 'invalid',
    trusted: false,
    verdict: 'invalid',
    failureCodes: [code],
  };
}

const DN_ORDER = ['CN', 'OU', 'O', 'L', 'ST', 'C'];
function formatDn(dn: Json): string | undefined {
  const keys = Object.keys(dn).sort(
    (a, b) => (DN_ORDER.indexOf(a) + 1 || 99) - (DN_ORDER.indexOf(b) + 1 || 99),
  );
  const parts = keys.flatMap((k) => {
    const v = dn[k];
    return (Array.isArray(v) ? v : [v])
      .filter((x) => typeof x === 'string')
      .map((x) => `${k}=${x as string}`);
  });
  return parts.length ? parts.join(', ') : undefined;
}

function signerFromCrJson(crJson: string | null, label: string): { subject: string; issuer: string } | null {
  if (!crJson) return null;
  try {
    const m = arr(obj(JSON.parse(crJson)).manifests)
      .map(obj)
      .find((x) => x.label === label);
    const info = obj(obj(m?.signature).certificateInfo);
    const subject = formatDn(obj(info.subject));
    const issuer = formatDn(obj(info.issuer));
    return subject && issuer ? { subject, issuer } : null;
  } catch {
    return null;
  }
}

const USES = new Set(['allowed', 'notAllowed', 'constrained']);
function trainingMining(data: Json): TrainingMiningSummary {
  const entries: Record<string, TrainingMiningUse> = {};
  for (const [k, v] of Object.entries(obj(data.entries))) {
    const use = str(obj(v).use);
    if (use && USES.has(use)) entries[k] = use as TrainingMiningUse;
  }
  const refused = (suffix: string): boolean =>
    Object.entries(entries).some(([k, u]) => k.endsWith(suffix) && u === 'notAllowed');
  return {
    entries,
    generativeTrainingNotAllowed: refused('ai_generative_training'),
    inferenceNotAllowed: refused('ai_inference'),
  };
}

/** Hash and signature mismatches (dataHash, bmffHash, boxesHash, hashedURI, claimSignature) mean altered bytes. */
const TAMPER_CODE = /\.mismatch$/;
const NOT_A_VALIDITY_FAILURE = new Set(['signingCredential.untrusted']);

export function summarize(storeJson: string, crJson: string | null): ManifestSummary {
  const store = obj(JSON.parse(storeJson));
  const label = str(store.active_manifest);
  const manifest = label ? obj(obj(store.manifests)[label]) : undefined;
  if (!label || !manifest) return unreadableSummary('manifest.activeMissing');

  const results = obj(obj(store.validation_results).activeManifest);
  const codes = (list: unknown): string[] =>
    arr(list)
      .map((x) => str(obj(x).code))
      .filter((c): c is string => !!c);
  const failureCodes = [
    ...new Set(codes(results.failure).length ? codes(results.failure) : codes(store.validation_status)),
  ];
  const successCodes = new Set(codes(results.success));
  const hardFailures = failureCodes.filter((c) => !NOT_A_VALIDITY_FAILURE.has(c));
  const state = str(store.validation_state);
  const invalid = state === 'Invalid' || hardFailures.length > 0;
  const trusted = state === 'Trusted' || successCodes.has('signingCredential.trusted');
  let verdict: Verdict;
  if (invalid) verdict = hardFailures.some((c) => TAMPER_CODE.test(c)) ? 'tampered' : 'invalid';
  else verdict = trusted ? 'valid_trusted' : 'valid_untrusted';

  const assertions = arr(manifest.assertions).map(obj);
  const byLabel = (l: string): Json | undefined => {
    const a = assertions.find(
      (x) => x.label === l || (typeof x.label === 'string' && x.label.startsWith(`${l}__`)),
    );
    return a ? obj(a.data) : undefined;
  };
  const actionList = [
    ...arr(byLabel('c2pa.actions.v2')?.actions),
    ...arr(byLabel('c2pa.actions')?.actions),
  ].map(obj);
  const actions = actionList.map((a) => {
    const agent = a.softwareAgent;
    const agentName =
      typeof agent === 'string'
        ? agent
        : [str(obj(agent).name), str(obj(agent).version)].filter(Boolean).join(' ') || undefined;
    return {
      action: str(a.action) ?? 'unknown',
      ...(str(a.when) ? { when: str(a.when) } : {}),
      ...(agentName ? { softwareAgent: agentName } : {}),
      ...(str(a.digitalSourceType) ? { digitalSourceType: str(a.digitalSourceType) } : {}),
    };
  });
  const created = actions.find((a) => a.action === 'c2pa.created');

  const generation = byLabel(GENERATION_ASSERTION);
  const soft = byLabel(SOFT_BINDING_ASSERTION);
  const softValue = str(obj(arr(soft?.blocks)[0]).value);
  const tm = byLabel('cawg.training-mining') ?? byLabel('c2pa.training-mining');

  const sigInfo = obj(manifest.signature_info);
  const gen = obj(arr(manifest.claim_generator_info)[0]);
  const fallbackSigner =
    str(sigInfo.common_name) || str(sigInfo.issuer)
      ? {
          subject: str(sigInfo.common_name) ? `CN=${str(sigInfo.common_name)}` : '',
          issuer: str(sigInfo.issuer) ? `O=${str(sigInfo.issuer)}` : '',
        }
      : null;

  return {
    present: true,
    validationState: invalid ? 'invalid' : 'valid',
    trusted,
    verdict,
    signer: signerFromCrJson(crJson, label) ?? fallbackSigner,
    signedAt: str(sigInfo.time) ?? created?.when ?? null,
    actions,
    digitalSourceType:
      created?.digitalSourceType ?? actions.find((a) => a.digitalSourceType)?.digitalSourceType ?? null,
    generationId: str(generation?.generationId) ?? null,
    cameoRefs: arr(generation?.cameoRefs).filter((x): x is string => typeof x === 'string'),
    softBinding:
      soft && str(soft.alg) && softValue
        ? { alg: str(soft.alg) as string, payloadHex: Buffer.from(softValue, 'base64').toString('hex') }
        : null,
    claimGenerator: str(gen.name)
      ? { name: str(gen.name) as string, ...(str(gen.version) ? { version: str(gen.version) } : {}) }
      : str(manifest.claim_generator)
        ? { name: str(manifest.claim_generator) as string }
        : null,
    failureCodes,
    ...(tm ? { trainingMining: trainingMining(tm) } : {}),
  };
}

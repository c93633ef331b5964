import type { PolicyDecision } from '../optout';
import type { Refusal } from './generation-schemas';

/** The opt-out registry's matches as one refusal, in plain words. */
export function optoutRefusal(stage: string, rule: string, d: PolicyDecision): Refusal {
  const first = d.matches[0]!;
  const more =
    d.matches.length > 1
      ? ` (and ${d.matches.length - 1} more match${d.matches.length > 2 ? 'es' : ''})`
      : '';
  return {
    stage,
    rule,
    message: `${first.message}${more}`,
    details: {
      matches: d.matches.map((m) => ({
        entryId: m.entryId,
        name: m.name,
        kind: m.kind,
        owner: m.owner,
        rule: m.rule,
        message: m.message,
      })),
    },
  };
}

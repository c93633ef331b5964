import { Invalid } from '../../../src/http/errors';
import {
  MAX_PROMPT_CHARS,
  validateEntry,
  validatePrompt,
  protectedEntryInputSchema,
} from '../../../src/optout/matching';

function invalid(fn: () => unknown): Invalid {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Invalid);
    return e as Invalid;
  }
  throw new Error('expected Invalid');
}

describe('prompt guard', () => {
  it('accepts ordinary text with newlines and tabs', () => {
    expect(validatePrompt('a dog\nrunning\tfast')).toBe('a dog\nrunning\tfast');
  });

  it('refuses non-strings and empty or blank prompts', () => {
    expect(invalid(() => validatePrompt(42)).code).toBe('prompt_invalid');
    expect(invalid(() => validatePrompt('')).code).toBe('prompt_empty');
    expect(invalid(() => validatePrompt('  \n ')).code).toBe('prompt_empty');
  });

  it('refuses prompts over the limit by length alone, 100 KB included', () => {
    expect(validatePrompt('a'.repeat(MAX_PROMPT_CHARS))).toHaveLength(MAX_PROMPT_CHARS);
    const e = invalid(() => validatePrompt('\u0000'.repeat(100 * 1024)));
    expect(e.code).toBe('prompt_too_long');
    expect(e.message).toContain(`at most ${MAX_PROMPT_CHARS}`);
  });

  it('refuses lone surrogates but accepts paired ones', () => {
    expect(invalid(() => validatePrompt('bad \uD800 text')).code).toBe('prompt_encoding');
    expect(invalid(() => validatePrompt('bad \uDC00 text')).code).toBe('prompt_encoding');
    expect(validatePrompt('emoji 😀 ok')).toBe('emoji 😀 ok');
  });

  it('refuses control characters and says where', () => {
    const e = invalid(() => validatePrompt('abc\u0007def'));
    expect(e.code).toBe('prompt_control_chars');
    expect(e.message).toContain('U+0007');
    expect(e.message).toContain('position 3');
    expect(invalid(() => validatePrompt('x\u009By')).code).toBe('prompt_control_chars');
  });
});

describe('entry validation', () => {
  const good = {
    ownerId: 'marvel',
    ownerName: 'Marvel',
    kind: 'character',
    canonicalName: 'Spider-Man',
    aliases: ['Spidey'],
    descriptions: ['friendly neighborhood wall crawler'],
    policy: 'block',
  };

  it('accepts a complete entry and fills defaults', () => {
    const e = validateEntry(good);
    expect(e).toMatchObject({ canonicalName: 'Spider-Man', licensees: [] });
    expect(protectedEntryInputSchema.safeParse(good).success).toBe(true);
  });

  it('refuses an alias shorter than three letters after normalisation, naming the field', () => {
    const e = invalid(() => validateEntry({ ...good, aliases: ['Spidey', 'S.M.'] }));
    expect(e.message).toContain('aliases[1]');
    expect(e.message).toContain('“S.M.”');
    expect(e.message).toContain('at least 3');
    expect(e.details).toMatchObject({ issues: [{ field: 'aliases.1' }] });
  });

  it('counts letters after normalisation, so padding with invisible characters does not help', () => {
    expect(invalid(() => validateEntry({ ...good, canonicalName: 'X\u200B\u200B-Y' })).message).toContain(
      'canonicalName',
    );
  });

  it('refuses a description made only of function words', () => {
    const e = invalid(() => validateEntry({ ...good, descriptions: ['the one with the'] }));
    expect(e.message).toContain('descriptions[0]');
    expect(e.message).toContain('distinctive');
  });

  it('refuses unknown kinds and policies, and licensees on a block entry', () => {
    expect(invalid(() => validateEntry({ ...good, kind: 'planet' })).message).toContain('kind');
    expect(invalid(() => validateEntry({ ...good, licensees: ['acct'] })).message).toContain('licensees');
    expect(validateEntry({ ...good, policy: 'licensed_only', licensees: ['acct'] }).licensees).toEqual([
      'acct',
    ]);
  });
});

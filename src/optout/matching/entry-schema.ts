/** Boundary validation of registry entries: refuses names short enough to match everything. */
import { z } from 'zod';
import { Invalid } from '../../http/errors';
import { nameKey, tokenize } from './normalize';
import { STOPWORDS } from './common-words';

export const MIN_NAME_LETTERS = 3;
export const MIN_DESCRIPTION_WORDS = 2;

const text = (max: number) => z.string().trim().min(1).max(max);

/** The distinctive words of a description: its units minus function words and one-letter bits. */
export function distinctiveWords(description: string): string[] {
  return tokenize(description)
    .map((u) => u.plain)
    .filter((w) => w.length >= 2 && !STOPWORDS.has(w));
}

export const protectedEntryInputSchema = z
  .object({
    id: z.string().trim().min(1).max(200).optional(),
    ownerId: text(200),
    ownerName: text(200),
    kind: z.enum(['character', 'real_person', 'work', 'brand']),
    canonicalName: text(200),
    aliases: z.array(text(200)).max(100).default([]),
    descriptions: z.array(text(500)).max(50).default([]),
    policy: z.enum(['block', 'licensed_only']),
    licensees: z.array(text(200)).max(10000).default([]),
  })
  .superRefine((e, ctx) => {
    const checkName = (value: string, path: (string | number)[]): void => {
      const letters = nameKey(value).key.length;
      if (letters < MIN_NAME_LETTERS) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${path.join('.').replace(/\.(\d+)/g, '[$1]')} “${value}” has ${letters} letter(s) after normalisation; at least ${MIN_NAME_LETTERS} are needed, or it would match almost every prompt.`,
        });
      }
    };
    checkName(e.canonicalName, ['canonicalName']);
    e.aliases.forEach((a, i) => checkName(a, ['aliases', i]));
    e.descriptions.forEach((d, i) => {
      const words = distinctiveWords(d);
      if (words.length < MIN_DESCRIPTION_WORDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['descriptions', i],
          message: `descriptions[${i}] “${d}” has ${words.length} distinctive word(s) besides common function words; at least ${MIN_DESCRIPTION_WORDS} are needed (a single name belongs in aliases).`,
        });
      }
    });
    if (e.policy === 'block' && e.licensees.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['licensees'],
        message:
          'licensees are only used with policy licensed_only; with policy block nobody may use the entry.',
      });
    }
  });

export type ProtectedEntryInput = z.infer<typeof protectedEntryInputSchema>;

export function validateEntry(input: unknown): ProtectedEntryInput {
  const r = protectedEntryInputSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({
      field: i.path.map(String).join('.'),
      message: i.code === 'custom' ? i.message : `${i.path.join('.') || 'entry'}: ${i.message}`,
    }));
    throw new Invalid('entry_invalid', issues.map((i) => i.message).join(' '), { issues });
  }
  return r.data;
}

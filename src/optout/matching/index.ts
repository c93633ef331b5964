/**
 * The opt-out matching engine: pure functions and in-memory indexes, no I/O besides decoding images.
 * The registry service feeds entries in (buildTextIndex, upsert/remove as changes arrive) and asks
 * match() for every prompt; callers refuse when any returned match has allowedByLicence === false.
 */
export type {
  ProtectedEntry,
  TextMatch,
  TextIndex,
  MatchOptions,
  MatchRule,
  EntryKind,
  EntryPolicy,
} from './types';
export { buildTextIndex } from './text-index';
export { validatePrompt, MAX_PROMPT_CHARS } from './prompt-guard';
export { validateEntry, protectedEntryInputSchema, type ProtectedEntryInput } from './entry-schema';
export { imageHash, hamming, hashFromLuma, type ImageHashResult } from './image-hash';
export { ImageHashIndex } from './image-index';

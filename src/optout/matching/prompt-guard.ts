/** Refuses prompts the matcher should never see, before any per-character work. */
import { Invalid } from '../../http/errors';

export const MAX_PROMPT_CHARS = 4000;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C0 controls except tab, newline and carriage return; DEL; C1 controls. */
function firstControl(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) return i;
  }
  return -1;
}

export function validatePrompt(prompt: unknown): string {
  if (typeof prompt !== 'string') throw new Invalid('prompt_invalid', 'The prompt must be a string of text.');
  // Length first: a 100 KB prompt is refused without scanning it.
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new Invalid(
      'prompt_too_long',
      `The prompt is ${prompt.length} characters long; at most ${MAX_PROMPT_CHARS} are accepted.`,
      {
        length: prompt.length,
        max: MAX_PROMPT_CHARS,
      },
    );
  }
  if (prompt.trim().length === 0)
    throw new Invalid('prompt_empty', 'The prompt is empty; write what the clip should show.');
  if (LONE_SURROGATE.test(prompt)) {
    throw new Invalid(
      'prompt_encoding',
      'The prompt contains broken Unicode (an unpaired surrogate); send valid UTF-8 text.',
    );
  }
  const at = firstControl(prompt);
  if (at >= 0) {
    const code = prompt.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0');
    throw new Invalid(
      'prompt_control_chars',
      `The prompt contains a control character (U+${code}) at position ${at}; remove it.`,
      { position: at },
    );
  }
  return prompt;
}

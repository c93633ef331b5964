/** Refuses prompts the matcher should never see, before any per-character work. */
import { Invalid } from '../../http/errors';

export const MAX_PROMPT_CHARS = 4000;
// C0 controls except tab/newline/carriage return, DEL, and C1 controls.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export function validatePrompt(prompt: unknown): string {
  if (typeof prompt !== 'string') throw new Invalid('prompt_invalid', 'The prompt must be a string of text.');
  // Length first: a 100 KB prompt is refused without scanning it.
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new Invalid('prompt_too_long', `The prompt is ${prompt.length} characters long; at most ${MAX_PROMPT_CHARS} are accepted.`, {
      length: prompt.length,
      max: MAX_PROMPT_CHARS,
    });
  }
  if (prompt.trim().length === 0) throw new Invalid('prompt_empty', 'The prompt is empty; write what the clip should show.');
  if (LONE_SURROGATE.test(prompt)) {
    throw new Invalid('prompt_encoding', 'The prompt contains broken Unicode (an unpaired surrogate); send valid UTF-8 text.');
  }
  const ctrl = CONTROL.exec(prompt);
  if (ctrl) {
    const code = ctrl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new Invalid('prompt_control_chars', `The prompt contains a control character (U+${code}) at position ${ctrl.index}; remove it.`, {
      position: ctrl.index,
    });
  }
  return prompt;
}

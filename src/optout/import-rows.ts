/**
 * Bulk files in and out: CSV (one entry a row, lists joined with " | ") and JSON (an array of
 * entries, or { "entries": [...] }), with the same fields as POST /v1/optout/entries plus an
 * optional id (an existing entry of the importing account, which the row then replaces).
 */
import { z } from 'zod';
import { Invalid } from '../http/errors';
import { parseCsv, toCsv, CsvSyntaxError, escapeFormula, unescapeFormula } from './csv';
import { entryCreateSchema, type EntryView, type RowError } from './optout-schemas';

export const MAX_IMPORT_ROWS = 50_000;
export const LIST_SEPARATOR = '|';

export const CSV_COLUMNS = [
  'id',
  'kind',
  'canonical_name',
  'aliases',
  'descriptions',
  'policy',
  'licensees',
] as const;
const REQUIRED_COLUMNS = ['kind', 'canonical_name', 'policy'];
const COLUMN_ALIASES: Record<string, (typeof CSV_COLUMNS)[number]> = {
  canonicalname: 'canonical_name',
  name: 'canonical_name',
};

export const importRowSchema = entryCreateSchema.extend({
  id: z.string().uuid('must be an entry id (a UUID)').optional(),
});
export type ImportRow = z.infer<typeof importRowSchema>;

export interface ParsedRow {
  /** 1-based position among the data rows (the CSV header is not counted). */
  row: number;
  value: ImportRow | null;
  errors: RowError[];
}

const splitList = (s: string): string[] =>
  s
    .split(LIST_SEPARATOR)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

/** Decodes the file strictly: bytes that are not UTF-8 are a file-level error, not silently replaced. */
export function decodeUtf8(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Invalid('not_utf8', `The ${what} is not valid UTF-8 text; save it as UTF-8 and send it again.`);
  }
}

function rowFrom(row: number, candidate: unknown): ParsedRow {
  const r = importRowSchema.safeParse(candidate);
  if (r.success) return { row, value: r.data, errors: [] };
  return {
    row,
    value: null,
    errors: r.error.issues.map((i) => ({
      row,
      field: i.path.map(String).join('.') || '(row)',
      message:
        i.code === 'unrecognized_keys'
          ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`
          : i.message,
    })),
  };
}

export function parseCsvRows(text: string): ParsedRow[] {
  let records: string[][];
  try {
    records = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError)
      throw new Invalid('csv_syntax', `The CSV file cannot be read: ${e.message}.`, { record: e.record });
    throw e;
  }
  if (records.length === 0) throw new Invalid('import_empty', 'The file holds no header and no rows.');
  const header: string[] = records[0].map((h) => {
    const k = h.trim().toLowerCase();
    return COLUMN_ALIASES[k.replace(/_/g, '')] ?? k;
  });
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) {
    throw new Invalid(
      'csv_columns',
      `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the columns are ${CSV_COLUMNS.join(', ')}.`,
    );
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length)
    throw new Invalid(
      'csv_columns',
      `The header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`,
    );
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup) throw new Invalid('csv_columns', `The column ${dup} appears twice in the header.`);
  const rows = records.slice(1);
  if (rows.length > MAX_IMPORT_ROWS)
    throw new Invalid(
      'import_too_many_rows',
      `The file has ${rows.length} rows; at most ${MAX_IMPORT_ROWS} are imported at once.`,
    );
  return rows.map((cells, i) => {
    const row = i + 1;
    if (cells.length !== header.length) {
      return {
        row,
        value: null,
        errors: [
          { row, field: '(row)', message: `has ${cells.length} cells; the header has ${header.length}` },
        ],
      };
    }
    const get = (c: string): string | undefined => {
      const at = header.indexOf(c);
      return at >= 0 ? unescapeFormula(cells[at]) : undefined;
    };
    const id = get('id')?.trim();
    return rowFrom(row, {
      ...(id ? { id } : {}),
      kind: get('kind')?.trim(),
      canonicalName: get('canonical_name'),
      aliases: splitList(get('aliases') ?? ''),
      descriptions: splitList(get('descriptions') ?? ''),
      policy: get('policy')?.trim(),
      licensees: splitList(get('licensees') ?? ''),
    });
  });
}

export function parseJsonRows(value: unknown): ParsedRow[] {
  const list = Array.isArray(value) ? value : (value as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(list))
    throw new Invalid(
      'json_shape',
      'The JSON file must be an array of entries or an object { "entries": [...] }.',
    );
  if (list.length > MAX_IMPORT_ROWS)
    throw new Invalid(
      'import_too_many_rows',
      `The file has ${list.length} rows; at most ${MAX_IMPORT_ROWS} are imported at once.`,
    );
  return list.map((v, i) => rowFrom(i + 1, v));
}

export function parseJsonText(text: string): ParsedRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Invalid('invalid_json', 'The JSON file is not valid JSON.');
  }
  return parseJsonRows(value);
}

export interface ExportEntry {
  id: string;
  kind: string;
  canonicalName: string;
  aliases: string[];
  descriptions: string[];
  policy: string;
  licensees: string[];
}

export function toExportEntry(v: EntryView): ExportEntry {
  return {
    id: v.id,
    kind: v.kind,
    canonicalName: v.canonicalName,
    aliases: v.aliases,
    descriptions: v.descriptions,
    policy: v.policy,
    licensees: v.licensees,
  };
}

export function exportCsv(entries: ExportEntry[]): string {
  const join = (xs: string[]): string => xs.join(` ${LIST_SEPARATOR} `);
  return toCsv([
    [...CSV_COLUMNS],
    ...entries.map((e) =>
      [e.id, e.kind, e.canonicalName, join(e.aliases), join(e.descriptions), e.policy, join(e.licensees)].map(
        escapeFormula,
      ),
    ),
  ]);
}

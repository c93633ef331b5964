/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF line ends. */

export class CsvSyntaxError extends Error {
  constructor(
    readonly record: number,
    message: string,
  ) {
    super(message);
  }
}

/** Splits text into records of fields. Throws CsvSyntaxError naming the record of an unclosed or stray quote. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  let quoted = false;
  let fieldStarted = false;
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new CsvSyntaxError(
            records.length + 1,
            `record ${records.length + 1}: text after a closing quote`,
          );
        }
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i++;
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      fieldStarted = false;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      fieldStarted = false;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    if (c === '"')
      throw new CsvSyntaxError(
        records.length + 1,
        `record ${records.length + 1}: a quote inside an unquoted field`,
      );
    field += c;
    fieldStarted = true;
    i++;
  }
  if (quoted)
    throw new CsvSyntaxError(
      records.length + 1,
      `record ${records.length + 1}: a quoted field is never closed`,
    );
  if (fieldStarted || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  // Blank lines carry no record.
  return records.filter((r) => !(r.length === 1 && r[0] === ''));
}

function cell(v: string): string {
  return /[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(rows: string[][]): string {
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/**
 * Spreadsheets run a cell starting with = + - @ (or a tab or CR before one) as a formula: an entry named
 * "=HYPERLINK(...)" would execute in the rightsholder's spreadsheet when they open the export (CSV
 * injection). Such cells get a leading apostrophe, which spreadsheets show as text and hide.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function escapeFormula(v: string): string {
  return FORMULA_START.test(v) ? `'${v}` : v;
}

/** Undoes escapeFormula on import, so an export imports back unchanged. */
export function unescapeFormula(v: string): string {
  return v.startsWith("'") && FORMULA_START.test(v.slice(1)) ? v.slice(1) : v;
}

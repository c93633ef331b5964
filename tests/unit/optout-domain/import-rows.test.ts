import { AppError } from '../../../src/http/errors';
import {
  decodeUtf8,
  exportCsv,
  parseCsvRows,
  parseJsonRows,
  parseJsonText,
} from '../../../src/optout/import-rows';
import { parseCsv } from '../../../src/optout/csv';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).code;
  }
  return 'no error';
};

describe('import rows', () => {
  it('maps CSV columns to entries, splitting lists on | and numbering data rows from 1', () => {
    const rows = parseCsvRows(
      'kind,canonical_name,aliases,policy,licensees\ncharacter,Pikachu, Pika | ピカチュウ ,licensed_only,alice|bob\n',
    );
    expect(rows).toEqual([
      {
        row: 1,
        errors: [],
        value: {
          kind: 'character',
          canonicalName: 'Pikachu',
          aliases: ['Pika', 'ピカチュウ'],
          descriptions: [],
          policy: 'licensed_only',
          licensees: ['alice', 'bob'],
        },
      },
    ]);
  });

  it('accepts canonicalName and name as header spellings of canonical_name', () => {
    expect(
      parseCsvRows('Kind,canonicalName,Policy\nbrand,Acme Rockets,block\n')[0].value?.canonicalName,
    ).toBe('Acme Rockets');
    expect(parseCsvRows('kind,name,policy\nbrand,Acme Rockets,block\n')[0].value?.canonicalName).toBe(
      'Acme Rockets',
    );
  });

  it('reports each broken row with its field instead of failing the file', () => {
    const rows = parseCsvRows(
      'id,kind,canonical_name,policy\nnot-a-uuid,character,Ok Name,block\n,robot,Fine Name,block\n,character,Short\n',
    );
    expect(rows.map((r) => r.errors.map((e) => [e.row, e.field]))).toEqual([
      [[1, 'id']],
      [[2, 'kind']],
      [[3, '(row)']],
    ]);
    expect(rows.every((r) => r.value === null)).toBe(true);
  });

  it('refuses files it cannot read as a whole: unknown or missing or duplicate columns, no header, bad quoting', () => {
    expect(code(() => parseCsvRows('kind,canonical_name,policy,colour\n'))).toBe('csv_columns');
    expect(code(() => parseCsvRows('kind,policy\n'))).toBe('csv_columns');
    expect(code(() => parseCsvRows('kind,canonical_name,policy,kind\n'))).toBe('csv_columns');
    expect(code(() => parseCsvRows(''))).toBe('import_empty');
    expect(code(() => parseCsvRows('kind,canonical_name,policy\ncharacter,"open,block\n'))).toBe(
      'csv_syntax',
    );
  });

  it('reads JSON as an array or { entries }, refusing unknown fields per row and other shapes as a whole', () => {
    const rows = parseJsonRows({
      entries: [
        { kind: 'work', canonicalName: 'Moby Dick', policy: 'block' },
        { kind: 'work', canonicalName: 'X', policy: 'block', owner: 'me' },
      ],
    });
    expect(rows[0].value).toMatchObject({ canonicalName: 'Moby Dick', aliases: [], licensees: [] });
    expect(rows[1].errors[0]).toMatchObject({
      row: 2,
      field: '(row)',
      message: expect.stringMatching(/owner/),
    });
    expect(code(() => parseJsonRows({ rows: [] }))).toBe('json_shape');
    expect(code(() => parseJsonText('[{"kind":'))).toBe('invalid_json');
  });

  it('refuses registry text with control characters, lone surrogates or replacement characters', () => {
    const [a, b, c] = parseJsonRows([
      { kind: 'work', canonicalName: 'Moby\u0007Dick', policy: 'block' },
      { kind: 'work', canonicalName: 'Moby \ud800 Dick', policy: 'block' },
      { kind: 'work', canonicalName: 'Moby \uFFFD Dick', policy: 'block' },
    ]);
    expect(a.errors[0].message).toMatch(/control character/);
    expect(b.errors[0].message).toMatch(/surrogate/);
    expect(c.errors[0].message).toMatch(/not UTF-8/);
  });

  it('decodes UTF-8 strictly and refuses Latin-1 bytes', () => {
    expect(decodeUtf8(Buffer.from('Café', 'utf8'), 'file')).toBe('Café');
    expect(code(() => decodeUtf8(Buffer.from([0x43, 0x61, 0x66, 0xe9]), 'file'))).toBe('not_utf8');
  });

  it('exports CSV that parses back to the same rows', () => {
    const entries = [
      {
        id: '6f1e1f70-8b0e-4d3b-9a51-2b8f3e4c0a11',
        kind: 'work',
        canonicalName: 'Les Misérables, "the musical"',
        aliases: ['Les Mis'],
        descriptions: ['barricade song\nwith red flags'],
        policy: 'block',
        licensees: [],
      },
    ];
    const rows = parseCsvRows(exportCsv(entries));
    expect(rows[0].value).toEqual({ ...entries[0], kind: 'work', policy: 'block' });
  });

  it('escapes cells a spreadsheet would run as a formula, and imports them back unchanged', () => {
    const entries = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1'].map(
      (name, i) => ({
        id: `00000000-0000-4000-8000-00000000000${i}`,
        kind: 'brand',
        canonicalName: name,
        aliases: i === 0 ? ['=cmd calc', 'plain'] : [],
        descriptions: [],
        policy: 'block',
        licensees: [],
      }),
    );
    const csv = exportCsv(entries);
    // What a spreadsheet sees: the raw cells of the file.
    const raw = parseCsv(csv).slice(1);
    expect(raw.map((r) => r[2])).toEqual([
      `'=HYPERLINK("http://x","y")`,
      "'+1+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\t=1",
      "'\r=1",
    ]);
    expect(raw[0][3]).toBe("'=cmd calc | plain");
    for (const cell of raw.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const back = parseCsvRows(csv).map((r) => r.value);
    // Names are trimmed on import, as for any file.
    expect(back.map((v) => v?.canonicalName)).toEqual(entries.map((e) => e.canonicalName.trim()));
    expect(back[0]?.aliases).toEqual(['=cmd calc', 'plain']);
    // Ordinary names, and an apostrophe that escapes nothing, are left alone.
    expect(
      parseCsvRows("kind,canonical_name,policy\nwork,'Allo 'Allo!,block\nwork,Spider-Man,block\n").map(
        (r) => r.value?.canonicalName,
      ),
    ).toEqual(["'Allo 'Allo!", 'Spider-Man']);
  });
});

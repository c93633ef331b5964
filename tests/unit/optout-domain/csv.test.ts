import { CsvSyntaxError, parseCsv, toCsv } from '../../../src/optout/csv';

describe('CSV reading and writing', () => {
  it('reads quoted fields holding commas, doubled quotes and line breaks, with CRLF or LF line ends', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","line1\nline2"\nplain,,end\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'line1\nline2'],
      ['plain', '', 'end'],
    ]);
  });

  it('skips a byte-order mark and blank lines, and keeps a last record without a line end', () => {
    expect(parseCsv('\uFEFFh1,h2\n\n1,2')).toEqual([
      ['h1', 'h2'],
      ['1', '2'],
    ]);
  });

  it('names the record of an unclosed quote, a stray quote, and text after a closing quote', () => {
    expect(() => parseCsv('a\n"open')).toThrow(CsvSyntaxError);
    try {
      parseCsv('a\nb\n"open,x\n');
    } catch (e) {
      expect((e as CsvSyntaxError).record).toBe(3);
    }
    expect(() => parseCsv('a,b"c\n')).toThrow(/quote inside an unquoted field/);
    expect(() => parseCsv('"a"b,c\n')).toThrow(/after a closing quote/);
  });

  it('writes what it reads back unchanged, quoting only where needed', () => {
    const rows = [
      ['id', 'name'],
      ['1', 'Les Misérables, "the musical"'],
      ['2', ' padded '],
      ['3', 'two\nlines'],
      ['4', 'plain'],
    ];
    const text = toCsv(rows);
    expect(text).toContain('4,plain\r\n');
    expect(parseCsv(text)).toEqual(rows);
  });
});

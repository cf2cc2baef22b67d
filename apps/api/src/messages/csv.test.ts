import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '@tributary/protocol';
import { recordsOf } from './records.ts';
import { csvField, csvRow } from './stream.ts';

/** Splits one CSV row (RFC 4180 quoting) into its cells, as a spreadsheet would. */
function cells(row: string): string[] {
  const out: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(,|\r\n|$)/gy;
  for (let m = re.exec(row); m && m[0] !== ''; m = re.exec(row)) {
    const c = m[1]!;
    out.push(c.startsWith('"') ? c.slice(1, -1).replaceAll('""', '"') : c);
    if (m[2] !== ',') break;
  }
  return out;
}

describe('CSV export: formula injection guard', () => {
  it('prefixes a quote to every cell a spreadsheet would read as a formula, and to cells starting with a quote', () => {
    for (const dangerous of ['=1+1', '+1', '-2', '@SUM(A1)', '\tx', '\rx', "'kept"]) {
      const cell = cells(csvField(dangerous))[0]!;
      expect(cell, JSON.stringify(dangerous)).toBe(`'${dangerous}`);
    }
    for (const plain of ['hello', '1+1', 'a=b', '', 'x-y@z']) expect(csvField(plain)).toBe(plain);
    // Quoted as RFC 4180 wants; the guard is inside the quotes.
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
  });

  it('guards keys and values of exported rows, and a reader can undo it by dropping the one leading quote', () => {
    const blob = encodeRecordBatch({
      records: [{ key: Buffer.from("=cmd|' /C calc'!A0"), value: Buffer.from('@SUM(1+1)*cmd'), headers: [{ key: 'h', value: Buffer.from('=x') }] }],
      baseTimestamp: 1_790_000_000_000, producerId: -1n, producerEpoch: -1, baseSequence: -1,
    });
    const [rec] = recordsOf(3, blob, 0n, 1n).records;
    const row = cells(csvRow(rec!).replace(/\r\n$/, ''));
    expect(row.slice(0, 2)).toEqual(['3', '0']);
    expect(row[5]).toBe("'=cmd|' /C calc'!A0");
    expect(row[7]).toBe("'@SUM(1+1)*cmd");
    // The headers cell is JSON (starts with `[`): not a formula, and its values stay as sent.
    expect(JSON.parse(row[8]!)).toEqual([{ key: 'h', encoding: 'text', value: '=x' }]);
    const undo = (c: string) => (c.startsWith("'") ? c.slice(1) : c);
    expect(undo(row[5]!)).toBe("=cmd|' /C calc'!A0");
    expect(undo(row[7]!)).toBe('@SUM(1+1)*cmd');
  });
});

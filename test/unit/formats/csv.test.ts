import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csvField, csvRecord, parseCsv, rootletTableCsv, ROOTLET_TABLE_COLUMNS, type RootletTableRow } from '../../../src/formats';
import { makeDecision } from '../../../src/domain';

describe('RFC 4180 fields', () => {
  it('quotes only when needed and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "cut"')).toBe('"say ""cut"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(1.25)).toBe('1.25');
    expect(csvField(1e-7)).toBe('0');
    expect(csvField(12345678)).toBe('12345678');
    expect(csvRecord(['a', 1, null, 'x,y'])).toBe('a,1,,"x,y"\r\n');
  });
  it('round-trips any text through parseCsv (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\r', '\n', ' ', 'é') }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = rows.map((r) => csvRecord(r)).join('');
        expect(parseCsv(text)).toEqual(rows);
      }),
    );
  });
});

describe('rootletTableCsv', () => {
  const rows: RootletTableRow[] = [
    {
      level: 'L4', side: 'R', kind: 'dorsal', rootlet: 3, thresholdMa: 0.95, latencyMs: 14.5, amplitudeUv: 420,
      trainMa: 0.95, grade: 3, pattern: 'sustained', responding: ['R TA', 'R VL', 'R GAS'], suggestion: 'cut',
      decision: makeDecision({ kind: 'partial', fraction: 0.5, decidedBy: 'Dr. Smith, J.', decidedAt: '2024-05-17T13:50:00Z' }),
      comment: 'split "lateral" half',
    },
    {
      level: 'L5', side: 'L', kind: 'ventral', rootlet: null, thresholdMa: 0.12, latencyMs: null, amplitudeUv: null,
      trainMa: null, grade: null, pattern: null, responding: [], suggestion: null, decision: null, comment: '=HYPERLINK("x")',
    },
  ];
  it('writes the documented columns with exact values', () => {
    const text = rootletTableCsv(rows);
    expect(text).toBe(
      'level,side,kind,rootlet,threshold_ma,latency_ms,amplitude_uv,train_ma,grade,pattern,responding,suggestion,decision,cut_fraction,decided_by,decided_at,comment\r\n' +
        'L4,R,dorsal,3,0.95,14.5,420,0.95,3,sustained,R TA; R VL; R GAS,cut,partial,0.5,"Dr. Smith, J.",2024-05-17T13:50:00Z,"split ""lateral"" half"\r\n' +
        'L5,L,ventral,,0.12,,,,,,,,,,,,"\'=HYPERLINK(""x"")"\r\n',
    );
    const parsed = parseCsv(text);
    expect(parsed[0]).toEqual([...ROOTLET_TABLE_COLUMNS]);
    expect(parsed.every((r) => r.length === ROOTLET_TABLE_COLUMNS.length)).toBe(true);
  });
});

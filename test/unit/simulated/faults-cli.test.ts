import { describe, expect, it } from 'vitest';
import { parseFaults } from '../../../src/cli/simulate-pty';

describe('simulate --faults', () => {
  it('reads rates and timed faults', () => {
    expect(parseFaults('corrupt=1e-4, drop=2e-6,stall=5:200,unplug=10:3,electrode-off=8:4:2,electrode-off=9:5')).toEqual({
      corruptByteRate: 1e-4,
      dropByteRate: 2e-6,
      events: [
        { kind: 'stall', atS: 5, durationMs: 200 },
        { kind: 'unplug', atS: 10, durationS: 3 },
        { kind: 'electrode-off', atS: 8, channel: 4, durationS: 2 },
        { kind: 'electrode-off', atS: 9, channel: 5 },
      ],
    });
    expect(parseFaults(undefined)).toEqual({});
  });

  it('refuses malformed items with a one-line reason', () => {
    expect(() => parseFaults('explode=1')).toThrow(/unknown fault 'explode'/);
    expect(() => parseFaults('corrupt=0.7')).toThrow(/below 0.5/);
    expect(() => parseFaults('unplug=10')).toThrow(/unplugged time/);
    expect(() => parseFaults('electrode-off=1:2.5')).toThrow(/whole number/);
    expect(() => parseFaults('stall')).toThrow(/cannot read 'stall'/);
  });
});

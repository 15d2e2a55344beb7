import { describe, expect, it } from 'vitest';
import { parseList, parsePorts } from '../../src/config/lists.js';

describe('parseList', () => {
  it('reads a comma-separated string and a JSON array of strings the same way', () => {
    expect(parseList(' 10.0.0.4 , 10.0.0.5:5353 ')).toEqual(['10.0.0.4', '10.0.0.5:5353']);
    expect(parseList(['10.0.0.4', ' 10.0.0.5:5353'])).toEqual(['10.0.0.4', '10.0.0.5:5353']);
  });

  it('drops empty items, so an empty string is an empty list', () => {
    expect(parseList('a,,b, ,')).toEqual(['a', 'b']);
    expect(parseList('')).toEqual([]);
    expect(parseList(['', 'a'])).toEqual(['a']);
  });

  it('answers undefined for anything that is not a list of strings', () => {
    for (const value of [5, true, null, undefined, { a: 'b' }, ['a', 1], [null]])
      expect(parseList(value)).toBeUndefined();
  });
});

describe('parsePorts', () => {
  it('reads strings, arrays mixing numbers and numeric strings, and a single number', () => {
    expect(parsePorts('8883,5671,443')).toEqual([8883, 5671, 443]);
    expect(parsePorts([8883, '443'])).toEqual([8883, 443]);
    expect(parsePorts(443)).toEqual([443]);
  });

  it('accepts ports 1 and 65535 and rejects 0, 65536 and 70000', () => {
    expect(parsePorts('1,65535')).toEqual([1, 65535]);
    expect(parsePorts('0')).toBe('port 0 is out of range 1–65535');
    expect(parsePorts([65536])).toBe('port 65536 is out of range 1–65535');
    expect(parsePorts('443,70000')).toBe('port 70000 is out of range 1–65535');
  });

  it('rejects non-integers and non-decimal spellings with the offending item named', () => {
    expect(parsePorts([443.5])).toBe('443.5 is not a port number');
    expect(parsePorts('0x1bb')).toBe("'0x1bb' is not a port number");
    expect(parsePorts('-1')).toBe("'-1' is not a port number");
    expect(parsePorts('https')).toBe("'https' is not a port number");
  });

  it('drops duplicates keeping the first position', () => {
    expect(parsePorts('443,8883,443')).toEqual([443, 8883]);
  });

  it('needs at least one port and a list-shaped value', () => {
    expect(parsePorts('')).toBe('must list at least one port');
    expect(parsePorts([])).toBe('must list at least one port');
    expect(parsePorts({ a: 1 })).toMatch(/^must be a list of ports/);
    expect(parsePorts(true)).toMatch(/^must be a list of ports/);
  });
});

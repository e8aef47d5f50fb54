/** Terraform's msgpack values: unknowns (ext 0 and refined ext 12), integers, floats, big numbers. */
import { encode } from '@msgpack/msgpack';
import { decodeTfValue, encodeTfValue } from '../../provider/msgpack';
import { tfEqual, UNKNOWN } from '../../provider/tf-value';

describe('msgpack values', () => {
  it('decodes cty unknown (fixext1 type 0) as UNKNOWN and writes it back the same way', () => {
    const bytes = Buffer.from([0xd4, 0x00, 0x00]);
    expect(decodeTfValue(bytes)).toBe(UNKNOWN);
    expect(Buffer.from(encodeTfValue(UNKNOWN))).toEqual(bytes);
  });

  it('decodes a refined unknown (ext 12, Terraform 1.6+) as UNKNOWN, inside objects too', () => {
    // ext8, 3 bytes, type 12: a refinement payload (msgpack map {1: true}: "not null").
    const refined = Buffer.from([0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3]);
    expect(decodeTfValue(refined)).toBe(UNKNOWN);
    const obj = Buffer.concat([Buffer.from([0x82, 0xa1, 0x61]), refined, Buffer.from([0xa1, 0x62, 0x01])]);
    expect(decodeTfValue(obj)).toEqual({ a: UNKNOWN, b: 1 });
  });

  it('keeps integers, floats and integers beyond 2^53 exact', () => {
    expect(decodeTfValue(encode(5000))).toBe(5000);
    expect(decodeTfValue(encode(-1))).toBe(-1);
    expect(decodeTfValue(encode(1.5))).toBe(1.5);
    const big = 2n ** 60n + 1n;
    const decoded = decodeTfValue(encode(big, { useBigInt64: true }));
    expect(decoded).toBe(big);
    expect(decodeTfValue(encodeTfValue(decoded))).toBe(big);
    // uint64 beyond int64 as cty writes it.
    const u = 2n ** 63n + 5n;
    expect(decodeTfValue(encode(u, { useBigInt64: true }))).toBe(u);
  });

  it('keeps a number cty sent as a decimal string (too big for int64 and float64)', () => {
    const text = '123456789012345678901234567890';
    expect(decodeTfValue(encodeTfValue(text))).toBe(text);
  });

  it('compares numbers by value whatever their representation', () => {
    expect(tfEqual(5000, 5000n)).toBe(true);
    expect(tfEqual({ a: [1, 2n] }, { a: [1n, 2] })).toBe(true);
    expect(tfEqual(1.5, 1)).toBe(false);
    expect(tfEqual(UNKNOWN, UNKNOWN)).toBe(true);
    expect(tfEqual(UNKNOWN, null)).toBe(false);
  });

  it('round-trips null, empty input, nested maps and lists', () => {
    expect(decodeTfValue(new Uint8Array())).toBeNull();
    const v = { m: { k: 'v' }, l: ['a', null], n: null, t: true };
    expect(decodeTfValue(encodeTfValue(v))).toEqual(v);
  });
});

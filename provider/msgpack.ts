/**
 * Terraform's msgpack encoding of values (DynamicValue.msgpack): cty writes
 * unknown values as msgpack extensions — type 0, and since Terraform 1.6
 * type 12 for "refined" unknowns (known not null, known string prefix...).
 * Any extension decodes as UNKNOWN; we write plain type 0, which Terraform
 * accepts everywhere. Integers beyond 2^53 stay exact as bigint; numbers
 * cty could not fit in int64 or float64 arrive as decimal strings, and the
 * value layer keeps them as such.
 */
import { Decoder, Encoder, ExtData, ExtensionCodec } from '@msgpack/msgpack';
import { UNKNOWN, type TfValue } from './tf-value';

/** cty's own encoding of an unknown value: fixext1, type 0, one zero byte. */
const UNKNOWN_EXT = new ExtData(0, new Uint8Array([0]));

const codec = new ExtensionCodec();
// Registered so the encoder writes UNKNOWN as the extension; decoding goes through decodeExt below.
codec.register({
  type: 0,
  encode: (v: unknown) => (v === UNKNOWN ? UNKNOWN_EXT.data : null),
  decode: () => UNKNOWN,
});

const decoder = new Decoder({ extensionCodec: codec, useBigInt64: true });
const encoder = new Encoder({ extensionCodec: codec, useBigInt64: true, ignoreUndefined: true });

export function decodeTfValue(bytes: Uint8Array): TfValue {
  if (bytes.length === 0) return null;
  return normalise(decoder.decode(bytes));
}

export function encodeTfValue(value: TfValue): Uint8Array {
  return encoder.encode(value);
}

function normalise(v: unknown): TfValue {
  if (v === null || v === undefined) return null;
  if (v === UNKNOWN || v instanceof ExtData) return UNKNOWN;
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  const out: Record<string, TfValue> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = normalise(x);
  return out;
}

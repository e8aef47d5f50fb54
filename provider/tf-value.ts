/**
 * Values in Terraform's type system as this provider holds them: plain JSON
 * shapes plus `UNKNOWN` (a value Terraform will only know after apply).
 * Objects and maps are plain objects (read with `Object.hasOwn`, since map
 * keys are user data); numbers are `number`, or `bigint`/decimal `string`
 * when they do not fit a double exactly, so they go back to Terraform as
 * they came.
 */

/** The one unknown value. Terraform's refinements (not null, string prefix) are dropped: we never need them. */
export const UNKNOWN: unique symbol = Symbol('unknown');
export type Unknown = typeof UNKNOWN;

export type TfNumber = number | bigint | string;
export type TfValue = null | Unknown | string | number | bigint | boolean | TfValue[] | TfObject;
export interface TfObject {
  [key: string]: TfValue;
}

export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}

export function isTfObject(v: TfValue | undefined): v is TfObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Own property of a map or object (never one of Object.prototype's). */
export function attr(obj: TfObject, key: string): TfValue {
  return Object.hasOwn(obj, key) ? (obj[key] as TfValue) : null;
}

/** Whether a value holds an unknown anywhere. */
export function containsUnknown(v: TfValue): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isTfObject(v)) return Object.values(v).some(containsUnknown);
  return false;
}

/** Structural equality as Terraform sees it (numbers compare by value, unknown equals only unknown). */
export function tfEqual(a: TfValue, b: TfValue): boolean {
  if (a === b) return true;
  if (isNumberLike(a) && isNumberLike(b)) return numberText(a) === numberText(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => tfEqual(x, b[i] as TfValue));
  }
  if (isTfObject(a) && isTfObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && tfEqual(a[k] as TfValue, b[k] as TfValue));
  }
  return false;
}

function isNumberLike(v: TfValue): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

function numberText(v: number | bigint): string {
  return typeof v === 'bigint' ? v.toString() : Number.isInteger(v) ? BigInt(v).toString() : String(v);
}

/** A Terraform number as a JSON number (what the gateway config holds). */
export function toJsNumber(v: TfNumber): number {
  return typeof v === 'number' ? v : Number(v);
}

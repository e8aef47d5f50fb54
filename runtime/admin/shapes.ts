/**
 * Shape checks of admin request bodies, compiled once (on first use) from the
 * model's schemas. The config inside an apply request is checked separately,
 * by the model's `validateConfig` on the whole document (start-bound fields
 * merged in): it reports field-level issues with tagged unions narrowed, the
 * same wording `apigw check` and synth use.
 */
import { Type } from '@sinclair/typebox';
import Ajv, { type ValidateFunction } from 'ajv';
import { ApplyRequest, BundleUpload, type ConfigIssue } from '../../model';

/** `ApplyRequest` with its config only required to be an object (see above). */
const ApplyEnvelope = Type.Object(
  { config: Type.Object({}), secrets: ApplyRequest.properties.secrets },
  { additionalProperties: false },
);

let ajv: Ajv | undefined;
let applyEnvelope: ValidateFunction | undefined;
let bundleUpload: ValidateFunction | undefined;

function compile(schema: object): ValidateFunction {
  ajv ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

function issuesOf(validate: ValidateFunction): ConfigIssue[] {
  return (validate.errors ?? []).map((e) => ({
    field: e.instancePath || '/',
    message:
      e.keyword === 'additionalProperties'
        ? `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : (e.message ?? 'is invalid'),
  }));
}

/** Issues of an apply request's envelope (`config` an object, `secrets` names and values); empty when it fits. */
export function applyEnvelopeIssues(body: unknown): ConfigIssue[] {
  applyEnvelope ??= compile(ApplyEnvelope);
  return applyEnvelope(body) ? [] : issuesOf(applyEnvelope);
}

/** Issues of a bundle upload's shape; empty when it fits. */
export function bundleUploadIssues(body: unknown): ConfigIssue[] {
  bundleUpload ??= compile(BundleUpload);
  return bundleUpload(body) ? [] : issuesOf(bundleUpload);
}

/** Diagnostics as the provider builds them, and their protobuf form. */
import type { AttrPath, PathStep } from './convert';

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  /** The attribute the problem is about: Terraform then shows that line of the configuration. */
  readonly path?: AttrPath;
}

export function error(summary: string, detail?: string, path?: AttrPath): Diagnostic {
  return { severity: 'error', summary, ...(detail !== undefined ? { detail } : {}), ...(path ? { path } : {}) };
}

export function warning(summary: string, detail?: string): Diagnostic {
  return { severity: 'warning', summary, ...(detail !== undefined ? { detail } : {}) };
}

/** `apis["getPet"].backend.http.timeout_ms`, as Terraform writes attribute paths. */
export function pathText(path: AttrPath): string {
  return path
    .map((s: PathStep, i) =>
      'attr' in s ? (i === 0 ? s.attr : `.${s.attr}`) : 'key' in s ? `[${JSON.stringify(s.key)}]` : `[${s.index}]`,
    )
    .join('');
}

/** The message `tfplugin6.Diagnostic`, as plain data for the encoder. */
export function diagnosticMessage(d: Diagnostic): object {
  return {
    severity: d.severity === 'error' ? 1 : 2,
    summary: d.summary,
    detail: d.detail ?? '',
    ...(d.path && d.path.length > 0
      ? {
          attribute: {
            steps: d.path.map((s) =>
              'attr' in s
                ? { attribute_name: s.attr }
                : 'key' in s
                  ? { element_key_string: s.key }
                  : { element_key_int: s.index },
            ),
          },
        }
      : {}),
  };
}

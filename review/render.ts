/**
 * Renders a gateway diff as text (coloured on a terminal), Markdown (for a
 * pull-request comment) or JSON. All three show every change's deploy impact.
 */
import type { FieldChange, Finding, GatewayDiff, ServiceDiff } from './diff';

export type DiffFormat = 'text' | 'markdown' | 'json';

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/** `getUser`, `3 APIs (a, b, c)`, or `service` for a service-level finding. */
function apisLabel(apis: readonly string[], quote = (s: string) => s): string {
  if (apis.length === 0) return 'service';
  if (apis.length === 1) return quote(apis[0] as string);
  return `${apis.length} APIs (${apis.map(quote).join(', ')})`;
}

export function renderDiff(diff: GatewayDiff, format: DiffFormat, color = false): string {
  if (format === 'json') return JSON.stringify(diff, null, 2) + '\n';
  return format === 'markdown' ? markdown(diff) : text(diff, color);
}

function text(diff: GatewayDiff, color: boolean): string {
  const c = (code: number, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  if (diff.identical) return 'No changes.\n';
  const lines: string[] = [];
  const impact = (i: string): string => c(2, `[${i}]`);
  const field = (f: FieldChange): string =>
    `${f.field}: ${c(31, show(f.before))} → ${c(32, show(f.after))}  ${impact(f.impact)}`;
  const finding = (label: string, code: number, f: Finding): string =>
    `  ${c(code, label)} ${c(code, f.kind)}: ${apisLabel(f.apis)}: ${f.detail}`;
  for (const s of diff.services) {
    if (s.status === 'unchanged') continue;
    lines.push(c(1, `service ${s.service} (${s.status}; ${s.impact})`));
    for (const f of s.breaking) lines.push(finding('BREAKING', 31, f));
    for (const f of s.risks) lines.push(finding('risk', 33, f));
    for (const a of s.added) lines.push(`  ${c(32, '+')} ${a.name}: ${route(a)}  ${impact(a.impact)}`);
    for (const a of s.removed) lines.push(`  ${c(31, '-')} ${a.name}: ${route(a)}  ${impact(a.impact)}`);
    for (const f of s.shared) lines.push(`  ${c(33, '~')} ${apisLabel(f.apis)}: ${field(f)}`);
    for (const a of s.changed) {
      lines.push(`  ${c(33, '~')} ${a.name}`);
      for (const f of a.changes) lines.push(`      ${field(f)}`);
    }
    for (const f of s.serviceChanges) lines.push(`  ${c(33, '~')} ${field(f)}`);
  }
  return lines.join('\n') + '\n';
}

function route(a: ServiceDiff['added'][number]): string {
  return `${a.protocol === 'websocket' ? 'WebSocket ' : ''}${a.method} ${a.path} → ${a.backend}`;
}

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
const cell = (v: unknown): string => code(show(v).replace(/\|/g, '\\|'));

function markdown(diff: GatewayDiff): string {
  if (diff.identical) return '**Gateway changes:** none.\n';
  const out: string[] = ['## Gateway changes', ''];
  for (const s of diff.services) {
    if (s.status === 'unchanged') continue;
    out.push(`### Service ${code(s.service)} (${s.status}) — ${s.impact}`, '');
    const findings = (kind: string, intro: string, list: readonly Finding[]): void => {
      if (list.length === 0) return;
      out.push(`> [!${kind}]`, `> ${intro}`);
      for (const f of list) out.push(`> - **${f.kind}** ${apisLabel(f.apis, code)}: ${f.detail.replace(/\|/g, '\\|')}`);
      out.push('');
    };
    findings('CAUTION', 'Breaking changes:', s.breaking);
    findings('WARNING', 'Review these changes:', s.risks);
    if (s.added.length + s.removed.length > 0) {
      out.push('| | API | Route | Deploy impact |', '|---|---|---|---|');
      for (const a of s.added) out.push(`| ➕ added | ${code(a.name)} | ${code(route(a))} | ${a.impact} |`);
      for (const a of s.removed) out.push(`| ➖ removed | ${code(a.name)} | ${code(route(a))} | ${a.impact} |`);
      out.push('');
    }
    const row = (who: string, f: FieldChange): string =>
      `| ${who} | ${code(f.field)} | ${cell(f.before)} | ${cell(f.after)} | ${f.impact} |`;
    const rows = [
      ...s.shared.map((f) => row(apisLabel(f.apis, code), f)),
      ...s.changed.flatMap((a) => a.changes.map((f) => row(code(a.name), f))),
      ...s.serviceChanges.map((f) => row('(service)', f)),
    ];
    if (rows.length > 0)
      out.push('| API | Field | Before | After | Deploy impact |', '|---|---|---|---|---|', ...rows, '');
  }
  return out.join('\n');
}

/** Renders a gateway diff as coloured text, Markdown (pull-request comments) or JSON. */
import type { ApiConfig } from '../model';
import type { FieldChange, GatewayDiff } from './diff';

export type DiffFormat = 'text' | 'markdown' | 'json';

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));
const route = (a: ApiConfig): string => `${a.frontend.method} ${a.frontend.rawPath} → ${a.backend.type}`;

export function renderDiff(diff: GatewayDiff, format: DiffFormat, color = false): string {
  if (format === 'json') return JSON.stringify(diff, null, 2) + '\n';
  return format === 'markdown' ? markdown(diff) : text(diff, color);
}

function text(diff: GatewayDiff, color: boolean): string {
  const c = (code: number, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  if (diff.identical) return 'No changes.\n';
  const lines: string[] = [];
  for (const s of diff.services) {
    if (s.status === 'unchanged') continue;
    lines.push(c(1, `service ${s.service} (${s.status})`));
    for (const r of s.risks) lines.push(`  ${c(31, '!')} ${c(31, r.kind)}: ${r.message}`);
    for (const a of s.added) lines.push(`  ${c(32, '+')} ${a.name}: ${route(a)}`);
    for (const a of s.removed) lines.push(`  ${c(31, '-')} ${a.name}: ${route(a)}`);
    for (const a of s.changed) {
      lines.push(`  ${c(33, '~')} ${a.name}`);
      for (const f of a.changes) lines.push(`      ${f.field}: ${c(31, show(f.before))} → ${c(32, show(f.after))}`);
    }
    for (const f of s.serviceChanges)
      lines.push(`  ${c(33, '~')} ${f.field}: ${c(31, show(f.before))} → ${c(32, show(f.after))}`);
  }
  return lines.join('\n') + '\n';
}

const cell = (v: unknown): string => `\`${show(v).replace(/\|/g, '\\|').replace(/`/g, "'")}\``;

function markdown(diff: GatewayDiff): string {
  if (diff.identical) return '**Gateway changes:** none.\n';
  const out: string[] = ['## Gateway changes', ''];
  for (const s of diff.services) {
    if (s.status === 'unchanged') continue;
    out.push(`### Service \`${s.service}\` (${s.status})`, '');
    if (s.risks.length > 0) {
      out.push('> [!WARNING]', '> Review these changes:');
      for (const r of s.risks) out.push(`> - **${r.kind}**: ${r.message}`);
      out.push('');
    }
    if (s.added.length + s.removed.length > 0) {
      out.push('| | API | Route |', '|---|---|---|');
      for (const a of s.added) out.push(`| ➕ added | \`${a.name}\` | \`${route(a)}\` |`);
      for (const a of s.removed) out.push(`| ➖ removed | \`${a.name}\` | \`${route(a)}\` |`);
      out.push('');
    }
    const rows = (changes: readonly FieldChange[], api: string): string[] =>
      changes.map((f) => `| \`${api}\` | \`${f.field}\` | ${cell(f.before)} | ${cell(f.after)} |`);
    const changedRows = [...s.changed.flatMap((a) => rows(a.changes, a.name)), ...rows(s.serviceChanges, '(service)')];
    if (changedRows.length > 0) out.push('| API | Field | Before | After |', '|---|---|---|---|', ...changedRows, '');
  }
  return out.join('\n');
}

/**
 * Whether to colour output written to a stream: never when NO_COLOR is set
 * (https://no-color.org) or TERM is dumb, always when FORCE_COLOR is set (and
 * not 0), otherwise only on a terminal, so pipes and files get plain text.
 */
export function useColor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

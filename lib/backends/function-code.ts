/** Where a function's code lives. */
import { isAbsolute, resolve } from 'node:path';

/** Options of {@link FunctionCode.fromDirectory}. */
export interface DirectoryCodeOptions {
  /**
   * `file.export` inside the folder, for example `index.main_handler`. Synth loads the file (in a worker,
   * without its environment) and fails when the export is not a function.
   */
  readonly handler: string;
  /** Memory limit of each worker running the function, 16 to 4096 MB. @default 128 */
  readonly memoryMb?: number;
}

export type FunctionCodeConfig =
  | { readonly kind: 'bundled'; readonly dir: string; readonly handler: string; readonly memoryMb: number }
  | { readonly kind: 'remote'; readonly url: string; readonly headers: Record<string, string> };

/** Where a function's code lives: a local folder bundled with the gateway, or a remote function platform. */
export class FunctionCode {
  /**
   * Node.js code in a local folder, copied into the gateway image at synth
   * and run in the gateway's worker threads. A relative folder resolves
   * against the current directory (where `cdktf synth` runs).
   */
  static fromDirectory(dir: string, options: DirectoryCodeOptions): FunctionCode {
    return new FunctionCode({
      kind: 'bundled',
      dir: isAbsolute(dir) ? dir : resolve(dir),
      handler: options.handler,
      memoryMb: options.memoryMb ?? 128,
    });
  }

  /**
   * A function platform or emulator that accepts the event JSON by POST and
   * returns the function's result.
   */
  static remote(url: string, headers: Record<string, string> = {}): FunctionCode {
    return new FunctionCode({ kind: 'remote', url, headers });
  }

  private constructor(
    /** What the backend turns into the function's config source. */
    readonly config: FunctionCodeConfig,
  ) {}
}

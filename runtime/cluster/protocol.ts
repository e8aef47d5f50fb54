/**
 * What the coordinator and its worker threads say to each other (over
 * `Channel`), and what a worker starts with. Everything here crosses a
 * message port, so it is plain data: a config generation travels as what
 * `LiveConfig` would compile (the loaded document, its environment with the
 * applied secrets, where its bundles are) and each worker compiles it itself.
 */
import type { LogLevel } from '../access-log';
import type { LoadedConfig } from '../config-loader';
import type { SlotAssignments } from './counter-slots';

/** `workerData.role` of a gateway worker thread (function workers have none). */
export const GATEWAY_WORKER_ROLE = 'apigw-gateway-worker';

export interface WorkerData {
  readonly role: typeof GATEWAY_WORKER_ROLE;
  /** The worker's number, 0 to workers - 1; a replacement takes the number of the worker it replaces. */
  readonly index: number;
  readonly workers: number;
  /** The config the process started with (its listeners are bound at start). */
  readonly start: LoadedConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly debug: boolean;
  readonly accessLog: boolean;
  readonly logLevel: LogLevel;
  /** The shared counters (`CounterTable`) and instance state (`InstanceState`). */
  readonly counters: SharedArrayBuffer;
  readonly instance: SharedArrayBuffer;
  /** Function worker threads per function version in this worker. */
  readonly functionWorkers: number;
  /** Fault injection (`faults.ts`): crash when asked to compile a config change. */
  readonly crashOnPrepare: boolean;
}

/** A config generation to compile (`prepare`), then serve (`commit`) or drop (`abandon`). */
export interface GenerationSpec {
  readonly loaded: LoadedConfig;
  readonly env: NodeJS.ProcessEnv;
  /** Folder of each stored bundle by sha256, for an applied config (its code runs from the bundle store). */
  readonly codeDirs?: Readonly<Record<string, string>>;
  readonly slots: SlotAssignments;
}

export interface PrepareCall {
  readonly id: number;
  readonly spec: GenerationSpec;
}

export interface CommitCall {
  readonly id: number;
  readonly generation: number;
}

export interface ListenCall {
  readonly http?: { readonly port: number; readonly host: string };
  readonly https?: { readonly port: number; readonly host: string };
}

/** Where a worker's listeners bound. */
export interface ListenAnswer {
  readonly http?: { readonly address: string; readonly port: number; readonly family: string };
  readonly https?: { readonly address: string; readonly port: number; readonly family: string };
}

/** A WebSocket connection the connections endpoint looks for on the other workers. */
export interface ReachCall {
  readonly connectionId: string;
  /** `find` only asks whether the worker holds it. */
  readonly op: 'find' | 'send' | 'close';
  readonly data?: Uint8Array;
  readonly binary?: boolean;
}

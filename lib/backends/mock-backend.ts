import { Problems } from '../checks';
import { Backend, type BackendBinding } from './backend';

/** Props of {@link MockBackend}. */
export interface MockBackendProps {
  /** Response status. @default 200 */
  readonly statusCode?: number;
  /** Response headers. @default - `content-type: application/json; charset=utf-8` */
  readonly headers?: Record<string, string>;
  /** Response body (text, or base64 with `isBase64Encoded`). @default '' */
  readonly body?: string;
  /** The body is base64 (binary content). @default false */
  readonly isBase64Encoded?: boolean;
}

/** Answers every request with a fixed response. */
export class MockBackend extends Backend {
  /** A JSON response of `value`. */
  static json(value: unknown, statusCode = 200): MockBackend {
    return new MockBackend({ statusCode, body: JSON.stringify(value) });
  }

  constructor(private readonly props: MockBackendProps = {}) {
    super();
  }

  bind(): BackendBinding {
    const p = this.props;
    const problems = new Problems();
    const statusCode = p.statusCode ?? 200;
    problems.integer('backend statusCode', '/backend/statusCode', statusCode, { min: 100, max: 599 });
    return {
      config: {
        type: 'mock',
        statusCode,
        headers: p.headers ?? {},
        body: p.body ?? '',
        isBase64Encoded: p.isBase64Encoded ?? false,
      },
      bundles: [],
      problems: problems.list,
    };
  }
}

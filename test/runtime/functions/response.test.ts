/** Mapping a function's return value to the HTTP response. */
import { GatewayError } from '../../../runtime/errors';
import { integrationResult, passthroughResult } from '../../../runtime/functions/response';

function refusal(value: unknown): string {
  try {
    integrationResult(value);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).def.code).toBe('FunctionBadResponse');
    expect((err as GatewayError).status).toBe(502);
    return (err as GatewayError).message.replace('the function returned a response of the wrong shape: ', '');
  }
  throw new Error('expected a refusal');
}

describe('integration response', () => {
  it("GIVEN the document's example WHEN mapped THEN status, headers and body are the function's", () => {
    const r = integrationResult({
      isBase64Encoded: false,
      statusCode: 200,
      headers: { 'Content-Type': 'text/html' },
      body: '<html><body><h1>Heading</h1><p>Paragraph.</p></body></html>',
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers).toEqual({ 'content-type': 'text/html' });
    expect(r.body.toString()).toBe('<html><body><h1>Heading</h1><p>Paragraph.</p></body></html>');
  });

  it('GIVEN isBase64Encoded WHEN mapped THEN the body is decoded to bytes', () => {
    const r = integrationResult({ isBase64Encoded: true, statusCode: 200, headers: {}, body: 'AAEC/w==' });
    expect([...r.body]).toEqual([0, 1, 2, 255]);
  });

  it('GIVEN headers or body left out WHEN mapped THEN they are empty', () => {
    const r = integrationResult({ statusCode: 204 });
    expect(r).toEqual({ statusCode: 204, headers: {}, body: Buffer.alloc(0) });
  });

  it('GIVEN framing headers from the function WHEN mapped THEN the gateway drops them', () => {
    const r = integrationResult({
      statusCode: 200,
      headers: {
        'Content-Length': '999',
        'Transfer-Encoding': 'chunked',
        Connection: 'close',
        'x-api-requestid': 'x',
        'x-ok': '1',
      },
      body: 'hi',
    });
    expect(r.headers).toEqual({ 'x-ok': '1' });
  });

  it.each([
    [null, 'expected an object with statusCode, headers and body, got null'],
    ['hello', 'expected an object with statusCode, headers and body, got the string "hello"'],
    [[1], 'expected an object with statusCode, headers and body, got an array'],
    [{ body: 'x' }, 'statusCode must be an integer from 200 to 599, got undefined'],
    [
      { status: 200, data: 'x' },
      'statusCode must be an integer from 200 to 599, got undefined (unexpected fields: status, data)',
    ],
    [{ statusCode: '200' }, 'statusCode must be an integer from 200 to 599, got the string "200"'],
    [{ statusCode: 99 }, 'statusCode must be an integer from 200 to 599, got 99'],
    [{ statusCode: 200.5 }, 'statusCode must be an integer from 200 to 599, got 200.5'],
    [{ statusCode: 200, headers: ['a'] }, 'headers must be an object, got an array'],
    [
      { statusCode: 200, headers: { 'Set-Cookie': ['a=1', 'b=2'] } },
      'header "Set-Cookie" must be a string, got an array',
    ],
    [{ statusCode: 200, headers: { 'x-n': 1 } }, 'header "x-n" must be a string, got 1'],
    [{ statusCode: 200, headers: { 'bad name': 'v' } }, '"bad name" is not a valid header name'],
    [{ statusCode: 200, headers: { 'x-a': 'v\r\nx-b: injected' } }, 'header "x-a" contains a line break'],
    [{ statusCode: 200, body: { a: 1 } }, 'body must be a string, got an object'],
    [
      { statusCode: 200, isBase64Encoded: 'true', body: '' },
      'isBase64Encoded must be true or false, got the string "true"',
    ],
    [
      { statusCode: 200, isBase64Encoded: true, body: 'not base64!' },
      'body is flagged isBase64Encoded but is not base64',
    ],
  ])('GIVEN %j WHEN mapped THEN 502 says: %s', (value, message) => {
    expect(refusal(value)).toBe(message);
  });
});

describe('passthrough response', () => {
  it.each([
    [{ a: [1, 'two'] }, '{"a":[1,"two"]}'],
    ['text', '"text"'],
    [42, '42'],
    [undefined, 'null'],
    [null, 'null'],
    [{ big: 10n }, '{"big":"10"}'],
  ])('GIVEN the return value %p WHEN passed through THEN 200 with the JSON %s', (value, json) => {
    const r = passthroughResult(value);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.body.toString()).toBe(json);
  });

  it('GIVEN a value that is not JSON-serialisable WHEN passed through THEN 502 FunctionBadResponse', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => passthroughResult(circular)).toThrow(/not JSON-serialisable/);
  });
});

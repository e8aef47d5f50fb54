/**
 * `cdktf-apigw/testing`: run a stack's gateway in a jest (or any) test, in
 * the test's own process, with its backends pointed at the test's servers;
 * send it HTTP requests, WebSocket messages, signed key-pair requests and
 * bearer tokens; stop it. See the README, "Testing your stack".
 */
export {
  startGateway,
  TestGateway,
  type GatewayEvent,
  type TestGatewayOptions,
  type TestKeyPair,
  type TestRequestOptions,
  type TestResponse,
  type TestWebSocketOptions,
} from './test-gateway';
export { TestWebSocket, UpgradeRefused, type CloseInfo } from './web-socket';
export { createTestIssuer, type TestIssuer, type TestIssuerOptions, type TestTokenOptions } from './token-issuer';

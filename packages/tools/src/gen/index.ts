// The fixture generator: captures with known truth and the events gnpay must
// output for them (docs/events.md, docs/sessions.md). See README.md here.
export * from './bytes';
export * from './net';
export * from './gtp';
export * from './app';
export * from './writer';
export * from './model';
export * from './hpack';
export * from './scenario';
export { fteidRole, fteidKind } from './procedures-v2';
export type { CreateSessionOptions, ModifyBearerOptions } from './procedures-v2';
export type { CreatePdpOptions } from './procedures-v1';
export * from './output';
export {
  FIXTURES,
  gnBasic,
  gnLifecycle,
  gnTransport,
  gnIpv6,
  s5Gtpv2,
  noGtpc,
  malformed,
  corruptBlock,
} from './fixtures';
export type { FixtureOptions, FixtureSpec } from './fixtures';
export { bench, flood, TcpTemplate } from './large';
export type { LargeOptions, FloodOptions } from './large';
export { demoCapture, urlTokens } from './demo';
export type { DemoOptions, DemoResult } from './demo';
export { SCENARIOS, runScenario } from './registry';
export type { ScenarioName, RunOptions } from './registry';
export { readCapture, dissect, gpduInner, innerTcpPayload } from './reader';
export type { ReadFrame, ReadResult, Dissected } from './reader';
export type { SessionEvent, SightingEvent, Tunnel, Carrier, Via, ResolvedBy } from '../../../../dist/native/types';

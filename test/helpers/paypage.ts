// Pay-page test helpers: a self-signed certificate for the pay host (openssl),
// and a client that keeps one TLS connection and knows its ClientHello random
// (from its own keylog), as the probe would report it.
import { selfSignedCert } from '../../src/paypage/cert';
import type { HelloEvent } from '../../src/native/types';
export { csrfOf, PayClient, type PayResponse } from '../../src/paypage/client';

export const makeCert = selfSignedCert;

/** A hello event as the probe reports it. */
export function hello(random: string, msisdn: string | null, extra: Partial<HelloEvent> = {}): HelloEvent {
  return {
    type: 'hello',
    ts: '2025-01-01T00:00:00.000000Z',
    packet: 1,
    file: null,
    random,
    sni: 'pay.example.net',
    msisdn,
    imsi: msisdn ? '262017000000001' : null,
    ueIp: '10.202.0.2',
    dst: '10.204.0.1',
    teid: 1,
    gsnSrc: '10.201.0.1',
    gsnDst: '10.201.0.254',
    resolvedBy: msisdn ? 'teid' : null,
    request: 1,
    ...extra,
  };
}

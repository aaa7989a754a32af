// Fixtures of the GTP-C tracker: each one reproduces what real cores do every
// minute (fixtures/README.md says what is odd about each): S11 + S1-U + S5/S8
// on one mirror, VoLTE with two PDN connections and dedicated bearers, SGW
// relocation, handovers, network-initiated updates and deletes, piggybacked
// messages, dual-stack F-TEIDs, many MME / SGSN sockets on one address, the
// bounds of a bearer group. After every delete, tokens on the deleted
// subscriber's tunnels must resolve to nobody.
import { DNS_TYPE, dnsQuery, httpRequest, httpResponse } from './app';
import { gpdu } from './gtp';
import { dnsOverTcp, h2cRequests } from './hpack';
import { makeToken, Rng } from './bytes';
import { LINKTYPE } from './net';
import { DEFAULT_CARRIERS, type GenResult, sinkFor } from './output';
import { createPdpRequested } from './procedures-v1';
import { attachEpc, createSessionRequested, detachEpc, s5Path } from './procedures-v2';
import { expect, type Gn1Subscriber, innerTcp, type Pdn, Scenario, type S5Subscriber, type UserPath } from './scenario';
import { TCP } from './net';
import { type ByteSink, MemorySink, PcapngWriter, PcapWriter } from './writer';

export interface TrackerFixtureOptions {
  out?: string;
  seed?: number;
}

/**
 * Who really sent each token, as the scenario wrote it (never from the model
 * that predicts gnpay's events): the subscriber whose phone sent it on a
 * bearer the network holds; `null` when it was sent on a tunnel the network
 * has deleted (nobody may pay: never resolved by TEID, at most named by its UE
 * address as information); `sighting: false` when gnpay must not report it at
 * all (towards a UE, or dropped).
 */
export interface TokenTruth {
  token: string;
  imsi: string | null;
  msisdn: string | null;
  sighting: boolean;
}

/** the sender of a token on a tunnel the network no longer holds */
const GONE = null;

const truths = new WeakMap<Scenario, TokenTruth[]>();

function truthOf(s: Scenario): TokenTruth[] {
  let t = truths.get(s);
  if (!t) truths.set(s, (t = []));
  return t;
}

function sentBy(
  s: Scenario,
  token: string,
  who: { imsi: string; msisdn?: string | null } | null,
  sighting = true,
): void {
  truthOf(s).push({ token, imsi: who ? who.imsi : null, msisdn: who ? (who.msisdn ?? null) : null, sighting });
}

function finish(s: Scenario, sink: ByteSink, extra: Record<string, unknown> = {}): TrackerResult {
  s.w.close();
  const stats = { carriers: [...DEFAULT_CARRIERS], ...s.expectedStats(), ...extra };
  return { capture: sink instanceof MemorySink ? sink.bytes() : undefined, events: s.events, stats, truth: truthOf(s) };
}

export interface TrackerResult extends GenResult {
  truth: TokenTruth[];
}

/**
 * A GET carrying a token in its query, its 200 response and the close, on a
 * new connection; `who` sent it (GONE: on a deleted tunnel).
 */
function pay(s: Scenario, path: UserPath, token: string, who: { imsi: string; msisdn?: string | null } | null): void {
  sentBy(s, token, who);
  const f = s.tcp(path);
  f.request(httpRequest({ target: `/pay?pay_token=${token}`, host: 'pay.example.net' }), [expect(token, 'query')]);
  f.respond(httpResponse({ body: 'ok' }));
  f.close();
}

function tokens(seed: number): () => string {
  const rng = new Rng(seed);
  return () => makeToken(rng, 24);
}

// Nodes of an EPC: documentation addresses.
const EPC = {
  mmeC: '192.0.2.100',
  sgwC: '192.0.2.110',
  sgwU: '192.0.2.111',
  pgwC: '198.51.100.120',
  pgwU: '198.51.100.121',
  enbU: '203.0.113.130',
};

function epcSub(n: number, x: Partial<S5Subscriber> = {}): S5Subscriber {
  return {
    imsi: `00101020000${String(n).padStart(4, '0')}`,
    msisdn: `4917020${String(n).padStart(5, '0')}`,
    mei: `35693803570${String(n).padStart(5, '0')}`,
    apn: 'internet',
    ueIp: `10.70.0.${n}`,
    iface: 's11',
    ...EPC,
    ...x,
  };
}

// ---------------------------------------------------------------- s11-s5-mirror

/**
 * One mirror sees S11, S1-U and S5/S8 of the same SGW: each PDN connection
 * appears on both hops (a context each), tokens travel on S1-U (eNodeB ->
 * SGW) and on S5-U (SGW -> PGW). A Modify Bearer on S11 whose response gives
 * a new S1-U SGW F-TEID replaces that endpoint only: the S5/S8-U one stays
 * (defect 5). Detach deletes both hops; tokens on every old tunnel then
 * resolve to nobody.
 */
export function s11S5Mirror(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 'sgw-mirror' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1101 });
  const tok = tokens(o.seed ?? 1101);
  const a = attachEpc(s, epcSub(1));
  const b = attachEpc(s, epcSub(2));
  pay(s, s.bearerPath(a.s11), tok(), a.s11.sub);
  pay(s, s5Path(a.s11, a.s5), tok(), a.s11.sub);
  pay(s, s.bearerPath(b.s11), tok(), b.s11.sub);
  pay(s, s5Path(b.s11, b.s5), tok(), b.s11.sub);
  // idle -> active: the SGW answers with a new S1-U F-TEID; the S5/S8-U endpoint stays
  s.modifyBearer(a.s11, { newUp: true });
  pay(s, s.bearerPath(a.s11), tok(), a.s11.sub);
  pay(s, s5Path(a.s11, a.s5), tok(), a.s11.sub);
  const old11 = s.bearerPath(a.s11);
  const old5 = s5Path(a.s11, a.s5);
  detachEpc(s, a);
  pay(s, old11, tok(), GONE);
  pay(s, old5, tok(), GONE);
  pay(s, s.bearerPath(b.s11), tok(), b.s11.sub); // the other subscriber is untouched
  return finish(s, sink);
}

// ---------------------------------------------------------------- volte-multi-pdn

/**
 * VoLTE: one UE with an internet PDN connection (EBI 5) and an IMS one (EBI
 * 6) on the same per-UE S11 TEIDs; the SGW asks for a dedicated bearer (EBI
 * 7) of the IMS PDN (Create Bearer with Linked EBI 6) and one (EBI 8) of the
 * internet PDN. Deleting the internet PDN (Linked EBI 5) leaves IMS and its
 * dedicated bearer resolving (defect 3); then IMS goes too.
 */
export function volteMultiPdn(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 's11-s1u' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1102 });
  const tok = tokens(o.seed ?? 1102);
  const sub = epcSub(3);
  const inet = s.createSession(sub)!;
  s.modifyBearer(inet);
  const ims = s.createSession({ ...sub, apn: 'ims', ueIp: '10.71.0.3' }, { ebi: 6, shareUe: inet })!;
  s.modifyBearer(ims, { bearers: [{ ebi: 6 }] });
  const voice = s.createBearer(ims, { ebi: 7 });
  const video = s.createBearer(inet, { ebi: 8 });
  pay(s, s.bearerPath(inet), tok(), sub);
  pay(s, s.bearerPath(ims), tok(), sub);
  pay(s, s.bearerPath(ims, voice), tok(), sub);
  pay(s, s.bearerPath(inet, video), tok(), sub);
  const oldInet = s.bearerPath(inet);
  const oldVideo = s.bearerPath(inet, video);
  s.deleteSession(inet);
  pay(s, oldInet, tok(), GONE);
  pay(s, oldVideo, tok(), GONE);
  pay(s, s.bearerPath(ims, voice), tok(), sub);
  const oldVoice = s.bearerPath(ims, voice);
  s.deleteSession(ims);
  pay(s, oldVoice, tok(), GONE);
  return finish(s, sink);
}

// ---------------------------------------------------------------- sgw-relocation

/**
 * TAU with SGW change on a mirror that sees S11 and S5/S8: the MME's Create
 * Session Request to the new SGW names the PGW's S5/S8-C F-TEID, the default
 * bearer's EBI and a Bearer Context for the default and the dedicated bearer,
 * without MSISDN; the new SGW moves the S5/S8 hop (Modify Bearer with its own
 * S5/S8-C and S5/S8-U F-TEIDs) and answers with its S11 F-TEID; the MME
 * deletes the old SGW's session (no Linked EBI). The new hop keeps its own
 * control endpoint and both bearers, and takes the MSISDN and UE address from
 * the PDN connection it continues (defect 2). Then the new eNodeB's F-TEIDs,
 * tokens, detach: nothing resolves any more.
 */
export function sgwRelocation(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 'core-mirror' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1103 });
  const tok = tokens(o.seed ?? 1103);
  const e = attachEpc(s, epcSub(4));
  const d11 = s.createBearer(e.s11, { ebi: 6 });
  s.createBearer(e.s5, { ebi: 6 });
  pay(s, s.bearerPath(e.s11), tok(), e.s11.sub);
  pay(s, s.bearerPath(e.s11, d11), tok(), e.s11.sub);
  const old = s.bearerPath(e.s11);
  const oldD = s.bearerPath(e.s11, d11);
  const moved = s.relocateSgw(e.s11, { sgwC: '192.0.2.140', sgwU: '192.0.2.141', s5: e.s5 });
  // the X2 handover that came with it: the eNodeB's F-TEIDs for both bearers
  s.modifyBearer(moved, { bearers: [{ ebi: 5 }, { ebi: 6 }] });
  pay(s, s.bearerPath(moved), tok(), e.s11.sub);
  pay(s, s.bearerPath(moved, moved.bearers[1]), tok(), e.s11.sub);
  pay(s, s5Path(moved, e.s5), tok(), e.s11.sub);
  pay(s, old, tok(), GONE); // the old SGW's tunnels: nobody's
  pay(s, oldD, tok(), GONE);
  const newPath = s.bearerPath(moved);
  const s5 = s5Path(moved, e.s5);
  detachEpc(s, { s11: moved, s5: e.s5 });
  pay(s, newPath, tok(), GONE);
  pay(s, s5, tok(), GONE);
  return finish(s, sink);
}

// ---------------------------------------------------------------- handover

/**
 * Handovers on S11: an X2 handover (Modify Bearer with the target eNodeB's
 * F-TEIDs of both bearers), an S1 handover with MME relocation (the new MME's
 * sender F-TEID moves the control endpoint of every context), the UE going
 * idle (Release Access Bearers: the eNodeB F-TEIDs go) and coming back
 * (Service Request: Modify Bearer). After the X2 handover a packet that looks
 * like a request arrives at the old eNodeB's TEID, on a tunnel no longer
 * known: the eNodeB is a downlink node, so it is not examined.
 */
export function handover(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 's11-s1u' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1104 });
  const tok = tokens(o.seed ?? 1104);
  const pdn = s.createSession(epcSub(5))!;
  s.modifyBearer(pdn);
  const ded = s.createBearer(pdn, { ebi: 6 });
  pay(s, s.bearerPath(pdn), tok(), pdn.sub);
  const before = s.bearerPath(pdn);
  // X2: target eNodeB 203.0.113.131
  s.modifyBearer(pdn, {
    bearers: [
      { ebi: 5, downAddr: '203.0.113.131' },
      { ebi: 6, downAddr: '203.0.113.131' },
    ],
  });
  pay(s, s.bearerPath(pdn), tok(), pdn.sub);
  pay(s, s.bearerPath(pdn, ded), tok(), pdn.sub);
  const f = s.tcp(before);
  const t0 = tok();
  sentBy(s, t0, pdn.sub, false); // towards the old eNodeB: a downlink node, never examined
  f.downRequestLike(httpRequest({ target: `/pay?pay_token=${t0}`, host: 'pay.example.net' }), [expect(t0, 'query')]);
  // S1 handover with MME relocation: the new MME names itself
  s.modifyBearer(pdn, {
    senderC: { addr: '192.0.2.101', teid: s.teid() },
    bearers: [
      { ebi: 5, downAddr: '203.0.113.132' },
      { ebi: 6, downAddr: '203.0.113.132' },
    ],
  });
  pay(s, s.bearerPath(pdn), tok(), pdn.sub);
  // idle, then a Service Request
  s.releaseAccessBearers(pdn);
  s.modifyBearer(pdn, {
    bearers: [
      { ebi: 5, downAddr: '203.0.113.132' },
      { ebi: 6, downAddr: '203.0.113.132' },
    ],
  });
  pay(s, s.bearerPath(pdn, ded), tok(), pdn.sub);
  const last = s.bearerPath(pdn);
  s.deleteSession(pdn);
  pay(s, last, tok(), GONE);
  return finish(s, sink);
}

// ---------------------------------------------------------------- network-initiated

/**
 * Updates and deletes from the network side. Gn: a GGSN-initiated Update PDP
 * Context whose SGSN answer gives only its user-plane address and TEID (a
 * direct tunnel to the RNC): the control endpoints stay (defect 4), then a
 * GGSN-initiated Delete. S5/S8: a PGW-initiated Update Bearer (QoS only: no
 * event), a Delete Bearer of a dedicated bearer, and a Delete Bearer with the
 * Linked EBI (the whole PDN connection).
 */
export function networkInitiated(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET });
  const s = new Scenario(w, { seed: o.seed ?? 1105 });
  const tok = tokens(o.seed ?? 1105);
  const gn: Gn1Subscriber = {
    imsi: '262011234590001',
    msisdn: '491511590001',
    imei: '3534900698790001',
    apn: 'internet',
    ueIp: '10.72.0.1',
    sgsnC: '192.0.2.150',
    sgsnU: '192.0.2.151',
    ggsnC: '198.51.100.160',
    ggsnU: '198.51.100.161',
  };
  const p = s.createPdp(gn)!;
  pay(s, s.pdpPath(p), tok(), gn);
  s.ggsnUpdatePdp(p, { userAddr: '203.0.113.170' });
  pay(s, s.pdpPath(p), tok(), gn);
  const oldGn = s.pdpPath(p);
  s.deletePdp(p, { byGgsn: true, teardown: true });
  pay(s, oldGn, tok(), GONE);

  const pdn = s.createSession({ ...epcSub(6), iface: 's5', ueIp: '10.72.0.2' })!;
  const ded = s.createBearer(pdn, { ebi: 6 });
  s.updateBearer(pdn, 6);
  pay(s, s.bearerPath(pdn, ded), tok(), pdn.sub);
  const oldDed = s.bearerPath(pdn, ded);
  s.deleteBearer(pdn, [6]);
  pay(s, oldDed, tok(), GONE);
  pay(s, s.bearerPath(pdn), tok(), pdn.sub);
  const oldDef = s.bearerPath(pdn);
  s.deleteBearer(pdn, [], { lbi: true });
  pay(s, oldDef, tok(), GONE);
  return finish(s, sink);
}

// ---------------------------------------------------------------- piggyback

/**
 * A Create Bearer Request piggybacked on the Create Session Response (TS
 * 29.274 s5.1, P flag), on S5/S8 and on S11; each is answered and its
 * dedicated bearer carries a token (defect 6).
 */
export function piggyback(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 'core' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1106 });
  const tok = tokens(o.seed ?? 1106);
  const a = s.createSession({ ...epcSub(7), iface: 's5', ueIp: '10.73.0.1' }, { piggybackBearer: 6 })!;
  pay(s, s.bearerPath(a, a.bearers[1]), tok(), a.sub);
  const b = s.createSession(epcSub(8, { ueIp: '10.73.0.2' }), { piggybackBearer: 7 })!;
  s.modifyBearer(b);
  pay(s, s.bearerPath(b, b.bearers[1]), tok(), b.sub);
  s.deleteSession(a);
  s.deleteSession(b);
  return finish(s, sink);
}

// ---------------------------------------------------------------- dual-stack

/**
 * Dual-stack F-TEIDs (TS 29.274 s8.22: an IPv4 and an IPv6 address) on S11
 * and S1-U, an IPv4v6 PAA: G-PDUs over outer IPv6 and over outer IPv4 resolve
 * by TEID to the same bearer, inner IPv4 and IPv6 (defect 7).
 */
export function dualStack(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 's11-s1u' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1107 });
  const tok = tokens(o.seed ?? 1107);
  const sub = epcSub(9, {
    ueIpv6: '2001:db8:74::9',
    sgwU6: '2001:db8:0:111::1',
    enbU6: '2001:db8:0:130::1',
    pgwU6: '2001:db8:0:121::1',
  });
  const pdn = s.createSession(sub)!;
  s.modifyBearer(pdn);
  pay(s, s.bearerPath(pdn, pdn.bearers[0], undefined, false, true), tok(), sub); // outer IPv6, inner IPv4
  pay(s, s.bearerPath(pdn, pdn.bearers[0], undefined, true, true), tok(), sub); // outer IPv6, inner IPv6
  pay(s, s.bearerPath(pdn), tok(), sub); // outer IPv4
  const v6 = s.bearerPath(pdn, pdn.bearers[0], undefined, true, true);
  s.deleteSession(pdn);
  pay(s, v6, tok(), GONE);
  return finish(s, sink);
}

// ---------------------------------------------------------------- many-sockets

/**
 * Four MME sockets on one address (ports 40001..40004) and two SGSN sockets,
 * each with its own sequence numbers: the same numbers are in flight on
 * several sockets at once, and the answers come back in another order, one of
 * them from another SGW port (defect 1). Every subscriber gets its own
 * session; every token resolves to its own subscriber.
 */
export function manySockets(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 's11-gn' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1108 });
  const tok = tokens(o.seed ?? 1108);
  // four Create Session Requests with the same sequence number in flight at once, answered 2, 4, 1, 3
  const answers = [1, 2, 3, 4].map((i) =>
    createSessionRequested(s, epcSub(10 + i, { ueIp: `10.75.0.${i}` }), {
      port: 40000 + i,
      seq: 0x42,
      corePort: i === 3 ? 2124 : undefined,
    }),
  );
  const pdns: Pdn[] = [];
  for (const i of [1, 3, 0, 2]) pdns[i] = answers[i]!()!;
  for (const p of pdns) s.modifyBearer(p);
  const gn = (i: number): Gn1Subscriber => ({
    imsi: `26201123459100${i}`,
    msisdn: `49151159100${i}`,
    imei: `353490069879100${i}`,
    apn: 'internet',
    ueIp: `10.75.1.${i}`,
    sgsnC: '192.0.2.180',
    ggsnC: '198.51.100.190',
  });
  const pdpAnswers = [1, 2].map((i) => createPdpRequested(s, gn(i), { sgsnPort: 41000 + i, seq: 0x77 }));
  const pdps = [pdpAnswers[1]!()!, pdpAnswers[0]!()!];
  for (const p of pdns) pay(s, s.bearerPath(p), tok(), p.sub);
  for (const p of pdps) pay(s, s.pdpPath(p), tok(), p.sub);
  for (const p of pdns) s.deleteSession(p);
  for (const p of pdps) s.deletePdp(p);
  return finish(s, sink);
}

// ---------------------------------------------------------------- bearer-bounds

/**
 * The bounds of a group. A Create Session whose first Bearer Context is one
 * "to be removed" (instance 1): the default bearer is the one to be created
 * (defect 8). A primary PDP context with 20 secondary Create requests (NSAPIs
 * 1..15 other than 5, then six of them again): ten are created, four refused
 * (session.bearer_limit), six replace the context of their NSAPI; a Delete
 * with the Teardown Indicator then removes every one of them, and no token on
 * any of their tunnels resolves (defect 9).
 */
export function bearerBounds(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET });
  const s = new Scenario(w, { seed: o.seed ?? 1109 });
  const tok = tokens(o.seed ?? 1109);
  const pdn = s.createSession({ ...epcSub(20), iface: 's5', ueIp: '10.76.0.1' }, { removeFirst: 7 })!;
  pay(s, s.bearerPath(pdn), tok(), pdn.sub);
  s.deleteSession(pdn);

  const gn: Gn1Subscriber = {
    imsi: '262011234592000',
    msisdn: '491511592000',
    imei: '3534900698792000',
    apn: 'internet',
    ueIp: '10.76.1.1',
    sgsnC: '192.0.2.200',
    sgsnU: '192.0.2.201',
    ggsnC: '198.51.100.210',
    ggsnU: '198.51.100.211',
  };
  const p = s.createPdp(gn)!;
  const nsapis = [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 6, 7, 8, 9, 10, 11];
  const secs = nsapis.map((n) => s.createPdp(gn, { secondaryOf: p, nsapi: n })!);
  for (const q of secs.slice(-5)) pay(s, s.pdpPath(q), tok(), gn);
  s.deletePdp(p, { teardown: true });
  for (const q of secs) pay(s, s.pdpPath(q), tok(), GONE);
  return finish(s, sink);
}

// ---------------------------------------------------------------- tcp-apps

/**
 * What a UE sends that is not plain HTTP/1.x or TLS (defect 10): G-PDUs with
 * a GTP-U extension-header chain of 20 (TS 29.281 s5.2 sets no limit), one of
 * 65 (past the generous bound: dropped, gtpu.ext_header_chain_too_long); DNS
 * queries over TCP (RFC 7766: two in one connection, the second cut across
 * segments); HTTP/2 with prior knowledge (h2c, RFC 9113 s3.3): two requests
 * on one connection with Huffman-coded HPACK (the paths in clear), the second referring to the
 * first's dynamic-table entries, the first block split over HEADERS (padded,
 * with priority) and CONTINUATION, segments cut inside frames.
 */
export function tcpApps(o: TrackerFixtureOptions = {}): TrackerResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 'gn' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1110 });
  const rng = new Rng(o.seed ?? 1110);
  const tok = () => makeToken(rng, 24);
  const host = () => makeToken(rng, 20, true);
  const gn: Gn1Subscriber = {
    imsi: '262011234593000',
    msisdn: '491511593000',
    imei: '3534900698793000',
    apn: 'internet',
    ueIp: '10.77.0.1',
    sgsnC: '192.0.2.220',
    sgsnU: '192.0.2.221',
    ggsnC: '198.51.100.230',
    ggsnU: '198.51.100.231',
  };
  const p = s.createPdp(gn)!;
  const path = s.pdpPath(p);
  const chain = (n: number) => Array.from({ length: n }, () => ({ type: 0xc0, content: Buffer.from([0, 1]) }));
  // 20 extension headers on every packet of a connection
  const t1 = tok();
  sentBy(s, t1, gn);
  const f1 = s.tcp(path, { t: { ext: chain(20) } });
  f1.request(httpRequest({ target: `/pay?pay_token=${t1}`, host: 'pay.example.net' }), [expect(t1, 'query')]);
  f1.close();
  // 65: the packet is dropped (no sighting expected for it)
  const t2 = tok();
  sentBy(s, t2, gn, false); // dropped with its chain
  const inner = innerTcp(
    path.ueIp,
    '203.0.113.80',
    41234,
    80,
    httpRequest({ target: `/pay?pay_token=${t2}`, host: 'pay.example.net' }),
    1,
    1,
    TCP.ACK | TCP.PSH,
  );
  s.gtpuMsg(path.ran, path.core, gpdu(path.teidUp, inner, { ext: chain(65) }), {}, false);
  // DNS over TCP: two queries on one connection, the second cut across segments
  const d = s.tcp(path, { dport: 53, server: '198.51.100.53' });
  const n1 = `${host()}.pay.example.net`;
  const n2 = `${host()}.pay.example.net`;
  sentBy(s, n1.split('.')[0]!, gn);
  sentBy(s, n2.split('.')[0]!, gn);
  const q1 = dnsOverTcp(dnsQuery(0x1111, n1, DNS_TYPE.A));
  const q2 = dnsOverTcp(dnsQuery(0x2222, n2, DNS_TYPE.AAAA));
  d.send(Buffer.concat([q1, q2]), {
    cuts: [q1.length + 1, q1.length + 20],
    heads: [
      { end: q1.length, expects: [expect(n1.split('.')[0]!, 'host', 'dns')], host: n1 },
      { end: q1.length + q2.length, expects: [expect(n2.split('.')[0]!, 'host', 'dns')], host: n2 },
    ],
  });
  d.close();
  // h2c with prior knowledge
  const t3 = tok();
  const t4 = tok();
  sentBy(s, t3, gn);
  sentBy(s, t4, gn);
  const h2 = h2cRequests(
    [
      {
        path: `/pay?pay_token=${t3}`,
        authority: 'pay.example.net',
        headers: [
          ['user-agent', 'gnpay-gen/1'],
          ['accept', '*/*'],
        ],
        split: 2,
      },
      {
        path: `/pay/${t4}`,
        authority: 'pay.example.net',
        headers: [
          ['user-agent', 'gnpay-gen/1'],
          ['accept', '*/*'],
        ],
      },
    ],
    { plain: [':path'] },
  ); // paths in clear so that the expectations can be checked against the bytes
  const h = s.tcp(path, { dport: 8000 });
  h.send(h2.data, {
    cuts: [30, h2.ends[0]! - 7, h2.ends[0]! + 5],
    heads: [
      { end: h2.ends[0]!, expects: [expect(t3, 'query')], host: 'pay.example.net' },
      { end: h2.ends[1]!, expects: [expect(t4, 'path')], host: 'pay.example.net' },
    ],
  });
  h.close();
  return finish(s, sink, { anomaliesNonZero: ['gtpu.ext_header_chain_too_long'] });
}

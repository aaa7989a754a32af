// The GTP-C tracker's scenarios (fixtures made by src/gen/fixtures-tracker.ts)
// through the real `gnpay decode --jsonl`: besides the golden comparison
// (golden.test.ts), the invariants the tracker must keep whatever the event
// details: no unknown context and no response without its request where the
// spec says they exist; every token sent on a tunnel of an attached
// subscriber is resolved by TEID to that subscriber (the one whose session
// lists that TEID), and one sent on a tunnel that is gone resolves at most by
// UE address (information only) to the subscriber that holds that address;
// after a subscriber's contexts are all deleted, nothing resolves to it until
// it attaches again.
// Then against the scenario's own truth (who sent each token, written by the
// scenario, never predicted by the generator's model of gnpay): each token
// sent on a bearer the network holds resolves by TEID to its sender's IMSI and
// MSISDN; each one sent on a deleted tunnel resolves to nobody; one sent
// towards a UE or dropped is not reported. `gnpay decode --stats` agrees.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import * as gen from '../../packages/tools/src/gen/fixtures-tracker';
import { FIXTURES, gnpayHere } from '../helpers/cli';

const SCENARIOS: Record<string, () => gen.TrackerResult> = {
  's11-s5-mirror': gen.s11S5Mirror,
  'volte-multi-pdn': gen.volteMultiPdn,
  'sgw-relocation': gen.sgwRelocation,
  handover: gen.handover,
  'network-initiated': gen.networkInitiated,
  piggyback: gen.piggyback,
  'dual-stack': gen.dualStack,
  'many-sockets': gen.manySockets,
  'bearer-bounds': gen.bearerBounds,
  'tcp-apps': gen.tcpApps,
};

// the contexts a scenario never deletes: s11-s5-mirror's second subscriber (S11 and S5/S8 hops), tcp-apps' one
const LEFT_ATTACHED: Record<string, number> = { 's11-s5-mirror': 2, 'tcp-apps': 1 };

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  t.test(name, async (t) => {
    const file = fs.readdirSync(FIXTURES).find((f) => f.startsWith(`${name}.pcap`))!;
    const expectedStats = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.expected-stats.json`), 'utf8'));
    const args = ['decode', path.join(FIXTURES, file), '--jsonl', '--no-progress'];
    for (const c of expectedStats.carriers as string[]) args.push('--carrier', c);
    const r = await gnpayHere(args);
    t.equal(r.status, 0, 'exit 0');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const stats = lines.pop();

    // the scenario's truth, for the very capture committed
    const g = scenario();
    t.ok(g.capture!.equals(fs.readFileSync(path.join(FIXTURES, file))), "the committed capture is the scenario's");
    const sightings = new Map<string, any[]>();
    for (const e of lines) if (e.type === 'sighting') sightings.set(e.token, [...(sightings.get(e.token) ?? []), e]);
    const told = new Set<string>();
    for (const w of g.truth) {
      told.add(w.token);
      const got = sightings.get(w.token) ?? [];
      if (!w.sighting) {
        t.equal(got.length, 0, `${w.token}: not reported (towards a UE, or dropped)`);
        continue;
      }
      if (!t.equal(got.length, 1, `${w.token}: one sighting`)) continue;
      if (w.imsi === null) {
        // the tunnel is gone: at most the UE address names who holds it (information, never paid on)
        t.not(got[0].resolvedBy, 'teid', `${w.token}: sent on a deleted tunnel, not resolved by TEID`);
        if (got[0].imsi !== null) t.equal(got[0].resolvedBy, 'ue-ip', `${w.token}: named by its UE address only`);
      } else {
        t.same(
          [got[0].imsi, got[0].msisdn, got[0].resolvedBy],
          [w.imsi, w.msisdn, 'teid'],
          `${w.token}: by TEID to its sender ${w.imsi}`,
        );
      }
    }
    t.same(
      [...sightings.keys()].filter((k) => !told.has(k)),
      [],
      'no sighting of a token nobody sent',
    );
    t.ok(
      g.truth.some((w) => w.imsi === null && w.sighting) ||
        name === 'piggyback' ||
        name === 'many-sockets' ||
        name === 'tcp-apps',
      'tokens on deleted tunnels are part of the scenario',
    );

    // the same through `gnpay decode --stats`
    const st = await gnpayHere([
      'decode',
      path.join(FIXTURES, file),
      '--stats',
      '--no-progress',
      ...expectedStats.carriers.flatMap((c: string) => ['--carrier', c]),
    ]);
    t.equal(st.status, 0, '--stats: exit 0');
    t.notMatch(
      st.stdout,
      /unknown_context|unmatched_response|response_teid_mismatch/,
      '--stats: no unknown context, no unmatched response',
    );
    const num = (label: string) => Number(new RegExp(`\\n\\s+${label}\\s+(\\d+)`).exec(st.stdout)?.[1]);
    t.equal(num('sightings'), g.truth.filter((w) => w.sighting).length, '--stats: one sighting per token sent');
    const byUeIp = [...sightings.values()].flat().filter((e) => e.resolvedBy === 'ue-ip').length;
    t.equal(
      num('unresolved subscriber') + byUeIp,
      g.truth.filter((w) => w.sighting && w.imsi === null).length,
      '--stats: unresolved or by UE address = the tokens sent on deleted tunnels',
    );
    t.equal(
      num('active at end'),
      LEFT_ATTACHED[name] ?? 0,
      '--stats: active at the end = the contexts the scenario leaves attached',
    );
    const an = stats.anomalies ?? {};
    for (const k of [
      'gtpv1c.unknown_context',
      'gtpv2c.unknown_context',
      'gtpv1c.unmatched_response',
      'gtpv2c.unmatched_response',
      'gtpv1c.response_teid_mismatch',
      'gtpv2c.response_teid_mismatch',
    ])
      t.equal(an[k] ?? 0, 0, `${k}: 0`);

    // the contexts active at each point: key -> the session as created or last updated
    const active = new Map<string, any>();
    const ctxKey = (e: any) => {
      const c = e.tunnels.filter((x: any) => x.plane === 'control').map((x: any) => `${x.addr}/${x.teid}`);
      return `${e.imsi}|${e.bearer}|${c.join(',')}`;
    };
    const live = (imsi: string) => [...active.values()].some((s) => s.imsi === imsi);
    const deleted = new Set<string>();
    let resolved = 0;
    for (const e of lines) {
      if (e.type === 'session') {
        if (e.event === 'create') {
          active.set(ctxKey(e), e);
          deleted.delete(e.imsi);
        } else if (e.event === 'delete') {
          active.delete(ctxKey(e));
          if (!live(e.imsi)) deleted.add(e.imsi);
        } else {
          // an update may move the control endpoints: the same context under its new key
          for (const [k, s] of active)
            if (
              s.imsi === e.imsi &&
              s.bearer === e.bearer &&
              s.tunnels.some(
                (x: any) =>
                  x.plane === 'control' &&
                  e.tunnels.some((y: any) => y.plane === 'control' && y.teid === x.teid && y.addr === x.addr),
              )
            ) {
              active.delete(k);
              break;
            }
          active.set(ctxKey(e), e);
        }
        continue;
      }
      if (e.type !== 'sighting') continue;
      if (e.imsi !== null && e.resolvedBy === 'ue-ip') {
        t.notOk(deleted.has(e.imsi), `packet ${e.packet}: ${e.imsi} was deleted, yet ${e.token} resolves to it`);
        t.ok(
          [...active.values()].some((s) => s.imsi === e.imsi && (s.ueIp === e.ueIp || s.ueIpv6 === e.ueIp)),
          `packet ${e.packet}: by UE address, to the subscriber that holds it`,
        );
        t.notOk(
          [...active.values()].some((s) =>
            s.tunnels.some((x: any) => x.plane === 'user' && x.dir === 'uplink' && x.teid === e.teid),
          ),
          `packet ${e.packet}: not on a known tunnel`,
        );
      } else if (e.imsi !== null) {
        t.notOk(deleted.has(e.imsi), `packet ${e.packet}: ${e.imsi} was deleted, yet ${e.token} resolves to it`);
        t.equal(e.resolvedBy, 'teid', `packet ${e.packet}: resolved by TEID`);
        const owner = [...active.values()].find(
          (s) =>
            s.imsi === e.imsi &&
            s.tunnels.some((x: any) => x.plane === 'user' && x.dir === 'uplink' && x.teid === e.teid),
        );
        t.ok(owner, `packet ${e.packet}: TEID ${e.teid} is an uplink endpoint of ${e.imsi}'s active session`);
        if (owner) t.equal(e.msisdn, owner.msisdn, `packet ${e.packet}: the MSISDN of that session`);
        resolved++;
      } else {
        // nobody: the token was sent on a tunnel of no active context (after a delete)
        const holder = [...active.values()].find((s) =>
          s.tunnels.some((x: any) => x.plane === 'user' && x.dir === 'uplink' && x.teid === e.teid),
        );
        t.notOk(holder, `packet ${e.packet}: an unresolved token is on no active context's tunnel`);
      }
    }
    t.ok(resolved > 0, `${resolved} tokens resolved to their subscriber`);
    t.ok(deleted.size > 0 || name === 'tcp-apps', 'subscribers were deleted and checked after');
  });
}

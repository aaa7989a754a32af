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
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { FIXTURES, gnpay } from '../helpers/cli';

const SCENARIOS = [
  's11-s5-mirror',
  'volte-multi-pdn',
  'sgw-relocation',
  'handover',
  'network-initiated',
  'piggyback',
  'dual-stack',
  'many-sockets',
  'bearer-bounds',
  'tcp-apps',
];

for (const name of SCENARIOS) {
  t.test(name, async (t) => {
    const file = fs.readdirSync(FIXTURES).find((f) => f.startsWith(`${name}.pcap`))!;
    const expectedStats = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.expected-stats.json`), 'utf8'));
    const args = ['decode', path.join(FIXTURES, file), '--jsonl', '--no-progress'];
    for (const c of expectedStats.carriers as string[]) args.push('--carrier', c);
    const r = await gnpay(args);
    t.equal(r.status, 0, 'exit 0');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const stats = lines.pop();
    const an = stats.anomalies ?? {};
    for (const k of ['gtpv1c.unknown_context', 'gtpv2c.unknown_context', 'gtpv1c.unmatched_response', 'gtpv2c.unmatched_response', 'gtpv1c.response_teid_mismatch', 'gtpv2c.response_teid_mismatch'])
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
            if (s.imsi === e.imsi && s.bearer === e.bearer && s.tunnels.some((x: any) => x.plane === 'control' && e.tunnels.some((y: any) => y.plane === 'control' && y.teid === x.teid && y.addr === x.addr))) {
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
        t.ok([...active.values()].some((s) => s.imsi === e.imsi && (s.ueIp === e.ueIp || s.ueIpv6 === e.ueIp)), `packet ${e.packet}: by UE address, to the subscriber that holds it`);
        t.notOk([...active.values()].some((s) => s.tunnels.some((x: any) => x.plane === 'user' && x.dir === 'uplink' && x.teid === e.teid)), `packet ${e.packet}: not on a known tunnel`);
      } else if (e.imsi !== null) {
        t.notOk(deleted.has(e.imsi), `packet ${e.packet}: ${e.imsi} was deleted, yet ${e.token} resolves to it`);
        t.equal(e.resolvedBy, 'teid', `packet ${e.packet}: resolved by TEID`);
        const owner = [...active.values()].find((s) => s.imsi === e.imsi && s.tunnels.some((x: any) => x.plane === 'user' && x.dir === 'uplink' && x.teid === e.teid));
        t.ok(owner, `packet ${e.packet}: TEID ${e.teid} is an uplink endpoint of ${e.imsi}'s active session`);
        if (owner) t.equal(e.msisdn, owner.msisdn, `packet ${e.packet}: the MSISDN of that session`);
        resolved++;
      } else {
        // nobody: the token was sent on a tunnel of no active context (after a delete)
        const holder = [...active.values()].find((s) => s.tunnels.some((x: any) => x.plane === 'user' && x.dir === 'uplink' && x.teid === e.teid));
        t.notOk(holder, `packet ${e.packet}: an unresolved token is on no active context's tunnel`);
      }
    }
    t.ok(resolved > 0, `${resolved} tokens resolved to their subscriber`);
    t.ok(deleted.size > 0 || name === 'tcp-apps', 'subscribers were deleted and checked after');
  });
}

// Community ID v1 (https://github.com/corelight/community-id-spec), seed 0,
// for TCP and UDP flows: what the generator predicts for the `communityId`
// of requests and sightings. Written apart from the addon's (native/decode/
// community_id.cc) on purpose, so that the golden tests compare two
// implementations; both are checked against the spec's baseline values.
import { createHash } from 'node:crypto';
import { type Ip, ipBytes } from './bytes';

export function communityId(src: Ip, dst: Ip, proto: number, sport: number, dport: number, seed = 0): string {
  let a = ipBytes(src);
  let b = ipBytes(dst);
  const c = Buffer.compare(a, b);
  if (c > 0 || (c === 0 && sport > dport)) {
    [a, b] = [b, a];
    [sport, dport] = [dport, sport];
  }
  const head = Buffer.alloc(2);
  head.writeUInt16BE(seed);
  const tail = Buffer.alloc(6);
  tail[0] = proto;
  tail.writeUInt16BE(sport, 2);
  tail.writeUInt16BE(dport, 4);
  return (
    '1:' +
    createHash('sha1')
      .update(Buffer.concat([head, a, b, tail]))
      .digest('base64')
  );
}

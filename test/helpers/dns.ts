// A DNS server of the test's own on 127.0.0.1 (UDP): A queries for any name
// get the address `answer(name, n)` returns for the n-th query (TTL 0),
// AAAA queries get no address. Enough for a resolver whose answers change.
import { createSocket } from 'node:dgram';

export interface TestDns {
  server: string;
  queries: string[];
  close(): Promise<void>;
}

function readName(msg: Buffer, off: number): [string, number] {
  const labels: string[] = [];
  while (msg[off] !== 0) {
    const len = msg[off]!;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += len + 1;
  }
  return [labels.join('.'), off + 1];
}

export async function testDns(answer: (name: string, n: number) => string | null): Promise<TestDns> {
  const sock = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, from) => {
    if (msg.length < 12) return;
    const [name, end] = readName(msg, 12);
    const qtype = msg.readUInt16BE(end);
    const question = msg.subarray(12, end + 4);
    const address = qtype === 1 ? answer(name, queries.filter((q) => q === name).length) : null;
    if (qtype === 1) queries.push(name);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180, 2); // response, recursion desired and available, NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(address ? 1 : 0, 6);
    const parts = [header, question];
    if (address) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the name of the question
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL 0
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      parts.push(rr);
    }
    sock.send(Buffer.concat(parts), from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return {
    server: `127.0.0.1:${sock.address().port}`,
    queries,
    close: () => new Promise((r) => sock.close(() => r())),
  };
}

// gnpay decode FILE... [--config FILE] [--carrier kind:arg]... [--pay-host NAME]... [--filter BPF] [--jsonl | --stats | --format F] [--fields K,...] [--requests]
import { isatty } from 'node:tty';
import type { Command } from 'commander';
import type { Config } from '../config';
import { decode } from '../decode';
import { eventFieldTable } from '../ops/event-contract';
import {
  CaptureFileError,
  CaptureFilterError,
  CaptureWriteError,
  carrierError,
  payHostError,
  selectionError,
} from '../native';
import { activeCarriers, DEFAULT_CARRIERS } from '../pipeline/carriers';
import { CliError, collect, EXIT_CAPTURE, EXIT_FAILURE, parsePositiveInt, UsageError } from './common';

/** The keys of each event type, in output order (from native/engine/event_fields.def). */
export function eventKeysHelp(): string {
  const table = eventFieldTable();
  const when: Record<string, string> = { hello: ' (with --pay-host)', request: ' (with --requests)' };
  return ['session', 'tunnel', 'sighting', 'hello', 'request']
    .map(
      (b) =>
        `  ${b}${when[b] ?? ''}${b === 'tunnel' ? " (each of a session's tunnels)" : ''}: ${(table[b] ?? []).map((f) => f.key).join(', ')}`,
    )
    .join('\n');
}

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode pcap/pcapng captures of Gn or S5/S8 traffic: sessions, token sightings, statistics')
    .argument(
      '<files...>',
      'capture files (pcap or pcapng, plain, .gz or .zst), named pipes, or - (standard input), replayed in order through one tunnel table',
    )
    .option(
      '-c, --carrier <kind:arg>',
      `where tokens travel: query:NAME, path:PREFIX, host:SUFFIX, header:NAME, cookie:NAME (repeatable; default: the configuration's, else ${DEFAULT_CARRIERS.join(', ')} as gnpay run)`,
      collect,
    )
    .option(
      '--pay-host <name>',
      "report ClientHellos to this pay host (or a name under it) as hello events with their client random (repeatable; default: the configuration's pay hosts with --config, else none)",
      collect,
    )
    .option(
      '--config <file>',
      "read the daemon's configuration file (YAML or JSON): its carriers, pay hosts, decode limits and capture filter are the defaults of the options above",
    )
    .option('--jsonl', 'one JSON object per line (docs/events.md), then a stats object (the same as --format jsonl)')
    .option('--format <format>', 'table (default), jsonl, csv or tsv (csv/tsv: a header line, then one row per event)')
    .option(
      '--fields <keys>',
      'only these event keys, comma-separated, in this order (jsonl, csv, tsv), e.g. type,ts,msisdn,teid,token',
    )
    .option('--stats', 'only a statistics summary')
    .option('--requests', 'also report every uplink HTTP request, DNS query and TLS ClientHello')
    .option('--max-sessions <n>', 'bound of the tunnel table', parsePositiveInt('--max-sessions'))
    .option(
      '--max-tcp-flows <n>',
      'bound of the TCP request-head reassembly table',
      parsePositiveInt('--max-tcp-flows'),
    )
    .option(
      '--max-pending-requests <n>',
      'bound of the GTP-C requests awaiting a response',
      parsePositiveInt('--max-pending-requests'),
    )
    .option(
      '--max-fragment-datagrams <n>',
      'bound of the outer IP datagrams in reassembly',
      parsePositiveInt('--max-fragment-datagrams'),
    )
    .option(
      '--max-fragment-bytes <n>',
      'bound of the bytes held by outer IP reassembly',
      parsePositiveInt('--max-fragment-bytes'),
    )
    .option(
      '-f, --filter <expression>',
      'decode only the frames that match this BPF expression (tcpdump syntax), e.g. "host 10.0.0.1"; the others are counted',
    )
    .option(
      '--imsi <digits>',
      "select a subscriber by IMSI: only its events are printed, and --write takes its tunnels' frames (repeatable)",
      collect,
    )
    .option('--msisdn <digits>', 'select a subscriber by MSISDN (international format, no +) (repeatable)', collect)
    .option('--ue-ip <address>', 'select a subscriber by its UE address (IPv4 or IPv6) (repeatable)', collect)
    .option(
      '-w, --write <file>',
      "write every GTP-C and GTP-U frame of the selected subscribers' tunnels, and their Create requests with the responses (rejected ones too), to this pcapng file (original link types and timestamps)",
    )
    .option('--no-progress', 'never draw the progress bar (it is drawn only on a terminal anyway)')
    .addHelpText(
      'after',
      () =>
        `\nEvent keys (for --fields; docs/events.md says what each means):\n${eventKeysHelp()}\n\nExit codes: 0 done, 2 bad usage, 3 unreadable or corrupt capture (what was decoded before the damage is printed first).`,
    )
    .action(async (files: string[], o: Record<string, unknown>) => {
      if (o.jsonl && o.stats) throw new UsageError('--jsonl and --stats cannot be combined');
      const formats = ['table', 'jsonl', 'csv', 'tsv'];
      if (o.format !== undefined && !formats.includes(o.format as string))
        throw new UsageError(`--format must be one of ${formats.join(', ')}`);
      if (o.format !== undefined && (o.stats || (o.jsonl && o.format !== 'jsonl')))
        throw new UsageError('--format cannot be combined with --stats or --jsonl');
      const format = (o.jsonl ? 'jsonl' : o.stats ? 'stats' : ((o.format as string | undefined) ?? 'table')) as
        'jsonl' | 'stats' | 'table' | 'csv' | 'tsv';
      let fields: string[] | undefined;
      if (o.fields !== undefined) {
        if (format === 'table' || format === 'stats') throw new UsageError('--fields needs --format jsonl, csv or tsv');
        fields = (o.fields as string)
          .split(',')
          .map((f) => f.trim())
          .filter((f) => f.length > 0);
        const known = new Set(
          Object.values(eventFieldTable())
            .flat()
            .map((f) => f.key),
        );
        const unknown = fields.filter((f) => !known.has(f));
        if (fields.length === 0 || unknown.length > 0)
          throw new UsageError(
            `--fields: unknown event key${unknown.length === 1 ? '' : 's'} ${unknown.join(', ') || '(none given)'} (keys: ${[...known].join(', ')})`,
          );
      }
      if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
      if (files.includes('-') && isatty(0))
        throw new UsageError(
          '- reads a capture from standard input, which is a terminal: pipe one in (tcpdump -w - … | gnpay decode -)',
        );
      let config: Config | null = null;
      let configPayHosts: ((c: Config) => string[]) | null = null;
      if (o.config !== undefined) {
        // loaded only with --config: the schema and its validator cost more than a small decode
        const { ConfigError, loadConfig, payHosts } = await import('../config');
        configPayHosts = payHosts;
        try {
          config = loadConfig(o.config as string);
        } catch (err) {
          if (err instanceof ConfigError) throw new UsageError(err.message);
          throw err;
        }
      }
      const carriers = (o.carrier as string[] | undefined) ?? (config ? activeCarriers(config) : [...DEFAULT_CARRIERS]);
      for (const c of carriers) {
        const err = carrierError(c);
        if (err) throw new UsageError(err);
      }
      const payHosts = (o.payHost as string[] | undefined) ?? (config && configPayHosts ? configPayHosts(config) : []);
      if (payHosts.length > 8) throw new UsageError('at most 8 --pay-host');
      for (const h of payHosts) {
        const err = payHostError(h);
        if (err) throw new UsageError(err);
      }
      const select = {
        imsi: (o.imsi as string[] | undefined) ?? [],
        msisdn: ((o.msisdn as string[] | undefined) ?? []).map((m) => m.replace(/^\+/, '')),
        ueIp: (o.ueIp as string[] | undefined) ?? [],
      };
      const selected = select.imsi.length + select.msisdn.length + select.ueIp.length > 0;
      if (selected) {
        const err = selectionError(select);
        if (err) throw new UsageError(err);
      }
      if (o.write !== undefined && !selected)
        throw new UsageError(
          '--write needs --imsi, --msisdn or --ue-ip (tcpdump -w or tshark -w write whole captures)',
        );
      const limits: Record<string, number> = { ...(config?.decode.limits ?? {}) };
      if (o.maxSessions) limits.maxSessions = o.maxSessions as number;
      if (o.maxTcpFlows) limits.maxTcpFlows = o.maxTcpFlows as number;
      if (o.maxPendingRequests) limits.maxPendingRequests = o.maxPendingRequests as number;
      if (o.maxFragmentDatagrams) limits.maxFragmentDatagrams = o.maxFragmentDatagrams as number;
      if (o.maxFragmentBytes) limits.maxFragmentBytes = o.maxFragmentBytes as number;
      const res = await decode({
        files,
        carriers,
        payHosts,
        format,
        fields,
        requests: o.requests === true,
        limits,
        filter: (o.filter as string | undefined) ?? config?.capture.filter ?? undefined,
        progress: o.progress !== false,
        select: selected ? select : undefined,
        write: o.write as string | undefined,
        out: process.stdout,
      }).catch((err: unknown) => {
        if (err instanceof CaptureFileError) throw new CliError(err.message, EXIT_CAPTURE);
        if (err instanceof CaptureFilterError) throw new UsageError(err.message);
        if (err instanceof CaptureWriteError) throw new CliError(err.message, EXIT_FAILURE);
        throw err;
      });
      if (res.outputClosed) return; // the reader left (`| head`): not a failure
      if (o.write !== undefined)
        process.stderr.write(
          `gnpay: wrote ${res.written} frames of the selected subscribers to ${o.write as string}\n`,
        );
      if (res.error) {
        const e = res.error;
        // the input is named once: some native messages already begin with it
        const name = e.file === '-' ? 'standard input' : e.file;
        const text = e.message.startsWith(`${name}: `) ? e.message : `${name}: ${e.message}`;
        process.stderr.write(
          `gnpay: ${text}` +
            (e.packet > 0
              ? ` at file offset ${e.offset} (packet ${e.packet})`
              : e.offset > 0
                ? ` at file offset ${e.offset}`
                : '') +
            '\n',
        );
        process.exitCode = EXIT_CAPTURE;
      }
    });
}

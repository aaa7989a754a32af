// The capture files of `gnpay run --read`, opened as early as the process can:
// the native reader and decoder threads read and decode into their bounded
// queue while JavaScript loads and starts the rest of the daemon, whose
// pipeline then takes the batches in order. This module loads only the
// configuration and the addon, so the CLI opens the files before it loads the
// daemon (src/cli/run.ts); the daemon's capture service adopts them.
import { resolve } from 'node:path';
import { payHosts, type Config } from '../config';
import { replayReaderThread, type Capture, type CaptureOptions, type Engine } from '../native';
import type { DecodeEvent } from '../native/types';
import { activeCarriers } from '../pipeline/carriers';

/** The event types the daemon's pipeline uses (src/pipeline/pipeline.ts); the engine writes no others for it. */
export const PIPELINE_EVENT_TYPES: DecodeEvent['type'][] = ['sighting', 'hello'];

/** The capture options of the daemon's source: capture files, or else the configured live interfaces. */
export function sourceOptions(config: Config, read: string[]) {
  const files = read.map((f) => resolve(f));
  const c = config.capture;
  return {
    files: files.length ? files : undefined,
    filter: files.length ? (c.filter ?? undefined) : undefined,
    interfaces: files.length ? undefined : c.interfaces,
    carriers: activeCarriers(config),
    payHosts: payHosts(config),
    limits: config.decode.limits,
    // the pipeline stores sightings and ClientHellos: the engine does not write the rest
    types: PIPELINE_EVENT_TYPES,
    // a replay: up to 32 batches decoded ahead of the store (while the daemon starts); batches stay
    // small (256 events, one transaction each) so that the API is answered between them
    ...(files.length ? { maxBatches: 32 } : {}),
    // the pipeline works on every batch: JavaScript wants a core of its own
    readerThread: replayReaderThread(true),
    live: {
      bufferBytes: c.bufferMiB ? c.bufferMiB * 1024 * 1024 : undefined,
      snaplen: c.snaplen ?? undefined,
      filter: c.filter ?? undefined,
    },
  } satisfies CaptureOptions & { live: object };
}

/** Capture files opened for the daemon, with their own engine (or why they could not be opened). */
export type OpenedReplay =
  { ok: true; read: string[]; engine: Engine; capture: Capture } | { ok: false; read: string[]; error: unknown };

/** Opens capture files on an engine of their own; an error is kept for the daemon to report as its own. */
export function openReplay(config: Config, read: string[]): OpenedReplay {
  const native = require('../native') as typeof import('../native');
  const opts = sourceOptions(config, read);
  let engine: Engine | null = null;
  try {
    engine = new native.Engine({ carriers: opts.carriers, payHosts: opts.payHosts, limits: opts.limits });
    return { ok: true, read, engine, capture: native.openCapture(opts, engine) };
  } catch (err) {
    engine?.close();
    return { ok: false, read, error: err };
  }
}

/** Stops an opened replay that no daemon took (the daemon could not start). */
export async function closeReplay(r: OpenedReplay | null): Promise<void> {
  if (!r?.ok) return;
  await r.capture.close();
  r.engine.close();
}

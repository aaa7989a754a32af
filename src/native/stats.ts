// Typed reads of the engine's stats event (docs/events.md): nested objects of
// counters, whose keys grow with the engine. What is not a number reads as absent.

/** The number at `v`, else 0. */
export function count(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** The numeric members of one object of the stats event (stats.gpdu, stats.sessions, ...). */
export function counters(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v && typeof v === 'object') for (const [k, n] of Object.entries(v)) if (typeof n === 'number') out[k] = n;
  return out;
}

/** An object of counter objects (stats.gtpc: v1, v2, causesV1, causesV2, and its own numbers). */
export function counterGroups(v: unknown): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  if (v && typeof v === 'object') for (const [k, o] of Object.entries(v)) out[k] = counters(o);
  return out;
}

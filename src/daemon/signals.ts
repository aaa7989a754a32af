// The process signals of `gnpay run`: SIGTERM and SIGINT stop (drained, bounded
// by shutdown.timeoutMs), SIGHUP reloads the configuration.
export interface SignalActions {
  stop(signal: 'SIGTERM' | 'SIGINT'): void;
  reload(): void;
}

/** Installs the handlers; the function returned removes them. */
export function installSignals(actions: SignalActions, proc: Pick<NodeJS.Process, 'on' | 'off'> = process): () => void {
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', () => actions.stop('SIGTERM')],
    ['SIGINT', () => actions.stop('SIGINT')],
    ['SIGHUP', () => actions.reload()],
  ];
  for (const [sig, fn] of handlers) proc.on(sig, fn);
  return () => {
    for (const [sig, fn] of handlers) proc.off(sig, fn);
  };
}

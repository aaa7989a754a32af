// Generated from native/engine/limits.def by `npm run docs`: do not edit.
// The engine limits a user may set (defaults: the addon's engineLimits()).

export const ENGINE_LIMITS = [
  { name: 'maxSessions', unit: 'count', description: "subscriber contexts in the tunnel table (about 300 bytes each)" },
  { name: 'maxPendingRequests', unit: 'count', description: "GTP-C requests awaiting their response" },
  { name: 'pendingTimeoutSeconds', unit: 's', description: "how long a GTP-C request waits for its response" },
  { name: 'maxFragmentDatagrams', unit: 'count', description: "outer IP datagrams in reassembly" },
  { name: 'maxFragmentBytes', unit: 'bytes', description: "bytes held by outer IP reassembly" },
  { name: 'fragmentTimeoutSeconds', unit: 's', description: "how long an incomplete datagram is kept" },
  { name: 'maxTcpFlows', unit: 'count', description: "TCP flows whose request heads are reassembled" },
  { name: 'maxRequestHeadBytes', unit: 'bytes', description: "largest HTTP request head reassembled" },
  { name: 'tcpFlowTimeoutSeconds', unit: 's', description: "how long an idle TCP flow is kept" },
] as const;

/** Bounds of the engine's tables. */
export interface EngineLimits {
  /** subscriber contexts in the tunnel table (about 300 bytes each) */
  maxSessions: number;
  /** GTP-C requests awaiting their response */
  maxPendingRequests: number;
  /** how long a GTP-C request waits for its response (seconds) */
  pendingTimeoutSeconds: number;
  /** outer IP datagrams in reassembly */
  maxFragmentDatagrams: number;
  /** bytes held by outer IP reassembly */
  maxFragmentBytes: number;
  /** how long an incomplete datagram is kept (seconds) */
  fragmentTimeoutSeconds: number;
  /** TCP flows whose request heads are reassembled */
  maxTcpFlows: number;
  /** largest HTTP request head reassembled */
  maxRequestHeadBytes: number;
  /** how long an idle TCP flow is kept (seconds) */
  tcpFlowTimeoutSeconds: number;
}

#include "convert.h"

#include <string>

namespace gnpay {
namespace {
Napi::Object MessageCounts(Napi::Env env, const uint64_t* counts, const char* (*name)(uint8_t)) {
  Napi::Object o = Napi::Object::New(env);
  uint64_t other = 0;
  for (int t = 0; t < 256; t++) {
    if (!counts[t]) continue;
    const char* n = name(uint8_t(t));
    if (n)
      o.Set(n, Napi::Number::New(env, double(counts[t])));
    else
      other += counts[t];
  }
  if (other) o.Set("other", Napi::Number::New(env, double(other)));
  return o;
}
}  // namespace

Napi::Value StatsToJs(Napi::Env env, const EngineStats& s) {
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](uint64_t v) { return Napi::Number::New(env, double(v)); };
  o.Set("type", "stats");
  o.Set("packets", num(s.packets));
  o.Set("bytes", num(s.bytes));
  o.Set("ipPackets", num(s.ip_packets));
  o.Set("nonIp", num(s.non_ip));
  if (s.filtered) o.Set("filtered", num(s.filtered));
  Napi::Object gtpc = Napi::Object::New(env);
  gtpc.Set("v1", MessageCounts(env, s.gtpv1c, gtp1::message_name));
  gtpc.Set("v2", MessageCounts(env, s.gtpv2c, gtp2::message_name));
  gtpc.Set("rejected", num(s.gtpc_rejected));
  auto causes = [&](const uint64_t* c) {
    Napi::Object o = Napi::Object::New(env);
    for (int i = 0; i < 256; i++)
      if (c[i]) o.Set(std::to_string(i), num(c[i]));
    return o;
  };
  gtpc.Set("causesV1", causes(s.gtpv1c_causes));
  gtpc.Set("causesV2", causes(s.gtpv2c_causes));
  o.Set("gtpc", gtpc);
  o.Set("gtpu", MessageCounts(env, s.gtpu, gtp1::message_name));
  Napi::Object gpdu = Napi::Object::New(env);
  gpdu.Set("byTeid", num(s.gpdu_by_teid));
  gpdu.Set("byUeIp", num(s.gpdu_by_ue_ip));
  gpdu.Set("unresolved", num(s.gpdu_unresolved));
  gpdu.Set("downlink", num(s.gpdu_downlink));
  gpdu.Set("undecided", num(s.gpdu_undecided));
  o.Set("gpdu", gpdu);
  Napi::Object sess = Napi::Object::New(env);
  sess.Set("created", num(s.sessions_created));
  sess.Set("updated", num(s.sessions_updated));
  sess.Set("deleted", num(s.sessions_deleted));
  sess.Set("evicted", num(s.sessions_evicted));
  o.Set("sessions", sess);
  o.Set("sightings", num(s.sightings));
  o.Set("unresolvedSightings", num(s.unresolved_sightings));
  o.Set("requests", num(s.requests));
  Napi::Object frag = Napi::Object::New(env);
  frag.Set("reassembled", num(s.outer_reassembled + s.inner_reassembled));
  frag.Set("outerReassembled", num(s.outer_reassembled));
  frag.Set("innerReassembled", num(s.inner_reassembled));
  o.Set("fragments", frag);
  Napi::Object an = Napi::Object::New(env);
  uint64_t kinds[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < kAnomalyCount; i++) {
    uint64_t v = s.anomalies.n[i];
    if (!v) continue;
    an.Set(anomaly_name(Anomaly(i)), num(v));
    kinds[int(anomaly_kind(Anomaly(i)))] += v;
  }
  o.Set("anomalies", an);
  Napi::Object k = Napi::Object::New(env);
  k.Set("truncated", num(kinds[int(AnomalyKind::Truncated)]));
  k.Set("malformed", num(kinds[int(AnomalyKind::Malformed)]));
  k.Set("unsupported", num(kinds[int(AnomalyKind::Unsupported)]));
  k.Set("evicted", num(kinds[int(AnomalyKind::Evicted)]));
  o.Set("anomalyKinds", k);
  return o;
}

Napi::Value TablesToJs(Napi::Env env, const EngineTables& t) {
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](size_t v) { return Napi::Number::New(env, double(v)); };
  o.Set("sessions", num(t.sessions));
  o.Set("maxSessions", num(t.max_sessions));
  o.Set("sessionBytes", num(t.sessions_bytes));
  o.Set("pendingRequests", num(t.pending));
  o.Set("maxPendingRequests", num(t.max_pending));
  o.Set("fragments", num(t.fragments));
  o.Set("fragmentBytes", num(t.fragment_bytes));
  o.Set("tcpFlows", num(t.flows));
  o.Set("tcpOrphans", num(t.orphans));
  o.Set("tcpFlowBytes", num(t.flow_bytes));
  return o;
}

}  // namespace gnpay

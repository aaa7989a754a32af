#include "convert.h"

#include <cstring>
#include <string>

namespace gnpay {
namespace {

Napi::Value Str(Napi::Env env, const char* s, size_t n) { return Napi::String::New(env, s, n); }
Napi::Value DigitsOrNull(Napi::Env env, const Digits& d) {
  return d.len ? Str(env, d.d, d.len) : env.Null();
}
Napi::Value TextOrNull(Napi::Env env, const char* s) {
  return s[0] ? Napi::String::New(env, s) : env.Null();
}
Napi::Value Ip(Napi::Env env, const IpAddr& a) {
  if (!a.is_set()) return env.Null();
  char buf[64];
  size_t n = format_ip(a, buf, sizeof buf);
  return Str(env, buf, n);
}
Napi::Value Ts(Napi::Env env, uint64_t ts_ns) {
  char buf[40];
  size_t n = format_ts_iso(ts_ns, buf, sizeof buf);
  return Str(env, buf, n);
}
Napi::Value Resolved(Napi::Env env, ResolvedBy r) {
  switch (r) {
    case ResolvedBy::Teid: return Napi::String::New(env, "teid");
    case ResolvedBy::UeIp: return Napi::String::New(env, "ue-ip");
    default: return env.Null();
  }
}

}  // namespace

Napi::Value EventToJs(Napi::Env env, const Event& e) {
  Napi::Object o = Napi::Object::New(env);
  const Subscriber& sub = e.sub;
  bool has = e.has_subscriber;
  switch (e.type) {
    case EventType::Session: {
      static const char* kChange[] = {"create", "update", "delete"};
      o.Set("type", "session");
      o.Set("event", kChange[int(e.change)]);
      o.Set("ts", Ts(env, e.ts_ns));
      o.Set("packet", Napi::Number::New(env, double(e.packet)));
      o.Set("gtp", Napi::Number::New(env, e.gtp));
      o.Set("imsi", DigitsOrNull(env, sub.imsi));
      o.Set("msisdn", DigitsOrNull(env, sub.msisdn));
      o.Set("imei", DigitsOrNull(env, sub.imei));
      o.Set("apn", sub.apn.len ? Str(env, sub.apn.s, sub.apn.len) : env.Null());
      IpAddr v4, v6;
      if (sub.has_v4) v4 = IpAddr::v4(sub.v4);
      if (sub.has_v6) v6 = IpAddr::v6(sub.v6);
      o.Set("ueIp", sub.has_v4 ? Ip(env, v4) : sub.has_v6 ? Ip(env, v6) : env.Null());
      o.Set("ueIpv6", sub.has_v6 ? Ip(env, v6) : env.Null());
      o.Set("bearer", e.bearer ? Napi::Number::New(env, e.bearer) : env.Null());
      o.Set("linkedBearer", e.linked_bearer ? Napi::Number::New(env, e.linked_bearer) : env.Null());
      Napi::Array t = Napi::Array::New(env, e.n_tunnels);
      for (uint8_t i = 0; i < e.n_tunnels; i++) {
        const EventTunnel& tu = e.tunnels[i];
        Napi::Object x = Napi::Object::New(env);
        x.Set("plane", tu.plane ? "user" : "control");
        x.Set("dir", tu.dir ? "downlink" : "uplink");
        x.Set("addr", Ip(env, tu.addr));
        x.Set("teid", Napi::Number::New(env, tu.teid));
        if (tu.plane) x.Set("bearer", Napi::Number::New(env, tu.bearer));
        t.Set(uint32_t(i), x);
      }
      o.Set("tunnels", t);
      return o;
    }
    case EventType::Sighting: {
      o.Set("type", "sighting");
      o.Set("ts", Ts(env, e.ts_ns));
      o.Set("packet", Napi::Number::New(env, double(e.packet)));
      o.Set("token", Str(env, e.match.token, e.match.len));
      o.Set("carrier", carrier_kind_name(e.match.kind));
      o.Set("via", via_name(e.match.via));
      o.Set("msisdn", has ? DigitsOrNull(env, sub.msisdn) : env.Null());
      o.Set("imsi", has ? DigitsOrNull(env, sub.imsi) : env.Null());
      o.Set("imei", has ? DigitsOrNull(env, sub.imei) : env.Null());
      o.Set("apn", has && sub.apn.len ? Str(env, sub.apn.s, sub.apn.len) : env.Null());
      o.Set("ueIp", Ip(env, e.ue_ip));
      o.Set("teid", Napi::Number::New(env, e.teid));
      o.Set("resolvedBy", Resolved(env, e.resolved_by));
      o.Set("host", TextOrNull(env, e.host));
      o.Set("request", Napi::Number::New(env, double(e.request)));
      return o;
    }
    case EventType::Hello: {
      static const char kHex[] = "0123456789abcdef";
      char hex[kTlsRandomLen * 2];
      for (size_t i = 0; i < kTlsRandomLen; i++) {
        hex[2 * i] = kHex[e.random[i] >> 4];
        hex[2 * i + 1] = kHex[e.random[i] & 15];
      }
      o.Set("type", "hello");
      o.Set("ts", Ts(env, e.ts_ns));
      o.Set("packet", Napi::Number::New(env, double(e.packet)));
      o.Set("random", Str(env, hex, sizeof hex));
      o.Set("sni", TextOrNull(env, e.name));
      o.Set("msisdn", has ? DigitsOrNull(env, sub.msisdn) : env.Null());
      o.Set("imsi", has ? DigitsOrNull(env, sub.imsi) : env.Null());
      o.Set("ueIp", Ip(env, e.ue_ip));
      o.Set("dst", Ip(env, e.dst_ip));
      o.Set("teid", Napi::Number::New(env, e.teid));
      o.Set("gsnSrc", Ip(env, e.gsn_src));
      o.Set("gsnDst", Ip(env, e.gsn_dst));
      o.Set("resolvedBy", Resolved(env, e.resolved_by));
      o.Set("request", Napi::Number::New(env, double(e.request)));
      return o;
    }
    case EventType::Request: {
      o.Set("type", "request");
      o.Set("ts", Ts(env, e.ts_ns));
      o.Set("packet", Napi::Number::New(env, double(e.packet)));
      o.Set("via", via_name(e.via));
      o.Set("method", TextOrNull(env, e.method));
      o.Set("host", TextOrNull(env, e.host));
      o.Set("target", TextOrNull(env, e.target));
      o.Set("name", TextOrNull(env, e.name));
      o.Set("ueIp", Ip(env, e.ue_ip));
      o.Set("dst", Ip(env, e.dst_ip));
      o.Set("teid", Napi::Number::New(env, e.teid));
      o.Set("imsi", has ? DigitsOrNull(env, sub.imsi) : env.Null());
      o.Set("msisdn", has ? DigitsOrNull(env, sub.msisdn) : env.Null());
      o.Set("resolvedBy", Resolved(env, e.resolved_by));
      return o;
    }
  }
  return o;
}

namespace {
Napi::Object MessageCounts(Napi::Env env, const uint64_t* counts, const char* (*name)(uint8_t)) {
  Napi::Object o = Napi::Object::New(env);
  uint64_t other = 0;
  for (int t = 0; t < 256; t++) {
    if (!counts[t]) continue;
    const char* n = name(uint8_t(t));
    if (n) o.Set(n, Napi::Number::New(env, double(counts[t])));
    else other += counts[t];
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

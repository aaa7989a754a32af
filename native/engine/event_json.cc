#include "event_json.h"

#include <cstring>

#include "community_id.h"
#include "event_fields.def"

namespace gnpay {
namespace {

const char kHex[] = "0123456789abcdef";

struct JsonOut {
  std::string& s;
  const EventJsonStyle& style;
  bool first = true;
  JsonOut(std::string& out, const EventJsonStyle& st) : s(out), style(st) {}
  // `"key":` preceded by ',' unless first; keys are plain ASCII identifiers.
  void name(const char* k, size_t n) {
    s.push_back(first ? '{' : ',');
    first = false;
    s.push_back('"');
    s.append(k, n);
    s.append("\":", 2);
  }
  void lit(const char* v, size_t n) { s.append(v, n); }
  void null() { s.append("null", 4); }
  void str(const char* v, size_t n) { append_json_string(v, n, s); }
  void ascii(const char* v, size_t n) {  // known not to need escaping
    s.push_back('"');
    s.append(v, n);
    s.push_back('"');
  }
  void uint(uint64_t v) {
    char buf[24];
    size_t n = 0;
    do {
      buf[sizeof buf - 1 - n++] = char('0' + v % 10);
      v /= 10;
    } while (v);
    s.append(buf + sizeof buf - n, n);
  }
  void teid(uint32_t v) {
    if (!style.hex_teids) return uint(v);
    char b[12] = {'"', '0', 'x'};
    for (int i = 0; i < 8; i++) b[3 + i] = kHex[(v >> (28 - 4 * i)) & 15];
    b[11] = '"';
    s.append(b, 12);
  }
  void close() {
    if (first) s.push_back('{');
    s.push_back('}');
  }
};

void digits_or_null(JsonOut& j, const Digits& d) {
  if (d.len)
    j.ascii(d.d, d.len);
  else
    j.null();
}
void text_or_null(JsonOut& j, const char* t) {
  if (t[0])
    j.str(t, std::strlen(t));
  else
    j.null();
}
void ip_or_null(JsonOut& j, const IpAddr& a) {
  if (!a.is_set()) return j.null();
  char buf[64];
  size_t n = format_ip(a, buf, sizeof buf);
  j.ascii(buf, n);
}
void ascii_z(JsonOut& j, const char* s) { j.ascii(s, std::strlen(s)); }

// ---- field writers (named by event_fields.def)
const char* type_name(EventType t) {
  switch (t) {
    case EventType::Session:
      return "session";
    case EventType::Sighting:
      return "sighting";
    case EventType::Request:
      return "request";
    case EventType::Hello:
      return "hello";
  }
  return "unknown";
}
void w_type(JsonOut& j, const Event& e) { ascii_z(j, type_name(e.type)); }
void w_change(JsonOut& j, const Event& e) {
  static const char* kChange[] = {"create", "update", "delete"};
  ascii_z(j, kChange[int(e.change) % 3]);
}
void w_ts(JsonOut& j, const Event& e) {
  char buf[40];
  size_t n = format_ts_iso(e.ts_ns, buf, sizeof buf);
  j.ascii(buf, n);
}
void w_packet(JsonOut& j, const Event& e) { j.uint(e.packet); }
void w_file(JsonOut& j, const Event&) {
  if (j.style.file)
    j.str(j.style.file->data(), j.style.file->size());
  else
    j.null();
}
void w_gtp(JsonOut& j, const Event& e) { j.uint(e.gtp); }
void w_sub_imsi(JsonOut& j, const Event& e) { digits_or_null(j, e.sub.imsi); }
void w_sub_msisdn(JsonOut& j, const Event& e) { digits_or_null(j, e.sub.msisdn); }
void w_sub_imei(JsonOut& j, const Event& e) { digits_or_null(j, e.sub.imei); }
void w_sub_apn(JsonOut& j, const Event& e) {
  if (e.sub.apn.len)
    j.str(e.sub.apn.s, e.sub.apn.len);
  else
    j.null();
}
void w_sub_ue_ip(JsonOut& j, const Event& e) {
  if (e.sub.has_v4)
    ip_or_null(j, IpAddr::v4(e.sub.v4));
  else if (e.sub.has_v6)
    ip_or_null(j, IpAddr::v6(e.sub.v6));
  else
    j.null();
}
void w_sub_ue_ipv6(JsonOut& j, const Event& e) {
  if (e.sub.has_v6)
    ip_or_null(j, IpAddr::v6(e.sub.v6));
  else
    j.null();
}
void w_bearer(JsonOut& j, const Event& e) {
  if (e.bearer)
    j.uint(e.bearer);
  else
    j.null();
}
void w_linked_bearer(JsonOut& j, const Event& e) {
  if (e.linked_bearer)
    j.uint(e.linked_bearer);
  else
    j.null();
}

void w_tunnel_plane(JsonOut& j, const EventTunnel& t) { ascii_z(j, t.plane ? "user" : "control"); }
void w_tunnel_dir(JsonOut& j, const EventTunnel& t) { ascii_z(j, t.dir ? "downlink" : "uplink"); }
void w_tunnel_addr(JsonOut& j, const EventTunnel& t) { ip_or_null(j, t.addr); }
void w_tunnel_teid(JsonOut& j, const EventTunnel& t) { j.teid(t.teid); }
void w_tunnel_bearer(JsonOut& j, const EventTunnel& t) { j.uint(t.bearer); }
// whether a tunnel entry has the key at all ("| undefined" in event_fields.def)
bool has_tunnel_plane(const EventTunnel&) { return true; }
bool has_tunnel_dir(const EventTunnel&) { return true; }
bool has_tunnel_addr(const EventTunnel&) { return true; }
bool has_tunnel_teid(const EventTunnel&) { return true; }
bool has_tunnel_bearer(const EventTunnel& t) { return t.plane != 0; }

void w_tunnels(JsonOut& j, const Event& e) {
  j.s.push_back('[');
  for (uint8_t i = 0; i < e.n_tunnels && i < kMaxEventTunnels; i++) {
    if (i) j.s.push_back(',');
    const EventTunnel& t = e.tunnels[i];
    JsonOut o(j.s, j.style);
#define GNPAY_TUNNEL_FIELD(key, writer, ts, doc) \
  if (has_tunnel_##writer(t)) {                  \
    o.name(#key, sizeof(#key) - 1);              \
    w_tunnel_##writer(o, t);                     \
  }
    GNPAY_TUNNEL_FIELDS(GNPAY_TUNNEL_FIELD)
#undef GNPAY_TUNNEL_FIELD
    o.close();
  }
  j.s.push_back(']');
}

bool resolved(const Event& e) { return e.has_subscriber; }
void w_owner_msisdn(JsonOut& j, const Event& e) {
  if (resolved(e))
    digits_or_null(j, e.sub.msisdn);
  else
    j.null();
}
void w_owner_imsi(JsonOut& j, const Event& e) {
  if (resolved(e))
    digits_or_null(j, e.sub.imsi);
  else
    j.null();
}
void w_owner_imei(JsonOut& j, const Event& e) {
  if (resolved(e))
    digits_or_null(j, e.sub.imei);
  else
    j.null();
}
void w_owner_apn(JsonOut& j, const Event& e) {
  if (resolved(e) && e.sub.apn.len)
    j.str(e.sub.apn.s, e.sub.apn.len);
  else
    j.null();
}
void w_token(JsonOut& j, const Event& e) { j.str(e.match.token, e.match.len); }
void w_carrier(JsonOut& j, const Event& e) { ascii_z(j, carrier_kind_name(e.match.kind)); }
void w_match_via(JsonOut& j, const Event& e) { ascii_z(j, via_name(e.match.via)); }
void w_via(JsonOut& j, const Event& e) { ascii_z(j, via_name(e.via)); }
void w_ue_ip(JsonOut& j, const Event& e) { ip_or_null(j, e.ue_ip); }
void w_dst(JsonOut& j, const Event& e) { ip_or_null(j, e.dst_ip); }
void w_gsn_src(JsonOut& j, const Event& e) { ip_or_null(j, e.gsn_src); }
void w_gsn_dst(JsonOut& j, const Event& e) { ip_or_null(j, e.gsn_dst); }
void w_teid(JsonOut& j, const Event& e) { j.teid(e.teid); }
void w_proto(JsonOut& j, const Event& e) { ascii_z(j, e.l4_proto == 6 ? "tcp" : e.l4_proto == 17 ? "udp" : "other"); }
void w_sport(JsonOut& j, const Event& e) { j.uint(e.sport); }
void w_dport(JsonOut& j, const Event& e) { j.uint(e.dport); }
// computed here, for the events that carry it, never per packet
void w_community_id(JsonOut& j, const Event& e) {
  char id[kCommunityIdLen + 1];
  size_t n = community_id_v1(e.ue_ip, e.dst_ip, e.l4_proto, e.sport, e.dport, 0, id);
  if (n)
    j.ascii(id, n);
  else
    j.null();
}
void w_resolved_by(JsonOut& j, const Event& e) {
  switch (e.resolved_by) {
    case ResolvedBy::Teid:
      return ascii_z(j, "teid");
    case ResolvedBy::UeIp:
      return ascii_z(j, "ue-ip");
    default:
      return j.null();
  }
}
void w_host(JsonOut& j, const Event& e) { text_or_null(j, e.host); }
void w_method(JsonOut& j, const Event& e) { text_or_null(j, e.method); }
void w_target(JsonOut& j, const Event& e) { text_or_null(j, e.target); }
void w_name(JsonOut& j, const Event& e) { text_or_null(j, e.name); }
void w_sni(JsonOut& j, const Event& e) { text_or_null(j, e.name); }
void w_request(JsonOut& j, const Event& e) { j.uint(e.request); }
void w_random(JsonOut& j, const Event& e) {
  char hex[kTlsRandomLen * 2];
  for (size_t i = 0; i < kTlsRandomLen; i++) {
    hex[2 * i] = kHex[e.random[i] >> 4];
    hex[2 * i + 1] = kHex[e.random[i] & 15];
  }
  j.ascii(hex, sizeof hex);
}

#define GNPAY_EVENT_FIELD(key, writer, ts, doc) \
  j.name(#key, sizeof(#key) - 1);               \
  w_##writer(j, e);

}  // namespace

void append_event_json(const Event& e, std::string& out, const EventJsonStyle& style) {
  JsonOut j(out, style);
  switch (e.type) {
    case EventType::Session: {
      GNPAY_SESSION_FIELDS(GNPAY_EVENT_FIELD) break;
    }
    case EventType::Sighting: {
      GNPAY_SIGHTING_FIELDS(GNPAY_EVENT_FIELD) break;
    }
    case EventType::Hello: {
      GNPAY_HELLO_FIELDS(GNPAY_EVENT_FIELD) break;
    }
    case EventType::Request: {
      GNPAY_REQUEST_FIELDS(GNPAY_EVENT_FIELD) break;
    }
  }
  j.close();
  out.push_back('\n');
}

void append_json_string(const char* str, size_t n, std::string& out) {
  const uint8_t* s = reinterpret_cast<const uint8_t*>(str);
  out.push_back('"');
  size_t i = 0, run = 0;  // [run, i) is copied verbatim
  auto flush = [&] {
    if (i > run) out.append(str + run, i - run);
  };
  while (i < n) {
    uint8_t b = s[i];
    if (b >= 0x20 && b < 0x80 && b != '"' && b != '\\') {
      i++;
      continue;
    }
    if (b < 0x80) {
      flush();
      switch (b) {
        case '"':
          out.append("\\\"", 2);
          break;
        case '\\':
          out.append("\\\\", 2);
          break;
        case '\b':
          out.append("\\b", 2);
          break;
        case '\f':
          out.append("\\f", 2);
          break;
        case '\n':
          out.append("\\n", 2);
          break;
        case '\r':
          out.append("\\r", 2);
          break;
        case '\t':
          out.append("\\t", 2);
          break;
        default: {
          char u[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 15]};
          out.append(u, 6);
        }
      }
      run = ++i;
      continue;
    }
    // a multi-byte sequence (WHATWG UTF-8 decode, U+FFFD for each maximal subpart)
    size_t need;
    uint8_t lower = 0x80, upper = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
      need = 1;
    else if (b == 0xE0)
      need = 2, lower = 0xA0;
    else if (b == 0xED)
      need = 2, upper = 0x9F;
    else if (b >= 0xE1 && b <= 0xEF)
      need = 2;
    else if (b == 0xF0)
      need = 3, lower = 0x90;
    else if (b == 0xF4)
      need = 3, upper = 0x8F;
    else if (b >= 0xF1 && b <= 0xF3)
      need = 3;
    else
      need = 0;
    size_t j = i + 1;
    bool ok = need > 0;
    for (size_t k = 0; ok && k < need; k++, j++) {
      if (j >= n || s[j] < (k == 0 ? lower : 0x80) || s[j] > (k == 0 ? upper : 0xBF)) ok = false;
      if (!ok) break;
    }
    if (ok) {
      i = j;  // well-formed: stays in the verbatim run
      continue;
    }
    flush();
    out.append("\xEF\xBF\xBD", 3);
    i = j;  // the maximal subpart (at least the lead byte) is replaced
    run = i;
  }
  flush();
  out.push_back('"');
}

}  // namespace gnpay

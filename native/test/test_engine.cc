// Engine, tunnel table and flat map: unit tests on bytes, and a sweep that
// decodes every capture we have (our fixtures, and the public ones when
// ../shared is present) - under ASan/UBSan/LSan this is the leak check.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <unordered_map>

#include "engine.h"
#include "event_json.h"
#include "flat_map.h"
#include "frames.h"
#include "session_table.h"

using namespace gnpay;
using namespace gnpay_test;

TEST_CASE("flat_map: agrees with std::unordered_map under random put/erase") {
  FlatMap64<uint32_t> m;
  std::unordered_map<uint64_t, uint32_t> ref;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; i++) {
    uint64_t k = rng() % 5000;  // dense: long probe runs, many erases
    int op = int(rng() % 3);
    if (op < 2) {
      uint32_t v = uint32_t(rng());
      m.put(k, v);
      ref[k] = v;
    } else {
      CHECK(m.erase(k) == (ref.erase(k) == 1));
    }
  }
  CHECK(m.size() == ref.size());
  for (auto& kv : ref) {
    uint32_t* v = m.find(kv.first);
    REQUIRE(v);
    CHECK(*v == kv.second);
  }
  size_t seen = 0;
  m.for_each([&](uint64_t, uint32_t) { seen++; });
  CHECK(seen == ref.size());
}

TEST_CASE("format_ts_iso: UTC with microseconds, truncated") {
  char buf[40];
  CHECK(std::string(buf, format_ts_iso(0, buf, sizeof buf)) == "1970-01-01T00:00:00.000000Z");
  CHECK(std::string(buf, format_ts_iso(1266969476413697999ull, buf, sizeof buf)) == "2010-02-23T23:57:56.413697Z");
  CHECK(std::string(buf, format_ts_iso(951782400000000000ull, buf, sizeof buf)) == "2000-02-29T00:00:00.000000Z");
  CHECK(std::string(buf, format_ts_iso(4102444799999999000ull, buf, sizeof buf)) == "2099-12-31T23:59:59.999999Z");
  CHECK(std::string(buf, format_ts_iso(~0ull, buf, sizeof buf)) == "2554-07-21T23:34:33.709551Z");
  // the digits written by hand agree with snprintf's (a buffer too short for them all)
  char ref[40];
  uint64_t ts = 0;
  for (int i = 0; i < 200000; i++) {
    ts = ts * 6364136223846793005ull + 1442695040888963407ull;  // LCG: spread over the whole range
    const uint64_t t = i % 2 ? ts : ts % 4102444800000000000ull;
    const size_t n = format_ts_iso(t, buf, sizeof buf);
    const size_t m = format_ts_iso(t, ref, 27);  // snprintf's path: 26 characters and the NUL
    REQUIRE(n == 27);
    REQUIRE(m == 27);
    REQUIRE(std::string(buf, 26) == std::string(ref, 26));
    REQUIRE(buf[26] == 'Z');
    REQUIRE(buf[27] == 0);
  }
}

TEST_CASE("session table: bounded, evicts the least recently created or updated") {
  SessionTable t(3);
  uint8_t a[4] = {10, 0, 0, 1};
  uint32_t g = t.gsn_intern(IpAddr::v4(a));
  REQUIRE(g != kNone);
  uint32_t ids[5];
  for (uint32_t i = 0; i < 5; i++) {
    uint64_t ev = 0;
    ids[i] = t.alloc(&ev);
    CHECK(ev == (i >= 3 ? 1u : 0u));
    Session& s = t.at(ids[i]);
    s.n_user = 1;
    s.user[0] = Endpoint{g, 100 + i};
    t.commit(ids[i], i);
  }
  CHECK(t.size() == 3);
  CHECK(t.find_user(g, 100).session == kNone);  // evicted first
  CHECK(t.find_user(g, 101).session == kNone);
  CHECK(t.find_user(g, 104).session == ids[4]);
}

TEST_CASE("session table: a UE address shared by two subscribers is ambiguous, by one is not") {
  SessionTable t(10);
  auto make = [&](uint64_t imsi, uint32_t v4) {
    uint64_t ev;
    uint32_t i = t.alloc(&ev);
    Session& s = t.at(i);
    s.imsi = imsi;
    s.flags |= sflag::kHasV4;
    s.ue_v4 = v4;
    t.commit(i, 0);
    return i;
  };
  uint32_t a = make(0x1111, 0x0a000001);
  make(0x1111, 0x0a000001);  // the same subscriber (e.g. its secondary context)
  size_t n = 0;
  CHECK(t.find_ue_v4(0x0a000001, &n) != kNone);
  CHECK(n == 1);
  uint32_t c = make(0x2222, 0x0a000001);  // another subscriber with the same private address
  CHECK(t.find_ue_v4(0x0a000001, &n) == kNone);
  CHECK(n == 3);
  t.remove(c);
  CHECK(t.find_ue_v4(0x0a000001, &n) != kNone);
  t.remove(a);
  CHECK(t.find_ue_v4(0x0a000001, &n) != kNone);
}

// ---------------------------------------------------------------------------
// Engine on handcrafted GTPv1 frames

namespace {
const uint8_t SGSN[4] = {192, 0, 2, 10}, GGSN[4] = {192, 0, 2, 20}, SGSN2[4] = {192, 0, 2, 11};
const uint8_t UE[4] = {10, 1, 2, 3}, WEB[4] = {203, 0, 113, 5};
const char* TOKEN = "abcdefghijklmnopqrstuvwxyz";

struct Harness {
  EngineOptions opt;
  std::unique_ptr<Engine> eng;
  EventSink sink;
  uint64_t packet = 0;
  uint64_t ts = 1700000000ull * 1000000000ull;

  Harness() {
    opt.carriers.add_spec("query:gnpay_token", 17);
    eng.reset(new Engine(opt));
  }
  std::vector<Event> feed(const Bytes& ip) {
    Bytes f = ethernet(ip);
    CaptureFrame fr;
    fr.data = Span(f.data(), f.size());
    fr.caplen = fr.origlen = uint32_t(f.size());
    fr.linktype = 1;
    fr.ts_ns = ts;
    ts += 1000000;
    sink.events.clear();
    eng->process(fr, ++packet, 0, sink);
    return sink.events;
  }
  std::vector<Event> create(uint16_t seq, const std::string& imsi, const std::string& msisdn, uint8_t nsapi,
                            uint32_t sgsn_teid, uint32_t ggsn_teid, uint8_t cause = 128) {
    Bytes req;
    append(req, ie1::imsi(imsi));
    append(req, ie1::teid_data(sgsn_teid));
    append(req, ie1::teid_cp(sgsn_teid + 1));
    append(req, ie1::nsapi(nsapi));
    append(req, ie1::eua_empty_v4());
    append(req, ie1::apn("internet"));
    append(req, ie1::gsn(SGSN));
    append(req, ie1::gsn(SGSN));
    append(req, ie1::msisdn(msisdn));
    feed(ipv4_udp(SGSN, GGSN, 2123, 2123, gtp1c(16, 0, seq, req)));
    Bytes resp;
    append(resp, ie1::cause(cause));
    append(resp, ie1::teid_data(ggsn_teid));
    append(resp, ie1::teid_cp(ggsn_teid + 1));
    append(resp, ie1::eua_v4(UE));
    append(resp, ie1::gsn(GGSN));
    append(resp, ie1::gsn(GGSN));
    return feed(ipv4_udp(GGSN, SGSN, 2123, 2123, gtp1c(17, sgsn_teid + 1, seq, resp)));
  }
  std::vector<Event> get(const uint8_t* src_gsn, const uint8_t* dst_gsn, uint32_t teid, const std::string& target,
                         uint16_t sport = 40000) {
    std::string http = "GET " + target + " HTTP/1.1\r\nHost: pay.example.net\r\n\r\n";
    Bytes inner = ipv4_tcp(UE, WEB, sport, 80, 1000, 0x18, http);
    return feed(ipv4_udp(src_gsn, dst_gsn, 2152, 2152, gtpu(teid, inner)));
  }
};
}  // namespace

TEST_CASE("engine: Create PDP Context pair confirms a session; the uplink token resolves to its MSISDN") {
  Harness h;
  auto ev = h.create(7, "262011234567890", "491511234567", 5, 0x1000, 0x2000);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].type == EventType::Session);
  CHECK(ev[0].change == SessionChange::Create);
  CHECK(std::string(ev[0].sub.imsi.d) == "262011234567890");
  CHECK(std::string(ev[0].sub.msisdn.d) == "491511234567");
  CHECK(std::string(ev[0].sub.apn.s) == "internet");
  CHECK(ev[0].n_tunnels == 4);
  CHECK(ev[0].tunnels[0].teid == 0x2001);  // control uplink: GGSN TEID-C
  CHECK(ev[0].tunnels[2].teid == 0x2000);  // user uplink: GGSN TEID Data I
  CHECK(ev[0].tunnels[3].teid == 0x1000);  // user downlink: SGSN TEID Data I

  ev = h.get(SGSN, GGSN, 0x2000, std::string("/pay?gnpay_token=") + TOKEN);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].type == EventType::Sighting);
  CHECK(ev[0].resolved_by == ResolvedBy::Teid);
  CHECK(std::string(ev[0].sub.msisdn.d) == "491511234567");
  CHECK(std::string(ev[0].match.token) == TOKEN);

  // the same bytes travelling downlink (to the SGSN's TEID) never make a sighting
  ev = h.get(GGSN, SGSN, 0x1000, std::string("/pay?gnpay_token=") + TOKEN, 40001);
  CHECK(ev.empty());
  CHECK(h.eng->stats().gpdu_downlink == 1);
}

TEST_CASE("engine: a rejected or unanswered Create makes no session") {
  Harness h;
  auto ev = h.create(8, "262011234567890", "491511234567", 5, 0x1000, 0x2000, 199);
  CHECK(ev.empty());
  CHECK(h.eng->stats().gtpc_rejected == 1);
  ev = h.get(SGSN, GGSN, 0x2000, std::string("/pay?gnpay_token=") + TOKEN);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].resolved_by == ResolvedBy::None);
  CHECK(!ev[0].has_subscriber);
}

TEST_CASE("engine: Delete PDP Context removes the tunnels; tokens no longer resolve") {
  Harness h;
  h.create(9, "262011234567890", "491511234567", 5, 0x1000, 0x2000);
  Bytes req;
  append(req, ie1::teardown());
  append(req, ie1::nsapi(5));
  h.feed(ipv4_udp(SGSN, GGSN, 2123, 2123, gtp1c(20, 0x2001, 10, req)));
  auto ev = h.feed(ipv4_udp(GGSN, SGSN, 2123, 2123, gtp1c(21, 0x1001, 10, ie1::cause(128))));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].change == SessionChange::Delete);
  ev = h.get(SGSN, GGSN, 0x2000, std::string("/pay?gnpay_token=") + TOKEN);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].resolved_by == ResolvedBy::None);  // not by TEID, and no other context holds the UE address
}

TEST_CASE("engine: Update PDP Context from a new SGSN moves the downlink; uplink still resolves") {
  Harness h;
  h.create(11, "262011234567890", "491511234567", 5, 0x1000, 0x2000);
  Bytes req;
  append(req, ie1::teid_data(0x3000));
  append(req, ie1::teid_cp(0x3001));
  append(req, ie1::nsapi(5));
  append(req, ie1::gsn(SGSN2));
  append(req, ie1::gsn(SGSN2));
  h.feed(ipv4_udp(SGSN2, GGSN, 2123, 2123, gtp1c(18, 0x2001, 12, req)));
  Bytes resp;
  append(resp, ie1::cause(128));
  append(resp, ie1::teid_data(0x2000));
  append(resp, ie1::gsn(GGSN));
  append(resp, ie1::gsn(GGSN));
  auto ev = h.feed(ipv4_udp(GGSN, SGSN2, 2123, 2123, gtp1c(19, 0x3001, 12, resp)));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].change == SessionChange::Update);
  bool new_down = false;
  for (uint8_t i = 0; i < ev[0].n_tunnels; i++)
    if (ev[0].tunnels[i].plane == 1 && ev[0].tunnels[i].dir == 1) new_down = ev[0].tunnels[i].teid == 0x3000;
  CHECK(new_down);
  ev = h.get(SGSN2, GGSN, 0x2000, std::string("/pay?gnpay_token=") + TOKEN);
  REQUIRE(ev.size() == 1);
  CHECK(std::string(ev[0].sub.msisdn.d) == "491511234567");
  // the old SGSN's downlink TEID is gone: a packet to it is no longer known as downlink
  CHECK(h.eng->tables().sessions == 1);
}

TEST_CASE("engine: a secondary context inherits the primary's subscriber") {
  Harness h;
  h.create(13, "262011234567890", "491511234567", 5, 0x1000, 0x2000);
  Bytes req;
  append(req, ie1::teid_data(0x1100));
  append(req, ie1::nsapi(6));
  append(req, ie1::nsapi(5));  // linked NSAPI
  append(req, ie1::gsn(SGSN));
  append(req, ie1::gsn(SGSN));
  h.feed(ipv4_udp(SGSN, GGSN, 2123, 2123, gtp1c(16, 0x2001, 14, req)));
  Bytes resp;
  append(resp, ie1::cause(128));
  append(resp, ie1::teid_data(0x2100));
  append(resp, ie1::gsn(GGSN));
  append(resp, ie1::gsn(GGSN));
  auto ev = h.feed(ipv4_udp(GGSN, SGSN, 2123, 2123, gtp1c(17, 0x1001, 14, resp)));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].bearer == 6);
  CHECK(ev[0].linked_bearer == 5);
  CHECK(std::string(ev[0].sub.msisdn.d) == "491511234567");
  ev = h.get(SGSN, GGSN, 0x2100, std::string("/pay?gnpay_token=") + TOKEN);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].resolved_by == ResolvedBy::Teid);
  CHECK(std::string(ev[0].sub.msisdn.d) == "491511234567");
}

TEST_CASE("engine: a checkpoint restores the subscribers into a new engine") {
  Harness h;
  h.create(15, "262011234567890", "491511234567", 5, 0x1000, 0x2000);
  std::vector<uint8_t> cp;
  h.eng->export_sessions(cp);
  Harness h2;
  const char* err = nullptr;
  CHECK(h2.eng->import_sessions(Span(cp.data(), cp.size()), h.ts, 0, &err) == 1);
  CHECK(err == nullptr);
  auto ev = h2.get(SGSN, GGSN, 0x2000, std::string("/pay?gnpay_token=") + TOKEN);
  REQUIRE(ev.size() == 1);
  CHECK(std::string(ev[0].sub.msisdn.d) == "491511234567");
  // too old for the age limit: not restored
  Harness h3;
  CHECK(h3.eng->import_sessions(Span(cp.data(), cp.size()), h.ts + 7200ull * 1000000000ull, 3600ull * 1000000000ull,
                                &err) == 0);
  // damaged: refused with a message, nothing half-restored beyond what was whole
  cp.resize(cp.size() - 3);
  Harness h4;
  h4.eng->import_sessions(Span(cp.data(), cp.size()), h.ts, 0, &err);
  CHECK(err != nullptr);
}

TEST_CASE("engine: unanswered Create requests stay within the pending bound") {
  EngineOptions opt;
  opt.limits.max_pending = 100;
  Engine eng(opt);
  EventSink sink;
  for (uint32_t i = 0; i < 10000; i++) {
    Bytes req;
    append(req, ie1::imsi("26201" + std::to_string(1000000000 + i)));
    append(req, ie1::nsapi(5));
    Bytes f = ethernet(ipv4_udp(SGSN, GGSN, 2123, 2123, gtp1c(16, 0, uint16_t(i), req)));
    CaptureFrame fr;
    fr.data = Span(f.data(), f.size());
    fr.caplen = fr.origlen = uint32_t(f.size());
    fr.linktype = 1;
    fr.ts_ns = 1000000000ull + i;
    eng.process(fr, i + 1, 0, sink);
  }
  CHECK(eng.tables().pending <= 100);
  CHECK(eng.stats().anomalies.get(Anomaly::Gtp1cPendingEvicted) == 9900);
}

// ---------------------------------------------------------------------------
// Every capture we have, through the file parser and the engine.

// Our fixtures, and the public captures when ../shared is present.
static std::vector<std::filesystem::path> all_captures() {
  std::vector<std::filesystem::path> out;
  for (const char* root : {"../fixtures", "../../shared/fixtures/public"}) {
    if (!std::filesystem::exists(root)) continue;
    for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      std::string ext = e.path().extension().string();
      if (ext == ".pcap" || ext == ".pcapng") out.push_back(e.path());
    }
  }
  return out;
}

static std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

static EngineOptions sweep_options() {
  EngineOptions opt;
  opt.carriers.add_spec("query:gnpay_token", 17);
  opt.carriers.add_spec("host:pay.example.net", 20);
  opt.emit_requests = true;
  return opt;
}

static size_t decode_file(const std::filesystem::path& p, uint64_t* packets) {
  const std::vector<uint8_t> data = read_file(p);
  const EngineOptions opt = sweep_options();
  Engine eng(opt);
  CaptureFileParser parser;
  EventSink sink;
  *packets = 0;
  if (!parser.open(Span(data.data(), data.size()))) return 0;
  CaptureFrame f;
  while (parser.next(f, eng.anomalies()) == ReadStatus::Frame) {
    eng.process(f, parser.packets(), 0, sink);
    (*packets)++;
  }
  std::vector<uint8_t> cp;
  eng.export_sessions(cp);
  Engine again(opt);
  const char* err = nullptr;
  again.import_sessions(Span(cp.data(), cp.size()), 0, 0, &err);
  CHECK_MESSAGE(err == nullptr, p.string());
  return sink.events.size();
}

// Every frame of a capture as the one-thread replay decodes it (process(),
// `glanced` false) or as the reader thread's does (the glance of each frame,
// process_glanced(), prefetch hints a few frames ahead): the events' JSON
// lines, then every count of the engine's statistics.
static std::string events_of(const std::vector<uint8_t>& data, bool glanced) {
  Engine eng(sweep_options());
  CaptureFileParser parser;
  EventSink sink;
  std::string out;
  if (!parser.open(Span(data.data(), data.size()))) return out;
  std::vector<CaptureFrame> frames;
  CaptureFrame f;
  while (parser.next(f, eng.anomalies()) == ReadStatus::Frame) frames.push_back(f);
  AnomalyCounters scratch;
  for (size_t k = 0; k < frames.size(); k++) {
    if (!glanced) {
      eng.process(frames[k], k + 1, 0, sink);
      continue;
    }
    if (k + 3 < frames.size()) {
      Engine::prefetch_frame(frames[k + 3]);
      eng.prefetch_tunnel(glance_gpdu(frames[k + 3], scratch));
      eng.prefetch_plain_gpdu(frames[k + 3]);
    }
    eng.process_glanced(frames[k], glance_gpdu(frames[k], scratch), k + 1, 0, sink);
  }
  for (const Event& e : sink.events) append_event_json(e, out);
  const EngineStats& st = eng.stats();
  const uint64_t* n = reinterpret_cast<const uint64_t*>(&st);
  static_assert(sizeof(EngineStats) % sizeof(uint64_t) == 0, "EngineStats holds counters only");
  for (size_t i = 0; i < sizeof(EngineStats) / sizeof(uint64_t); i++) out += std::to_string(n[i]) + ",";
  return out;
}

TEST_CASE("engine: glance_gpdu agrees with the decoders; process_glanced() and the hints change no event nor count") {
  size_t files = 0, glanced = 0, decoded = 0, tcp_glanced = 0, plain = 0, clean = 0;
  for (const std::filesystem::path& p : all_captures()) {
    const std::vector<uint8_t> data = read_file(p);
    CaptureFileParser parser;
    if (!parser.open(Span(data.data(), data.size()))) continue;
    files++;
    AnomalyCounters an;
    CaptureFrame f;
    while (parser.next(f, an) == ReadStatus::Frame) {
      const TunnelGlance g = glance_gpdu(f, an);
      IpAddr plain_dst;
      uint32_t plain_teid = 0;
      if (plain_gpdu_endpoint(f, &plain_dst, &plain_teid)) {
        // the short reading is the glance's, for the frames the decoders take as G-PDUs
        plain++;
        if (g.gpdu) {
          CHECK(plain_dst == g.dst);
          CHECK(plain_teid == g.teid);
        }
      } else if (g.gpdu && f.linktype == linktype::kEthernet && f.data.size > 14 && f.data.data[12] == 0x08 &&
                 f.data.data[13] == 0x00 && f.data.data[14] == 0x45) {
        CHECK_MESSAGE(false, "a plain G-PDU the short reading missed in " << p.string());
      }
      if (g.outer_clean) {
        clean++;
        REQUIRE(g.gpdu);
        REQUIRE(size_t(g.tpdu_at) + g.tpdu_size <= f.data.size);
      }
      if (!g.gpdu) continue;
      glanced++;
      // what the glance says is what the decoders say, for a frame they
      // take as a G-PDU (one they reject is process()'s to count)
      LinkResult link;
      IpPacket ip;
      UdpDatagram udp;
      GtpuHeader gh;
      if (decode_link(f.linktype, f.data, link, an) != Status::Ok) continue;
      if (decode_ip(link.payload, ip, an) != Status::Ok || ip.proto != ipproto::kUdp) continue;
      if (decode_udp(ip.payload, ip.truncated, udp, an) != Status::Ok) continue;
      if (decode_gtpu(udp.payload, udp.truncated, gh, an) != Status::Ok) continue;
      decoded++;
      CHECK(!ip.is_fragment);
      CHECK(ip.dst == g.dst);
      CHECK((udp.sport == port::kGtpU || udp.dport == port::kGtpU));
      CHECK(gh.msg_type == gtp1::msg::kGpdu);
      CHECK(gh.teid == g.teid);
      IpPacket inner;
      TcpSegment tcp;
      const bool inner_tcp = decode_ip(gh.payload, inner, an) == Status::Ok && inner.proto == ipproto::kTcp &&
                             !inner.is_fragment && decode_tcp(inner.payload, inner.truncated, tcp, an) == Status::Ok;
      if (g.tcp) {
        tcp_glanced++;
        REQUIRE(inner_tcp);
        CHECK(inner.src == g.inner_src);
        CHECK(inner.dst == g.inner_dst);
        CHECK(tcp.sport == g.sport);
        CHECK(tcp.dport == g.dport);
      } else if (inner_tcp && (inner.version == 4 || gh.payload.data[6] == ipproto::kTcp)) {
        CHECK_MESSAGE(false, "an inner TCP segment the glance missed in " << p.string());
      }
      if (g.outer_clean) {
        // the outer layers as the decoders read them
        CHECK(ip.src == g.src);
        CHECK(ip.version == g.src.family);
        CHECK(gh.payload.data == f.data.data + g.tpdu_at);
        CHECK(gh.payload.size == g.tpdu_size);
      }
    }
    CHECK_MESSAGE(events_of(data, true) == events_of(data, false), p.string());
  }
  MESSAGE("glanced at " << glanced << " G-PDUs in " << files << " capture files, " << decoded << " decoded whole, "
                        << clean << " with clean outer layers, " << tcp_glanced << " with their TCP ports, " << plain
                        << " in the plain layout");
  CHECK(decoded > 0);
  CHECK(plain > 0);
  CHECK(tcp_glanced > 0);
  CHECK(clean > 0);
}

TEST_CASE("engine: glance_gpdu leaves out what it does not recognise") {
  uint32_t teid = 0;
  AnomalyCounters an;
  Bytes gpdu = ipv4_udp(SGSN, GGSN, 2152, 2152, gtpu(0x12345678, Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  auto glance = [&](uint32_t linktype, const Bytes& b) {
    CaptureFrame f;
    f.data = Span(b.data(), b.size());
    f.caplen = f.origlen = uint32_t(b.size());
    f.linktype = linktype;
    const TunnelGlance g = glance_gpdu(f, an);
    teid = g.teid;
    return g.gpdu;
  };
  CHECK(glance(linktype::kRaw, gpdu));
  CHECK(teid == 0x12345678);
  CHECK(glance(linktype::kEthernet, ethernet(gpdu)));
  Bytes cut(gpdu.begin(), gpdu.end() - 9);  // the GTP header is not whole
  CHECK_FALSE(glance(linktype::kRaw, cut));
  Bytes frag = gpdu;
  frag[6] = 0x20;  // more fragments
  CHECK_FALSE(glance(linktype::kRaw, frag));
  Bytes gtpc = ipv4_udp(SGSN, GGSN, 2123, 2123, gtpu(0x12345678, Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  CHECK_FALSE(glance(linktype::kRaw, gtpc));
  Bytes echo = gpdu;
  echo[28 + 1] = 0x01;  // an Echo Request, not a G-PDU
  CHECK_FALSE(glance(linktype::kRaw, echo));
  CHECK_FALSE(glance(147, gpdu));  // a link type it does not know
  CHECK_FALSE(glance(linktype::kEthernet, Bytes{}));
}

TEST_CASE("engine: plain_gpdu_endpoint reads the plain layout only, within the frame") {
  Bytes gpdu = ethernet(ipv4_udp(SGSN, GGSN, 2152, 2152, gtpu(0x12345678, Bytes{1, 2, 3, 4, 5, 6, 7, 8})));
  auto read = [](const Bytes& b, uint32_t linktype, uint32_t* teid) {
    CaptureFrame f;
    f.data = Span(b.data(), b.size());
    f.caplen = f.origlen = uint32_t(b.size());
    f.linktype = linktype;
    IpAddr dst;
    return plain_gpdu_endpoint(f, &dst, teid);
  };
  uint32_t teid = 0;
  CHECK(read(gpdu, linktype::kEthernet, &teid));
  CHECK(teid == 0x12345678);
  // every prefix: only the whole GTP-U header is read (ASan checks the bytes past each copy's end)
  for (size_t n = 0; n < gpdu.size(); n++) {
    Bytes cut(gpdu.begin(), gpdu.begin() + long(n));
    CHECK(read(cut, linktype::kEthernet, &teid) == (n >= 14 + 20 + 8 + 8));
  }
  CHECK_FALSE(read(gpdu, linktype::kRaw, &teid));  // not Ethernet
  Bytes options = gpdu;
  options[14] = 0x46;  // IPv4 options: glance_gpdu's and the decoders' case
  CHECK_FALSE(read(options, linktype::kEthernet, &teid));
  Bytes frag = gpdu;
  frag[14 + 6] = 0x20;
  CHECK_FALSE(read(frag, linktype::kEthernet, &teid));
  Bytes echo = gpdu;
  echo[14 + 28 + 1] = 0x01;
  CHECK_FALSE(read(echo, linktype::kEthernet, &teid));
  Bytes gtpc = ethernet(ipv4_udp(SGSN, GGSN, 2123, 2123, gtpu(0x12345678, Bytes{1, 2, 3, 4})));
  CHECK_FALSE(read(gtpc, linktype::kEthernet, &teid));
}

TEST_CASE("engine: decodes every fixture and public capture without fault") {
  size_t files = 0;
  for (const std::filesystem::path& p : all_captures()) {
    uint64_t packets = 0;
    decode_file(p, &packets);
    files++;
  }
  MESSAGE("decoded " << files << " capture files");
  CHECK(files > 0);
}

TEST_CASE("engine: a request with a malformed header line is still examined (the line is counted)") {
  Harness h;
  h.create(21, "262011234567890", "491511234567", 5, 0x1000, 0x2000);
  std::string http = std::string("GET /pay?gnpay_token=") + TOKEN +
                     " HTTP/1.1\r\nHost: pay.example.net\r\nX-Folded: a\r\n b\r\nthis line has no colon\r\n\r\n";
  Bytes inner = ipv4_tcp(UE, WEB, 40010, 80, 1000, 0x18, http);
  auto ev = h.feed(ipv4_udp(SGSN, GGSN, 2152, 2152, gtpu(0x2000, inner)));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].type == EventType::Sighting);
  CHECK(std::string(ev[0].match.token) == TOKEN);
  CHECK(h.eng->stats().anomalies.get(Anomaly::HttpBadHeader) >= 1);
}

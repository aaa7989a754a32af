// pcap / pcapng readers, on files written in memory for each format variant
// and on the public captures. Also home of the golden-test helpers shared by
// test_gtpv1c.cc and test_gtpv2c.cc (declared there).
#include <doctest/doctest.h>

#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "capture_file.h"
#include "ip.h"
#include "l4.h"
#include "link.h"

using namespace gnpay;

// ---------------------------------------------------------------------------
// golden-test helpers
namespace gnpay_golden {

struct UdpFrame {
  uint64_t ts_ns = 0;
  gnpay::IpPacket ip;
  gnpay::UdpDatagram udp;
};

// The public captures (../shared/fixtures/public from the repository root), or "" when absent.
std::string public_dir() {
  const char* env = std::getenv("GNPAY_PUBLIC_FIXTURES");
  const std::string candidates[] = {env ? env : "", "../../shared/fixtures/public", "../shared/fixtures/public",
                                    "/work/shared/fixtures/public"};
  for (const auto& c : candidates) {
    if (c.empty()) continue;
    std::ifstream f(c + "/INDEX.md");
    if (f.good()) return c;
  }
  return "";
}

bool read_whole_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

uint64_t frame_count(const std::vector<uint8_t>& file) {
  CaptureFileParser p;
  if (!p.open(Span(file.data(), file.size()))) return 0;
  CaptureFrame fr;
  AnomalyCounters an;
  while (p.next(fr, an) == ReadStatus::Frame) {
  }
  return p.packets();
}

// Decodes frame `number` (1-based, Wireshark's numbering) down to UDP.
bool udp_frame(const std::vector<uint8_t>& file, uint64_t number, UdpFrame& out) {
  CaptureFileParser p;
  if (!p.open(Span(file.data(), file.size()))) return false;
  CaptureFrame fr;
  AnomalyCounters an;
  while (p.packets() < number) {
    if (p.next(fr, an) != ReadStatus::Frame) return false;
  }
  out = UdpFrame();
  out.ts_ns = fr.ts_ns;
  LinkResult l;
  if (decode_link(fr.linktype, fr.data, l, an) != Status::Ok) return false;
  if (decode_ip(l.payload, out.ip, an) != Status::Ok || out.ip.proto != ipproto::kUdp) return false;
  if (out.ip.is_fragment && out.ip.frag_offset != 0) return false;
  return decode_udp(out.ip.payload, out.ip.truncated, out.udp, an) == Status::Ok;
}

// Rows of an oracle TSV: '#' lines skipped, the first other line names the columns.
std::vector<std::map<std::string, std::string>> read_tsv(const std::string& path) {
  std::vector<std::map<std::string, std::string>> rows;
  std::ifstream f(path);
  std::string line;
  std::vector<std::string> cols;
  auto split = [](const std::string& s) {
    std::vector<std::string> v;
    size_t start = 0;
    for (;;) {
      size_t tab = s.find('\t', start);
      v.push_back(s.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    return v;
  };
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (cols.empty()) {
      cols = split(line);
      continue;
    }
    auto vals = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cols.size(); i++) row[cols[i]] = i < vals.size() ? vals[i] : "";
    rows.push_back(row);
  }
  return rows;
}

std::string hex_u32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

}  // namespace gnpay_golden

// ---------------------------------------------------------------------------
namespace {

constexpr uint64_t kSec = 1000000000ull;

// A little writer for capture files in either byte order.
struct W {
  std::vector<uint8_t> v;
  bool be = false;
  W& u8(uint8_t x) {
    v.push_back(x);
    return *this;
  }
  W& u16(uint16_t x) {
    if (be) {
      u8(uint8_t(x >> 8));
      u8(uint8_t(x));
    } else {
      u8(uint8_t(x));
      u8(uint8_t(x >> 8));
    }
    return *this;
  }
  W& u32(uint32_t x) {
    if (be) {
      u16(uint16_t(x >> 16));
      u16(uint16_t(x));
    } else {
      u16(uint16_t(x));
      u16(uint16_t(x >> 16));
    }
    return *this;
  }
  W& u64(uint64_t x) {
    if (be) {
      u32(uint32_t(x >> 32));
      u32(uint32_t(x));
    } else {
      u32(uint32_t(x));
      u32(uint32_t(x >> 32));
    }
    return *this;
  }
  W& raw(const std::vector<uint8_t>& b) {
    v.insert(v.end(), b.begin(), b.end());
    return *this;
  }
  W& pad4() {
    while (v.size() % 4) v.push_back(0);
    return *this;
  }
  size_t size() const { return v.size(); }
};

std::vector<uint8_t> payload(size_t n, uint8_t seed) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; i++) p[i] = uint8_t(seed + i);
  return p;
}

// pcap
void pcap_header(W& w, uint32_t magic, uint32_t snaplen, uint32_t linktype) {
  w.u32(magic).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(linktype);
}
void pcap_record(W& w, uint32_t sec, uint32_t frac, const std::vector<uint8_t>& data, uint32_t origlen = 0) {
  w.u32(sec).u32(frac).u32(uint32_t(data.size())).u32(origlen ? origlen : uint32_t(data.size())).raw(data);
}

// pcapng: a block is type, total length, body (padded), total length again.
size_t block(W& w, uint32_t type, const std::vector<uint8_t>& body) {
  const size_t at = w.size();
  size_t padded = (body.size() + 3) / 4 * 4;
  w.u32(type).u32(uint32_t(12 + padded)).raw(body);
  w.pad4();
  w.u32(uint32_t(12 + padded));
  return at;
}
size_t shb(W& w) {
  W b;
  b.be = w.be;
  b.u32(0x1A2B3C4D).u16(1).u16(0).u64(~0ull);
  return block(w, 0x0A0D0D0A, b.v);
}
struct Opt {
  uint16_t code;
  std::vector<uint8_t> value;
};
size_t idb(W& w, uint16_t linktype, uint32_t snaplen, const std::vector<Opt>& opts = {}) {
  W b;
  b.be = w.be;
  b.u16(linktype).u16(0).u32(snaplen);
  for (auto& o : opts) {
    b.u16(o.code).u16(uint16_t(o.value.size())).raw(o.value);
    b.pad4();
  }
  if (!opts.empty()) b.u16(0).u16(0);
  return block(w, 1, b.v);
}
size_t epb(W& w, uint32_t iface, uint64_t ts, const std::vector<uint8_t>& data, uint32_t origlen = 0) {
  W b;
  b.be = w.be;
  b.u32(iface).u32(uint32_t(ts >> 32)).u32(uint32_t(ts)).u32(uint32_t(data.size()));
  b.u32(origlen ? origlen : uint32_t(data.size())).raw(data);
  return block(w, 6, b.v);
}
size_t opb(W& w, uint16_t iface, uint64_t ts, const std::vector<uint8_t>& data) {
  W b;
  b.be = w.be;
  b.u16(iface).u16(0).u32(uint32_t(ts >> 32)).u32(uint32_t(ts)).u32(uint32_t(data.size()));
  b.u32(uint32_t(data.size())).raw(data);
  return block(w, 2, b.v);
}
size_t spb(W& w, uint32_t origlen, const std::vector<uint8_t>& data) {
  W b;
  b.be = w.be;
  b.u32(origlen).raw(data);
  return block(w, 3, b.v);
}
std::vector<uint8_t> i64(int64_t x, bool be) {
  W b;
  b.be = be;
  b.u64(uint64_t(x));
  return b.v;
}

bool same(const Span& s, const std::vector<uint8_t>& v) {
  return s.size == v.size() && std::equal(v.begin(), v.end(), s.data);
}

uint64_t epoch_ns(const std::string& s) {  // "1598111550.134381433"
  const size_t dot = s.find('.');
  uint64_t sec = std::stoull(s.substr(0, dot));
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  while (frac.size() < 9) frac += '0';
  return sec * kSec + std::stoull(frac.substr(0, 9));
}

}  // namespace

TEST_CASE("pcap: microseconds, little-endian") {
  W w;
  pcap_header(w, 0xA1B2C3D4, 65535, 1);
  auto a = payload(60, 1), b = payload(1514, 2);
  pcap_record(w, 1267091876, 294807, a);
  const size_t second = w.size();
  pcap_record(w, 1267091876, 999999, b, 1600);
  CaptureFileParser p;
  REQUIRE(p.open(Span(w.v.data(), w.size())));
  CHECK(p.format() == CaptureFormat::Pcap);
  CHECK(p.first_linktype() == 1);
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(f.ts_ns == 1267091876294807000ull);
  CHECK(f.linktype == 1);
  CHECK(f.iface == 0);
  CHECK(f.caplen == 60);
  CHECK(f.origlen == 60);
  CHECK(same(f.data, a));
  CHECK(f.file_offset == 24);
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(f.ts_ns == 1267091876999999000ull);
  CHECK(f.caplen == 1514);
  CHECK(f.origlen == 1600);
  CHECK(same(f.data, b));
  CHECK(f.file_offset == second);
  CHECK(p.next(f, an) == ReadStatus::End);
  CHECK(p.next(f, an) == ReadStatus::End);
  CHECK(p.packets() == 2);
  CHECK(p.offset() == p.size());
  CHECK(std::string(p.error()).empty());
  CHECK(an.total() == 0);
}

TEST_CASE("pcap: nanoseconds, big-endian") {
  W w;
  w.be = true;
  pcap_header(w, 0xA1B23C4D, 262144, 113);
  auto a = payload(44, 3);
  pcap_record(w, 1598111550, 134381433, a);
  CHECK(w.v[0] == 0xA1);  // the magic as written by a big-endian host
  CaptureFileParser p;
  REQUIRE(p.open(Span(w.v.data(), w.size())));
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(f.ts_ns == 1598111550134381433ull);
  CHECK(f.linktype == 113);
  CHECK(same(f.data, a));
  CHECK(p.next(f, an) == ReadStatus::End);
}

TEST_CASE("pcap: microseconds big-endian and nanoseconds little-endian, FCS bits of the link type") {
  for (int variant = 0; variant < 2; variant++) {
    W w;
    w.be = variant == 0;
    pcap_header(w, variant == 0 ? 0xA1B2C3D4 : 0xA1B23C4D, 65535, 0x10000001);  // FCS bit set, Ethernet
    pcap_record(w, 10, 5, payload(20, 0));
    CaptureFileParser p;
    REQUIRE(p.open(Span(w.v.data(), w.size())));
    CaptureFrame f;
    AnomalyCounters an;
    REQUIRE(p.next(f, an) == ReadStatus::Frame);
    CHECK(f.linktype == 1);
    CHECK(f.ts_ns == (variant == 0 ? 10 * kSec + 5000 : 10 * kSec + 5));
  }
}

TEST_CASE("pcap: caplen beyond snaplen is counted, the record returned") {
  W w;
  pcap_header(w, 0xA1B2C3D4, 64, 1);
  pcap_record(w, 1, 0, payload(100, 0));
  CaptureFileParser p;
  REQUIRE(p.open(Span(w.v.data(), w.size())));
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(f.caplen == 100);
  CHECK(an.get(Anomaly::PcapCaplenTooLarge) == 1);
}

TEST_CASE("pcap: a last record cut short is an error at its offset, after the good ones") {
  W w;
  pcap_header(w, 0xA1B2C3D4, 65535, 1);
  pcap_record(w, 1, 0, payload(60, 0));
  const size_t bad = w.size();
  pcap_record(w, 2, 0, payload(60, 0));
  w.v.resize(w.size() - 10);  // the classic damaged download
  CaptureFileParser p;
  REQUIRE(p.open(Span(w.v.data(), w.size())));
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(p.next(f, an) == ReadStatus::Error);
  CHECK(p.error_offset() == bad);
  CHECK(p.packets() == 1);
  CHECK_FALSE(std::string(p.error()).empty());
  CHECK(p.next(f, an) == ReadStatus::Error);  // stays in error
  // a record header cut short
  for (size_t cut = 1; cut < 16; cut++) {
    W t;
    pcap_header(t, 0xA1B2C3D4, 65535, 1);
    pcap_record(t, 1, 0, payload(8, 0));
    t.v.resize(t.size() + cut, 0);
    CaptureFileParser q;
    REQUIRE(q.open(Span(t.v.data(), t.size())));
    REQUIRE(q.next(f, an) == ReadStatus::Frame);
    CHECK(q.next(f, an) == ReadStatus::Error);
    CHECK(q.error_offset() == 24 + 16 + 8);
  }
}

TEST_CASE("capture file: open refuses unknown magic and short headers") {
  CaptureFileParser p;
  std::vector<uint8_t> tiny = {0xd4, 0xc3};
  CHECK_FALSE(p.open(Span(tiny.data(), tiny.size())));
  CHECK_FALSE(std::string(p.error()).empty());
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!'};
  CHECK_FALSE(p.open(Span(text.data(), text.size())));
  CHECK(p.format() == CaptureFormat::Unknown);
  W w;
  pcap_header(w, 0xA1B2C3D4, 65535, 1);
  w.v.resize(20);
  CHECK_FALSE(p.open(Span(w.v.data(), w.size())));
  std::vector<uint8_t> empty;
  CHECK_FALSE(p.open(Span(empty.data(), 0)));
  CaptureFrame f;
  AnomalyCounters an;
  CHECK(p.next(f, an) == ReadStatus::Error);
}

TEST_CASE("pcapng: two sections of different byte order, interfaces with their own link type and resolution") {
  W w;
  auto a = payload(60, 10), b = payload(70, 20), c = payload(30, 30), d = payload(50, 40), e = payload(64, 50),
       g = payload(40, 60), h = payload(24, 70);
  // section 1, little-endian
  shb(w);
  idb(w, 1, 65535);                                                              // interface 0: Ethernet, default µs
  idb(w, 113, 0, {{9, {9}}, {14, i64(100, false)}, {2, {'e', 't', 'h', '1'}}});  // SLL, ns, +100 s
  const size_t e1 = epb(w, 0, 1500000000ull * 1000000 + 123456, a);
  block(w, 4, {0, 0, 0, 0});  // NRB: skipped
  const size_t e2 = epb(w, 1, 5 * kSec + 7, b, 1000);
  block(w, 0x99, {1, 2, 3, 4});              // an unknown block type
  block(w, 5, std::vector<uint8_t>(12, 0));  // ISB
  block(w, 0xBAD, {0, 0, 0x7b, 0x2f, 'x'});  // custom block
  // section 2, big-endian: the interface list starts over
  W w2;
  w2.be = true;
  shb(w2);
  idb(w2, 101, 0, {{9, {0x83}}});  // raw IP, 2^-3 s
  const size_t e3 = epb(w2, 0, 17, c);
  epb(w2, 1, 0, d);                   // interface 1 does not exist in this section
  const size_t s1 = spb(w2, 50, d);   // caplen = origlen = 50
  const size_t s2 = spb(w2, 100, g);  // origlen 100, 40 octets in the block
  const size_t s3 = spb(w2, 20, h);   // origlen 20, 24 octets in the block
  const size_t o1 = opb(w2, 0, 24, e);
  const size_t base = w.size();
  w.raw(w2.v);

  CaptureFileParser p;
  REQUIRE(p.open(Span(w.v.data(), w.size())));
  CHECK(p.format() == CaptureFormat::Pcapng);
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(p.first_linktype() == 1);
  CHECK(f.iface == 0);
  CHECK(f.linktype == 1);
  CHECK(f.ts_ns == 1500000000ull * kSec + 123456000ull);
  CHECK(same(f.data, a));
  CHECK(f.file_offset == e1);
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(f.iface == 1);
  CHECK(f.linktype == 113);
  CHECK(f.ts_ns == 105 * kSec + 7);
  CHECK(f.caplen == 70);
  CHECK(f.origlen == 1000);
  CHECK(same(f.data, b));
  CHECK(f.file_offset == e2);
  REQUIRE(p.next(f, an) == ReadStatus::Frame);  // section 2
  CHECK(an.get(Anomaly::PcapngUnknownBlock) == 1);
  CHECK(f.iface == 0);
  CHECK(f.linktype == 101);
  CHECK(f.ts_ns == 2125000000ull);  // 17 / 8 s
  CHECK(same(f.data, c));
  CHECK(f.file_offset == base + e3);
  CHECK(p.first_linktype() == 101);
  REQUIRE(p.next(f, an) == ReadStatus::Frame);  // the EPB on interface 1 was skipped
  CHECK(an.get(Anomaly::PcapngBadInterface) == 1);
  CHECK(f.file_offset == base + s1);
  CHECK(f.caplen == 50);
  CHECK(f.origlen == 50);
  CHECK(f.ts_ns == 0);
  CHECK(f.linktype == 101);
  CHECK(same(f.data, d));
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(f.file_offset == base + s2);
  CHECK(f.caplen == 40);
  CHECK(f.origlen == 100);
  CHECK(same(f.data, g));
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(f.file_offset == base + s3);
  CHECK(f.caplen == 20);  // min(origlen, block space)
  CHECK(same(f.data, std::vector<uint8_t>(h.begin(), h.begin() + 20)));
  REQUIRE(p.next(f, an) == ReadStatus::Frame);  // obsolete packet block
  CHECK(f.file_offset == base + o1);
  CHECK(f.ts_ns == 3 * kSec);
  CHECK(same(f.data, e));
  CHECK(p.next(f, an) == ReadStatus::End);
  CHECK(p.packets() == 7);
  CHECK(an.total() == 2);
}

TEST_CASE("pcapng: SPB caplen is bounded by the interface snaplen; packets before any IDB") {
  W w;
  shb(w);
  epb(w, 0, 1, payload(10, 0));  // no interface yet
  spb(w, 10, payload(12, 0));
  idb(w, 1, 32);
  spb(w, 60, payload(60, 5));
  CaptureFileParser p;
  REQUIRE(p.open(Span(w.v.data(), w.size())));
  CHECK(p.first_linktype() == 0);
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(an.get(Anomaly::PcapngBadInterface) == 2);
  CHECK(f.caplen == 32);
  CHECK(f.origlen == 60);
  CHECK(p.next(f, an) == ReadStatus::End);
  CHECK(p.packets() == 1);
}

TEST_CASE("pcapng: timestamp resolutions and offsets") {
  struct Case {
    std::vector<Opt> opts;
    uint64_t ticks;
    uint64_t ns;
  };
  const Case cases[] = {
      {{}, 1000001, kSec + 1000},                                    // default µs
      {{{9, {3}}}, 1500, 1500000000},                                // ms
      {{{9, {9}}}, 1598111550134381433ull, 1598111550134381433ull},  // ns
      {{{9, {12}}}, 2000000000001ull, 2 * kSec},                     // ps, truncated
      {{{9, {0x80 | 10}}}, 1024 + 512, kSec + 500000000},            // 2^-10
      {{{9, {0x80 | 63}}}, 1ull << 62, 500000000},                   // 2^-63
      {{{9, {6}}, {14, i64(-5, false)}}, 10000000, 5 * kSec},        // negative offset
      {{{9, {6}}, {14, i64(-50, false)}}, 10000000, 0},              // clamped at 0
  };
  for (const auto& c : cases) {
    W w;
    shb(w);
    idb(w, 1, 0, c.opts);
    epb(w, 0, c.ticks, payload(4, 0));
    CaptureFileParser p;
    REQUIRE(p.open(Span(w.v.data(), w.size())));
    CaptureFrame f;
    AnomalyCounters an;
    REQUIRE(p.next(f, an) == ReadStatus::Frame);
    CHECK(f.ts_ns == c.ns);
  }
  for (uint8_t bad : {uint8_t(20), uint8_t(0x80 | 64)}) {
    W w;
    shb(w);
    const size_t at = idb(w, 1, 0, {{9, {bad}}});
    CaptureFileParser p;
    REQUIRE(p.open(Span(w.v.data(), w.size())));
    CaptureFrame f;
    AnomalyCounters an;
    CHECK(p.next(f, an) == ReadStatus::Error);
    CHECK(p.error_offset() == at);
  }
}

TEST_CASE("pcapng: corrupt block lengths are errors at the block's offset") {
  auto good = [](W& w) {
    shb(w);
    idb(w, 1, 0);
    epb(w, 0, 1, payload(20, 0));
  };
  struct Corruption {
    const char* what;
    int kind;
  };
  for (int kind = 0; kind < 6; kind++) {
    W w;
    good(w);
    const size_t at = w.size();
    epb(w, 0, 2, payload(20, 0));
    switch (kind) {
      case 0:
        w.v[at + 4] = 8;
        break;  // length below 12
      case 1:
        w.v[at + 4] = uint8_t(w.v[at + 4] + 2);
        break;  // not a multiple of 4
      case 2:
        w.v[at + 5] = 0x10;
        break;  // past the end of the file
      case 3:
        w.v[w.size() - 4] ^= 0x04;
        break;  // trailing copy differs
      case 4:
        w.v.resize(w.size() - 6);
        break;  // the file stops inside the block
      case 5:
        w.v[at + 8 + 12] = 200;
        break;  // EPB caplen past its block
    }
    CaptureFileParser p;
    REQUIRE(p.open(Span(w.v.data(), w.size())));
    CaptureFrame f;
    AnomalyCounters an;
    REQUIRE(p.next(f, an) == ReadStatus::Frame);  // what came before is read
    CHECK_MESSAGE(p.next(f, an) == ReadStatus::Error, kind);
    CHECK_MESSAGE(p.error_offset() == at, kind);
    CHECK(p.packets() == 1);
    CHECK_FALSE(std::string(p.error()).empty());
    CHECK(p.next(f, an) == ReadStatus::Error);
  }
  // a file ending with a few stray octets
  W w;
  good(w);
  const size_t at = w.size();
  w.u32(6);
  CaptureFileParser p;
  REQUIRE(p.open(Span(w.v.data(), w.size())));
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(p.next(f, an) == ReadStatus::Frame);
  CHECK(p.next(f, an) == ReadStatus::Error);
  CHECK(p.error_offset() == at);
}

TEST_CASE("pcapng: bad section headers") {
  // the first SHB: open() fails
  W w;
  shb(w);
  w.v[8] = 0x11;  // byte-order magic
  CaptureFileParser p;
  CHECK_FALSE(p.open(Span(w.v.data(), w.size())));
  CHECK_FALSE(std::string(p.error()).empty());
  W v;
  shb(v);
  v.v[12] = 2;  // major version 2
  CHECK_FALSE(p.open(Span(v.v.data(), v.size())));
  // a later SHB
  W x;
  shb(x);
  idb(x, 1, 0);
  epb(x, 0, 1, payload(8, 0));
  const size_t at = shb(x);
  x.v[at + 11] = 0x00;
  CaptureFileParser q;
  REQUIRE(q.open(Span(x.v.data(), x.size())));
  CaptureFrame f;
  AnomalyCounters an;
  REQUIRE(q.next(f, an) == ReadStatus::Frame);
  CHECK(q.next(f, an) == ReadStatus::Error);
  CHECK(q.error_offset() == at);
}

TEST_CASE("capture file: public captures (frame counts, link types, timestamps against tshark)") {
  const std::string dir = gnpay_golden::public_dir();
  if (dir.empty()) {
    MESSAGE("public fixtures absent: skipped");
    return;
  }
  struct Expect {
    const char* file;
    CaptureFormat fmt;
    uint64_t frames;
    uint32_t linktype;
  };
  const Expect files[] = {
      {"zeek/gtp_create_pdp_ctx.pcap", CaptureFormat::Pcap, 4, 1},
      {"nDPI/gtp_c.pcap", CaptureFormat::Pcap, 4, 1},
      {"open5gs/testattach.pcapng", CaptureFormat::Pcapng, 565, 113},  // SLL, ns timestamps
      {"arkime/gtp-iphone.pcap", CaptureFormat::Pcap, 106, 113},
      {"nDPI/pfcp.pcapng", CaptureFormat::Pcapng, 11, 101},
      {"PcapPlusPlus/gtp.pcapng", CaptureFormat::Pcapng, 7, 1},  // named .pcap upstream
      {"zeek/pdp_ctx_messages.pcapng", CaptureFormat::Pcapng, 14, 1},
  };
  for (const auto& e : files) {
    std::vector<uint8_t> file;
    REQUIRE_MESSAGE(gnpay_golden::read_whole_file(dir + "/" + e.file, file), e.file);
    CaptureFileParser p;
    REQUIRE(p.open(Span(file.data(), file.size())));
    CHECK(p.format() == e.fmt);
    CaptureFrame f;
    AnomalyCounters an;
    ReadStatus s;
    while ((s = p.next(f, an)) == ReadStatus::Frame) CHECK(f.linktype == e.linktype);
    CHECK_MESSAGE(s == ReadStatus::End, e.file);
    CHECK_MESSAGE(p.packets() == e.frames, e.file);
  }
  // PcapPlusPlus/gtp.pcapng: a mergecap output with 7 interfaces, one per packet,
  // and timestamps of 0 (tshark -T fields -e frame.time_epoch -e frame.interface_id)
  {
    std::vector<uint8_t> file;
    REQUIRE(gnpay_golden::read_whole_file(dir + "/PcapPlusPlus/gtp.pcapng", file));
    const uint64_t ts[] = {
        1457949761023477000ull, 1322687387230825000ull, 1260442417441671000ull, 0, 0, 921159902215271000ull, 0};
    CaptureFileParser p;
    REQUIRE(p.open(Span(file.data(), file.size())));
    CaptureFrame f;
    AnomalyCounters an;
    for (uint32_t i = 0; i < 7; i++) {
      REQUIRE(p.next(f, an) == ReadStatus::Frame);
      CHECK(f.ts_ns == ts[i]);
      CHECK(f.iface == i);
    }
  }
  // open5gs/testattach.pcapng: every GTPv2-C frame's time against the oracle
  {
    std::vector<uint8_t> file;
    REQUIRE(gnpay_golden::read_whole_file(dir + "/open5gs/testattach.pcapng", file));
    auto rows = gnpay_golden::read_tsv(dir + "/oracle/open5gs/testattach.pcapng/gtpc_v2.tsv");
    REQUIRE(rows.size() > 50);
    std::map<uint64_t, uint64_t> want;
    for (auto& r : rows) want[std::stoull(r["frame.number"])] = epoch_ns(r["frame.time_epoch"]);
    CaptureFileParser p;
    REQUIRE(p.open(Span(file.data(), file.size())));
    CaptureFrame f;
    AnomalyCounters an;
    size_t checked = 0;
    while (p.next(f, an) == ReadStatus::Frame) {
      auto it = want.find(p.packets());
      if (it == want.end()) continue;
      CHECK(f.ts_ns == it->second);
      checked++;
    }
    CHECK(checked == want.size());
  }
}

// Streaming: the same bytes handed over in windows of any size give the same
// frames (timestamps, link types, offsets, data), anomalies and errors as the whole file.
namespace {
struct Parsed {
  std::vector<std::string> frames;
  ReadStatus end = ReadStatus::End;
  std::string error;
  uint64_t error_offset = 0, packets = 0;
};

std::string describe(const CaptureFrame& f) {
  std::ostringstream o;
  o << f.ts_ns << ' ' << f.linktype << ' ' << f.iface << ' ' << f.caplen << ' ' << f.origlen << ' ' << f.file_offset
    << ' ' << std::string(reinterpret_cast<const char*>(f.data.data), f.data.size);
  return o.str();
}

Parsed parse_whole(const std::vector<uint8_t>& file) {
  Parsed out;
  CaptureFileParser p;
  if (!p.open(Span(file.data(), file.size()))) {
    out.end = ReadStatus::Error;
    out.error = p.error();
    return out;
  }
  CaptureFrame f;
  AnomalyCounters an;
  while ((out.end = p.next(f, an)) == ReadStatus::Frame) out.frames.push_back(describe(f));
  out.error = p.error();
  out.error_offset = p.error_offset();
  out.packets = p.packets();
  return out;
}

// Feeds `file` `step` bytes at a time, as StreamReader does from a pipe.
Parsed parse_streamed(const std::vector<uint8_t>& file, size_t step) {
  Parsed out;
  size_t begin = 0, end = 0;
  auto grow = [&](size_t want) { end = std::min(file.size(), std::max(end + step, begin + want)); };
  grow(12);
  grow(size_t(CaptureFileParser::stream_header_size(Span(file.data(), end))));
  CaptureFileParser p;
  if (!p.open(Span(file.data(), end), end == file.size())) {
    out.end = ReadStatus::Error;
    out.error = p.error();
    return out;
  }
  CaptureFrame f;
  AnomalyCounters an;
  for (;;) {
    out.end = p.next(f, an);
    if (out.end == ReadStatus::Frame) {
      out.frames.push_back(describe(f));
      continue;
    }
    if (out.end != ReadStatus::More) break;
    begin += size_t(p.consumed());
    end = std::min(file.size(), end + step);
    p.set_window(Span(file.data() + begin, end - begin), end == file.size());
  }
  out.error = p.error();
  out.error_offset = p.error_offset();
  out.packets = p.packets();
  return out;
}
}  // namespace

TEST_CASE("capture file: streamed in windows of any size, the same frames and errors as the whole file") {
  // every generated capture (fixtures/: pcap and pcapng, several link types, a corrupt block)
  std::vector<std::string> files;
  for (const char* dir : {"../fixtures", "fixtures"}) {
    DIR* d = opendir(dir);
    if (!d) continue;
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 5 && (name.substr(name.size() - 5) == ".pcap" || name.find(".pcapng") == name.size() - 7))
        files.push_back(std::string(dir) + "/" + name);
    }
    closedir(d);
    break;
  }
  REQUIRE(files.size() >= 8);
  for (const std::string& path : files) {
    std::vector<uint8_t> file;
    REQUIRE(gnpay_golden::read_whole_file(path, file));
    const Parsed whole = parse_whole(file);
    for (size_t step : {size_t(1), size_t(7), size_t(100), size_t(4096), file.size()}) {
      CAPTURE(path);
      CAPTURE(step);
      const Parsed s = parse_streamed(file, step);
      CHECK(s.frames.size() == whole.frames.size());
      CHECK(s.frames == whole.frames);
      CHECK(int(s.end) == int(whole.end));
      CHECK(s.error == whole.error);
      CHECK(s.error_offset == whole.error_offset);
      CHECK(s.packets == whole.packets);
    }
  }
}

TEST_CASE("capture file: a streamed record longer than 64 MiB is an error, not a wait") {
  std::vector<uint8_t> f = {
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,    0, 0, 4, 0,
      1,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10};  // caplen 0x10000000
  CaptureFileParser p;
  REQUIRE(p.open(Span(f.data(), f.size()), false));
  CaptureFrame fr;
  AnomalyCounters an;
  CHECK(p.next(fr, an) == ReadStatus::Error);
  CHECK(std::string(p.error()).find("64 MiB") != std::string::npos);
  CHECK(p.error_offset() == 24);
}

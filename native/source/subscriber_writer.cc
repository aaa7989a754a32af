#include "subscriber_writer.h"

#include <cerrno>
#include <cstring>

#include "byte_reader.h"
#include "gtpv1c.h"
#include "gtpv2c.h"
#include "ip.h"
#include "l4.h"
#include "link.h"

namespace gnpay {

namespace {

constexpr uint16_t kGtpcPort = 2123;
constexpr uint16_t kGtpuPort = 2152;

bool same_addr(const IpAddr& a, const IpAddr& b) { return a.family == b.family && std::memcmp(a.b, b.b, 16) == 0; }

}  // namespace

// What the outer headers of a frame say: addresses, fragment, and for GTP
// over UDP (a whole datagram or its first fragment) the GTP header fields.
struct GtpFrame {
  IpAddr src, dst;
  // an outer IP fragment: its datagram's id; `later` for a fragment other
  // than the first (no UDP or GTP header: only the datagram says whose it is)
  bool fragment = false, later = false;
  uint32_t frag_id = 0;
  bool control = false;   // port 2123 (GTP-C), else 2152 (GTP-U)
  uint8_t version = 0;    // 1 or 2
  bool has_teid = false;  // GTPv2: T flag; GTPv1: always
  uint32_t teid = 0;
  bool has_seq = false;
  uint32_t seq = 0;
  Span gtp;  // the GTP message (the UDP payload)
  bool gtp_truncated = false;
};

namespace {

bool parse_gtp(const CaptureFrame& frame, GtpFrame& g) {
  AnomalyCounters an;  // what the engine already counted: not counted twice
  LinkResult link;
  if (decode_link(frame.linktype, frame.data, link, an) != Status::Ok) return false;
  IpPacket ip;
  if (decode_ip(link.payload, ip, an) != Status::Ok) return false;
  g.src = ip.src;
  g.dst = ip.dst;
  g.fragment = ip.is_fragment;
  g.frag_id = ip.frag_id;
  if (ip.is_fragment && ip.frag_offset != 0) {
    g.later = true;
    return false;
  }
  if (ip.proto != ipproto::kUdp) return false;
  UdpDatagram udp;
  if (decode_udp(ip.payload, ip.truncated || ip.is_fragment, udp, an) != Status::Ok) return false;
  const bool c = udp.sport == kGtpcPort || udp.dport == kGtpcPort;
  const bool u = udp.sport == kGtpuPort || udp.dport == kGtpuPort;
  if (!c && !u) return false;
  g.gtp = udp.payload;
  g.gtp_truncated = udp.truncated;
  ByteReader r(udp.payload);
  uint8_t flags = 0, type = 0;
  uint16_t len = 0;
  if (!r.u8(flags) || !r.u8(type) || !r.be16(len)) return false;
  g.control = c;
  g.version = uint8_t(flags >> 5);
  if (g.version == 1) {
    if (!r.be32(g.teid)) return false;
    g.has_teid = true;
    uint16_t seq = 0;
    if ((flags & 0x07) != 0 && r.be16(seq)) {  // E, S or PN: the optional fields are present
      g.has_seq = (flags & 0x02) != 0;
      g.seq = seq;
    }
    return true;
  }
  if (g.version == 2) {
    g.has_teid = (flags & 0x08) != 0;
    if (g.has_teid && !r.be32(g.teid)) return false;
    uint8_t s0 = 0, s1 = 0, s2 = 0;
    if (!r.u8(s0) || !r.u8(s1) || !r.u8(s2)) return false;
    g.has_seq = true;
    g.seq = uint32_t(s0) << 16 | uint32_t(s1) << 8 | s2;
    return true;
  }
  return false;
}

}  // namespace

bool SubscriberSelection::matches_identity(const Digits& imsi, const Digits& msisdn) const {
  for (const std::string& i : imsis)
    if (!imsi.empty() && i == imsi.d) return true;
  for (const std::string& m : msisdns)
    if (!msisdn.empty() && m == msisdn.d) return true;
  return false;
}

bool SubscriberSelection::matches(const Event& e) const {
  if (!e.has_subscriber) return false;
  const Subscriber& s = e.sub;
  for (const std::string& i : imsis)
    if (!s.imsi.empty() && i == s.imsi.d) return true;
  for (const std::string& m : msisdns)
    if (!s.msisdn.empty() && m == s.msisdn.d) return true;
  for (const IpAddr& a : ue_ips) {
    if (a.family == 4 && s.has_v4 && std::memcmp(a.b + 12, s.v4, 4) == 0) return true;
    if (a.family == 6 && s.has_v6 && std::memcmp(a.b, s.v6, 16) == 0) return true;
    if (e.type != EventType::Session && same_addr(a, e.ue_ip)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------

PcapngWriter::~PcapngWriter() {
  if (f_) std::fclose(f_);
}

void PcapngWriter::put(const void* p, size_t n) {
  if (!f_ || failed_) return;
  if (std::fwrite(p, 1, n, f_) != n) {
    failed_ = true;
    errno_ = errno;
  }
}

bool PcapngWriter::open(const std::string& path, std::string* error) {
  path_ = path;
  f_ = std::fopen(path.c_str(), "wbe");
  if (!f_) {
    *error = "cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  // Section Header Block (little-endian, as this machine writes it)
  put32(0x0A0D0D0A);
  put32(28);
  put32(0x1A2B3C4D);
  put16(1);
  put16(0);
  const int64_t unknown = -1;  // section length not given
  put(&unknown, 8);
  put32(28);
  return true;
}

uint32_t PcapngWriter::interface_for(uint32_t linktype) {
  for (size_t i = 0; i < linktypes_.size(); i++)
    if (linktypes_[i] == linktype) return uint32_t(i);
  // Interface Description Block: this link type, snaplen 0 (none), if_tsresol 9 (ns)
  put32(1);
  put32(32);
  put16(uint16_t(linktype));
  put16(0);
  put32(0);
  put16(9);  // if_tsresol
  put16(1);
  const uint8_t res[4] = {9, 0, 0, 0};
  put(res, 4);
  put32(0);  // opt_endofopt
  put32(32);
  linktypes_.push_back(linktype);
  return uint32_t(linktypes_.size() - 1);
}

void PcapngWriter::write(uint64_t ts_ns, uint32_t linktype, Span data, uint32_t origlen) {
  const uint32_t iface = interface_for(linktype);
  const uint32_t caplen = uint32_t(data.size);
  const uint32_t pad = (4 - caplen % 4) % 4;
  const uint32_t len = 32 + caplen + pad;
  put32(6);  // Enhanced Packet Block
  put32(len);
  put32(iface);
  put32(uint32_t(ts_ns >> 32));
  put32(uint32_t(ts_ns));
  put32(caplen);
  put32(origlen < caplen ? caplen : origlen);
  put(data.data, caplen);
  const uint8_t zeros[4] = {0, 0, 0, 0};
  put(zeros, pad);
  put32(len);
}

bool PcapngWriter::close(std::string* error) {
  if (!f_) return true;
  if (std::fflush(f_) != 0 && !failed_) {
    failed_ = true;
    errno_ = errno;
  }
  if (std::fclose(f_) != 0 && !failed_) {
    failed_ = true;
    errno_ = errno;
  }
  f_ = nullptr;
  if (failed_) {
    *error = "cannot write " + path_ + ": " + std::strerror(errno_);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------

SubscriberWriter::TunnelKey SubscriberWriter::key(const IpAddr& a, uint32_t teid) {
  std::vector<uint8_t> k(17);
  k[0] = a.family;
  std::memcpy(k.data() + 1, a.b, 16);
  return TunnelKey(std::move(k), teid);
}

void SubscriberWriter::emit(uint64_t ts_ns, uint32_t linktype, Span data, uint32_t origlen) {
  out_.write(ts_ns, linktype, data, origlen);
  written_++;
}

bool SubscriberWriter::names_selected(const GtpFrame& g) {
  AnomalyCounters an;  // counted by the engine already
  if (sel_.imsis.empty() && sel_.msisdns.empty()) return false;
  if (g.version == 1) {
    *v1_ = Gtp1cMessage();
    if (decode_gtpv1c(g.gtp, g.gtp_truncated, *v1_, an) != Status::Ok) return false;
    return sel_.matches_identity(v1_->imsi, v1_->msisdn);
  }
  *v2_ = Gtp2cMessage();
  if (decode_gtpv2c(g.gtp, g.gtp_truncated, *v2_, an) != Status::Ok) return false;
  return sel_.matches_identity(v2_->imsi, v2_->msisdn);
}

bool SubscriberWriter::same_datagram(const Fragment& f, const GtpFrame& g) {
  return f.id == g.frag_id && same_addr(f.src, g.src) && same_addr(f.dst, g.dst);
}

void SubscriberWriter::on_frame(const CaptureFrame& frame, const Event* events, size_t n) {
  bool selected = false;
  for (size_t i = 0; i < n && !selected; i++) selected = sel_.matches(events[i]);
  GtpFrame g;
  const bool gtp = parse_gtp(frame, g);
  if (g.later) {  // a later fragment: written when its datagram's first fragment was (or, arriving first, waits for it)
    for (const Fragment& f : datagrams_) {
      if (same_datagram(f, g)) {
        emit(frame.ts_ns, frame.linktype, frame.data, frame.origlen);
        return;
      }
    }
    if (waiting_.size() >= kMaxWaitingFragments) waiting_.pop_front();
    Fragment w;
    w.src = g.src;
    w.dst = g.dst;
    w.id = g.frag_id;
    w.ts_ns = frame.ts_ns;
    w.linktype = frame.linktype;
    w.origlen = frame.origlen;
    w.bytes.assign(frame.data.data, frame.data.data + frame.data.size);
    waiting_.push_back(std::move(w));
    return;
  }
  if (!selected && gtp && g.has_teid && g.teid != 0 && tunnels_.count(key(g.dst, g.teid)) != 0) selected = true;
  if (!selected && gtp && g.control && g.has_seq) {  // the answer to a selected subscriber's request (accepted or not)
    for (auto it = asked_.begin(); it != asked_.end(); ++it) {
      if (it->version == g.version && it->seq == g.seq && same_addr(it->src, g.dst) && same_addr(it->dst, g.src)) {
        asked_.erase(it);
        selected = true;
        break;
      }
    }
  }
  if (!selected && gtp && g.control && g.has_seq && (!g.has_teid || g.teid == 0) && names_selected(g)) {
    // a request naming no tunnel yet that names a selected subscriber (IMSI or
    // MSISDN): written now, and its answer when it comes, even a rejection
    // (which creates no session, so no event names the subscriber)
    bool known = false;
    for (const Asked& a : asked_)
      known = known || (a.version == g.version && a.seq == g.seq && same_addr(a.src, g.src) && same_addr(a.dst, g.dst));
    if (!known) {  // a retransmission waits for the same answer
      if (asked_.size() >= kMaxPendingRequests) asked_.pop_front();
      asked_.push_back(Asked{g.version, g.seq, g.src, g.dst});
    }
    selected = true;
  }
  if (!selected) {
    if (gtp && g.control && g.has_seq && (!g.has_teid || g.teid == 0)) {  // a request naming no tunnel yet
      if (pending_.size() >= kMaxPendingRequests) pending_.pop_front();
      Pending p;
      p.version = g.version;
      p.seq = g.seq;
      p.src = g.src;
      p.dst = g.dst;
      p.ts_ns = frame.ts_ns;
      p.linktype = frame.linktype;
      p.origlen = frame.origlen;
      p.bytes.assign(frame.data.data, frame.data.data + frame.data.size);
      pending_.push_back(std::move(p));
    }
    return;
  }
  if (gtp && g.control && g.has_seq) {  // the request this response answers, if it waits
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->version == g.version && it->seq == g.seq && same_addr(it->src, g.dst) && same_addr(it->dst, g.src)) {
        emit(it->ts_ns, it->linktype, Span(it->bytes.data(), it->bytes.size()), it->origlen);
        pending_.erase(it);
        break;
      }
    }
  }
  emit(frame.ts_ns, frame.linktype, frame.data, frame.origlen);
  if (g.fragment) {  // the first fragment: the datagram's later fragments follow it
    if (datagrams_.size() >= kMaxWaitingFragments) datagrams_.pop_front();
    Fragment d;
    d.src = g.src;
    d.dst = g.dst;
    d.id = g.frag_id;
    datagrams_.push_back(d);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (same_datagram(*it, g)) {
        emit(it->ts_ns, it->linktype, Span(it->bytes.data(), it->bytes.size()), it->origlen);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    const Event& e = events[i];
    if (e.type != EventType::Session || !sel_.matches(e)) continue;
    // the bearer: subscriber, GTP version, bearer id (NSAPI / EBI)
    std::string bearer =
        std::string(e.sub.imsi.d) + "/" + e.sub.msisdn.d + "/" + std::to_string(e.gtp) + "/" + std::to_string(e.bearer);
    auto old = bearers_.find(bearer);
    if (old != bearers_.end()) {
      for (const TunnelKey& k : old->second) {
        auto it = tunnels_.find(k);
        if (it != tunnels_.end() && --it->second == 0) tunnels_.erase(it);
      }
      bearers_.erase(old);
    }
    if (e.change == SessionChange::Delete) continue;
    std::vector<TunnelKey>& mine = bearers_[bearer];
    for (uint8_t t = 0; t < e.n_tunnels; t++) {
      mine.push_back(key(e.tunnels[t].addr, e.tunnels[t].teid));
      tunnels_[mine.back()]++;
    }
  }
}

}  // namespace gnpay

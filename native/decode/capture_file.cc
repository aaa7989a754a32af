// pcap (tcpdump.org / draft-ietf-opsawg-pcap) and pcapng
// (draft-ietf-opsawg-pcapng) readers over an in-memory file. Pure: no I/O.
#include "capture_file.h"

namespace gnpay {

namespace {

constexpr uint32_t kPcapMicros = 0xA1B2C3D4u;
constexpr uint32_t kPcapNanos = 0xA1B23C4Du;
constexpr uint32_t kPcapMicrosSwapped = 0xD4C3B2A1u;
constexpr uint32_t kPcapNanosSwapped = 0x4D3CB2A1u;
constexpr uint32_t kShbType = 0x0A0D0D0Au;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4Du;
constexpr uint32_t kByteOrderMagicSwapped = 0x4D3C2B1Au;
constexpr uint32_t kLinktypeMask = 0x03FFFFFFu;  // libpcap LT_LINKTYPE: FCS bits above

namespace block {
constexpr uint32_t kIdb = 1;
constexpr uint32_t kOpb = 2;  // obsolete Packet Block
constexpr uint32_t kSpb = 3;
constexpr uint32_t kNrb = 4;
constexpr uint32_t kIsb = 5;
constexpr uint32_t kEpb = 6;
constexpr uint32_t kSystemdJournal = 9;
constexpr uint32_t kDsb = 10;
constexpr uint32_t kCustom = 0x00000BADu;
constexpr uint32_t kCustomNoCopy = 0x40000BADu;
}  // namespace block

constexpr uint64_t kNsPerSec = 1000000000ull;

// ticks in units_per_sec -> ns, plus a signed offset in seconds; clamped to [0, 2^64).
uint64_t ticks_to_ns(uint64_t ticks, uint64_t units_per_sec, int64_t offset_sec) {
  const uint64_t sec = ticks / units_per_sec;
  const uint64_t rem = ticks % units_per_sec;
  uint64_t frac;
  if (units_per_sec == kNsPerSec)
    frac = rem;
  else if (rem <= UINT64_MAX / kNsPerSec)
    frac = rem * kNsPerSec / units_per_sec;
  else
    frac = uint64_t(double(rem) * 1e9 / double(units_per_sec));  // resolutions finer than ~1e-10 s
  uint64_t ns = sec > (UINT64_MAX - frac) / kNsPerSec ? UINT64_MAX : sec * kNsPerSec + frac;
  if (offset_sec > 0) {
    const uint64_t add = uint64_t(offset_sec) > UINT64_MAX / kNsPerSec ? UINT64_MAX : uint64_t(offset_sec) * kNsPerSec;
    ns = ns > UINT64_MAX - add ? UINT64_MAX : ns + add;
  } else if (offset_sec < 0) {
    const uint64_t mag = uint64_t(-(offset_sec + 1)) + 1;  // |offset| without overflow
    const uint64_t sub = mag > UINT64_MAX / kNsPerSec ? UINT64_MAX : mag * kNsPerSec;
    ns = ns < sub ? 0 : ns - sub;
  }
  return ns;
}

}  // namespace

uint32_t CaptureFileParser::u32_at(uint64_t off) const {
  ByteReader r(file_);
  uint32_t v = 0;
  if (r.skip(size_t(off))) r.u32(v, big_endian_);
  return v;
}

ReadStatus CaptureFileParser::fail(const char* what, uint64_t at) {
  error_ = what;
  error_offset_ = base_ + at;
  return ReadStatus::Error;
}

namespace {
uint32_t le32_at(Span s, uint64_t off) {
  ByteReader r(s);
  uint32_t v = 0;
  if (r.skip(size_t(off))) r.le32(v);
  return v;
}
uint32_t bswap32(uint32_t v) { return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24); }
}  // namespace

uint64_t CaptureFileParser::stream_header_size(Span head) {
  if (head.size < 12) return 24;
  const uint32_t magic = le32_at(head, 0);
  if (magic != kShbType) return 24;
  const uint32_t bom = le32_at(head, 8);
  uint32_t len = le32_at(head, 4);
  if (bom == kByteOrderMagicSwapped) len = bswap32(len);
  if (len < 12) return 12;
  return len > kMaxStreamRecord ? kMaxStreamRecord : len;
}

void CaptureFileParser::set_window(Span window, bool final) {
  base_ += offset_;
  offset_ = 0;
  file_ = window;
  final_ = final;
}

ReadStatus CaptureFileParser::stream_check(uint64_t at) {
  if (final_) return ReadStatus::Frame;
  const uint64_t room = file_.size - at;
  uint64_t need;
  if (format_ == CaptureFormat::Pcap) {
    if (room < 16) return ReadStatus::More;
    need = 16 + uint64_t(u32_at(at + 8));
  } else {
    if (room < 12) return ReadStatus::More;
    uint32_t len = u32_at(at + 4);
    if (u32_at(at) == kShbType) {  // its own byte order
      const uint32_t bom = le32_at(file_, at + 8);
      len = le32_at(file_, at + 4);
      if (bom == kByteOrderMagicSwapped) len = bswap32(len);
    }
    need = len;
  }
  if (need > kMaxStreamRecord) return fail("record longer than 64 MiB in a streamed capture", at);
  return room < need ? ReadStatus::More : ReadStatus::Frame;
}

uint32_t CaptureFileParser::first_linktype() const {
  if (format_ == CaptureFormat::Pcap) return pcap_linktype_;
  if (format_ == CaptureFormat::Pcapng && n_ifaces_ > 0) return ifaces_[0].linktype;
  return 0;
}

bool CaptureFileParser::open(Span file, bool final) {
  file_ = file;
  base_ = 0;
  final_ = final;
  format_ = CaptureFormat::Unknown;
  big_endian_ = false;
  nanos_ = false;
  pcap_linktype_ = pcap_snaplen_ = 0;
  offset_ = packets_ = 0;
  error_ = "";
  error_offset_ = 0;
  n_ifaces_ = 0;

  ByteReader r(file);
  uint32_t magic = 0;
  if (!r.le32(magic)) {
    fail("file too short for a capture file header", 0);
    return false;
  }
  switch (magic) {
    case kPcapMicros:
    case kPcapNanos:
    case kPcapMicrosSwapped:
    case kPcapNanosSwapped: {
      big_endian_ = magic == kPcapMicrosSwapped || magic == kPcapNanosSwapped;
      nanos_ = magic == kPcapNanos || magic == kPcapNanosSwapped;
      uint16_t major = 0, minor = 0;
      uint32_t zone = 0, sigfigs = 0, network = 0;
      if (!r.u16(major, big_endian_) || !r.u16(minor, big_endian_) || !r.u32(zone, big_endian_) ||
          !r.u32(sigfigs, big_endian_) || !r.u32(pcap_snaplen_, big_endian_) || !r.u32(network, big_endian_)) {
        fail("truncated pcap file header", 0);
        return false;
      }
      pcap_linktype_ = network & kLinktypeMask;
      format_ = CaptureFormat::Pcap;
      offset_ = 24;
      return true;
    }
    case kShbType:
      format_ = CaptureFormat::Pcapng;
      if (!parse_shb(0)) {
        format_ = CaptureFormat::Unknown;
        return false;
      }
      return true;
    default:
      fail("not a pcap or pcapng file (unknown magic)", 0);
      return false;
  }
}

ReadStatus CaptureFileParser::next(CaptureFrame& frame, AnomalyCounters& an) {
  if (error_[0] != 0) return ReadStatus::Error;
  switch (format_) {
    case CaptureFormat::Pcap:
      return next_pcap(frame, an);
    case CaptureFormat::Pcapng:
      return next_pcapng(frame, an);
    default:
      return fail("capture file not open", 0);
  }
}

ReadStatus CaptureFileParser::next_pcap(CaptureFrame& frame, AnomalyCounters& an) {
  const uint64_t at = offset_;
  if (at == file_.size) return final_ ? ReadStatus::End : ReadStatus::More;
  if (!final_) {
    const ReadStatus s = stream_check(at);
    if (s != ReadStatus::Frame) return s;
  }
  ByteReader r(file_);
  r.skip(size_t(at));
  uint32_t sec = 0, frac = 0, caplen = 0, origlen = 0;
  if (!r.u32(sec, big_endian_) || !r.u32(frac, big_endian_) || !r.u32(caplen, big_endian_) ||
      !r.u32(origlen, big_endian_))
    return fail("truncated pcap record header", at);
  Span data;
  if (!r.span(caplen, data)) return fail("pcap record runs past the end of the file", at);
  if (pcap_snaplen_ != 0 && caplen > pcap_snaplen_) an.bump(Anomaly::PcapCaplenTooLarge);
  frame = CaptureFrame();
  frame.ts_ns = uint64_t(sec) * kNsPerSec + (nanos_ ? uint64_t(frac) : uint64_t(frac) * 1000);
  frame.linktype = pcap_linktype_;
  frame.iface = 0;
  frame.caplen = caplen;
  frame.origlen = origlen;
  frame.data = data;
  frame.file_offset = base_ + at;
  offset_ = r.offset();
  packets_++;
  return ReadStatus::Frame;
}

bool CaptureFileParser::block_length(uint64_t at, uint32_t& len) {
  const uint64_t room = file_.size - at;
  if (room < 12) {
    fail("pcapng block header runs past the end of the file", at);
    return false;
  }
  len = u32_at(at + 4);
  if (len < 12) {
    fail("pcapng block length below 12", at);
    return false;
  }
  if (len % 4 != 0) {
    fail("pcapng block length not a multiple of 4", at);
    return false;
  }
  if (len > room) {
    fail("pcapng block runs past the end of the file", at);
    return false;
  }
  if (u32_at(at + len - 4) != len) {
    fail("pcapng block length does not match its trailing copy", at);
    return false;
  }
  return true;
}

bool CaptureFileParser::parse_shb(uint64_t at) {
  if (file_.size - at < 12) {
    fail("pcapng section header block runs past the end of the file", at);
    return false;
  }
  big_endian_ = false;
  const uint32_t bom = u32_at(at + 8);
  if (bom == kByteOrderMagic) {
    big_endian_ = false;
  } else if (bom == kByteOrderMagicSwapped) {
    big_endian_ = true;
  } else {
    fail("pcapng section header block with a bad byte-order magic", at);
    return false;
  }
  uint32_t len = 0;
  if (!block_length(at, len)) return false;
  if (len < 28) {
    fail("pcapng section header block too short", at);
    return false;
  }
  ByteReader r(file_);
  r.skip(size_t(at + 12));
  uint16_t major = 0;
  r.u16(major, big_endian_);
  if (major != 1) {
    fail("unsupported pcapng major version", at);
    return false;
  }
  n_ifaces_ = 0;  // interfaces are per section
  offset_ = at + len;
  return true;
}

bool CaptureFileParser::parse_idb(Span body, uint64_t at) {
  ByteReader r(body);
  uint16_t linktype = 0, reserved = 0;
  uint32_t snaplen = 0;
  if (!r.u16(linktype, big_endian_) || !r.u16(reserved, big_endian_) || !r.u32(snaplen, big_endian_)) {
    fail("pcapng interface description block too short", at);
    return false;
  }
  if (n_ifaces_ >= kMaxPcapngInterfaces) {
    fail("too many pcapng interfaces in one section", at);
    return false;
  }
  Iface f;
  f.linktype = linktype;
  f.snaplen = snaplen;
  while (r.remaining() >= 4) {
    uint16_t code = 0, olen = 0;
    Span v;
    r.u16(code, big_endian_);
    r.u16(olen, big_endian_);
    if (code == 0) break;  // opt_endofopt
    if (!r.span(olen, v)) {
      fail("pcapng interface option runs past its block", at);
      return false;
    }
    const size_t pad = (4 - olen % 4) % 4;
    if (!r.skip(pad)) r.skip(r.remaining());  // tolerate a missing final padding
    if (code == 9 && olen >= 1) {             // if_tsresol
      const uint8_t res = v[0];
      const uint8_t exp = res & 0x7F;
      if (res & 0x80) {
        if (exp > 63) {
          fail("pcapng if_tsresol out of range", at);
          return false;
        }
        f.ts_units_per_sec = uint64_t(1) << exp;
      } else {
        if (exp > 19) {
          fail("pcapng if_tsresol out of range", at);
          return false;
        }
        uint64_t u = 1;
        for (uint8_t i = 0; i < exp; i++) u *= 10;
        f.ts_units_per_sec = u;
      }
    } else if (code == 14 && olen >= 8) {  // if_tsoffset: signed seconds
      ByteReader o(v);
      uint32_t a = 0, b = 0;
      o.u32(a, big_endian_);
      o.u32(b, big_endian_);
      const uint64_t u = big_endian_ ? (uint64_t(a) << 32 | b) : (uint64_t(b) << 32 | a);
      f.ts_offset_sec = int64_t(u);
    }
  }
  ifaces_[n_ifaces_++] = f;
  return true;
}

ReadStatus CaptureFileParser::next_pcapng(CaptureFrame& frame, AnomalyCounters& an) {
  for (;;) {
    const uint64_t at = offset_;
    if (at == file_.size) return final_ ? ReadStatus::End : ReadStatus::More;
    if (!final_) {
      const ReadStatus s = stream_check(at);
      if (s != ReadStatus::Frame) return s;
    }
    if (file_.size - at < 8) return fail("pcapng block header runs past the end of the file", at);
    const uint32_t type = u32_at(at);  // SHB's type reads the same in either byte order
    if (type == kShbType) {
      if (!parse_shb(at)) return ReadStatus::Error;
      continue;
    }
    uint32_t len = 0;
    if (!block_length(at, len)) return ReadStatus::Error;
    Span body;
    file_.sub(size_t(at + 8), len - 12, body);
    offset_ = at + len;
    ByteReader r(body);
    switch (type) {
      case block::kIdb:
        if (!parse_idb(body, at)) return ReadStatus::Error;
        continue;
      case block::kEpb:
      case block::kOpb: {
        uint32_t iface = 0, hi = 0, lo = 0, caplen = 0, origlen = 0;
        bool ok;
        if (type == block::kEpb) {
          ok = r.u32(iface, big_endian_);
        } else {
          uint16_t id16 = 0, drops = 0;
          ok = r.u16(id16, big_endian_) && r.u16(drops, big_endian_);
          iface = id16;
        }
        ok = ok && r.u32(hi, big_endian_) && r.u32(lo, big_endian_) && r.u32(caplen, big_endian_) &&
             r.u32(origlen, big_endian_);
        if (!ok) return fail("pcapng packet block too short", at);
        Span data;
        if (!r.span(caplen, data)) return fail("pcapng packet data runs past its block", at);
        if (iface >= n_ifaces_) {
          an.bump(Anomaly::PcapngBadInterface);
          continue;
        }
        const Iface& f = ifaces_[iface];
        frame = CaptureFrame();
        frame.ts_ns = ticks_to_ns(uint64_t(hi) << 32 | lo, f.ts_units_per_sec, f.ts_offset_sec);
        frame.linktype = f.linktype;
        frame.iface = iface;
        frame.caplen = caplen;
        frame.origlen = origlen;
        frame.data = data;
        frame.file_offset = base_ + at;
        packets_++;
        return ReadStatus::Frame;
      }
      case block::kSpb: {
        uint32_t origlen = 0;
        if (!r.u32(origlen, big_endian_)) return fail("pcapng simple packet block too short", at);
        if (n_ifaces_ == 0) {
          an.bump(Anomaly::PcapngBadInterface);
          continue;
        }
        const Iface& f = ifaces_[0];
        size_t caplen = r.remaining();
        if (origlen < caplen) caplen = origlen;
        if (f.snaplen != 0 && f.snaplen < caplen) caplen = f.snaplen;
        frame = CaptureFrame();
        frame.ts_ns = 0;  // an SPB carries no timestamp
        frame.linktype = f.linktype;
        frame.iface = 0;
        frame.caplen = uint32_t(caplen);
        frame.origlen = origlen;
        r.span(caplen, frame.data);
        frame.file_offset = base_ + at;
        packets_++;
        return ReadStatus::Frame;
      }
      case block::kNrb:
      case block::kIsb:
      case block::kSystemdJournal:
      case block::kDsb:
      case block::kCustom:
      case block::kCustomNoCopy:
        continue;
      default:
        an.bump(Anomaly::PcapngUnknownBlock);
        continue;
    }
  }
}

}  // namespace gnpay

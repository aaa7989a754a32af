// `gnpay decode --write FILE` with --imsi / --msisdn / --ue-ip: the frames of
// the selected subscribers' tunnels, written to a pcapng file as captured
// (original link types, one interface per link type, nanosecond timestamps).
// Runs in the replay thread after the engine decoded each frame, and learns
// from the engine's events: a frame whose events name a selected subscriber
// is written, the tunnels of its session events (GTP-C and GTP-U endpoints:
// address and TEID) are remembered, and every later GTP frame sent to one of
// them is written. A GTP-C request sent to TEID 0 (Create PDP Context, Create
// Session) names no tunnel yet: one whose IMSI or MSISDN is selected is
// written, and so is its response (same version and sequence number, addresses
// swapped), accepted or rejected; the others (the last kMaxPendingRequests)
// wait, and the one a selected subscriber's response answers (a subscriber
// selected by UE address, known from the response) is written just before
// that response.
// An outer IP datagram in fragments: the first fragment (with the UDP and GTP
// headers) decides, the later ones follow it; later fragments arriving before
// the first (the last kMaxWaitingFragments) are written when it comes.
// A bearer's tunnels are forgotten at its delete event (after that frame);
// tunnels several bearers share (a PDN connection's control endpoints) stay
// while one of them lives.
#pragma once
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capture_file.h"
#include "events.h"
#include "gtpv1c.h"
#include "gtpv2c.h"
#include "span.h"

namespace gnpay {

struct SubscriberSelection {
  std::vector<std::string> imsis, msisdns;
  std::vector<IpAddr> ue_ips;
  bool empty() const { return imsis.empty() && msisdns.empty() && ue_ips.empty(); }
  // The event names a selected subscriber (its IMSI, MSISDN or a UE address).
  bool matches(const Event& e) const;
  // The IMSI or MSISDN is a selected one.
  bool matches_identity(const Digits& imsi, const Digits& msisdn) const;
};

class PcapngWriter {
 public:
  ~PcapngWriter();
  bool open(const std::string& path, std::string* error);
  void write(uint64_t ts_ns, uint32_t linktype, Span data, uint32_t origlen);
  // Flushes and closes; false with *error when a write failed.
  bool close(std::string* error);

 private:
  uint32_t interface_for(uint32_t linktype);
  void put(const void* p, size_t n);
  void put32(uint32_t v) { put(&v, 4); }
  void put16(uint16_t v) { put(&v, 2); }

  FILE* f_ = nullptr;
  std::string path_;
  std::vector<uint32_t> linktypes_;  // interface id -> link type
  bool failed_ = false;
  int errno_ = 0;
};

struct GtpFrame;  // subscriber_writer.cc: what a frame's outer headers say

class SubscriberWriter {
 public:
  static constexpr size_t kMaxPendingRequests = 4096;
  static constexpr size_t kMaxWaitingFragments = 1024;

  explicit SubscriberWriter(SubscriberSelection selection)
      : sel_(std::move(selection)), v1_(new Gtp1cMessage()), v2_(new Gtp2cMessage()) {}
  bool open(const std::string& path, std::string* error) { return out_.open(path, error); }
  // After the engine decoded `frame`: `events` are the n events it produced.
  void on_frame(const CaptureFrame& frame, const Event* events, size_t n);
  bool close(std::string* error) { return out_.close(error); }
  uint64_t written() const { return written_; }

 private:
  using TunnelKey = std::pair<std::vector<uint8_t>, uint32_t>;  // address (17 bytes: family + 16), TEID
  static TunnelKey key(const IpAddr& a, uint32_t teid);
  struct Pending {
    uint8_t version = 0;
    uint32_t seq = 0;
    IpAddr src, dst;
    uint64_t ts_ns = 0;
    uint32_t linktype = 0, origlen = 0;
    std::vector<uint8_t> bytes;
  };
  struct Fragment {  // an outer IP datagram (source, destination, id); a waiting fragment's frame
    IpAddr src, dst;
    uint32_t id = 0;
    uint64_t ts_ns = 0;
    uint32_t linktype = 0, origlen = 0;
    std::vector<uint8_t> bytes;
  };
  struct Asked {  // a selected subscriber's request whose answer is still to be written
    uint8_t version = 0;
    uint32_t seq = 0;
    IpAddr src, dst;
  };
  static bool same_datagram(const Fragment& f, const GtpFrame& g);
  bool names_selected(const GtpFrame& g);  // a GTP-C message carrying a selected IMSI or MSISDN
  void emit(uint64_t ts_ns, uint32_t linktype, Span data, uint32_t origlen);

  SubscriberSelection sel_;
  PcapngWriter out_;
  std::map<TunnelKey, uint32_t> tunnels_;                  // tunnel -> live bearers using it
  std::map<std::string, std::vector<TunnelKey>> bearers_;  // subscriber + bearer -> its tunnels
  std::deque<Pending> pending_;
  std::deque<Asked> asked_;
  std::unique_ptr<Gtp1cMessage> v1_;  // decoded requests (reused)
  std::unique_ptr<Gtp2cMessage> v2_;
  std::deque<Fragment> datagrams_;  // fragmented datagrams whose first fragment was written
  std::deque<Fragment> waiting_;    // later fragments whose first fragment has not been seen
  uint64_t written_ = 0;
};

}  // namespace gnpay

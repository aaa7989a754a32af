// Live capture with libpcap on Linux (TPACKET_V3 ring: immediate mode off),
// one thread per interface, all feeding one engine. Threads never wait on
// JavaScript: a batch that finds the queue full is shed and counted.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "batch_queue.h"
#include "replay.h"  // SharedEngine

struct pcap;

namespace gnpay {

struct LiveOptions {
  std::vector<std::string> interfaces;
  size_t buffer_bytes = 256u * 1024 * 1024;  // kernel ring per interface
  int snaplen = 65535;
  std::string filter;  // empty: default_filter(the interface's link type)
  size_t batch_events = 256;
  size_t max_batches = 1024;
  int flush_ms = 50;                      // a batch with events waits at most this long
  uint32_t event_types = kAllEventTypes;  // the types handed to JavaScript (event_type_bit); the others are not written
};

struct LiveIfaceStats {
  std::string name;
  uint64_t packets = 0, bytes = 0;                   // frames handed to the engine
  uint64_t ps_recv = 0, ps_drop = 0, ps_ifdrop = 0;  // pcap_stats (kernel / ring)
  uint64_t shed_batches = 0, shed_events = 0;        // dropped because JS fell behind
  std::string error;
};

class LiveCapture {
 public:
  LiveCapture(std::shared_ptr<SharedEngine> engine, LiveOptions options, std::function<void()> notify);
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  // Opens every interface (all or nothing) and starts the threads. On failure
  // *bad_filter tells a filter libpcap rejects from an interface it cannot open.
  bool start(std::string* error, bool* bad_filter = nullptr);
  void stop();
  BatchQueue& queue() { return queue_; }
  std::vector<LiveIfaceStats> stats() const;

  // GTP-C, GTP-U and outer IP fragments, also under one or two VLAN tags.
  // GTP-C, GTP-U and IP fragments (under VLAN tags and MPLS labels on Ethernet)
  static std::string default_filter(uint32_t linktype);
  static std::string mpls_filter_term(int tags, int labels);
  static const char* libpcap_version();

 private:
  struct Iface;
  void run(Iface* iface);

  std::shared_ptr<SharedEngine> engine_;
  LiveOptions options_;
  std::function<void()> notify_;
  BatchQueue queue_;
  std::vector<std::unique_ptr<Iface>> ifaces_;
  std::atomic<bool> stop_{false};
  mutable std::mutex stats_mu_;
};

}  // namespace gnpay

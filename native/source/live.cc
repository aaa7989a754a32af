#include "live.h"

#include <algorithm>
#include <pcap/pcap.h>
#include <poll.h>

#include <chrono>
#include <cstring>

namespace gnpay {

struct LiveCapture::Iface {
  std::string name;
  uint32_t index = 0;
  pcap_t* handle = nullptr;
  uint32_t linktype = 0;
  std::thread thread;
  LiveIfaceStats stats;  // guarded by stats_mu_
};

LiveCapture::LiveCapture(std::shared_ptr<SharedEngine> engine, LiveOptions options, std::function<void()> notify)
    : engine_(std::move(engine)),
      options_(std::move(options)),
      notify_(std::move(notify)),
      queue_(options_.max_batches) {}

LiveCapture::~LiveCapture() { stop(); }

const char* LiveCapture::libpcap_version() { return pcap_lib_version(); }

std::string LiveCapture::default_filter(uint32_t linktype) {
  const std::string b = "(udp port 2123 or udp port 2152 or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44))";
  // libpcap has `vlan` and `mpls` only for Ethernet-like links (Linux cooked
  // captures, e.g. on "any", have no VLAN tags in the frame)
  if (linktype != DLT_EN10MB) return b;  // NOLINT(performance-no-automatic-move): once per capture start
  // libpcap's `vlan` and `mpls` keywords shift the offsets of everything after
  // them in the expression, so only one of them can be used, last: `vlan`
  // (nested for two tags). MPLS stacks, under zero to two tags, are matched by
  // explicit offsets before it.
  std::string m;
  for (int tags = 0; tags <= 2; tags++)
    for (int labels = 1; labels <= 2; labels++) m += " or " + mpls_filter_term(tags, labels);
  return b + m + " or (vlan and (" + b + " or (vlan and " + b + ")))";
}

// Frames with `tags` VLAN tags, then `labels` MPLS labels, then IPv4 or IPv6
// carrying GTP (UDP 2123/2152, either direction) or an outer fragment.
std::string LiveCapture::mpls_filter_term(int tags, int labels) {
  auto n = [](size_t v) { return std::to_string(v); };
  std::string t = "(";
  for (int j = 0; j < tags; j++) {
    std::string at = "ether[" + n(12 + 4 * size_t(j)) + ":2]";
    // NOLINTNEXTLINE(performance-inefficient-string-concatenation): a filter built once per capture start
    t += "(" + at + " = 0x8100 or " + at + " = 0x88a8 or " + at + " = 0x9100) and ";
  }
  const size_t base = 12 + 4 * size_t(tags);  // the ethertype
  t += "(ether[" + n(base) + ":2] = 0x8847 or ether[" + n(base) + ":2] = 0x8848)";
  for (int i = 0; i < labels; i++)  // bottom-of-stack bit: only on the last label
    t += " and ether[" + n(base + 4 + 4 * size_t(i)) + "] & 1 = " + (i == labels - 1 ? "1" : "0");
  const std::string p = n(base + 2 + 4 * size_t(labels));  // the IP header
  auto ports = [&](const std::string& udp) {
    return "(ether[" + udp + ":2] = 2123 or ether[" + udp + ":2] = 2152 or ether[" + udp + " + 2:2] = 2123 or ether[" +
           udp + " + 2:2] = 2152)";
  };
  const std::string udp4 = p + " + ((ether[" + p + "] & 0xf) << 2)";
  const std::string udp6 = p + " + 40";
  t += " and ((ether[" + p + "] & 0xf0 = 0x40 and (ether[" + p + " + 6:2] & 0x3fff != 0 or (ether[" + p +
       " + 9] = 17 and " + ports(udp4) + "))) or (ether[" + p + "] & 0xf0 = 0x60 and (ether[" + p +
       " + 6] = 44 or (ether[" + p + " + 6] = 17 and " + ports(udp6) + ")))))";
  return t;
}

bool LiveCapture::start(std::string* error, bool* bad_filter) {
  char errbuf[PCAP_ERRBUF_SIZE];
  for (size_t i = 0; i < options_.interfaces.size(); i++) {
    std::unique_ptr<Iface> f(new Iface());
    f->name = options_.interfaces[i];
    f->index = uint32_t(i);
    f->stats.name = f->name;
    errbuf[0] = 0;
    pcap_t* h = pcap_create(f->name.c_str(), errbuf);
    if (!h) {
      *error = "cannot open interface " + f->name + ": " + errbuf;
      stop();
      return false;
    }
    f->handle = h;
    pcap_set_snaplen(h, options_.snaplen);
    pcap_set_promisc(h, 1);
    pcap_set_buffer_size(h, int(options_.buffer_bytes > 0x7fffffff ? 0x7fffffff : options_.buffer_bytes));
    pcap_set_immediate_mode(h, 0);  // TPACKET_V3 is used only with immediate mode off
    pcap_set_timeout(h, options_.flush_ms > 0 ? options_.flush_ms : 50);
    pcap_set_tstamp_precision(h, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(h);
    if (rc < 0) {
      *error = "cannot capture on " + f->name + ": " + pcap_geterr(h);
      if (rc == PCAP_ERROR_PERM_DENIED) *error += " (needs CAP_NET_RAW and CAP_NET_ADMIN; see `gnpay systemd-unit`)";
      ifaces_.push_back(std::move(f));
      stop();
      return false;
    }
    std::string filter = options_.filter.empty() ? default_filter(uint32_t(pcap_datalink(h))) : options_.filter;
    struct bpf_program prog;
    if (pcap_compile(h, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      *error = "bad capture filter: " + std::string(pcap_geterr(h));
      if (bad_filter) *bad_filter = true;
      ifaces_.push_back(std::move(f));
      stop();
      return false;
    }
    rc = pcap_setfilter(h, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
      *error = "cannot set capture filter on " + f->name + ": " + pcap_geterr(h);
      ifaces_.push_back(std::move(f));
      stop();
      return false;
    }
    if (pcap_setnonblock(h, 1, errbuf) != 0) {
      *error = "cannot set non-blocking mode on " + f->name + ": " + errbuf;
      ifaces_.push_back(std::move(f));
      stop();
      return false;
    }
    f->linktype = uint32_t(pcap_datalink(h));
    ifaces_.push_back(std::move(f));
  }
  for (auto& f : ifaces_) {
    Iface* p = f.get();
    p->thread = std::thread([this, p] { run(p); });
  }
  return true;
}

void LiveCapture::stop() {
  stop_.store(true);
  for (auto& f : ifaces_)
    if (f->thread.joinable()) f->thread.join();
  for (auto& f : ifaces_) {
    if (f->handle) {
      pcap_close(f->handle);
      f->handle = nullptr;
    }
  }
  queue_.close();
}

std::vector<LiveIfaceStats> LiveCapture::stats() const {
  std::lock_guard<std::mutex> lk(stats_mu_);
  std::vector<LiveIfaceStats> out;
  for (auto& f : ifaces_) out.push_back(f->stats);
  return out;
}

namespace {
struct DispatchCtx {
  Engine* engine;
  EventSink* sink;
  uint32_t linktype;
  uint32_t source;
  uint64_t packets;
  uint64_t bytes;
  uint64_t last_ts;
};
void on_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* data) {
  DispatchCtx* c = reinterpret_cast<DispatchCtx*>(user);
  CaptureFrame f;
  f.ts_ns = uint64_t(h->ts.tv_sec) * 1000000000ull + uint64_t(h->ts.tv_usec);  // nanosecond precision
  f.linktype = c->linktype;
  f.iface = c->source;
  f.caplen = h->caplen;
  f.origlen = h->len;
  f.data = Span(data, h->caplen);
  c->packets++;
  c->bytes += h->len;
  c->last_ts = f.ts_ns;
  c->engine->process(f, c->packets, c->source, *c->sink);
}
uint64_t now_ns() {
  return uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}
}  // namespace

void LiveCapture::run(Iface* f) {
  EventSink sink;
  sink.events.reserve(options_.batch_events * 2);
  std::unique_ptr<Batch> batch = queue_.fresh_batch();
  auto last_flush = std::chrono::steady_clock::now();
  auto last_stats = last_flush;
  uint64_t packets = 0, bytes = 0, shed_batches = 0, shed_events = 0;
  int fd = pcap_get_selectable_fd(f->handle);
  const int tick_ms = options_.flush_ms > 0 ? options_.flush_ms : 50;

  auto flush = [&](bool force) {
    if (batch->empty() && !force) return;
    batch->packets = packets;
    if (!queue_.try_push(batch)) {
      shed_batches++;
      shed_events += batch->count;
      queue_.pool()->give(std::move(batch->json));  // never lent: straight back
      batch = queue_.fresh_batch();
    } else {
      batch = queue_.fresh_batch();
      if (notify_) notify_();
    }
    last_flush = std::chrono::steady_clock::now();
  };

  while (!stop_.load()) {
    if (fd >= 0) {
      struct pollfd pfd;
      pfd.fd = fd;
      pfd.events = POLLIN;
      pfd.revents = 0;
      poll(&pfd, 1, tick_ms);
    }
    DispatchCtx ctx{nullptr, &sink, f->linktype, f->index, packets, 0, 0};
    int n;
    {
      std::lock_guard<std::mutex> lk(engine_->mu);
      if (!engine_->engine) break;
      ctx.engine = engine_->engine.get();
      // at most one batch's worth of packets per call, so a batch stays near
      // batch_events however much the ring holds (the queue bound is in batches)
      n = pcap_dispatch(f->handle, int(std::min<size_t>(options_.batch_events, 1u << 20)), on_packet,
                        reinterpret_cast<u_char*>(&ctx));
      if (n == 0) ctx.engine->housekeeping(now_ns());
    }
    if (n < 0 && n != PCAP_ERROR_BREAK) {
      std::lock_guard<std::mutex> lk(stats_mu_);
      f->stats.error = pcap_geterr(f->handle);
      break;
    }
    packets = ctx.packets;
    bytes += ctx.bytes;
    batch->take(sink, EventJsonStyle(), options_.event_types);
    auto now = std::chrono::steady_clock::now();
    if (batch->count >= options_.batch_events ||
        (!batch->empty() && now - last_flush >= std::chrono::milliseconds(tick_ms)))
      flush(false);
    if (now - last_stats >= std::chrono::seconds(1)) {
      struct pcap_stat ps;
      std::memset(&ps, 0, sizeof ps);
      bool ok = pcap_stats(f->handle, &ps) == 0;
      std::lock_guard<std::mutex> lk(stats_mu_);
      if (ok) {
        f->stats.ps_recv = ps.ps_recv;
        f->stats.ps_drop = ps.ps_drop;
        f->stats.ps_ifdrop = ps.ps_ifdrop;
      }
      last_stats = now;
    }
    std::lock_guard<std::mutex> lk(stats_mu_);
    f->stats.packets = packets;
    f->stats.bytes = bytes;
    f->stats.shed_batches = shed_batches;
    f->stats.shed_events = shed_events;
  }
  // last events and final counters
  batch->take(sink, EventJsonStyle(), options_.event_types);
  if (!batch->empty()) flush(false);
  struct pcap_stat ps;
  std::memset(&ps, 0, sizeof ps);
  if (f->handle && pcap_stats(f->handle, &ps) == 0) {
    std::lock_guard<std::mutex> lk(stats_mu_);
    f->stats.ps_recv = ps.ps_recv;
    f->stats.ps_drop = ps.ps_drop;
    f->stats.ps_ifdrop = ps.ps_ifdrop;
    f->stats.packets = packets;
    f->stats.bytes = bytes;
    f->stats.shed_batches = shed_batches;
    f->stats.shed_events = shed_events;
  }
}

}  // namespace gnpay

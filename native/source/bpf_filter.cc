#include "bpf_filter.h"

namespace gnpay {

namespace {
constexpr int kSnaplen = 262144;
}

BpfFilter::~BpfFilter() {
  for (Program& p : programs_)
    if (p.ok) pcap_freecode(&p.prog);
}

bool BpfFilter::compile(uint32_t linktype, Program& p) {
  p.linktype = linktype;
  pcap_t* dead = pcap_open_dead(int(linktype), kSnaplen);
  if (!dead) {
    error_ = "libpcap cannot open link type " + std::to_string(linktype);
    return false;
  }
  p.ok = pcap_compile(dead, &p.prog, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
  if (!p.ok)
    error_ = std::string("filter \"") + expression_ + "\" on link type " + std::to_string(linktype) + ": " +
             pcap_geterr(dead);
  pcap_close(dead);
  return p.ok;
}

bool BpfFilter::set(const std::string& expression, std::string* error) {
  for (Program& p : programs_)
    if (p.ok) pcap_freecode(&p.prog);
  programs_.clear();
  expression_ = expression;
  if (expression_.empty()) return true;
  programs_.emplace_back();
  if (!compile(DLT_EN10MB, programs_.back())) {
    if (error) *error = error_;
    return false;
  }
  return true;
}

BpfFilter::Verdict BpfFilter::check(const CaptureFrame& frame) {
  if (expression_.empty()) return Verdict::Pass;
  Program* p = nullptr;
  for (Program& q : programs_)
    if (q.linktype == frame.linktype) p = &q;
  if (!p) {
    programs_.emplace_back();
    p = &programs_.back();
    compile(frame.linktype, *p);
  }
  if (!p->ok) return Verdict::Error;
  pcap_pkthdr h{};
  h.caplen = frame.caplen;
  h.len = frame.origlen ? frame.origlen : frame.caplen;
  return pcap_offline_filter(&p->prog, &h, frame.data.data) ? Verdict::Pass : Verdict::Drop;
}

}  // namespace gnpay

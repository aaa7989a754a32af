#include "status.h"

namespace gnpay {

namespace {
struct Entry {
  const char* name;
  AnomalyKind kind;
};
const Entry kEntries[] = {
#define GNPAY_X(id, name, kind) {name, AnomalyKind::kind},
    GNPAY_ANOMALIES(GNPAY_X)
#undef GNPAY_X
};
static_assert(sizeof(kEntries) / sizeof(kEntries[0]) == kAnomalyCount, "anomaly table size");
}  // namespace

const char* anomaly_name(Anomaly a) {
  size_t i = static_cast<size_t>(a);
  return i < kAnomalyCount ? kEntries[i].name : "unknown";
}
AnomalyKind anomaly_kind(Anomaly a) {
  size_t i = static_cast<size_t>(a);
  return i < kAnomalyCount ? kEntries[i].kind : AnomalyKind::Malformed;
}
const char* anomaly_kind_name(AnomalyKind k) {
  switch (k) {
    case AnomalyKind::Truncated:
      return "truncated";
    case AnomalyKind::Malformed:
      return "malformed";
    case AnomalyKind::Unsupported:
      return "unsupported";
    case AnomalyKind::Evicted:
      return "evicted";
  }
  return "malformed";
}

}  // namespace gnpay

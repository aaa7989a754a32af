// The table of GTP-C requests in flight: slots follow the requests in flight
// at once (not the number seen), the oldest is evicted when every slot is
// taken, a retransmission becomes the newest, the timeout walks from the oldest.
#include <doctest/doctest.h>
#include "transactions.h"

using namespace gnpay;

namespace {
IpAddr mme(uint8_t last) {
  const uint8_t a[4] = {192, 0, 2, last};
  return IpAddr::v4(a);
}
uint64_t key(uint32_t seq) { return TransactionTable::key_of(2, seq, mme(1), 2123); }
}  // namespace

TEST_CASE("transactions: answered one at a time, a million requests take one slot") {
  TransactionTable t(32768, 30'000'000'000ull);
  AnomalyCounters an;
  for (uint32_t i = 0; i < 1000000; i++) {
    PendingRequest& p = t.insert(key(i & 0xFFFFFF), i, an, 2, 2123);
    p.seq = i;
    PendingRequest* q = t.find(key(i & 0xFFFFFF));
    REQUIRE(q == &p);
    CHECK(t.finish(*q, i + 1, an));
    CHECK(q->seq == i);  // readable until the next insert
  }
  CHECK(t.live() == 0);
  CHECK(t.slots() == 1);
  CHECK(an.get(Anomaly::Gtp2cPendingEvicted) == 0);
}

TEST_CASE("transactions: full, the oldest goes; a freed slot is taken first; a retransmission is the newest") {
  TransactionTable t(4, 1000);
  AnomalyCounters an;
  for (uint32_t s = 0; s < 6; s++) t.insert(key(s), 10 + s, an, 2, 2123).seq = s;
  CHECK(an.get(Anomaly::Gtp2cPendingEvicted) == 2);
  CHECK(t.find(key(0)) == nullptr);
  CHECK(t.find(key(1)) == nullptr);
  for (uint32_t s = 2; s < 6; s++) REQUIRE(t.find(key(s)) != nullptr);
  // a response frees 3: the next request takes its slot, nothing is evicted
  CHECK(t.finish(*t.find(key(3)), 20, an));
  t.insert(key(6), 21, an, 2, 2123);
  CHECK(an.get(Anomaly::Gtp2cPendingEvicted) == 2);
  CHECK(t.slots() == 4);
  CHECK(t.live() == 4);
  // 2 is sent again: now the newest, so 4 is the oldest and goes first
  t.insert(key(2), 22, an, 2, 2123);
  CHECK(t.live() == 4);
  t.insert(key(7), 23, an, 2, 2123);
  CHECK(an.get(Anomaly::Gtp2cPendingEvicted) == 3);
  CHECK(t.find(key(4)) == nullptr);
  CHECK(t.find(key(2)) != nullptr);
  // order now 5 (15), 6 (21), 2 (22), 7 (23): at 1021.5 the first two are past the timeout
  t.expire(1021 + 1, an);
  CHECK(an.get(Anomaly::Gtp2cPendingTimeout) == 2);
  CHECK(t.find(key(5)) == nullptr);
  CHECK(t.find(key(6)) == nullptr);
  CHECK(t.find(key(2)) != nullptr);
  CHECK(t.find(key(7)) != nullptr);
  CHECK(t.live() == 2);
  // a response after its timeout: counted, not taken
  CHECK_FALSE(t.finish(*t.find(key(2)), 5000, an));
  CHECK(an.get(Anomaly::Gtp2cPendingTimeout) == 3);
  t.expire(5000, an);
  CHECK(t.live() == 0);
  // the freed slots are taken again before any new one
  for (uint32_t s = 10; s < 14; s++) t.insert(key(s), 6000, an, 2, 2123);
  CHECK(t.slots() == 4);
  CHECK(an.get(Anomaly::Gtp2cPendingEvicted) == 3);
}

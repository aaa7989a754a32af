// The pool of batches' JSON strings (source/batch_queue.h): a string handed
// back is taken again with its capacity and no text; the pool keeps a bounded
// number of strings of bounded size; it knows which texts are lent.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "source/batch_queue.h"

using gnpay::BatchQueue;
using gnpay::JsonPool;

TEST_CASE("json pool: a string handed back is taken again, empty, with its capacity") {
  JsonPool pool;
  std::string s = pool.take();
  CHECK(s.empty());
  s.assign(100000, 'x');
  const void* data = s.data();
  const size_t cap = s.capacity();
  pool.lend(data);
  CHECK(pool.lent(data));
  pool.give(std::move(s));
  CHECK_FALSE(pool.lent(data));
  CHECK(pool.waiting() == 1);
  std::string again = pool.take();
  CHECK(again.empty());
  CHECK(again.capacity() == cap);
  CHECK(static_cast<const void*>(again.data()) == data);
  CHECK(pool.waiting() == 0);
  CHECK(pool.take().capacity() < cap);  // empty pool: a new string
}

TEST_CASE("json pool: bounded in count and in the size of what it keeps") {
  JsonPool pool;
  for (size_t i = 0; i < JsonPool::kMaxStrings + 5; i++) pool.give(std::string(1000, 'a'));
  CHECK(pool.waiting() == JsonPool::kMaxStrings);
  JsonPool big;
  std::string huge(JsonPool::kMaxCapacity + 1, 'b');
  const void* data = huge.data();
  big.lend(data);
  big.give(std::move(huge));
  CHECK(big.waiting() == 0);    // freed, not kept
  CHECK_FALSE(big.lent(data));  // and no longer lent
}

TEST_CASE("json pool: what was never lent is not lent") {
  JsonPool pool;
  std::string s(5000, 'c');
  CHECK_FALSE(pool.lent(s.data()));
  CHECK_FALSE(pool.lent(nullptr));
}

TEST_CASE("batch queue: fresh batches take the pool's strings and the room asked for") {
  BatchQueue q(2);
  std::unique_ptr<gnpay::Batch> b = q.fresh_batch(4096);
  CHECK(b->json.empty());
  CHECK(b->json.capacity() >= 4096);
  b->json.assign(20000, 'd');
  const void* data = b->json.data();
  q.pool()->give(std::move(b->json));
  std::unique_ptr<gnpay::Batch> next = q.fresh_batch(4096);
  CHECK(static_cast<const void*>(next->json.data()) == data);
  CHECK(next->json.capacity() >= 20000);
  CHECK(next->count == 0);
}

TEST_CASE("batch queue: its pool outlives it while a lent text holds the pool") {
  std::shared_ptr<JsonPool> pool;
  std::string text;
  {
    BatchQueue q(1);
    std::unique_ptr<gnpay::Batch> b = q.fresh_batch(1000);
    b->json.assign(3000, 'e');
    text = std::move(b->json);
    pool = q.pool();
    pool->lend(text.data());
  }
  CHECK(pool.use_count() == 1);  // the queue is gone
  CHECK(pool->lent(text.data()));
  pool->give(std::move(text));
  CHECK(pool->waiting() == 1);
}

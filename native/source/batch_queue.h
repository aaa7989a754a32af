// Batches of events travelling from a capture thread to JavaScript.
// Bounded: a file replay waits when JS has not taken earlier batches
// (backpressure); a live capture never waits and counts what it sheds.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "event_json.h"
#include "events.h"

namespace gnpay {

struct Batch {
  // The events as JSONL text (event_json.h), in capture order: what crosses
  // into JavaScript as one Buffer, never copied again on the way.
  std::string json;
  size_t count = 0;  // events in `json`
  bool empty() const { return count == 0; }
  // Moves the sink's events of the types in `types` (a mask of
  // event_type_bit()) into the batch as JSON and clears the sink: the others
  // are never written.
  void take(EventSink& sink, const EventJsonStyle& style = EventJsonStyle(), uint32_t types = kAllEventTypes) {
    take(sink, 0, SIZE_MAX, style, types);
    sink.events.clear();
  }
  // The same for the sink's events from `from` on, until the batch holds
  // `max` events: returns the index of the first event not taken (the sink's
  // size when all were). The sink is left as it is.
  size_t take(const EventSink& sink, size_t from, size_t max, const EventJsonStyle& style, uint32_t types) {
    size_t i = from;
    for (; i < sink.events.size() && count < max; i++) {
      const Event& e = sink.events[i];
      if (!(types & event_type_bit(e.type))) continue;
      append_event_json(e, json, style);
      count++;
    }
    return i;
  }
  uint32_t file_index = 0;  // replay: which file; live: unused
  uint64_t offset = 0;      // replay: bytes of the current file consumed
  uint64_t size = 0;        // replay: size of the current file
  uint64_t packets = 0;     // frames read so far (all files / interfaces)
  bool end = false;         // last batch of the stream
  bool error = false;       // the stream stopped on a corrupt or unreadable capture
  std::string error_message;
  std::string error_file;
  uint64_t error_offset = 0;
  uint64_t error_packet = 0;  // 1-based index of the packet that could not be read
};

// The strings of batches' JSON, handed back once JavaScript is done with
// them (a Buffer's finalizer, or release() after its last use): a new batch
// writes into memory that is already paged in and big enough, instead of
// fresh pages grown by doubling. Bounded: at most kMaxStrings strings of at
// most kMaxCapacity bytes wait; others are freed. Shared by the thread that
// makes batches and the JavaScript thread.
class JsonPool {
 public:
  static constexpr size_t kMaxStrings = 8;
  static constexpr size_t kMaxCapacity = size_t(4) << 20;

  // A string to write a batch's JSON into: empty, with the capacity of one
  // handed back, or a new one.
  std::string take() {
    std::lock_guard<std::mutex> lk(mu_);
    if (free_.empty()) return std::string();
    std::string s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  // The text at `data` is in JavaScript's hands now (the Buffer over it).
  void lend(const void* data) {
    std::lock_guard<std::mutex> lk(mu_);
    lent_.insert(data);
  }
  // Whether `data` is the text of a batch lent and not handed back yet.
  bool lent(const void* data) const {
    std::lock_guard<std::mutex> lk(mu_);
    return lent_.count(data) != 0;
  }
  // A lent string handed back (its Buffer is gone).
  void give(std::string&& s) {
    const void* data = s.data();
    const bool keep = s.capacity() <= kMaxCapacity;
    s.clear();
    std::lock_guard<std::mutex> lk(mu_);
    lent_.erase(data);
    if (keep && free_.size() < kMaxStrings) free_.push_back(std::move(s));
  }
  size_t waiting() const {
    std::lock_guard<std::mutex> lk(mu_);
    return free_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> free_;
  std::unordered_set<const void*> lent_;
};

class BatchQueue {
 public:
  explicit BatchQueue(size_t max_batches) : max_(max_batches ? max_batches : 1) {}

  // A new batch, its JSON written into a string from the pool with room for
  // at least `reserve` bytes.
  std::unique_ptr<Batch> fresh_batch(size_t reserve = 0) const {
    std::unique_ptr<Batch> b(new Batch());
    b->json = pool_->take();
    if (b->json.capacity() < reserve) b->json.reserve(reserve);
    return b;
  }
  // Where the batches' strings go back to; outlives the queue while a
  // Buffer over one of them lives.
  const std::shared_ptr<JsonPool>& pool() const { return pool_; }

  // Blocks while full unless closed. False when closed.
  bool push_wait(std::unique_ptr<Batch> b) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_space_.wait(lk, [&] { return closed_ || q_.size() < max_; });
    if (closed_) return false;
    q_.push_back(std::move(b));
    return true;
  }
  // Never blocks. False (batch dropped) when full or closed.
  bool try_push(std::unique_ptr<Batch>& b) {
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_ || q_.size() >= max_) return false;
    q_.push_back(std::move(b));
    return true;
  }
  // Always succeeds unless closed (for the final batch of a live stream).
  bool force_push(std::unique_ptr<Batch> b) {
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_) return false;
    q_.push_back(std::move(b));
    return true;
  }
  std::unique_ptr<Batch> pop() {
    std::lock_guard<std::mutex> lk(mu_);
    if (q_.empty()) return nullptr;
    std::unique_ptr<Batch> b = std::move(q_.front());
    q_.pop_front();
    cv_space_.notify_one();
    return b;
  }
  void close() {
    std::lock_guard<std::mutex> lk(mu_);
    closed_ = true;
    cv_space_.notify_all();
  }
  size_t size() const {
    std::lock_guard<std::mutex> lk(mu_);
    return q_.size();
  }

 private:
  size_t max_;
  std::shared_ptr<JsonPool> pool_ = std::make_shared<JsonPool>();
  mutable std::mutex mu_;
  std::condition_variable cv_space_;
  std::deque<std::unique_ptr<Batch>> q_;
  bool closed_ = false;
};

}  // namespace gnpay

// Frames of a capture travelling from its reader thread (read(2) or
// decompression, pcap / pcapng records, BPF filter) to the thread that decodes
// them, in chunks, in capture order. A fixed ring of chunks (single producer,
// single consumer): the reader waits when every chunk is full (backpressure),
// the decoder when none is; close() wakes both for good. Each chunk is also
// the window its frames were read into (read(2) or decompression writes them
// there), so no frame is copied, and the reader's next window is another chunk.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capture_file.h"
#include "engine.h"
#include "input_stream.h"
#include "prefetch.h"
#include "status.h"

namespace gnpay {

// A frame as the reader hands it over: the record, its index, and its glance,
// side by side (the decoder's first loads of each come from the reader's core).
struct ChunkFrame {
  CaptureFrame frame;
  uint64_t packet = 0;  // 1-based index in its capture
  TunnelGlance glance;  // glance_gpdu(), taken by the reader
};

struct FrameChunk {
  // Room the chunk's window has for reading (more for a longer record).
  static constexpr size_t kBytes = size_t(256) << 10;
  // How many frames ahead the reader asks for the record slots it will write.
  static constexpr size_t kAheadWrite = 8;

  std::vector<ChunkFrame> frames;         // to decode, in capture order; their data is in the chunk's window
  AnomalyCounters anomalies;              // what reading these frames counted
  uint64_t filtered = 0;                  // frames the filter left out
  uint64_t packets_after = 0;             // records read, this chunk included
  uint64_t offset_after = 0;              // bytes of the file consumed
  ReadStatus status = ReadStatus::Frame;  // Frame: more follow; End; Error (error, error_offset)
  std::string error;
  uint64_t error_offset = 0;
  bool filter_failed = false;  // the filter cannot apply to the frame at filter_error_at
  uint64_t filter_error_at = 0;
  bool stopped = false;  // reading was stopped (Replay::stop)

  // Makes this chunk's window the reader's (`in` reads into it from now on),
  // big enough for the bytes the last window left unparsed and `room` more.
  void take_window(StreamReader& in, size_t room = kBytes) {
    const size_t need = in.unparsed() + room;
    if (need <= capacity_) {
      in.use_window(bytes_.get(), capacity_);
      return;
    }
    // `in` may still read from the old window (this chunk's, with no frames left in it): moved first;
    // some slack, so that the next record left over by the previous window fits as well
    const size_t cap = need + kBytes / 8;
    std::unique_ptr<uint8_t[]> bigger(new uint8_t[cap]);
    in.use_window(bigger.get(), cap);
    bytes_ = std::move(bigger);
    capacity_ = cap;
  }
  // A frame `in` returned from this chunk's window (no copy).
  void add(const CaptureFrame& f, uint64_t packet) {
    // The record slots a few frames on were last read by the decoder, on the
    // other core: asked for now, so that writing them does not wait.
    const size_t ahead = frames.size() + kAheadWrite;
    if (ahead < frames.capacity()) prefetch_range_for_write(frames.data() + ahead, sizeof(ChunkFrame));
    frames.emplace_back();
    ChunkFrame& c = frames.back();
    c.frame = f;
    c.packet = packet;
    c.glance = glance_gpdu(f, glance_anomalies_);  // the frame is still in this core's cache from the read
  }

  void reset() {
    frames.clear();
    stopped = false;
    anomalies.reset();
    filtered = packets_after = offset_after = error_offset = filter_error_at = 0;
    status = ReadStatus::Frame;
    error.clear();
    filter_failed = false;
  }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
  size_t capacity_ = 0;
  AnomalyCounters glance_anomalies_;  // glance_gpdu()'s scratch, never read
};

class FramePipe {
 public:
  FramePipe(size_t chunks, size_t frames_per_chunk)
      : ring_(chunks ? chunks : 1), frames_(frames_per_chunk), resume_at_(ring_.size() / 2) {
    for (FrameChunk& c : ring_)
      c.frames.reserve(frames_ < 1024 ? frames_ : 1024);  // a full window of 900-byte frames: 290
  }
  FramePipe(const FramePipe&) = delete;
  FramePipe& operator=(const FramePipe&) = delete;

  size_t frames_per_chunk() const { return frames_; }

  // Reader: a free chunk to fill (reset); nullptr once closed. A reader that
  // found every chunk full waits until half of them are free again: it is
  // woken once per half ring, not once per chunk (each wake-up of a thread
  // may preempt the decoder on its core).
  FrameChunk* begin_write() {
    std::unique_lock<std::mutex> lk(mu_);
    if (!closed_ && used_ == ring_.size()) {
      writer_waiting_ = true;
      cv_space_.wait(lk, [&] { return closed_ || used_ <= resume_at_; });
      writer_waiting_ = false;
    }
    if (closed_) return nullptr;
    FrameChunk* c = &ring_[(head_ + used_) % ring_.size()];
    lk.unlock();
    c->reset();
    return c;
  }
  // Reader: the chunk from begin_write() is ready for the decoder.
  void end_write() {
    bool wake = false;
    {
      std::lock_guard<std::mutex> lk(mu_);
      used_++;
      wake = decoder_waiting_;
    }
    if (wake) cv_data_.notify_one();
  }
  // Decoder: the oldest filled chunk, waiting while none is; nullptr once closed.
  FrameChunk* begin_read() {
    std::unique_lock<std::mutex> lk(mu_);
    if (!closed_ && used_ == 0) {
      decoder_waiting_ = true;
      cv_data_.wait(lk, [&] { return closed_ || used_ > 0; });
      decoder_waiting_ = false;
    }
    if (closed_) return nullptr;
    return &ring_[head_];
  }
  // Decoder: done with the chunk from begin_read(); the reader may refill it.
  void end_read() {
    bool wake = false;
    {
      std::lock_guard<std::mutex> lk(mu_);
      head_ = (head_ + 1) % ring_.size();
      used_--;
      wake = writer_waiting_ && used_ <= resume_at_;
    }
    if (wake) cv_space_.notify_one();
  }
  void close() {
    std::lock_guard<std::mutex> lk(mu_);
    closed_ = true;
    cv_space_.notify_all();
    cv_data_.notify_all();
  }

 private:
  std::vector<FrameChunk> ring_;
  const size_t frames_;
  const size_t resume_at_;  // a waiting reader goes on once at most this many chunks are full
  std::mutex mu_;
  std::condition_variable cv_space_, cv_data_;
  size_t head_ = 0, used_ = 0;                             // filled chunks: ring_[head_ .. head_ + used_)
  bool writer_waiting_ = false, decoder_waiting_ = false;  // the reader thread waits for space, the decoder for a chunk
  bool closed_ = false;
};

}  // namespace gnpay

// Replays capture files through an engine on a thread of its own, handing
// events out in batches through a bounded queue (it waits when the queue is
// full: backpressure). No N-API here: the addon wraps it.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "batch_queue.h"
#include "bpf_filter.h"
#include "engine.h"
#include "frame_pipe.h"
#include "input_stream.h"
#include "subscriber_writer.h"

namespace gnpay {

// One engine shared by the sources that feed it; its mutex is held around
// process() calls (per chunk of frames) and by JS-thread readers of stats.
struct SharedEngine {
  std::mutex mu;
  std::unique_ptr<Engine> engine;
};

struct ReplayOptions {
  std::vector<std::string> files;
  size_t batch_events = 256;  // flush a batch at this many events
  size_t max_batches = 8;     // queue bound
  // Frames decoded per engine lock, at most. A chunk of the reader thread
  // also ends where its window (FrameChunk::kBytes) does, and where a pipe
  // or a decompressor had no more ready.
  size_t chunk_frames = 1024;
  // Inputs are read (read(2) or decompression, records, filter) on a reader
  // thread of its own, up to pipe_chunks chunks ahead of the decoding
  // thread; false reads them on the decoding thread.
  bool reader_thread = true;
  size_t pipe_chunks = 4;
  bool hex_teids = false;                 // events: TEIDs as "0x…" strings (event_json.h)
  uint32_t event_types = kAllEventTypes;  // the types handed to JavaScript (event_type_bit); the others are not written
};

class Replay {
 public:
  Replay(std::shared_ptr<SharedEngine> engine, ReplayOptions options, std::function<void()> notify);
  ~Replay();
  Replay(const Replay&) = delete;
  Replay& operator=(const Replay&) = delete;

  // A BPF expression frames must match to be decoded (before start()); false
  // with *error when it does not compile.
  bool set_filter(const std::string& expression, std::string* error) { return filter_.set(expression, error); }
  // Writes the frames of the selected subscribers to a pcapng file at `path`
  // (before start()); false with *error when it cannot be created.
  bool set_writer(const std::string& path, SubscriberSelection selection, std::string* error);
  uint64_t written() const { return written_.load(); }
  void start();
  void stop();  // asks the thread to stop, unblocks it, joins it
  BatchQueue& queue() { return queue_; }

  uint32_t file_index() const { return file_index_.load(); }
  uint64_t offset() const { return offset_.load(); }
  uint64_t file_size() const { return size_.load(); }
  uint64_t packets() const { return packets_.load(); }
  uint64_t total_bytes() const { return total_bytes_; }  // sum of the sizes of all files (0 if unknown)
  bool finished() const { return finished_.load(); }

 private:
  void run();
  // The reader thread: fills `pipe` with the frames of `in` until the end,
  // an error, a stop, or the pipe is closed.
  void read_frames(StreamReader& in, FramePipe& pipe);
  bool flush(std::unique_ptr<Batch>& batch, bool end);
  bool close_writer(std::string* error = nullptr);

  std::shared_ptr<SharedEngine> engine_;
  ReplayOptions options_;
  std::function<void()> notify_;
  BatchQueue queue_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<uint32_t> file_index_{0};
  std::atomic<uint64_t> offset_{0}, size_{0}, packets_{0};
  uint64_t total_bytes_ = 0;
  BpfFilter filter_;                          // used by the thread only once started
  std::unique_ptr<SubscriberWriter> writer_;  // likewise
  std::atomic<uint64_t> written_{0};
};

}  // namespace gnpay

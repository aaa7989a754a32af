// ThreadSanitizer check of the replay threads (make -C native tsan): every
// capture given is replayed with its reader thread handing frames over one
// at a time and in chunks, while this thread takes the batches and reads the
// progress and stats as the addon's JS thread does; one replay is stopped
// while its reader is ahead. Exit status 0 when all replays ended cleanly.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "replay.h"

using namespace gnpay;

namespace {

// Replays `files`; returns the events' bytes, or -1 when the stream ended in error.
long drain(const std::vector<std::string>& files, size_t chunk_frames, size_t pipe_chunks, bool stop_early) {
  auto shared = std::make_shared<SharedEngine>();
  EngineOptions eo;
  eo.emit_requests = true;
  shared->engine.reset(new Engine(eo));
  ReplayOptions ro;
  ro.files = files;
  ro.chunk_frames = chunk_frames;
  ro.pipe_chunks = pipe_chunks;
  ro.batch_events = 2;
  ro.max_batches = 1;
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  Replay replay(shared, ro, [&] {
    std::lock_guard<std::mutex> lk(mu);
    ready = true;
    cv.notify_one();
  });
  replay.start();
  long bytes = 0;
  for (int n = 0;; n++) {
    std::unique_ptr<Batch> b = replay.queue().pop();
    if (!b) {
      std::unique_lock<std::mutex> lk(mu);
      cv.wait_for(lk, std::chrono::milliseconds(5), [&] { return ready; });
      ready = false;
      continue;
    }
    bytes += long(b->json.size());
    // as the addon does: the text lent to JavaScript, then handed back (a
    // Buffer's finalizer) while the decoding thread takes strings for new batches
    const std::shared_ptr<JsonPool>& pool = replay.queue().pool();
    pool->lend(b->json.data());
    pool->give(std::move(b->json));
    (void)replay.packets();
    (void)replay.offset();
    {
      std::lock_guard<std::mutex> lk(shared->mu);
      (void)shared->engine->stats().packets;
    }
    if (b->end) return b->error ? -1 : bytes;
    if (stop_early && n == 3) {
      replay.stop();
      return bytes;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files(argv + 1, argv + argc);
  if (files.empty()) {
    std::fprintf(stderr, "usage: replay_threads capture...\n");
    return 2;
  }
  int bad = 0;
  for (const std::string& f : files) {
    const long a = drain({f}, 1, 1, false), b = drain({f}, 64, 4, false);
    if (a != b) {
      std::fprintf(stderr, "%s: %ld bytes of events with chunks of 1 frame, %ld with 64\n", f.c_str(), a, b);
      bad++;
    }
  }
  drain(files, 1, 1, true);
  std::printf("%zu captures replayed, %d differences\n", files.size(), bad);
  return bad ? 1 : 0;
}

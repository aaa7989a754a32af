#include "replay.h"

#include <pthread.h>
#include <sys/stat.h>

#include "capture_file.h"
#include "input_stream.h"

namespace gnpay {

namespace {
// The engine was closed (JavaScript's engine.close()) while its replay still
// decoded: the replay ends with this error instead of decoding into nothing.
const char* const kEngineClosed = "the engine was closed during the replay";
// How many frames ahead of the one decoded its headers are prefetched, and
// how many its tunnel's slot (which needs the headers) is; before both, the
// frame's record in the chunk.
constexpr size_t kAheadRecord = 12;
constexpr size_t kAheadHeaders = 8;
constexpr size_t kAheadTunnel = 4;
// The cache lines of a frame's record in its chunk.
void prefetch_record(const ChunkFrame& f) {
  const char* p = reinterpret_cast<const char*>(&f);
  for (size_t at = 0; at < sizeof(ChunkFrame); at += 64) prefetch_line(p + at);
}
// The least the reader thread reads into a chunk's window at a time.
constexpr uint64_t kMinRead = 16 << 10;
// On the one-thread path: how many frames ahead of the one decoded its
// tunnel's slot is prefetched (Engine::prefetch_plain_gpdu).
constexpr size_t kAheadPlain = 4;
}  // namespace

Replay::Replay(std::shared_ptr<SharedEngine> engine, ReplayOptions options, std::function<void()> notify)
    : engine_(std::move(engine)),
      options_(std::move(options)),
      notify_(std::move(notify)),
      queue_(options_.max_batches) {
  for (const std::string& f : options_.files) {
    struct stat st;
    if (::stat(f.c_str(), &st) == 0) total_bytes_ += uint64_t(st.st_size);
  }
}

Replay::~Replay() { stop(); }

bool Replay::set_writer(const std::string& path, SubscriberSelection selection, std::string* error) {
  std::unique_ptr<SubscriberWriter> w(new SubscriberWriter(std::move(selection)));
  if (!w->open(path, error)) return false;
  writer_ = std::move(w);
  return true;
}

void Replay::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gnpay-decode");  // names the threads in top and perf
    run();
  });
}

void Replay::stop() {
  stop_.store(true);
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

bool Replay::flush(std::unique_ptr<Batch>& batch, bool end) {
  batch->file_index = file_index_.load();
  batch->offset = offset_.load();
  batch->size = size_.load();
  batch->packets = packets_.load();
  batch->end = end;
  bool ok = queue_.push_wait(std::move(batch));
  batch = queue_.fresh_batch(options_.batch_events * 320);
  if (ok && notify_) notify_();
  return ok;
}

void Replay::run() {
  std::unique_ptr<Batch> batch = queue_.fresh_batch(options_.batch_events * 320);
  EventSink sink;
  sink.events.reserve(options_.batch_events * 2);
  EventJsonStyle style;
  style.hex_teids = options_.hex_teids;
  // The sink's events into the batch, and each batch filled on the way out
  // to JavaScript: batches stay within batch_events however many events one
  // chunk of frames made. False when the queue was closed (stopping).
  auto move_events = [&]() -> bool {
    for (size_t at = 0;;) {
      at = batch->take(sink, at, options_.batch_events, style, options_.event_types);
      if (at == sink.events.size()) break;
      if (!flush(batch, false)) {
        sink.events.clear();
        return false;
      }
    }
    sink.events.clear();
    return true;
  };
  uint64_t base_packets = 0;
  for (uint32_t fi = 0; fi < options_.files.size() && !stop_.load(); fi++) {
    const std::string& path = options_.files[fi];
    file_index_.store(fi);
    offset_.store(0);
    style.file = &path;
    auto fail = [&](const std::string& msg, uint64_t at, uint64_t packet) {
      move_events();
      if (!batch->empty()) flush(batch, false);
      batch->error = true;
      batch->error_message = msg;
      batch->error_file = path;
      batch->error_offset = at;
      batch->error_packet = packet;
      close_writer();  // what was written before the damage stays readable
      flush(batch, true);
      finished_.store(true);
    };
    // Every input is a stream read through a window (read(2), or
    // decompression): on a reader thread of its own (the default) or on this
    // one. read(2) of a file costs less than first touches of a mapping, and
    // leaves the bytes in the cache of the core that decodes them next.
    std::string open_error;
    if (!check_input(path, &open_error)) {
      fail(open_error, 0, 0);
      return;
    }
    struct stat st;
    size_.store(path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? uint64_t(st.st_size) : 0);
    std::unique_ptr<ByteStream> in = open_input_stream(path, &stop_, &open_error);
    if (!in) {
      fail(open_error, 0, 0);
      return;
    }
    std::unique_ptr<StreamReader> stream(new StreamReader(std::move(in)));
    if (!stream->open()) {
      if (stop_.load()) break;
      fail(stream->error(), stream->error_offset(), 0);
      return;
    }
    if (options_.reader_thread) {
      // The reader thread reads the records ahead; this thread decodes.
      FramePipe pipe(options_.pipe_chunks, options_.chunk_frames);
      std::thread reader([&] {
        pthread_setname_np(pthread_self(), "gnpay-read");
        read_frames(*stream, pipe);
      });
      struct Join {
        FramePipe& pipe;
        std::thread& t;
        ~Join() {
          pipe.close();
          t.join();
        }
      } join{pipe, reader};
      uint64_t file_packets = 0;
      while (!stop_.load()) {
        FrameChunk* c = pipe.begin_read();
        if (!c) break;  // closed: stopping
        bool engine_closed = false;
        {
          std::lock_guard<std::mutex> lk(engine_->mu);
          engine_closed = !engine_->engine;
          if (!engine_closed) {
            Engine& eng = *engine_->engine;
            eng.anomalies().add(c->anomalies);
            if (c->filtered) eng.count_filtered(c->filtered);
            // Each frame's record (written on the reader's core), then its
            // headers, then its tunnel's slot in the table and its TCP flow's
            // in the request-head index (from the glance the reader took),
            // are prefetched a few frames ahead: on a dense capture each of
            // them misses the cache, now overlapped with decoding.
            const ChunkFrame* f = c->frames.data();
            const size_t n = c->frames.size();
            for (size_t k = 0; k < n && k < kAheadRecord; k++) prefetch_record(f[k]);
            for (size_t k = 0; k < n && k < kAheadHeaders; k++) Engine::prefetch_frame(f[k].frame);
            for (size_t k = 0; k < n && k < kAheadTunnel; k++) eng.prefetch_tunnel(f[k].glance);
            for (size_t k = 0; k < n; k++) {
              if (k + kAheadRecord < n) prefetch_record(f[k + kAheadRecord]);
              if (k + kAheadHeaders < n) Engine::prefetch_frame(f[k + kAheadHeaders].frame);
              if (k + kAheadTunnel < n) eng.prefetch_tunnel(f[k + kAheadTunnel].glance);
              const size_t before = sink.events.size();
              eng.process_glanced(f[k].frame, f[k].glance, f[k].packet, fi, sink);
              if (writer_) writer_->on_frame(f[k].frame, sink.events.data() + before, sink.events.size() - before);
            }
            if (writer_) written_.store(writer_->written());
          }
        }
        if (engine_closed) {
          pipe.end_read();
          fail(kEngineClosed, offset_.load(), file_packets + 1);
          return;
        }
        file_packets = c->packets_after;
        packets_.store(base_packets + file_packets);
        offset_.store(c->offset_after);
        const ReadStatus st = c->status;
        const bool filter_failed = c->filter_failed, stopped = c->stopped;
        const uint64_t filter_error_at = c->filter_error_at;
        const uint64_t error_offset = c->error_offset;
        std::string error;
        if (st == ReadStatus::Error) error.swap(c->error);
        pipe.end_read();
        if (!move_events()) return;
        if (stopped) break;
        if (filter_failed) {
          fail(filter_.error(), filter_error_at, file_packets);
          return;
        }
        if (st == ReadStatus::Error) {
          fail(error, error_offset, file_packets + 1);
          return;
        }
        // a full batch goes out before the next file too, so many small files stay within batch_events
        if (batch->count >= options_.batch_events) {
          if (!flush(batch, false)) return;
        }
        if (st == ReadStatus::End) break;
      }
      base_packets += file_packets;
      continue;
    }
    const CaptureFileParser& parser = stream->parser();
    bool done = false;
    bool engine_closed = false;
    bool filter_failed = false;
    uint64_t filter_error_at = 0;
    while (!done && !stop_.load()) {
      ReadStatus st = ReadStatus::Frame;
      {
        std::lock_guard<std::mutex> lk(engine_->mu);
        if (!engine_->engine) {
          engine_closed = true;
          break;
        }
        Engine& eng = *engine_->engine;
        auto take = [&](const CaptureFrame& frame, uint64_t packet) {
          const size_t before = sink.events.size();
          eng.process(frame, packet, fi, sink);
          if (writer_) writer_->on_frame(frame, sink.events.data() + before, sink.events.size() - before);
        };
        // Frames are decoded kAheadPlain behind the one read, whose tunnel
        // slot is prefetched meanwhile (the table's lookup misses the cache
        // on a dense capture). Every frame read is decoded before the chunk
        // ends: a refill moves the window the frames point into.
        CaptureFrame ahead[kAheadPlain];
        uint64_t ahead_packet[kAheadPlain];
        size_t queued = 0, oldest = 0;
        for (size_t k = 0; k < options_.chunk_frames; k++) {
          CaptureFrame frame;
          st = stream->next(frame, eng.anomalies());
          if (st != ReadStatus::Frame) break;
          if (filter_.active()) {
            BpfFilter::Verdict v = filter_.check(frame);
            if (v == BpfFilter::Verdict::Drop) {
              eng.count_filtered();
              continue;
            }
            if (v == BpfFilter::Verdict::Error) {
              filter_failed = true;
              filter_error_at = frame.file_offset;
              break;
            }
          }
          eng.prefetch_plain_gpdu(frame);
          if (queued == kAheadPlain) {
            take(ahead[oldest], ahead_packet[oldest]);
            oldest = (oldest + 1) % kAheadPlain;
            queued--;
          }
          const size_t at = (oldest + queued++) % kAheadPlain;
          ahead[at] = frame;
          ahead_packet[at] = parser.packets();
        }
        for (; queued > 0; queued--) {
          take(ahead[oldest], ahead_packet[oldest]);
          oldest = (oldest + 1) % kAheadPlain;
        }
        if (writer_) written_.store(writer_->written());
      }
      packets_.store(base_packets + parser.packets());
      // progress: bytes of the file taken so far (compressed bytes for gzip and zstd)
      offset_.store(stream->raw_offset());
      if (!move_events()) return;
      if (filter_failed) {
        fail(filter_.error(), filter_error_at, parser.packets());
        return;
      }
      if (st == ReadStatus::Error) {
        fail(std::string(parser.error()), parser.error_offset(), parser.packets() + 1);
        return;
      }
      if (st == ReadStatus::More && !stream->refill()) {  // outside the engine lock: it may block on a pipe
        if (stop_.load()) break;
        fail(stream->error(), parser.offset(), parser.packets() + 1);
        return;
      }
      if (st == ReadStatus::End) done = true;
      if (batch->count >= options_.batch_events) {
        if (!flush(batch, false)) return;
      }
    }
    if (engine_closed) {
      fail(kEngineClosed, offset_.load(), parser.packets() + 1);
      return;
    }
    base_packets += parser.packets();
  }
  if (stop_.load()) {
    close_writer();
    finished_.store(true);
    return;
  }
  std::string write_error;
  if (!close_writer(&write_error)) {
    batch->error = true;
    batch->error_message = write_error;
    batch->error_file = options_.files.empty() ? "" : options_.files.back();
  }
  flush(batch, true);
  finished_.store(true);
}

void Replay::read_frames(StreamReader& in, FramePipe& pipe) {
  const size_t n = pipe.frames_per_chunk();
  for (;;) {
    FrameChunk* c = pipe.begin_write();
    if (!c) return;
    // the chunk is the window from here on: what the last one left unparsed (a record it cut) first
    c->take_window(in);
    ReadStatus st = ReadStatus::Frame;
    while (c->frames.size() < n) {
      CaptureFrame frame;
      st = in.next(frame, c->anomalies);
      if (st == ReadStatus::More) {
        if (in.window_full()) {
          if (!c->frames.empty()) {
            st = ReadStatus::Frame;  // the next chunk's window goes on from the record cut here
            break;
          }
          c->take_window(in, in.unparsed());  // one record longer than the window: a window twice its size
          continue;
        }
        // the last read took what a pipe or decompressor had ready: the frames read so far go
        // to the decoder now, not after the next read has waited for more
        if (in.read_short() && !c->frames.empty()) {
          st = ReadStatus::Frame;
          break;
        }
        // about what the rest of the chunk's frames need (at the capture's mean record size,
        // and a quarter more): when the chunk ends on its frame count, little is left to move
        const uint64_t done = in.parser().offset(), records = in.packets();
        const uint64_t mean = records ? done / records + 1 : 1024;
        const uint64_t want = (n - c->frames.size()) * mean * 5 / 4;
        if (in.refill(size_t(want < kMinRead ? kMinRead : want))) continue;
        if (stop_.load()) {
          c->stopped = true;
        } else {
          st = ReadStatus::Error;
          c->error = in.error();
          c->error_offset = in.parser().offset();
        }
        break;
      }
      if (st == ReadStatus::Error) {
        c->error = std::string(in.parser().error());
        c->error_offset = in.parser().error_offset();
      }
      if (st != ReadStatus::Frame) break;
      if (filter_.active()) {
        const BpfFilter::Verdict v = filter_.check(frame);
        if (v == BpfFilter::Verdict::Drop) {
          c->filtered++;
          continue;
        }
        if (v == BpfFilter::Verdict::Error) {
          c->filter_failed = true;
          c->filter_error_at = frame.file_offset;
          break;
        }
      }
      c->add(frame, in.packets());
    }
    c->status = c->stopped ? ReadStatus::End : st;
    c->packets_after = in.packets();
    c->offset_after = in.raw_offset();
    const bool last = c->stopped || c->filter_failed || (st != ReadStatus::Frame);
    pipe.end_write();
    if (last) return;
  }
}

bool Replay::close_writer(std::string* error) {
  if (!writer_) return true;
  std::string e;
  const bool ok = writer_->close(&e);
  written_.store(writer_->written());
  if (!ok && error) *error = e;
  return ok;
}

}  // namespace gnpay

// The N-API boundary (node-addon-api). The only file that includes napi.h.
// TypeScript (src/native/) validates every input before it reaches here; this
// layer still checks types and throws TypeError rather than crash.
// Per-instance state only (no globals); explicit close(); worker threads never
// touch JS: they hand batches to the JS thread through a ThreadSafeFunction.
#include <arpa/inet.h>
#include <napi.h>

#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "convert.h"
#include "event_json.h"
#include "engine.h"
#include "limits.def"
#include "live.h"
#include "replay.h"
#include "sd_notify.h"

namespace gnpay {
namespace {

// ---------------------------------------------------------------------------
// Errors carry a stable `code` (src/native/errors.ts lists them), so that the
// TypeScript side never reads message text.

Napi::Error Coded(Napi::Error e, const char* code) {
  e.Set("code", code);
  return e;
}
Napi::Error TypeErr(Napi::Env env, const std::string& msg) {
  return Coded(Napi::TypeError::New(env, msg), "ERR_GNPAY_INVALID_ARG");
}
Napi::Error RangeErr(Napi::Env env, const std::string& msg) {
  return Coded(Napi::RangeError::New(env, msg), "ERR_GNPAY_OUT_OF_RANGE");
}
Napi::Error Err(Napi::Env env, const char* code, const std::string& msg) {
  return Coded(Napi::Error::New(env, msg), code);
}

// Type tags of the wrapped objects: a method called on, or an argument that
// is, another kind of object throws a TypeError instead of being used as one.
const napi_type_tag kEngineTag = {0x8f1c2a7d4b6e3901ULL, 0xa35e9c0b71d4f268ULL};
const napi_type_tag kReplayTag = {0x2b7e4c19d0a35f86ULL, 0x5c8d1e3fa2b70e94ULL};
const napi_type_tag kLiveTag = {0xd4a1f6093e8c2b57ULL, 0x71e03b9c5fa4d2e8ULL};

bool Tagged(const Napi::Value& v, const napi_type_tag& tag) {
  return v.IsObject() && v.As<Napi::Object>().CheckTypeTag(&tag);
}
void RequireThis(const Napi::CallbackInfo& info, const napi_type_tag& tag, const char* cls) {
  if (!Tagged(info.This(), tag))
    throw TypeErr(info.Env(), std::string(cls) + " method called on an object that is not a " + cls);
}

// ---------------------------------------------------------------------------
// Options

size_t GetSize(const Napi::Object& o, const char* key, size_t def) {
  if (!o.Has(key)) return def;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber()) throw TypeErr(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0) throw RangeErr(o.Env(), std::string(key) + " out of range");
  return size_t(d);
}

// `types`: the event types a stream hands to JavaScript, as names
// (docs/events.md: "session", "sighting", "request", "hello"); absent: all.
uint32_t GetEventTypes(const Napi::Object& o) {
  if (!o.Has("types")) return kAllEventTypes;
  Napi::Value v = o.Get("types");
  if (v.IsUndefined() || v.IsNull()) return kAllEventTypes;
  if (!v.IsArray()) throw TypeErr(o.Env(), "types must be an array of event type names");
  static const std::pair<const char*, EventType> kNames[] = {{"session", EventType::Session},
                                                             {"sighting", EventType::Sighting},
                                                             {"request", EventType::Request},
                                                             {"hello", EventType::Hello}};
  uint32_t mask = 0;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value t = a.Get(i);
    std::string name = t.IsString() ? t.As<Napi::String>().Utf8Value() : std::string();
    bool known = false;
    for (const auto& n : kNames) {
      if (name == n.first) {
        mask |= event_type_bit(n.second);
        known = true;
      }
    }
    if (!known)
      throw RangeErr(
          o.Env(), "types: unknown event type " + (t.IsString() ? "\"" + name + "\"" : std::string("(not a string)")));
  }
  return mask;
}

void ParseCarriers(Napi::Env env, const Napi::Value& v, CarrierSet& out) {
  out.clear();
  if (v.IsUndefined() || v.IsNull()) return;
  if (!v.IsArray()) throw TypeErr(env, "carriers must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) throw TypeErr(env, "carriers must be an array of strings");
    std::string spec = s.As<Napi::String>().Utf8Value();
    if (!out.add_spec(spec.data(), spec.size())) throw TypeErr(env, "invalid carrier \"" + spec + "\"");
  }
}

void ParsePayHosts(Napi::Env env, const Napi::Value& v, PayHostSet& out) {
  out.clear();
  if (v.IsUndefined() || v.IsNull()) return;
  if (!v.IsArray()) throw TypeErr(env, "payHosts must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) throw TypeErr(env, "payHosts must be an array of strings");
    std::string name = s.As<Napi::String>().Utf8Value();
    if (!out.add(name.data(), name.size())) throw TypeErr(env, "invalid pay host \"" + name + "\"");
  }
}

// limits.def: what an option's unit means for the member it sets
constexpr uint64_t kLimitScale_count = 1, kLimitScale_bytes = 1, kLimitScale_s = 1000000000ull;

// engineLimits(): the table of limits a user may set, with the engine's defaults.
Napi::Value EngineLimitsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const EngineLimits d;
  Napi::Array a = Napi::Array::New(env);
  uint32_t i = 0;
#define GNPAY_LIMIT_ROW(name, member, unit, doc)                                     \
  {                                                                                  \
    Napi::Object r = Napi::Object::New(env);                                         \
    r.Set("name", #name);                                                            \
    r.Set("default", Napi::Number::New(env, double(d.member / kLimitScale_##unit))); \
    r.Set("unit", #unit);                                                            \
    r.Set("description", doc);                                                       \
    a.Set(i++, r);                                                                   \
  }
  GNPAY_ENGINE_LIMITS(GNPAY_LIMIT_ROW)
#undef GNPAY_LIMIT_ROW
  return a;
}

EngineOptions ParseEngineOptions(Napi::Env env, const Napi::Object& o) {
  EngineOptions opt;
  ParseCarriers(env, o.Get("carriers"), opt.carriers);
  ParsePayHosts(env, o.Get("payHosts"), opt.pay_hosts);
  opt.emit_requests = o.Has("requests") && o.Get("requests").ToBoolean().Value();
  if (o.Has("limits") && o.Get("limits").IsObject()) {
    Napi::Object l = o.Get("limits").As<Napi::Object>();
    EngineLimits& L = opt.limits;
#define GNPAY_PARSE_LIMIT(name, member, unit, doc) \
  L.member = decltype(L.member)(GetSize(l, #name, size_t(L.member / kLimitScale_##unit)) * kLimitScale_##unit);
    GNPAY_ENGINE_LIMITS(GNPAY_PARSE_LIMIT)
#undef GNPAY_PARSE_LIMIT
    if (L.max_sessions == 0 || L.max_pending == 0 || L.heads.max_flows == 0)
      throw RangeErr(env, "limits must be positive");
  }
  return opt;
}

std::vector<std::string> GetStrings(Napi::Env env, const Napi::Object& o, const char* key) {
  std::vector<std::string> out;
  if (!o.Has(key) || o.Get(key).IsUndefined()) return out;
  if (!o.Get(key).IsArray()) throw TypeErr(env, std::string(key) + " must be an array of strings");
  Napi::Array a = o.Get(key).As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    if (!a.Get(i).IsString()) throw TypeErr(env, std::string(key) + " must be an array of strings");
    out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  return out;
}

// {imsi: [digits], msisdn: [digits], ueIp: [IPv4 or IPv6 text]}
SubscriberSelection ParseSelection(Napi::Env env, const Napi::Value& v) {
  SubscriberSelection sel;
  if (!v.IsObject()) return sel;
  Napi::Object o = v.As<Napi::Object>();
  sel.imsis = GetStrings(env, o, "imsi");
  sel.msisdns = GetStrings(env, o, "msisdn");
  for (const std::string& a : GetStrings(env, o, "ueIp")) {
    uint8_t b[16];
    if (inet_pton(AF_INET, a.c_str(), b) == 1)
      sel.ue_ips.push_back(IpAddr::v4(b));
    else if (inet_pton(AF_INET6, a.c_str(), b) == 1)
      sel.ue_ips.push_back(IpAddr::v6(b));
    else
      throw TypeErr(env, "not an IP address: " + a);
  }
  return sel;
}

// ---------------------------------------------------------------------------
// Engine

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Engine",
                       {
                           InstanceMethod("stats", &EngineWrap::Stats),
                           InstanceMethod("tables", &EngineWrap::Tables),
                           InstanceMethod("setCarriers", &EngineWrap::SetCarriers),
                           InstanceMethod("exportSessions", &EngineWrap::ExportSessions),
                           InstanceMethod("importSessions", &EngineWrap::ImportSessions),
                           InstanceMethod("processFrame", &EngineWrap::ProcessFrame),
                           InstanceMethod("close", &EngineWrap::Close),
                       });
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw TypeErr(env, "Engine(options) needs an object");
    info.This().As<Napi::Object>().TypeTag(&kEngineTag);
    EngineOptions opt = ParseEngineOptions(env, info[0].As<Napi::Object>());
    shared_ = std::make_shared<SharedEngine>();
    shared_->engine.reset(new Engine(opt));
  }

  std::shared_ptr<SharedEngine> shared() const { return shared_; }
  bool closed() const { return !shared_ || !shared_->engine; }

 private:
  Engine& Checked(Napi::Env env) {
    if (closed()) throw Err(env, "ERR_GNPAY_ENGINE_CLOSED", "engine is closed");
    return *shared_->engine;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    RequireThis(info, kEngineTag, "Engine");
    Engine& e = Checked(info.Env());
    std::lock_guard<std::mutex> lk(shared_->mu);
    return StatsToJs(info.Env(), e.stats());
  }

  Napi::Value Tables(const Napi::CallbackInfo& info) {
    RequireThis(info, kEngineTag, "Engine");
    Engine& e = Checked(info.Env());
    std::lock_guard<std::mutex> lk(shared_->mu);
    return TablesToJs(info.Env(), e.tables());
  }

  Napi::Value SetCarriers(const Napi::CallbackInfo& info) {
    RequireThis(info, kEngineTag, "Engine");
    Engine& e = Checked(info.Env());
    CarrierSet c;
    ParseCarriers(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), c);
    std::lock_guard<std::mutex> lk(shared_->mu);
    e.set_carriers(c);
    return info.Env().Undefined();
  }

  Napi::Value ExportSessions(const Napi::CallbackInfo& info) {
    RequireThis(info, kEngineTag, "Engine");
    Engine& e = Checked(info.Env());
    std::vector<uint8_t> out;
    {
      std::lock_guard<std::mutex> lk(shared_->mu);
      e.export_sessions(out);
    }
    return Napi::Buffer<uint8_t>::Copy(info.Env(), out.data(), out.size());
  }

  Napi::Value ImportSessions(const Napi::CallbackInfo& info) {
    RequireThis(info, kEngineTag, "Engine");
    Napi::Env env = info.Env();
    Engine& e = Checked(env);
    if (info.Length() < 3 || !info[0].IsBuffer() || !info[1].IsNumber() || !info[2].IsNumber())
      throw TypeErr(env, "importSessions(buffer, nowMs, maxAgeMs)");
    Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
    uint64_t now_ns = uint64_t(info[1].As<Napi::Number>().DoubleValue()) * 1000000ull;
    uint64_t max_age_ns = uint64_t(info[2].As<Napi::Number>().DoubleValue()) * 1000000ull;
    const char* err = nullptr;
    size_t n;
    {
      std::lock_guard<std::mutex> lk(shared_->mu);
      n = e.import_sessions(Span(b.Data(), b.Length()), now_ns, max_age_ns, &err);
    }
    if (err) throw Err(env, "ERR_GNPAY_CHECKPOINT", std::string("checkpoint: ") + err);
    return Napi::Number::New(env, double(n));
  }

  // For tests: decode one frame given as a Buffer; returns its events.
  Napi::Value ProcessFrame(const Napi::CallbackInfo& info) {
    RequireThis(info, kEngineTag, "Engine");
    Napi::Env env = info.Env();
    Engine& e = Checked(env);
    if (info.Length() < 3 || !info[0].IsBuffer() || !info[1].IsNumber() || !info[2].IsNumber())
      throw TypeErr(env, "processFrame(frame, linktype, tsNs[, packet])");
    Napi::Buffer<uint8_t> b = info[0].As<Napi::Buffer<uint8_t>>();
    CaptureFrame f;
    f.data = Span(b.Data(), b.Length());
    f.caplen = f.origlen = uint32_t(b.Length());
    f.linktype = info[1].As<Napi::Number>().Uint32Value();
    f.ts_ns = uint64_t(info[2].As<Napi::Number>().DoubleValue());
    uint64_t packet = info.Length() > 3 && info[3].IsNumber() ? uint64_t(info[3].As<Napi::Number>().DoubleValue()) : 1;
    EventSink sink;
    {
      std::lock_guard<std::mutex> lk(shared_->mu);
      e.process(f, packet, 0, sink);
    }
    std::string json;
    for (const Event& ev : sink.events) append_event_json(ev, json);
    return Napi::String::New(env, json);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    RequireThis(info, kEngineTag, "Engine");
    if (shared_) {
      std::lock_guard<std::mutex> lk(shared_->mu);
      shared_->engine.reset();
    }
    return info.Env().Undefined();
  }

  std::shared_ptr<SharedEngine> shared_;
};

// ---------------------------------------------------------------------------
// A stream of batches from a native thread (file replay or live capture),
// pulled by JS with next(): a Promise of {events, ...} or null at the end.

class StreamBase {
 public:
  virtual ~StreamBase() { link_->self = nullptr; }

 protected:
  void InitTsfn(Napi::Env env, const char* name) {
    tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), name, 0, 1);
    tsfn_active_ = true;
  }
  // Called from the native thread when a batch was queued.
  void NotifyFromThread() {
    std::lock_guard<std::mutex> lk(tsfn_mu_);
    if (!tsfn_active_) return;
    // A call still queued when the wrapper is collected runs after it is
    // gone (releasing the function does not drop queued calls): it reaches
    // the wrapper through the link, which the destructor cuts.
    std::shared_ptr<Link> link = link_;
    tsfn_.NonBlockingCall([link](Napi::Env env, Napi::Function) {
      if (link->self) link->self->Deliver(env);
    });
  }
  void ReleaseTsfn() {
    std::lock_guard<std::mutex> lk(tsfn_mu_);
    if (tsfn_active_) {
      tsfn_.Release();
      tsfn_active_ = false;
    }
  }

  virtual BatchQueue* Queue() = 0;
  virtual Napi::Value BatchToJs(Napi::Env env, Batch& b) = 0;

  Napi::Value Next(Napi::Env env) {
    if (pending_) throw Err(env, "ERR_GNPAY_STREAM_BUSY", "next() called again before the previous promise settled");
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    if (ended_) {
      d.Resolve(env.Null());
      return d.Promise();
    }
    std::unique_ptr<Batch> b = Queue() ? Queue()->pop() : nullptr;
    if (b) {
      Settle(env, d, *b);
      return d.Promise();
    }
    pending_.reset(new Napi::Promise::Deferred(d));
    return d.Promise();
  }

  void Deliver(Napi::Env env) {
    if (!pending_ || !Queue()) return;
    std::unique_ptr<Batch> b = Queue()->pop();
    if (!b) return;
    std::unique_ptr<Napi::Promise::Deferred> d(pending_.release());
    Settle(env, *d, *b);
  }

  void Settle(Napi::Env env, Napi::Promise::Deferred& d, Batch& b) {
    Napi::HandleScope scope(env);
    if (b.end) {
      ended_ = true;
      ReleaseTsfn();
    }
    d.Resolve(BatchToJs(env, b));
  }

  // release(json): the caller is done with a batch's json Buffer. It is
  // detached (empty from now on, in every view of it) and its memory goes back
  // to the stream's pool for the next batches. True when it was released;
  // false when it already was (or is empty); a TypeError for a Buffer no batch of this
  // stream lent.
  Napi::Value Release(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) throw TypeErr(env, "release() takes a batch's json Buffer");
    Napi::ArrayBuffer ab = info[0].As<Napi::Buffer<char>>().ArrayBuffer();
    if (ab.IsDetached() || ab.ByteLength() == 0) return Napi::Boolean::New(env, false);
    if (!Queue() || !Queue()->pool()->lent(ab.Data()))
      throw TypeErr(env, "release() takes a json Buffer of this stream's batches");
    ab.Detach();
    return Napi::Boolean::New(env, true);
  }

  // Resolve a waiting next() with null (stream closed).
  void EndPending(Napi::Env env) {
    ended_ = true;
    if (pending_) {
      std::unique_ptr<Napi::Promise::Deferred> d(pending_.release());
      d->Resolve(env.Null());
    }
  }

  struct Link {
    StreamBase* self;
  };
  // Set once, before any thread starts; self is read and cleared on the JS thread only.
  const std::shared_ptr<Link> link_ = std::make_shared<Link>(Link{this});
  Napi::ThreadSafeFunction tsfn_;
  std::mutex tsfn_mu_;
  bool tsfn_active_ = false;
  bool ended_ = false;
  std::unique_ptr<Napi::Promise::Deferred> pending_;
};

// A batch's JSONL text while a Buffer is over it: handed back to its pool
// when the Buffer is collected or released.
struct LentJson {
  std::string text;
  std::shared_ptr<JsonPool> pool;
};

Napi::Value BatchCommon(Napi::Env env, Batch& b, const std::shared_ptr<JsonPool>& pool) {
  Napi::Object o = Napi::Object::New(env);
  // the JSONL text is handed over, not copied: the Buffer owns the string
  LentJson* lent = new LentJson{std::move(b.json), pool};
  char* data = &lent->text[0];
  Napi::Buffer<char> json;
  try {
    json = Napi::Buffer<char>::New(
        env, data, lent->text.size(),
        [](Napi::Env, char*, LentJson* l) {
          l->pool->give(std::move(l->text));
          delete l;
        },
        lent);
  } catch (...) {
    delete lent;  // no Buffer, so no finalizer
    throw;
  }
  pool->lend(data);
  o.Set("json", json);
  o.Set("count", Napi::Number::New(env, double(b.count)));
  o.Set("fileIndex", Napi::Number::New(env, b.file_index));
  o.Set("offset", Napi::Number::New(env, double(b.offset)));
  o.Set("size", Napi::Number::New(env, double(b.size)));
  o.Set("packets", Napi::Number::New(env, double(b.packets)));
  o.Set("end", Napi::Boolean::New(env, b.end));
  if (b.error) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("message", Napi::String::New(env, b.error_message));
    e.Set("file", Napi::String::New(env, b.error_file));
    e.Set("offset", Napi::Number::New(env, double(b.error_offset)));
    e.Set("packet", Napi::Number::New(env, double(b.error_packet)));
    o.Set("error", e);
  } else {
    o.Set("error", env.Null());
  }
  return o;
}

class ReplayWrap : public Napi::ObjectWrap<ReplayWrap>, public StreamBase {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Replay",
                       {
                           InstanceMethod("next", &ReplayWrap::NextJs),
                           InstanceMethod("release", &ReplayWrap::ReleaseJs),
                           InstanceMethod("progress", &ReplayWrap::Progress),
                           InstanceMethod("close", &ReplayWrap::Close),
                       });
  }

  // new Replay(engine, files[], {batchEvents, maxBatches, filter, hexTeids, write, select,
  //                             readerThread, chunkFrames, pipeChunks})
  explicit ReplayWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ReplayWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsArray())
      throw TypeErr(env, "Replay(engine, files[, options])");
    if (!Tagged(info[0], kEngineTag)) throw TypeErr(env, "the first argument must be an Engine");
    EngineWrap* ew = Napi::ObjectWrap<EngineWrap>::Unwrap(info[0].As<Napi::Object>());
    if (!ew || ew->closed()) throw Err(env, "ERR_GNPAY_ENGINE_CLOSED", "engine is closed");
    engine_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    ReplayOptions opt;
    std::string filter, write;
    SubscriberSelection selection;
    Napi::Array files = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < files.Length(); i++) {
      Napi::Value f = files.Get(i);
      if (!f.IsString()) throw TypeErr(env, "files must be strings");
      opt.files.push_back(f.As<Napi::String>().Utf8Value());
    }
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Object o = info[2].As<Napi::Object>();
      opt.batch_events = GetSize(o, "batchEvents", opt.batch_events);
      opt.max_batches = GetSize(o, "maxBatches", opt.max_batches);
      // how the reader thread hands frames over (tests compare them with readerThread: false)
      opt.chunk_frames = GetSize(o, "chunkFrames", opt.chunk_frames);
      opt.pipe_chunks = GetSize(o, "pipeChunks", opt.pipe_chunks);
      if (o.Has("readerThread")) opt.reader_thread = o.Get("readerThread").ToBoolean().Value();
      if (opt.batch_events == 0 || opt.max_batches == 0 || opt.chunk_frames == 0 || opt.pipe_chunks == 0)
        throw RangeErr(env, "batch sizes must be positive");
      opt.hex_teids = o.Has("hexTeids") && o.Get("hexTeids").ToBoolean().Value();
      opt.event_types = GetEventTypes(o);
      if (o.Has("filter") && o.Get("filter").IsString()) filter = o.Get("filter").As<Napi::String>().Utf8Value();
      if (o.Has("write") && o.Get("write").IsString()) write = o.Get("write").As<Napi::String>().Utf8Value();
      if (o.Has("select")) selection = ParseSelection(env, o.Get("select"));
    }
    std::unique_ptr<Replay> replay(new Replay(ew->shared(), opt, [this] { NotifyFromThread(); }));
    std::string error;
    if (!replay->set_filter(filter, &error)) throw Err(env, "ERR_GNPAY_BAD_FILTER", error);
    if (!write.empty() && !replay->set_writer(write, std::move(selection), &error))
      throw Err(env, "ERR_GNPAY_WRITE", "write: " + error);
    InitTsfn(env, "gnpay-replay");
    replay_ = std::move(replay);
    replay_->start();
    info.This().As<Napi::Object>().TypeTag(&kReplayTag);
    cleanup_ = env.AddCleanupHook(std::function<void()>([this] { StopAtExit(); }));
  }

  ~ReplayWrap() override {
    if (!cleanup_.IsEmpty() && !exited_) cleanup_.Remove(Env());
    if (replay_) replay_->stop();
    ReleaseTsfn();
  }

  // The environment is going away (process exit, worker terminated): the
  // thread must not outlive it.
  void StopAtExit() {
    exited_ = true;
    if (replay_) replay_->stop();
    ReleaseTsfn();
  }

 private:
  BatchQueue* Queue() override { return replay_ ? &replay_->queue() : nullptr; }
  Napi::Value BatchToJs(Napi::Env env, Batch& b) override { return BatchCommon(env, b, replay_->queue().pool()); }

  Napi::Value NextJs(const Napi::CallbackInfo& info) {
    RequireThis(info, kReplayTag, "Replay");
    return Next(info.Env());
  }
  Napi::Value ReleaseJs(const Napi::CallbackInfo& info) {
    RequireThis(info, kReplayTag, "Replay");
    return Release(info);
  }

  Napi::Value Progress(const Napi::CallbackInfo& info) {
    RequireThis(info, kReplayTag, "Replay");
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (!replay_) return o;
    o.Set("fileIndex", Napi::Number::New(env, replay_->file_index()));
    o.Set("offset", Napi::Number::New(env, double(replay_->offset())));
    o.Set("size", Napi::Number::New(env, double(replay_->file_size())));
    o.Set("packets", Napi::Number::New(env, double(replay_->packets())));
    o.Set("totalBytes", Napi::Number::New(env, double(replay_->total_bytes())));
    o.Set("finished", Napi::Boolean::New(env, replay_->finished()));
    o.Set("written", Napi::Number::New(env, double(replay_->written())));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    RequireThis(info, kReplayTag, "Replay");
    if (replay_) replay_->stop();
    ReleaseTsfn();
    EndPending(info.Env());
    return info.Env().Undefined();
  }

  std::unique_ptr<Replay> replay_;
  Napi::ObjectReference engine_ref_;  // keeps the engine alive while replaying
  Napi::Env::CleanupHook<std::function<void()>> cleanup_;
  bool exited_ = false;
};

// ---------------------------------------------------------------------------
// Live capture (libpcap, TPACKET_V3), one thread per interface.

class LiveWrap : public Napi::ObjectWrap<LiveWrap>, public StreamBase {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Live",
                       {
                           InstanceMethod("next", &LiveWrap::NextJs),
                           InstanceMethod("release", &LiveWrap::ReleaseJs),
                           InstanceMethod("captureStats", &LiveWrap::CaptureStats),
                           InstanceMethod("close", &LiveWrap::Close),
                       });
  }

  // new Live(engine, interfaces[], {bufferBytes, snaplen, filter, batchEvents, maxBatches, flushMs})
  explicit LiveWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LiveWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsArray())
      throw TypeErr(env, "Live(engine, interfaces[, options])");
    if (!Tagged(info[0], kEngineTag)) throw TypeErr(env, "the first argument must be an Engine");
    EngineWrap* ew = Napi::ObjectWrap<EngineWrap>::Unwrap(info[0].As<Napi::Object>());
    if (!ew || ew->closed()) throw Err(env, "ERR_GNPAY_ENGINE_CLOSED", "engine is closed");
    engine_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    LiveOptions opt;
    Napi::Array ifs = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < ifs.Length(); i++) {
      Napi::Value f = ifs.Get(i);
      if (!f.IsString()) throw TypeErr(env, "interfaces must be strings");
      opt.interfaces.push_back(f.As<Napi::String>().Utf8Value());
    }
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Object o = info[2].As<Napi::Object>();
      opt.buffer_bytes = GetSize(o, "bufferBytes", opt.buffer_bytes);
      opt.snaplen = int(GetSize(o, "snaplen", size_t(opt.snaplen)));
      opt.batch_events = GetSize(o, "batchEvents", opt.batch_events);
      opt.max_batches = GetSize(o, "maxBatches", opt.max_batches);
      opt.flush_ms = int(GetSize(o, "flushMs", size_t(opt.flush_ms)));
      opt.event_types = GetEventTypes(o);
      if (o.Has("filter") && o.Get("filter").IsString()) opt.filter = o.Get("filter").As<Napi::String>().Utf8Value();
    }
    InitTsfn(env, "gnpay-live");
    live_.reset(new LiveCapture(ew->shared(), opt, [this] { NotifyFromThread(); }));
    std::string err;
    bool bad_filter = false;
    if (!live_->start(&err, &bad_filter)) {
      live_.reset();
      ReleaseTsfn();
      throw Err(env, bad_filter ? "ERR_GNPAY_BAD_FILTER" : "ERR_GNPAY_CAPTURE_OPEN", err);
    }
    info.This().As<Napi::Object>().TypeTag(&kLiveTag);
    cleanup_ = env.AddCleanupHook(std::function<void()>([this] { StopAtExit(); }));
  }

  ~LiveWrap() override {
    if (!cleanup_.IsEmpty() && !exited_) cleanup_.Remove(Env());
    if (live_) live_->stop();
    ReleaseTsfn();
  }

  // The environment is going away (process exit, worker terminated): the
  // capture threads must not outlive it.
  void StopAtExit() {
    exited_ = true;
    if (live_) live_->stop();
    ReleaseTsfn();
  }

 private:
  BatchQueue* Queue() override { return live_ ? &live_->queue() : nullptr; }
  Napi::Value BatchToJs(Napi::Env env, Batch& b) override { return BatchCommon(env, b, live_->queue().pool()); }
  Napi::Value NextJs(const Napi::CallbackInfo& info) {
    RequireThis(info, kLiveTag, "Live");
    return Next(info.Env());
  }
  Napi::Value ReleaseJs(const Napi::CallbackInfo& info) {
    RequireThis(info, kLiveTag, "Live");
    return Release(info);
  }

  Napi::Value CaptureStats(const Napi::CallbackInfo& info) {
    RequireThis(info, kLiveTag, "Live");
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    if (!live_) return out;
    std::vector<LiveIfaceStats> st = live_->stats();
    for (size_t i = 0; i < st.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("interface", Napi::String::New(env, st[i].name));
      o.Set("packets", Napi::Number::New(env, double(st[i].packets)));
      o.Set("bytes", Napi::Number::New(env, double(st[i].bytes)));
      o.Set("kernelReceived", Napi::Number::New(env, double(st[i].ps_recv)));
      o.Set("kernelDropped", Napi::Number::New(env, double(st[i].ps_drop)));
      o.Set("interfaceDropped", Napi::Number::New(env, double(st[i].ps_ifdrop)));
      o.Set("shedBatches", Napi::Number::New(env, double(st[i].shed_batches)));
      o.Set("shedEvents", Napi::Number::New(env, double(st[i].shed_events)));
      o.Set("error", st[i].error.empty() ? env.Null() : Napi::String::New(env, st[i].error));
      out.Set(uint32_t(i), o);
    }
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    RequireThis(info, kLiveTag, "Live");
    if (live_) live_->stop();
    ReleaseTsfn();
    EndPending(info.Env());
    return info.Env().Undefined();
  }

  std::unique_ptr<LiveCapture> live_;
  Napi::ObjectReference engine_ref_;
  Napi::Env::CleanupHook<std::function<void()>> cleanup_;
  bool exited_ = false;
};

Napi::Value AnomalyNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env, kAnomalyCount);
  for (size_t i = 0; i < kAnomalyCount; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", Napi::String::New(env, anomaly_name(Anomaly(i))));
    o.Set("kind", Napi::String::New(env, anomaly_kind_name(anomaly_kind(Anomaly(i)))));
    a.Set(uint32_t(i), o);
  }
  return a;
}

Napi::Object InitImpl(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", EngineWrap::Init(env));
  exports.Set("Replay", ReplayWrap::Init(env));
  exports.Set("Live", LiveWrap::Init(env));
  exports.Set("anomalyNames", Napi::Function::New(env, AnomalyNames));
  exports.Set("engineLimits", Napi::Function::New(env, EngineLimitsJs));
  exports.Set("libpcapVersion", Napi::String::New(env, LiveCapture::libpcap_version()));
  exports.Set(
      "sdNotify", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
        if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
          throw TypeErr(info.Env(), "sdNotify(socketPath, state)");
        std::string error;
        if (!sd_notify_send(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value(), &error))
          throw Err(info.Env(), "ERR_GNPAY_SD_NOTIFY", error);
        return info.Env().Undefined();
      }));
  exports.Set("defaultLiveFilter", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                if (info.Length() < 1 || !info[0].IsNumber()) throw TypeErr(info.Env(), "defaultLiveFilter(linktype)");
                return Napi::String::New(info.Env(),
                                         LiveCapture::default_filter(info[0].As<Napi::Number>().Uint32Value()));
              }));
  return exports;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) { return InitImpl(env, exports); }
}  // namespace gnpay

static Napi::Object InitGnpay(Napi::Env env, Napi::Object exports) { return gnpay::Init(env, exports); }

NODE_API_MODULE(gnpay, InitGnpay)

// C++ engine structures -> JS values (docs/events.md key order).
#pragma once
#include <napi.h>

#include "engine.h"

namespace gnpay {

Napi::Value EventToJs(Napi::Env env, const Event& e);
Napi::Value StatsToJs(Napi::Env env, const EngineStats& s);
Napi::Value TablesToJs(Napi::Env env, const EngineTables& t);

}  // namespace gnpay

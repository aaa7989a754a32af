// C++ engine statistics -> JS values (events cross as JSON text: event_json.h).
#pragma once
#include <napi.h>

#include "engine.h"

namespace gnpay {

Napi::Value StatsToJs(Napi::Env env, const EngineStats& s);
Napi::Value TablesToJs(Napi::Env env, const EngineTables& t);

}  // namespace gnpay

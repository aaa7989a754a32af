// Events as JSON text (docs/events.md): one object per line, written by the
// capture thread straight into its batch, so that neither a JS object nor a
// copy of the fixed-size Event crosses into JavaScript. The fields, their
// order and their writers come from event_fields.def.
#pragma once
#include <cstddef>
#include <string>

#include "events.h"

namespace gnpay {

// How events are written: what the writer cannot take from the event itself.
struct EventJsonStyle {
  bool hex_teids = false;             // TEIDs as "0x0000abcd" strings (gnpay decode) instead of numbers
  const std::string* file = nullptr;  // the capture file of the events (null: written as null)
};

// Appends `e` as one JSON object and a '\n' to `out`.
void append_event_json(const Event& e, std::string& out, const EventJsonStyle& style = EventJsonStyle());

// Appends `s` (n bytes taken as UTF-8) as a JSON string literal, the way
// JavaScript would print the string Node makes of those bytes: ill-formed
// sequences become U+FFFD (maximal subparts, as the WHATWG decoder does),
// '"', '\\' and control characters are escaped as JSON.stringify does.
void append_json_string(const char* s, size_t n, std::string& out);

}  // namespace gnpay

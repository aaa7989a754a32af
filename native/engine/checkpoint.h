// The checkpoint of the session model (the daemon stores it in its database
// and restores it at start): a magic number, a format version, then one record
// per active context. A checkpoint of another format or version is refused
// with a message, never read as this one.
#pragma once
#include <cstdint>
#include <vector>

#include "session_table.h"
#include "span.h"

namespace gnpay {

void export_checkpoint(const SessionTable& sessions, std::vector<uint8_t>& out);
// Restores the contexts of a checkpoint; those last updated more than
// max_age_ns before now_ns are left out (max_age_ns 0: none). Returns how many
// were restored; *error is set (and what follows the damage is not read) when
// the data is not a checkpoint of this version or is cut short.
size_t import_checkpoint(SessionTable& sessions, Span data, uint64_t now_ns, uint64_t max_age_ns, const char** error);

}  // namespace gnpay

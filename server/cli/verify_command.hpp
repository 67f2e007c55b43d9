// consentctl verify and audit: offline checks of what consentd signed.
//
// verify takes a proof bundle (consentctl export) and checks it with nothing
// but the core: every receipt's signature, notice hash and place in the
// subject's chain, the checkpoint note, each receipt's inclusion in the log,
// and optionally that an older checkpoint is a prefix of the bundle's one. The
// browser (the core as wasm) can repeat every step, so no libsodium is used.
//
// audit checks a database the operator holds: state equals the rebuild from the
// receipts, and every stored checkpoint note carries a valid signature.
#pragma once

#include <string>
#include <vector>

#include "cli/core_commands.hpp"
#include "crypto/key_ring.hpp"
#include "storage/receipt_store.hpp"

namespace consent::cli {

// Paths: the bundle, and optionally an older checkpoint note with the
// consistency proof (GET /v1/log/proofs/consistency) from its size to the
// bundle's; one without the other is a usage error (64). A failed check is one
// line "verify.<what>: …" and exit 65; success prints one line per check.
// held_receipts: files with receipts the subject kept (a JWS, or a decision
// answer); each must be in the bundle (verify.receipt_missing otherwise).
Outcome run_verify(const std::string& bundle_path, const std::string& old_checkpoint_path,
                   const std::string& consistency_path, const std::vector<std::string>& held_receipts = {});

// rebuild_check() plus each checkpoint note's signature under the ring's public keys.
Outcome run_audit(server::ReceiptStore& store, const server::KeyRing& keys);

}  // namespace consent::cli

#include "server/sync/bundle_import.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/convert/convert.h"

namespace fieldsync {

namespace {

// "mutations=3 applied=2 rejected=1 ..." (outcomes with a non-zero count).
std::string Summary(const BundleImportResult& r, std::string_view file) {
  std::map<Outcome, size_t> counts;
  for (const auto& receipt : r.receipts) counts[receipt.outcome]++;
  std::string out = absl::StrCat("mutations=", r.receipts.size());
  for (const auto& [outcome, n] : counts) {
    absl::StrAppend(&out, " ", absl::AsciiStrToLower(OutcomeName(outcome)), "=", n);
  }
  absl::StrAppend(&out, " acked_seq=", r.acked_device_seq, " bundle_sha256=", Sha256Hex(file));
  return out;
}

}  // namespace

absl::StatusOr<BundleImportResult> BundleImporter::Import(std::string_view file,
                                                          const AuditContext& who) {
  if (audit_ == nullptr) return absl::InternalError("no audit log: bundle imports are refused");
  std::string device_id;
  absl::StatusOr<BundleImportResult> result = Apply(file, &device_id);
  AuditEvent event{who, kAuditBundleImport, device_id, ""};
  if (result.ok()) {
    event.detail = Summary(*result, file);
  } else {
    // The code only: a message may quote what the file claims.
    event.detail = absl::StrCat("refused: ", absl::StatusCodeToString(result.status().code()),
                                " bytes=", file.size());
  }
  FS_RETURN_IF_ERROR(audit_->Append(event).status());
  return result;
}

absl::StatusOr<BundleImportResult> BundleImporter::Apply(std::string_view file,
                                                         std::string* device_id) {
  FS_ASSIGN_OR_RETURN(bundle::FileHeader header, bundle::PeekHeader(file, limits_));
  *device_id = header.device_id;
  if (header.kind != bundle::FileKind::kBundle) {
    return absl::InvalidArgumentError("this is a receipts file, not a bundle");
  }
  FS_ASSIGN_OR_RETURN(std::optional<Device> device, store_->GetDevice(header.device_id));
  if (!device) {
    return absl::NotFoundError(
        absl::StrCat("bundle is signed by device '", header.device_id, "', which is unknown"));
  }
  // Checked before the signature: a revoked device has no key left to verify with.
  if (device->revoked) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device ", device->device_id, " is revoked; its bundles are no longer accepted"));
  }
  FS_ASSIGN_OR_RETURN(std::string key, bundle::KeyFromTokenHash(device->token_hash));
  absl::StatusOr<v1::Bundle> read = bundle::ReadBundle(file, key, limits_);
  if (!read.ok()) {
    // Signed before the device's last token rotation, within the grace period
    // (DeviceRegistryOptions::bundle_key_grace_ms)? The receipts are still signed with the
    // current key: the device rotated, so it holds the new token.
    FS_ASSIGN_OR_RETURN(std::optional<Store::RetiredToken> retired,
                        store_->GetRetiredToken(device->device_id));
    if (retired && clock_->NowMs() < retired->valid_until_ms) {
      FS_ASSIGN_OR_RETURN(std::string old_key, bundle::KeyFromTokenHash(retired->token_hash));
      absl::StatusOr<v1::Bundle> old = bundle::ReadBundle(file, old_key, limits_);
      if (old.ok()) read = std::move(old);
    }
  }
  if (!read.ok()) return read.status();
  v1::Bundle b = *std::move(read);

  std::vector<Mutation> mutations;
  mutations.reserve(b.mutations_size());
  for (const auto& m : b.mutations()) mutations.push_back(convert::FromProto(m));
  // The codec guarantees contiguous order already; sorting keeps the rule local.
  std::stable_sort(mutations.begin(), mutations.end(), [](const Mutation& x, const Mutation& y) {
    return x.device_seq < y.device_seq;
  });
  const DeviceReport report = convert::FromProto(b.report());
  const DeviceReport* report_ptr = b.has_report() ? &report : nullptr;

  BundleImportResult out;
  out.device_id = device->device_id;
  out.receipts.reserve(mutations.size());
  const size_t per_batch = std::max<size_t>(push_->limits().max_mutations_per_batch, 1);
  for (size_t i = 0; i < mutations.size(); i += per_batch) {
    std::vector<Mutation> batch(mutations.begin() + i,
                                mutations.begin() + std::min(mutations.size(), i + per_batch));
    FS_ASSIGN_OR_RETURN(std::vector<Receipt> receipts, push_->Push(*device, batch, report_ptr));
    for (auto& r : receipts) out.receipts.push_back(std::move(r));
  }
  FS_ASSIGN_OR_RETURN(DeviceSyncState state, store_->GetDeviceSyncState(device->device_id));
  out.acked_device_seq = state.acked_seq;

  v1::BundleReceipts file_receipts;
  file_receipts.set_device_id(device->device_id);
  file_receipts.set_created_ms(clock_->NowMs());
  file_receipts.set_acked_device_seq(out.acked_device_seq);
  file_receipts.set_bundle_sha256(Sha256Hex(file));
  for (const auto& r : out.receipts) convert::ToProto(r, file_receipts.add_receipts());
  FS_ASSIGN_OR_RETURN(out.receipts_file, bundle::WriteReceipts(file_receipts, key));
  return out;
}

}  // namespace fieldsync

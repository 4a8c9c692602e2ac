#include "fieldsync/client.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client-sdk/src/client_impl.h"
#include "client-sdk/src/grpc_transport.h"
#include "server/common/model.h"
#include "server/common/status.h"

namespace fieldsync::client {

std::vector<FieldError> FieldErrorsOf(const absl::Status& s) {
  std::vector<FieldError> out;
  for (const auto& e : FieldViolations(s)) out.push_back({e.field, e.description});
  return out;
}

bool IsDiskFull(const absl::Status& s) { return fieldsync::IsDiskFull(s); }

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::Open(ClientOptions options) {
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Transport> transport, NewGrpcTransport(options.server));
  return OpenWithTransport(std::move(options), std::move(transport));
}

absl::StatusOr<std::unique_ptr<Client>> Client::OpenWithTransport(
    ClientOptions options, std::unique_ptr<Transport> transport) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("no data directory given");
  if (options.push_batch == 0 || options.push_batch > 500) {
    return absl::InvalidArgumentError("push_batch must be 1-500 (the server's batch limit)");
  }
  if (options.max_attempts < 1) return absl::InvalidArgumentError("max_attempts must be >= 1");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    if (ec == std::errc::no_space_on_device) {
      return DiskFullError("disk full: cannot create the data directory");
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", options.data_dir, ": ", ec.message()));
  }
  FS_ASSIGN_OR_RETURN(std::unique_ptr<LocalStore> store,
                      LocalStore::Open(options.data_dir + "/store"));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(store), std::move(transport));
  FS_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

absl::StatusOr<std::string> Client::Create(const std::string& form_id, const Fields& fields,
                                           const std::string& record_id) {
  return impl_->Create(form_id, fields, record_id);
}
std::vector<absl::StatusOr<std::string>> Client::CreateMany(const std::string& form_id,
                                                            const std::vector<Fields>& rows) {
  return impl_->CreateMany(form_id, rows, {});
}
absl::Status Client::Update(const std::string& record_id, const Fields& changes) {
  return impl_->Update(record_id, changes);
}
absl::Status Client::Delete(const std::string& record_id) { return impl_->Delete(record_id); }
absl::StatusOr<std::string> Client::CreateChild(const std::string& parent_record_id,
                                                const std::string& repeat, const Fields& fields,
                                                const std::string& record_id) {
  return impl_->CreateChild(parent_record_id, repeat, fields, record_id);
}

absl::StatusOr<std::vector<Record>> Client::Children(const std::string& record_id,
                                                     bool include_deleted) const {
  return impl_->Children(record_id, include_deleted);
}

absl::StatusOr<Record> Client::Get(const std::string& record_id) const {
  return impl_->Get(record_id);
}
absl::StatusOr<std::vector<Record>> Client::Find(const Query& query) const {
  return impl_->Find(query);
}
absl::StatusOr<std::vector<FormInfo>> Client::Forms() const { return impl_->Forms(); }
absl::Status Client::RefreshForms() { return impl_->RefreshForms(); }
absl::StatusOr<Fields> Client::ParseFields(
    const std::string& form_id,
    const std::vector<std::pair<std::string, std::string>>& text) const {
  return impl_->ParseFields(form_id, text);
}
absl::StatusOr<SyncReport> Client::Sync(SyncObserver* observer) { return impl_->Sync(observer); }
absl::StatusOr<StatusReport> Client::GetStatus() const { return impl_->GetStatus(); }
absl::StatusOr<std::vector<ReceiptInfo>> Client::Receipts(uint64_t since, size_t limit) const {
  return impl_->Receipts(since, limit);
}

absl::StatusOr<uint64_t> Client::ExportBundle(const std::string& path) {
  return impl_->ExportBundle(path);
}
absl::StatusOr<uint64_t> Client::ImportReceipts(const std::string& path) {
  return impl_->ImportReceipts(path);
}
absl::StatusOr<std::vector<ReceiptInfo>> Client::ImportBundleOnServer(
    const std::string& bundle_path, const std::string& receipts_path) {
  return impl_->ImportBundleOnServer(bundle_path, receipts_path);
}

}  // namespace fieldsync::client

#include "server/storage/backup.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/storage/rocks_status.h"

namespace fieldsync {
namespace {

BackupSummary Summarise(const rocksdb::BackupInfo& info) {
  return BackupSummary{info.backup_id, info.timestamp, info.size, info.number_files};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backups>> Backups::Open(const std::string& backup_dir) {
  if (backup_dir.empty()) return absl::InvalidArgumentError("no backup folder configured");
  std::unique_ptr<Backups> b(new Backups());
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;
  rocksdb::BackupEngine* engine = nullptr;
  FS_RETURN_IF_ERROR(
      FromRocks(rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &engine),
                absl::StrCat("opening backup folder ", backup_dir)));
  b->engine_.reset(engine);
  return b;
}

Backups::~Backups() = default;

absl::StatusOr<BackupSummary> Backups::Create(Store* store) {
  if (store->mem_env_ != nullptr) {
    return absl::FailedPreconditionError("an in-memory store cannot be backed up");
  }
  std::lock_guard<std::mutex> l(mu_);
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  FS_RETURN_IF_ERROR(
      FromRocks(engine_->CreateNewBackup(options, store->db_.get(), &id), "creating backup"));
  rocksdb::BackupInfo info;
  FS_RETURN_IF_ERROR(FromRocks(engine_->GetBackupInfo(id, &info), "reading backup info"));
  return Summarise(info);
}

absl::StatusOr<std::vector<BackupSummary>> Backups::List() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<rocksdb::BackupInfo> infos;
  engine_->GetBackupInfo(&infos);
  std::vector<BackupSummary> out;
  for (const auto& info : infos) out.push_back(Summarise(info));
  return out;
}

absl::Status Backups::Verify(uint32_t id) const {
  std::lock_guard<std::mutex> l(mu_);
  rocksdb::BackupInfo info;
  rocksdb::Status s = engine_->GetBackupInfo(id, &info);
  if (!s.ok()) return absl::NotFoundError(absl::StrCat("no backup ", id));
  s = engine_->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (s.IsNotFound()) return absl::DataLossError(absl::StrCat("backup ", id, ": ", s.ToString()));
  return FromRocks(s, absl::StrCat("verifying backup ", id));
}

absl::Status Backups::Restore(uint32_t id, const std::string& data_dir) const {
  std::error_code ec;
  if (std::filesystem::exists(data_dir, ec) && !std::filesystem::is_empty(data_dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(data_dir, " is not empty: restore into a new folder"));
  }
  std::lock_guard<std::mutex> l(mu_);
  rocksdb::BackupInfo info;
  if (!engine_->GetBackupInfo(id, &info).ok()) {
    return absl::NotFoundError(absl::StrCat("no backup ", id));
  }
  return FromRocks(engine_->RestoreDBFromBackup(id, data_dir, data_dir),
                   absl::StrCat("restoring backup ", id, " into ", data_dir));
}

}  // namespace fieldsync

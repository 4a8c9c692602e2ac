// Exact-key locks over strings (device ids, record ids). A push batch locks its device and
// every record it touches for its read-compute-write-fsync; batches that share no key run and
// commit concurrently, so RocksDB group commit shares their fsyncs. Keys are taken all at
// once (or not at all), so two guards never deadlock. Thread-safe.
#ifndef FIELDSYNC_SERVER_SYNC_LOCK_TABLE_H_
#define FIELDSYNC_SERVER_SYNC_LOCK_TABLE_H_

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace fieldsync {

// Lock keys: one namespace per kind of thing, so a device id never collides with a record id.
// Every core that writes a device's sync state or a record takes these keys.
inline std::string DeviceLockKey(const std::string& device_id) { return "d" + device_id; }
inline std::string RecordLockKey(const std::string& record_id) { return "r" + record_id; }

class LockTable {
 public:
  LockTable() = default;
  LockTable(const LockTable&) = delete;
  LockTable& operator=(const LockTable&) = delete;

  // Holds a set of keys until destroyed. Movable, not copyable.
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& o) noexcept : table_(o.table_), keys_(std::move(o.keys_)) { o.table_ = nullptr; }
    Guard& operator=(Guard&& o) noexcept {
      Release();
      table_ = o.table_;
      keys_ = std::move(o.keys_);
      o.table_ = nullptr;
      return *this;
    }
    ~Guard() { Release(); }

   private:
    friend class LockTable;
    void Release() {
      if (table_ != nullptr) table_->Unlock(keys_);
      table_ = nullptr;
    }
    LockTable* table_ = nullptr;
    std::vector<std::string> keys_;
  };

  // Blocks until no other guard holds any of `keys`, then holds them all.
  Guard Lock(std::vector<std::string> keys) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] {
      for (const auto& k : keys) {
        if (held_.count(k)) return false;
      }
      return true;
    });
    for (const auto& k : keys) held_.insert(k);
    Guard g;
    g.table_ = this;
    g.keys_ = std::move(keys);
    return g;
  }

  // Number of keys held now (for tests).
  size_t HeldCount() {
    std::lock_guard<std::mutex> l(mu_);
    return held_.size();
  }

 private:
  void Unlock(const std::vector<std::string>& keys) {
    {
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& k : keys) held_.erase(k);
    }
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<std::string> held_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_LOCK_TABLE_H_

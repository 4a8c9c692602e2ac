// Striped locks over string keys (device ids, record ids). A push batch locks its device and
// every record it touches, in a fixed order, for its read-compute-write; batches of
// different devices on different records run and commit concurrently.
#ifndef FIELDSYNC_SERVER_SYNC_LOCK_TABLE_H_
#define FIELDSYNC_SERVER_SYNC_LOCK_TABLE_H_

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace fieldsync {

class LockTable {
 public:
  explicit LockTable(size_t stripes = 4096) : mutexes_(stripes) {}

  // Holds the stripes of a set of keys until destroyed. Movable, not copyable.
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&&) = default;
    Guard& operator=(Guard&&) = default;
    ~Guard() {
      for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->unlock();
    }

   private:
    friend class LockTable;
    std::vector<std::mutex*> held_;
  };

  // Locks every key's stripe (each stripe once, ascending, so no two guards deadlock).
  Guard Lock(const std::vector<std::string>& keys) {
    std::vector<size_t> idx;
    idx.reserve(keys.size());
    for (const auto& k : keys) idx.push_back(std::hash<std::string>()(k) % mutexes_.size());
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    Guard g;
    for (size_t i : idx) {
      mutexes_[i].lock();
      g.held_.push_back(&mutexes_[i]);
    }
    return g;
  }

 private:
  std::vector<std::mutex> mutexes_;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_LOCK_TABLE_H_

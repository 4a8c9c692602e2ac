// Strong id types, so a device id cannot be passed where a record id is expected.
#ifndef FIELDSYNC_SERVER_COMMON_IDS_H_
#define FIELDSYNC_SERVER_COMMON_IDS_H_

#include <functional>
#include <string>
#include <utility>

namespace fieldsync {

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string v) : value_(std::move(v)) {}
  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const StrongId& o) const { return value_ == o.value_; }
  bool operator!=(const StrongId& o) const { return value_ != o.value_; }
  bool operator<(const StrongId& o) const { return value_ < o.value_; }

 private:
  std::string value_;
};

using DeviceId = StrongId<struct DeviceIdTag>;
using RecordId = StrongId<struct RecordIdTag>;
using FormId = StrongId<struct FormIdTag>;

}  // namespace fieldsync

template <typename Tag>
struct std::hash<fieldsync::StrongId<Tag>> {
  size_t operator()(const fieldsync::StrongId<Tag>& id) const {
    return std::hash<std::string>()(id.value());
  }
};

#endif  // FIELDSYNC_SERVER_COMMON_IDS_H_

// Scope rules shared by push and pull.
#ifndef FIELDSYNC_SERVER_SYNC_SCOPE_H_
#define FIELDSYNC_SERVER_SYNC_SCOPE_H_

#include <algorithm>
#include <vector>

#include "server/common/model.h"

namespace fieldsync {

// Every record is also indexed under this pair: the form-wide index that all-scope callers
// (admins, feed readers) pull from.
inline const ScopePair& FormWidePair() {
  static const ScopePair* p = new ScopePair{"", ""};
  return *p;
}

// A record with scope coordinates `pairs` is visible to (and writable by) `device` if the
// device holds all scopes or a grant equal to one of the coordinates.
inline bool InScope(const Device& device, const std::vector<ScopePair>& pairs) {
  if (device.all_scopes) return true;
  for (const auto& p : pairs) {
    if (std::find(device.scopes.begin(), device.scopes.end(), p) != device.scopes.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_SYNC_SCOPE_H_

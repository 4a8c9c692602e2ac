// What the OpenRosa door keeps per submitted instance (server/openrosa; stored by
// server/storage under key 'o').
#ifndef FIELDSYNC_SERVER_COMMON_OPENROSA_SUBMISSION_H_
#define FIELDSYNC_SERVER_COMMON_OPENROSA_SUBMISSION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace fieldsync {

// An OpenRosa submission received (server/openrosa): its instanceID, the root record it
// wrote (the instance id itself, or for an edit the record the first submission of the chain
// created), the SHA-256 of its answers (file names, not file contents) and the media files
// received so far. A resend is told apart from other content under the same instance id by
// the hash.
struct OpenRosaSubmission {
  std::string instance_id;
  std::string record_id;
  std::string content_hash;
  std::vector<std::string> media;  // file names, sorted
  std::string device_id;
  int64_t received_ms = 0;
};

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_OPENROSA_SUBMISSION_H_

#include "tests/hostile/raw_call.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <cstring>
#include <fstream>
#include <mutex>

#include "gtest/gtest.h"

namespace fieldsync::testing {
namespace {

std::string SliceString(const grpc_slice& s) {
  return std::string(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(s)), GRPC_SLICE_LENGTH(s));
}

std::string ByteBufferString(grpc_byte_buffer* bb) {
  std::string out;
  grpc_byte_buffer_reader reader;
  if (grpc_byte_buffer_reader_init(&reader, bb) == 0) return out;
  grpc_slice s;
  while (grpc_byte_buffer_reader_next(&reader, &s) != 0) {
    out += SliceString(s);
    grpc_slice_unref(s);
  }
  grpc_byte_buffer_reader_destroy(&reader);
  return out;
}

}  // namespace

RawCallResult RawCall(const std::string& target, const std::string& method,
                      const std::string& payload, grpc_compression_algorithm algorithm,
                      const std::string& token, int timeout_ms) {
  grpc_init();
  RawCallResult result;
  // The channel's algorithm only names the encoding in the headers: the message below is
  // marked as compressed already, so the client sends it as it is.
  grpc_arg arg;
  arg.type = GRPC_ARG_INTEGER;
  arg.key = const_cast<char*>(GRPC_COMPRESSION_CHANNEL_DEFAULT_ALGORITHM);
  arg.value.integer = algorithm;
  grpc_channel_args args{1, &arg};
  grpc_channel_credentials* creds = grpc_insecure_credentials_create();
  grpc_channel* channel = grpc_channel_create(target.c_str(), creds, &args);
  grpc_channel_credentials_release(creds);
  grpc_completion_queue* cq = grpc_completion_queue_create_for_pluck(nullptr);
  grpc_slice method_slice = grpc_slice_from_copied_string(method.c_str());
  gpr_timespec deadline =
      gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
  grpc_call* call = grpc_channel_create_call(channel, nullptr, GRPC_PROPAGATE_DEFAULTS, cq,
                                             method_slice, nullptr, deadline, nullptr);
  grpc_slice payload_slice = grpc_slice_from_copied_buffer(payload.data(), payload.size());
  grpc_byte_buffer* request =
      algorithm == GRPC_COMPRESS_NONE
          ? grpc_raw_byte_buffer_create(&payload_slice, 1)
          : grpc_raw_compressed_byte_buffer_create(&payload_slice, 1, algorithm);
  grpc_metadata auth;
  std::memset(&auth, 0, sizeof(auth));
  auth.key = grpc_slice_from_static_string("authorization");
  auth.value = grpc_slice_from_copied_string(("Bearer " + token).c_str());
  grpc_metadata_array initial_md, trailing_md;
  grpc_metadata_array_init(&initial_md);
  grpc_metadata_array_init(&trailing_md);
  grpc_byte_buffer* response = nullptr;
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();
  grpc_op ops[6];
  std::memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = token.empty() ? 0 : 1;
  ops[0].data.send_initial_metadata.metadata = &auth;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = request;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &response;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
  ops[5].data.recv_status_on_client.status = &status;
  ops[5].data.recv_status_on_client.status_details = &details;
  void* tag = &result;
  EXPECT_EQ(grpc_call_start_batch(call, ops, 6, tag, nullptr), GRPC_CALL_OK);
  grpc_event ev = grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), nullptr);
  EXPECT_EQ(ev.type, GRPC_OP_COMPLETE);
  result.code = status;
  result.message = SliceString(details);
  if (response != nullptr) {
    result.response = ByteBufferString(response);
    grpc_byte_buffer_destroy(response);
  }
  for (size_t i = 0; i < trailing_md.count; ++i) {
    result.trailers.emplace(SliceString(trailing_md.metadata[i].key),
                            SliceString(trailing_md.metadata[i].value));
  }
  grpc_slice_unref(details);
  grpc_slice_unref(auth.value);
  grpc_metadata_array_destroy(&initial_md);
  grpc_metadata_array_destroy(&trailing_md);
  grpc_byte_buffer_destroy(request);
  grpc_slice_unref(payload_slice);
  grpc_slice_unref(method_slice);
  grpc_call_unref(call);
  grpc_completion_queue_shutdown(cq);
  while (
      grpc_completion_queue_pluck(cq, nullptr, gpr_inf_future(GPR_CLOCK_REALTIME), nullptr).type !=
      GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(cq);
  grpc_channel_destroy(channel);
  grpc_shutdown();
  return result;
}

int64_t PeakRssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "N kB"
  }
  ADD_FAILURE() << "no VmHWM for pid " << pid;
  return -1;
}

void ResetPeakRss(pid_t pid) {
  // "5" resets the peak resident set to the current one (proc(5), Linux 4.0+).
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5";
  out.flush();
  ASSERT_TRUE(out.good()) << "cannot reset VmHWM of " << pid;
}

}  // namespace fieldsync::testing

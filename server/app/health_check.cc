#include "server/app/health_check.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/common/file.h"

namespace fieldsync {
namespace {

struct HealthCheckArgs {
  std::string target, ca_file, authority, service;
  bool plaintext = false;
  int64_t timeout_ms = 3000;
};

int Usage(const std::string& why) {
  std::cerr << "fieldsyncd health-check: " << why << "\n";
  return 2;
}

int RunHealthCheck(const HealthCheckArgs& a) {
  if (a.plaintext == !a.ca_file.empty()) {
    return Usage("pass exactly one of --ca-file and --plaintext");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  grpc::ChannelArguments channel_args;
  if (a.plaintext) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    absl::StatusOr<std::string> pem = ReadFileToString(a.ca_file);
    if (!pem.ok()) return Usage(std::string(pem.status().message()));
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = *pem;
    creds = grpc::SslCredentials(opts);
    if (!a.authority.empty()) channel_args.SetSslTargetNameOverride(a.authority);
  }
  auto channel = grpc::CreateCustomChannel(a.target, creds, channel_args);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(a.timeout_ms));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(a.service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) {
    std::cout << "UNREACHABLE " << s.error_code() << " " << s.error_message() << "\n";
    return 1;
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()) << "\n";
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

}  // namespace

void AddHealthCheckCommand(Program* p) {
  auto a = std::make_shared<HealthCheckArgs>();
  CLI::App* cmd = p->AddCommand(p->cl.app(), "health-check",
                                "grpc.health.v1 Check of a running server: exit 0 when SERVING",
                                false, [a] { return RunHealthCheck(*a); });
  cmd->add_option("--target", a->target, "HOST:PORT")->required();
  cmd->add_option("--ca-file", a->ca_file, "CA to trust (TLS)");
  cmd->add_flag("--plaintext", a->plaintext, "no TLS (development)");
  cmd->add_option("--authority", a->authority, "TLS name to expect");
  cmd->add_option("--service", a->service, "service name to check (empty: the server)");
  cmd->add_option("--timeout-ms", a->timeout_ms, "deadline")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

}  // namespace fieldsync

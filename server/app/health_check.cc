#include "server/app/health_check.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace fieldsync {
namespace {

int Usage(const std::string& why) {
  std::cerr << "fieldsyncd health-check: " << why
            << "\nusage: fieldsyncd health-check --target HOST:PORT [--ca-file PEM | --plaintext]"
               " [--authority NAME] [--service NAME] [--timeout-ms N]\n";
  return 2;
}

}  // namespace

int HealthCheckCommand(const std::vector<std::string>& args) {
  std::string target, ca_file, authority, service;
  bool plaintext = false;
  int64_t timeout_ms = 3000;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], value;
    if (!absl::StartsWith(name, "--")) return Usage("unexpected argument '" + name + "'");
    name = name.substr(2);
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (name != "plaintext") {
      if (i + 1 >= args.size()) return Usage("--" + name + " needs a value");
      value = args[++i];
    }
    if (name == "target") {
      target = value;
    } else if (name == "ca-file") {
      ca_file = value;
    } else if (name == "authority") {
      authority = value;
    } else if (name == "service") {
      service = value;
    } else if (name == "plaintext") {
      plaintext = true;
    } else if (name == "timeout-ms") {
      if (!absl::SimpleAtoi(value, &timeout_ms) || timeout_ms <= 0) {
        return Usage("--timeout-ms takes a positive number");
      }
    } else {
      return Usage("unknown flag --" + name);
    }
  }
  if (target.empty()) return Usage("--target is required");
  if (plaintext == !ca_file.empty()) return Usage("pass exactly one of --ca-file and --plaintext");

  std::shared_ptr<grpc::ChannelCredentials> creds;
  grpc::ChannelArguments channel_args;
  if (plaintext) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    std::ifstream in(ca_file);
    if (!in) return Usage("cannot read " + ca_file);
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = pem.str();
    creds = grpc::SslCredentials(opts);
    if (!authority.empty()) channel_args.SetSslTargetNameOverride(authority);
  }
  auto channel = grpc::CreateCustomChannel(target, creds, channel_args);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) {
    std::cout << "UNREACHABLE " << s.error_code() << " " << s.error_message() << "\n";
    return 1;
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()) << "\n";
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

}  // namespace fieldsync

#include "client-sdk/cli/webhook_commands.h"

#include <ctime>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client-sdk/cli/cli_common.h"
#include "fieldsync/v1/admin.grpc.pb.h"
#include "server/common/file.h"

namespace fieldsync::cli {
namespace {

constexpr char kWebhooksUsage[] =
    "usage: fieldsync admin webhooks add URL --secret-file F [--form FORM ...]\n"
    "                                [--scope FIELD=VALUE ...] [--events create,update,delete]\n"
    "                                [--disabled]\n"
    "       fieldsync admin webhooks list | remove ID | dead ID | replay ID [--seq N]\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "fieldsync admin webhooks: " << why << "\n";
  std::cerr << kWebhooksUsage;
  return kUsage;
}

int FailCall(const absl::Status& s, const Config& cfg) {
  std::cerr << "fieldsync: " << ExplainServerCall(s, cfg, "request refused:") << "\n";
  return kFailed;
}

std::string When(int64_t ms) { return AgeText(ms, static_cast<int64_t>(time(nullptr)) * 1000); }

int Add(const ServerConnection& conn, const std::vector<std::string>& args) {
  v1::AddWebhookRequest req;
  std::string secret_file;
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag, std::string* out) {
      if (a.rfind(flag + "=", 0) == 0) {
        *out = a.substr(flag.size() + 1);
        return true;
      }
      if (a != flag || i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--disabled") {
      req.set_disabled(true);
    } else if (value("--secret-file", &secret_file)) {
    } else if (value("--form", &v)) {
      req.add_form_ids(v);
    } else if (value("--scope", &v)) {
      req.add_scopes(v);
    } else if (value("--events", &v)) {
      for (absl::string_view e : absl::StrSplit(v, ',', absl::SkipEmpty())) {
        req.add_events(std::string(e));
      }
    } else if (a.rfind("-", 0) == 0) {
      return Usage(absl::StrCat("unknown flag ", a));
    } else if (req.url().empty()) {
      req.set_url(a);
    } else {
      return Usage(absl::StrCat("unexpected \"", a, "\""));
    }
  }
  if (req.url().empty()) return Usage("add needs a URL");
  if (secret_file.empty()) return Usage("add needs --secret-file");
  absl::StatusOr<std::string> secret = ReadSecretFile(secret_file);
  if (!secret.ok()) {
    std::cerr << "fieldsync: " << secret.status().message() << "\n";
    return kFailed;
  }
  req.set_secret(*secret);
  auto stub = v1::AdminService::NewStub(conn.channel);
  v1::WebhookTargetInfo info;
  absl::Status s = FromGrpcStatus(stub->AddWebhook(conn.Context().get(), req, &info));
  if (!s.ok()) return FailCall(s, conn.config);
  std::cout << "added " << info.target_id() << " -> " << info.url() << " (events "
            << absl::StrJoin(info.events(), ",") << "; from change " << info.next_seq() << ")\n";
  return kOk;
}

int List(const ServerConnection& conn) {
  auto stub = v1::AdminService::NewStub(conn.channel);
  v1::ListWebhooksResponse resp;
  absl::Status s =
      FromGrpcStatus(stub->ListWebhooks(conn.Context().get(), v1::ListWebhooksRequest(), &resp));
  if (!s.ok()) return FailCall(s, conn.config);
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : resp.targets()) {
    rows.push_back(
        {t.target_id(), t.url(), t.enabled() ? "on" : "off", absl::StrJoin(t.events(), ","),
         t.form_ids().empty() ? "*" : absl::StrJoin(t.form_ids(), ","), absl::StrCat(t.lag()),
         absl::StrCat(t.delivered()), absl::StrCat(t.dead_letters()), When(t.last_success_ms()),
         t.last_error().empty()
             ? "-"
             : absl::StrCat(t.last_error(), " (", When(t.last_error_ms()), ")")});
    if (t.dropped() > 0) rows.back().back() += absl::StrCat("; ", t.dropped(), " dropped");
  }
  PrintTable(std::cout,
             {"id", "url", "state", "events", "forms", "lag", "delivered", "dead", "last success",
              "last error"},
             rows, {5, 6, 7});
  std::cout << rows.size() << " webhook targets\n";
  return kOk;
}

int Remove(const ServerConnection& conn, const std::string& id) {
  auto stub = v1::AdminService::NewStub(conn.channel);
  v1::RemoveWebhookRequest req;
  req.set_target_id(id);
  v1::RemoveWebhookResponse resp;
  absl::Status s = FromGrpcStatus(stub->RemoveWebhook(conn.Context().get(), req, &resp));
  if (!s.ok()) return FailCall(s, conn.config);
  std::cout << "removed " << id << "\n";
  return kOk;
}

int Dead(const ServerConnection& conn, const std::string& id) {
  auto stub = v1::AdminService::NewStub(conn.channel);
  v1::ListDeadLettersRequest req;
  req.set_target_id(id);
  v1::ListDeadLettersResponse resp;
  absl::Status s = FromGrpcStatus(stub->ListDeadLetters(conn.Context().get(), req, &resp));
  if (!s.ok()) return FailCall(s, conn.config);
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : resp.dead_letters()) {
    rows.push_back({absl::StrCat(d.seq()), d.event(), absl::StrCat(d.attempts()), d.last_error(),
                    When(d.failed_ms()), absl::StrCat(d.payload_bytes())});
  }
  PrintTable(std::cout, {"seq", "event", "attempts", "last error", "failed", "bytes"}, rows,
             {0, 2, 5});
  std::cout << rows.size() << " dead letters\n";
  return kOk;
}

int Replay(const ServerConnection& conn, const std::vector<std::string>& args) {
  v1::ReplayDeadLettersRequest req;
  req.set_target_id(args[3]);
  for (size_t i = 4; i < args.size(); ++i) {
    uint64_t seq = 0;
    if (args[i] == "--seq" && i + 1 < args.size() && absl::SimpleAtoi(args[i + 1], &seq)) {
      req.set_seq(seq);
      ++i;
    } else {
      return Usage(absl::StrCat("unexpected \"", args[i], "\""));
    }
  }
  auto stub = v1::AdminService::NewStub(conn.channel);
  v1::ReplayDeadLettersResponse resp;
  // Each dead letter is one request to the target, with its own timeout.
  absl::Status s = FromGrpcStatus(stub->ReplayDeadLetters(conn.Context(600'000).get(), req, &resp));
  if (!s.ok()) return FailCall(s, conn.config);
  std::cout << resp.delivered() << " delivered\n";
  return kOk;
}

}  // namespace

int CmdWebhooks(const ServerConnection& conn, const std::vector<std::string>& args) {
  const std::string sub = args.size() > 2 ? args[2] : "";
  if (sub == "add") return Add(conn, args);
  if (sub == "list") return args.size() == 3 ? List(conn) : Usage("list takes no arguments");
  if (sub == "remove") return args.size() == 4 ? Remove(conn, args[3]) : Usage("remove ID");
  if (sub == "dead") return args.size() == 4 ? Dead(conn, args[3]) : Usage("dead ID");
  if (sub == "replay") return args.size() >= 4 ? Replay(conn, args) : Usage("replay ID");
  return Usage("add|list|remove|dead|replay");
}

}  // namespace fieldsync::cli

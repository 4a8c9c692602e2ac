#include "client-sdk/cli/cli_common.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "fieldsync/client.h"

namespace fieldsync::cli {

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool LoadConfig(const std::string& dir, Config* c) {
  bool ok = false;
  std::string text = ReadFile(dir + "/config", &ok);
  if (!ok) return false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = Trim(line.substr(eq + 1));
    if (k == "server") c->server = v;
    if (k == "ca_file") c->ca_file = v;
    if (k == "plaintext") c->plaintext = v == "true";
    if (k == "device_id") c->device_id = v;
  }
  bool token_ok = false;
  c->token = Trim(ReadFile(dir + "/token", &token_ok));
  return true;
}

std::string Explain(const absl::Status& s, const Config& cfg, const std::string& refused) {
  const std::string msg(s.message());
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
      return absl::StrCat("server unreachable (", cfg.server, "): ", msg,
                          ".\nYour edits are safe on this device; run `fieldsync sync` again "
                          "when the link is back.");
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat("the server did not answer in time (slow or stalled link): ", msg,
                          ".\nYour edits are safe on this device; try again later.");
    case absl::StatusCode::kUnauthenticated:
      return absl::StrCat(
          "the server refused this device's token (revoked or mistyped): ", msg,
          ".\nAsk your administrator for a new token, then run `fieldsync init` again; "
          "pending edits are kept.");
    case absl::StatusCode::kPermissionDenied:
      return absl::StrCat("not allowed: ", msg);
    case absl::StatusCode::kResourceExhausted:
      if (client::IsDiskFull(s)) return msg;
      return absl::StrCat("the server is busy: ", msg, "; try again in a minute.");
    case absl::StatusCode::kInvalidArgument: {
      auto errors = client::FieldErrorsOf(s);
      if (errors.empty()) return msg;
      std::string out = refused;
      for (const auto& e : errors) {
        absl::StrAppend(&out, "\n  field ", e.field.empty() ? "(record)" : e.field, ": ",
                        e.description);
      }
      return out;
    }
    default:
      return msg;
  }
}

int Fail(const absl::Status& s, const Config& cfg) {
  std::cerr << "fieldsync: " << Explain(s, cfg) << "\n";
  return kFailed;
}

std::string AgeText(int64_t then_ms, int64_t now_ms) {
  if (then_ms <= 0) return "never";
  const int64_t s = std::max<int64_t>(0, now_ms - then_ms) / 1000;
  if (s < 120) return absl::StrCat(s, " s ago");
  if (s < 7200) return absl::StrCat(s / 60, " min ago");
  if (s < 172800) return absl::StrCat(s / 3600, " h ago");
  return absl::StrCat(s / 86400, " days ago");
}

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows,
                const std::vector<size_t>& right_aligned) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const std::string pad(width[i] - std::min(width[i], cell.size()), ' ');
      const bool right =
          std::find(right_aligned.begin(), right_aligned.end(), i) != right_aligned.end();
      if (i > 0) line += "  ";
      line += right ? pad + cell : cell + (i + 1 < width.size() ? pad : "");
    }
    out << line << "\n";
  };
  print(header);
  for (const auto& r : rows) print(r);
}

}  // namespace fieldsync::cli

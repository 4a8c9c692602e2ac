#include "server/webhook/payload.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "server/forms/pseudonymizer.h"

namespace fieldsync::webhook {
namespace {

nlohmann::json ValueJson(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* l = std::get_if<std::vector<std::string>>(&v)) return *l;
  if (const auto* g = std::get_if<GeoPoint>(&v)) {
    return {{"latitude", g->latitude}, {"longitude", g->longitude}};
  }
  return nullptr;
}

bool Meets(const std::vector<ScopePair>& wanted, const std::vector<ScopePair>& scope) {
  for (const auto& p : scope) {
    if (std::find(wanted.begin(), wanted.end(), p) != wanted.end()) return true;
  }
  return false;
}

}  // namespace

WebhookEvent EventOf(const ChangeEntry& change) {
  if (change.created) return WebhookEvent::kCreate;
  if (change.deleted_after && !change.deleted_before) return WebhookEvent::kDelete;
  return WebhookEvent::kUpdate;
}

const char* EventName(WebhookEvent event) {
  switch (event) {
    case WebhookEvent::kCreate:
      return "create";
    case WebhookEvent::kDelete:
      return "delete";
    case WebhookEvent::kUpdate:
      break;
  }
  return "update";
}

std::optional<WebhookEvent> ParseEvent(std::string_view name) {
  for (WebhookEvent e : {WebhookEvent::kCreate, WebhookEvent::kUpdate, WebhookEvent::kDelete}) {
    if (name == EventName(e)) return e;
  }
  return std::nullopt;
}

bool Wants(const WebhookTarget& target, const ChangeEntry& change) {
  if ((target.events & static_cast<uint32_t>(EventOf(change))) == 0) return false;
  if (!target.form_ids.empty() && std::find(target.form_ids.begin(), target.form_ids.end(),
                                            change.form_id) == target.form_ids.end()) {
    return false;
  }
  if (target.scopes.empty()) return true;
  return Meets(target.scopes, change.scope_before) || Meets(target.scopes, change.scope_after);
}

std::string PayloadJson(const ChangeEntry& change, const std::optional<Record>& current) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : change.changes) {
    changes.push_back(
        {{"field", c.field}, {"before", ValueJson(c.before)}, {"after", ValueJson(c.after)}});
  }
  nlohmann::json record = nullptr;
  if (current) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [name, value] : current->fields) fields[name] = ValueJson(value);
    record = {{"deleted", current->deleted},
              {"version", current->version},
              {"fields", std::move(fields)}};
  }
  nlohmann::json body = {
      {"seq", change.seq},
      {"event", EventName(EventOf(change))},
      {"form_id", change.form_id},
      {"form_version", change.form_version},
      {"record_id", change.record_id},
      {"version", change.version},
      {"device_id", change.device_id},
      {"commit_time",
       absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(change.commit_time_ms),
                        absl::UTCTimeZone())},
      {"changes", std::move(changes)},
      {"record", std::move(record)},
  };
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SignatureHeader(std::string_view secret, std::string_view body) {
  return "sha256=" + absl::BytesToHexString(HmacSha256(secret, body));
}

}  // namespace fieldsync::webhook

#include "fieldsync/c_api.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "fieldsync/client.h"

using fieldsync::client::Client;
using fieldsync::client::Fields;
using fieldsync::client::Value;
namespace pb = google::protobuf;

struct fs_client {
  std::unique_ptr<Client> client;
  absl::Mutex mu;
  std::string last_error;
};

namespace {

char* Dup(const std::string& s) {
  char* out = static_cast<char*>(malloc(s.size() + 1));
  memcpy(out, s.data(), s.size() + 1);
  return out;
}

int Fail(fs_client* c, const absl::Status& s) {
  absl::MutexLock lock(&c->mu);
  c->last_error = std::string(s.message());
  for (const auto& e : fieldsync::client::FieldErrorsOf(s)) {
    if (c->last_error.find(e.field) == std::string::npos) {
      absl::StrAppend(&c->last_error, "; ", e.field, ": ", e.description);
    }
  }
  return s.ok() ? FS_INTERNAL : static_cast<int>(s.code());
}

// JSON object -> typed fields, by the field types of the cached form.
absl::StatusOr<Fields> ParseJsonFields(const Client& client, const std::string& form_id,
                                       const char* json) {
  pb::Struct st;
  if (json == nullptr || !pb::util::JsonStringToMessage(json, &st).ok()) {
    return absl::InvalidArgumentError("fields must be a JSON object");
  }
  auto forms = client.Forms();
  if (!forms.ok()) return forms.status();
  const fieldsync::client::FormInfo* form = nullptr;
  for (const auto& f : *forms) {
    if (f.form_id == form_id) form = &f;
  }
  if (form == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("form \"", form_id, "\" is not known on this device: sync first"));
  }
  Fields out;
  for (const auto& [name, v] : st.fields()) {
    std::string type = "string";
    for (const auto& fd : form->fields) {
      if (fd.name == name) type = fd.type;
    }
    switch (v.kind_case()) {
      case pb::Value::kNullValue:
        out[name] = std::monostate();
        break;
      case pb::Value::kNumberValue:
        if (type == "int") {
          out[name] = static_cast<int64_t>(v.number_value());
        } else {
          out[name] = v.number_value();
        }
        break;
      case pb::Value::kStringValue:
        out[name] = v.string_value();
        break;
      case pb::Value::kBoolValue:
        out[name] = v.bool_value();
        break;
      case pb::Value::kListValue: {
        std::vector<std::string> choices;
        for (const auto& x : v.list_value().values()) choices.push_back(x.string_value());
        out[name] = std::move(choices);
        break;
      }
      case pb::Value::kStructValue: {
        const auto& f = v.struct_value().fields();
        auto lat = f.find("latitude");
        auto lon = f.find("longitude");
        if (lat == f.end() || lon == f.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat(name, ": an object value must be {\"latitude\", \"longitude\"}"));
        }
        out[name] =
            fieldsync::client::GeoPoint{lat->second.number_value(), lon->second.number_value()};
        break;
      }
      default:
        break;
    }
  }
  return out;
}

pb::Value ToJsonValue(const Value& v) {
  pb::Value out;
  if (auto* s = std::get_if<std::string>(&v)) {
    out.set_string_value(*s);
  } else if (auto* i = std::get_if<int64_t>(&v)) {
    out.set_number_value(static_cast<double>(*i));
  } else if (auto* d = std::get_if<double>(&v)) {
    out.set_number_value(*d);
  } else if (auto* b = std::get_if<bool>(&v)) {
    out.set_bool_value(*b);
  } else if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
    for (const auto& x : *l) out.mutable_list_value()->add_values()->set_string_value(x);
  } else if (auto* g = std::get_if<fieldsync::client::GeoPoint>(&v)) {
    auto* f = out.mutable_struct_value()->mutable_fields();
    (*f)["latitude"].set_number_value(g->latitude);
    (*f)["longitude"].set_number_value(g->longitude);
  } else {
    out.set_null_value(pb::NULL_VALUE);
  }
  return out;
}

std::string ToJson(const pb::Struct& st) {
  std::string out;
  (void)pb::util::MessageToJsonString(st, &out);
  return out;
}

void Num(pb::Struct* st, const char* key, double v) {
  (*st->mutable_fields())[key].set_number_value(v);
}
void Bool(pb::Struct* st, const char* key, bool v) {
  (*st->mutable_fields())[key].set_bool_value(v);
}
void Str(pb::Struct* st, const char* key, const std::string& v) {
  (*st->mutable_fields())[key].set_string_value(v);
}

}  // namespace

extern "C" {

fs_client* fs_open(const fs_options* options, char** error_out) {
  auto fail = [&](const std::string& msg) -> fs_client* {
    if (error_out != nullptr) *error_out = Dup(msg);
    return nullptr;
  };
  if (options == nullptr || options->data_dir == nullptr) return fail("data_dir is required");
  fieldsync::client::ClientOptions o;
  o.data_dir = options->data_dir;
  if (options->server) o.server.target = options->server;
  if (options->token) o.server.token = options->token;
  if (options->ca_pem) o.server.ca_pem = options->ca_pem;
  o.server.plaintext = options->plaintext != 0;
  if (options->device_id) o.device_id = options->device_id;
  if (options->max_attempts > 0) o.max_attempts = options->max_attempts;
  if (options->call_timeout_ms > 0) o.server.call_timeout_ms = options->call_timeout_ms;
  if (o.server.target.empty()) o.server.target = "unconfigured:0";  // offline use only
  auto client = Client::Open(std::move(o));
  if (!client.ok()) return fail(std::string(client.status().message()));
  auto* c = new fs_client;
  c->client = *std::move(client);
  return c;
}

void fs_close(fs_client* client) { delete client; }

int fs_record_create(fs_client* c, const char* form_id, const char* fields_json,
                     char** record_id_out) {
  if (c == nullptr || form_id == nullptr) return FS_INVALID_ARGUMENT;
  auto fields = ParseJsonFields(*c->client, form_id, fields_json);
  if (!fields.ok()) return Fail(c, fields.status());
  auto id = c->client->Create(form_id, *fields);
  if (!id.ok()) return Fail(c, id.status());
  if (record_id_out != nullptr) *record_id_out = Dup(*id);
  return FS_OK;
}

int fs_record_update(fs_client* c, const char* record_id, const char* fields_json) {
  if (c == nullptr || record_id == nullptr) return FS_INVALID_ARGUMENT;
  auto rec = c->client->Get(record_id);
  if (!rec.ok()) return Fail(c, rec.status());
  auto fields = ParseJsonFields(*c->client, rec->form_id, fields_json);
  if (!fields.ok()) return Fail(c, fields.status());
  absl::Status s = c->client->Update(record_id, *fields);
  return s.ok() ? FS_OK : Fail(c, s);
}

int fs_record_delete(fs_client* c, const char* record_id) {
  if (c == nullptr || record_id == nullptr) return FS_INVALID_ARGUMENT;
  absl::Status s = c->client->Delete(record_id);
  return s.ok() ? FS_OK : Fail(c, s);
}

int fs_record_get(fs_client* c, const char* record_id, char** record_json_out) {
  if (c == nullptr || record_id == nullptr || record_json_out == nullptr) {
    return FS_INVALID_ARGUMENT;
  }
  auto rec = c->client->Get(record_id);
  if (!rec.ok()) return Fail(c, rec.status());
  pb::Struct st;
  Str(&st, "record_id", rec->record_id);
  Str(&st, "form_id", rec->form_id);
  Num(&st, "form_version", rec->form_version);
  Num(&st, "server_version", static_cast<double>(rec->server_version));
  Bool(&st, "deleted", rec->deleted);
  Num(&st, "pending_edits", rec->pending_edits);
  Bool(&st, "conflict", rec->conflict);
  Bool(&st, "rejected", rec->rejected);
  auto* rej = (*st.mutable_fields())["rejection"].mutable_list_value();
  for (const auto& e : rec->rejection) {
    auto* o = rej->add_values()->mutable_struct_value();
    Str(o, "field", e.field);
    Str(o, "description", e.description);
  }
  auto* fields = (*st.mutable_fields())["fields"].mutable_struct_value();
  for (const auto& [k, v] : rec->fields) (*fields->mutable_fields())[k] = ToJsonValue(v);
  *record_json_out = Dup(ToJson(st));
  return FS_OK;
}

int fs_sync(fs_client* c, char** report_json_out) {
  if (c == nullptr) return FS_INVALID_ARGUMENT;
  auto r = c->client->Sync();
  if (!r.ok()) return Fail(c, r.status());
  if (report_json_out != nullptr) {
    pb::Struct st;
    Num(&st, "pushed", r->pushed);
    Num(&st, "applied", r->applied);
    Num(&st, "merged", r->merged);
    Num(&st, "duplicates", r->duplicates);
    Num(&st, "conflicts", r->conflicts);
    Num(&st, "rejected", r->rejected);
    Num(&st, "pulled", r->pulled);
    Num(&st, "removed", r->removed);
    Bool(&st, "resynced", r->resynced);
    *report_json_out = Dup(ToJson(st));
  }
  return FS_OK;
}

int fs_status(fs_client* c, char** status_json_out) {
  if (c == nullptr || status_json_out == nullptr) return FS_INVALID_ARGUMENT;
  auto s = c->client->GetStatus();
  if (!s.ok()) return Fail(c, s.status());
  pb::Struct st;
  Num(&st, "pending", s->pending);
  Num(&st, "oldest_unsent_age_ms", s->oldest_unsent_age_ms);
  Num(&st, "rejected", s->rejected);
  Num(&st, "conflicts", s->conflicts);
  Num(&st, "records", s->records);
  Num(&st, "acked_device_seq", s->acked_device_seq);
  Num(&st, "last_sync_ms", s->last_sync_ms);
  Str(&st, "last_error", s->last_error);
  *status_json_out = Dup(ToJson(st));
  return FS_OK;
}

const char* fs_last_error(const fs_client* c) {
  if (c == nullptr) return "no client";
  return c->last_error.c_str();
}

void fs_free(char* s) { free(s); }

}  // extern "C"

// What a webhook target receives for one change: which changes it wants (filter), the JSON body
// and its signature. Pure functions, no I/O.
//
// The body (UTF-8 JSON, one object):
//   {"seq": 42, "event": "update", "form_id": "displacement_household", "form_version": 1,
//    "record_id": "…", "version": 3, "device_id": "tab-7",
//    "commit_time": "2026-12-02T06:19:47.123Z",
//    "changes": [{"field": "household_size", "before": 5, "after": 6}],
//    "record": {"deleted": false, "fields": {"household_size": 6, …}}}
// `changes` are the changed fields with their values before and after this change; `record`
// is the record's state when the change is delivered (a later change may already be in it;
// null if the record is gone). Values: text as strings, int and decimal as numbers, booleans,
// select_multiple as arrays, geopoints as {"latitude": …, "longitude": …}, cleared as null.
// pii fields carry their pseudonyms, as stored.
#ifndef FIELDSYNC_SERVER_WEBHOOK_PAYLOAD_H_
#define FIELDSYNC_SERVER_WEBHOOK_PAYLOAD_H_

#include <optional>
#include <string>
#include <string_view>

#include "server/common/model.h"

namespace fieldsync::webhook {

// The event a change is: created, deleted (a live record became a tombstone), or else updated.
WebhookEvent EventOf(const ChangeEntry& change);
const char* EventName(WebhookEvent event);
std::optional<WebhookEvent> ParseEvent(std::string_view name);

// Whether `target` wants `change`: its events include the change's, its form ids (if any)
// include the change's form, and its scopes (if any) meet the record's scope before or after
// the change (so a record leaving a scope is still told to that scope's target).
bool Wants(const WebhookTarget& target, const ChangeEntry& change);

std::string PayloadJson(const ChangeEntry& change, const std::optional<Record>& current);

// "sha256=" and the lowercase hex HMAC-SHA256 of `body` under `secret`: the
// X-Fieldsync-Signature header.
std::string SignatureHeader(std::string_view secret, std::string_view body);

}  // namespace fieldsync::webhook

#endif  // FIELDSYNC_SERVER_WEBHOOK_PAYLOAD_H_

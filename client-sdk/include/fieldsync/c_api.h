/* The C binding of the fieldsync device SDK (fieldsync/client.h), for apps in other
 * languages. One opaque handle per open device store; records travel as JSON objects of
 * field values ({"household_size": 5, "governorate": "Ninewa", "needs": ["food"],
 * "location": {"latitude": 36.3, "longitude": 43.1}, "team": null}).
 *
 * Every function returning int returns 0 (FS_OK) on success or an error code (the
 * absl/gRPC status codes below); fs_last_error() then describes the failure of the last
 * call on that handle. Strings returned through `char**` are owned by the caller and
 * freed with fs_free().
 *
 * Thread safety: a handle may be used from several threads, but fs_last_error() reports the
 * last failure of any thread; use one handle per thread if you need exact messages. */
#ifndef FIELDSYNC_CLIENT_SDK_INCLUDE_FIELDSYNC_C_API_H_
#define FIELDSYNC_CLIENT_SDK_INCLUDE_FIELDSYNC_C_API_H_

#ifdef __cplusplus
extern "C" {
#endif

#define FS_OK 0
#define FS_INVALID_ARGUMENT 3
#define FS_DEADLINE_EXCEEDED 4
#define FS_NOT_FOUND 5
#define FS_ALREADY_EXISTS 6
#define FS_PERMISSION_DENIED 7
#define FS_RESOURCE_EXHAUSTED 8 /* also: disk full */
#define FS_FAILED_PRECONDITION 9
#define FS_INTERNAL 13
#define FS_UNAVAILABLE 14 /* server unreachable */
#define FS_DATA_LOSS 15
#define FS_UNAUTHENTICATED 16 /* token revoked or wrong */

typedef struct fs_client fs_client;

typedef struct fs_options {
  const char* data_dir; /* required */
  const char* server;   /* host:port */
  const char* token;
  const char* ca_pem;    /* NULL: system roots */
  int plaintext;         /* non-zero: no TLS (loopback development only) */
  const char* device_id; /* stamped into the device's clocks; may be NULL */
  int max_attempts;      /* sync attempts without progress; 0: the default (5) */
  int call_timeout_ms;   /* deadline per call; 0: the default (30 s) */
} fs_options;

/* Opens (creating if needed) the store in options->data_dir. Returns NULL on failure and,
 * if error_out is not NULL, a message in *error_out (free it with fs_free). */
fs_client* fs_open(const fs_options* options, char** error_out);
/* Closes the handle; NULL is ignored. */
void fs_close(fs_client* client);

/* Creates a record of form_id from a JSON object; *record_id_out receives its new id. */
int fs_record_create(fs_client* client, const char* form_id, const char* fields_json,
                     char** record_id_out);
/* Queues the fields of the JSON object that differ from the local record (null clears). */
int fs_record_update(fs_client* client, const char* record_id, const char* fields_json);
int fs_record_delete(fs_client* client, const char* record_id);
/* *record_json_out: {"record_id", "form_id", "form_version", "server_version", "deleted",
 * "pending_edits", "conflict", "rejected", "rejection": [{"field","description"}],
 * "fields": {...}}. */
int fs_record_get(fs_client* client, const char* record_id, char** record_json_out);

/* Pushes the outbox and pulls; *report_json_out (may be NULL) receives the counts. */
int fs_sync(fs_client* client, char** report_json_out);
/* *status_json_out: {"pending", "rejected", "conflicts", "records", "last_sync_ms",
 * "last_error", ...}. */
int fs_status(fs_client* client, char** status_json_out);

/* The message of the last failed call on `client` ("" if none). Valid until the next call. */
const char* fs_last_error(const fs_client* client);
void fs_free(char* s);

#ifdef __cplusplus
}
#endif

#endif /* FIELDSYNC_CLIENT_SDK_INCLUDE_FIELDSYNC_C_API_H_ */

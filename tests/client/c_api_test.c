/* The C API, compiled as C: open a store, create/update/get/delete records as JSON, status,
 * a sync against an unreachable server (an error code and message, nothing lost). The forms
 * come from a real server, reached once (argv[1] = host:port, argv[2] = token). */
#include "fieldsync/c_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: c_api_test HOST:PORT TOKEN DATA_DIR\n");
    return 2;
  }
  fs_options o;
  memset(&o, 0, sizeof(o));
  o.data_dir = argv[3];
  o.server = argv[1];
  o.token = argv[2];
  o.plaintext = 1;
  o.device_id = "c-tablet";
  char* err = NULL;
  fs_client* c = fs_open(&o, &err);
  CHECK(c != NULL);
  if (c == NULL) {
    fprintf(stderr, "open: %s\n", err ? err : "?");
    return 1;
  }

  char* report = NULL;
  int rc = fs_sync(c, &report); /* fetches the forms */
  CHECK(rc == FS_OK);
  if (rc != FS_OK) fprintf(stderr, "sync: %s\n", fs_last_error(c));
  fs_free(report);

  char* id = NULL;
  rc = fs_record_create(c, "displacement_household",
                        "{\"governorate\": \"Ninewa\", \"district\": \"Mosul\", "
                        "\"visit_date\": \"2026-11-20\", \"household_size\": 5, "
                        "\"needs\": [\"food\", \"water\"], "
                        "\"location\": {\"latitude\": 36.3, \"longitude\": 43.1}}",
                        &id);
  CHECK(rc == FS_OK);
  CHECK(id != NULL && strlen(id) == 36);

  rc = fs_record_create(c, "displacement_household",
                        "{\"governorate\": \"Ninewa\", \"household_size\": 500}", NULL);
  CHECK(rc == FS_INVALID_ARGUMENT);
  CHECK(strstr(fs_last_error(c), "household_size") != NULL);
  CHECK(strstr(fs_last_error(c), "district") != NULL);
  CHECK(fs_record_create(c, "displacement_household", "not json", NULL) == FS_INVALID_ARGUMENT);

  CHECK(fs_record_update(c, id, "{\"household_size\": 6, \"needs\": null}") == FS_OK);
  char* json = NULL;
  CHECK(fs_record_get(c, id, &json) == FS_OK);
  CHECK(json != NULL && strstr(json, "\"household_size\":6") != NULL);
  CHECK(json != NULL && strstr(json, "needs") == NULL);
  CHECK(json != NULL && strstr(json, "\"pending_edits\":2") != NULL);
  fs_free(json);
  CHECK(fs_record_get(c, "no-such-record", &json) == FS_NOT_FOUND);

  char* status = NULL;
  CHECK(fs_status(c, &status) == FS_OK);
  CHECK(status != NULL && strstr(status, "\"pending\":2") != NULL);
  fs_free(status);

  CHECK(fs_sync(c, &report) == FS_OK);
  CHECK(report != NULL && strstr(report, "\"pushed\":2") != NULL);
  fs_free(report);
  CHECK(fs_record_delete(c, id) == FS_OK);
  CHECK(fs_record_delete(c, id) == FS_NOT_FOUND);
  fs_close(c);

  /* The same store, now pointed at nothing: UNAVAILABLE with a message; edits kept. */
  o.server = "127.0.0.1:1";
  o.max_attempts = 1;
  c = fs_open(&o, &err);
  CHECK(c != NULL);
  if (c != NULL) {
    rc = fs_sync(c, NULL);
    CHECK(rc == FS_UNAVAILABLE);
    CHECK(strlen(fs_last_error(c)) > 0);
    CHECK(fs_status(c, &status) == FS_OK);
    CHECK(status != NULL && strstr(status, "\"pending\":1") != NULL);
    fs_free(status);
    fs_close(c);
  }
  fs_free(id);
  o.data_dir = NULL;
  CHECK(fs_open(&o, &err) == NULL);
  CHECK(err != NULL);
  fs_free(err);
  if (failures == 0) printf("c_api_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}

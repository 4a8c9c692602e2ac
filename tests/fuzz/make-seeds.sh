#!/usr/bin/env bash
# Regenerates the checked-in seed corpus (tests/fuzz/corpus/<target>/) from readable text:
# protobuf text format encoded with protoc, keys and cursors written byte by byte. Run from
# anywhere; needs protoc and zstd. The fuzzers add their own finds only to copies (run-fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")"
root=../..
c=corpus
enc() { protoc --encode="$1" -I "$root/proto" "$root/proto/fieldsync/v1/$2"; }
seed() { mkdir -p "$c/$1"; cat > "$c/$1/$2"; }

# ---- record_validator_fuzz: 0x00 + Mutation, 0x01 + Form ----
mut() { { printf '\x00'; enc fieldsync.v1.Mutation sync.proto; } | seed record_validator_fuzz "$1"; }
mut valid_crossing <<'T'
device_seq: 1 record_id: "cx-1" form_id: "fuzz_form" form_version: 1 op: UPSERT
fields { key: "border_point" value { text: "BP-001" } }
fields { key: "document_number" value { text: "AB 1234567" } }
fields { key: "nationality" value { text: "SYR" } }
fields { key: "group_size" value { integer: 3 } }
fields { key: "weight" value { decimal: 12.5 } }
fields { key: "vehicle" value { boolean: true } }
fields { key: "crossing_date" value { text: "2026-11-21" } }
fields { key: "crossing_time" value { text: "2026-11-21T08:30:00+03:00" } }
fields { key: "tags" value { choices { values: "a" values: "c" } } }
fields { key: "location" value { geopoint { latitude: 36.3 longitude: 43.1 } } }
fields { key: "photo" value { text: "sha256:abcd" } }
T
mut invalid_values <<'T'
device_seq: 2 record_id: "cx-2" form_id: "fuzz_form" form_version: 1 op: UPSERT
fields { key: "border_point" value { text: "BP-999" } }
fields { key: "document_number" value { integer: 7 } }
fields { key: "nationality" value { text: "syria" } }
fields { key: "group_size" value { integer: 0 } }
fields { key: "weight" value { decimal: -3 } }
fields { key: "crossing_date" value { text: "2026-02-30" } }
fields { key: "crossing_time" value { text: "yesterday" } }
fields { key: "tags" value { choices { values: "a" values: "a" values: "z" } } }
fields { key: "location" value { geopoint { latitude: 91 longitude: 0 } } }
fields { key: "unknown" value { text: "x" } }
T
mut clears <<'T'
device_seq: 3 record_id: "cx-3" form_id: "fuzz_form" form_version: 1 op: DELETE
fields { key: "border_point" value { } }
fields { key: "document_number" value { } }
T
{ printf '\x01'; enc fieldsync.v1.Form forms.proto; } | seed record_validator_fuzz form_valid <<'T'
form_id: "border_crossing" version: 1 title: "Border crossing log" edit_policy: APPEND_ONLY
scope_fields: "border_point"
fields { name: "border_point" type: SELECT_ONE required: true choices: "BP-001" choices: "BP-002" }
fields { name: "crossing_date" type: DATE required: true }
fields { name: "nationality" type: STRING regex: "[A-Z]{3}" }
fields { name: "group_size" type: INT min: 1 max: 500 }
fields { name: "document_number" type: STRING pii: true max: 64 }
aggregations { name: "per_day" group_by: "border_point" time_field: "crossing_date"
  measures { name: "people" kind: SUM field: "group_size" } measures { name: "n" kind: COUNT } }
T
{ printf '\x01'; enc fieldsync.v1.Form forms.proto; } | seed record_validator_fuzz form_invalid <<'T'
form_id: "bad form!" version: 0
scope_fields: "document_number" scope_fields: "missing"
fields { name: "document_number" type: STRING pii: true regex: "([" min: 5 max: 1 }
fields { name: "document_number" type: SELECT_ONE }
T

# ---- key_codec_fuzz: raw keys (the parsers) that are also structured input (round trips) ----
printf 'f\x0fborder_crossing\x00\x00\x00\x01' | seed key_codec_fuzz form_key
printf 'c\x00\x00\x00\x00\x00\x00\x01\x00' | seed key_codec_fuzz change_key
printf 's\x0fborder_crossing\x0cborder_point\x06BP-001\x00\x00\x00\x00\x00\x00\x00\x2a' |
  seed key_codec_fuzz scope_index_key
printf 'f\x80\x80\x80\x80\x10x' | seed key_codec_fuzz overlong_varint
printf '\x03abc\x03def\x03ghi\x03abc\x03def\x03ghi\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x02' |
  seed key_codec_fuzz same_coordinate
printf '\x02ab\x01c\x00\x01a\x02bc\x00' | seed key_codec_fuzz shifted_boundaries

# ---- cursor_fuzz ----
printf '\x01\x00\x00\x00\x00\x00\x00\x00\x2a\x12\x34\x56\x78\x9a\xbc\xde\xf0' | seed cursor_fuzz valid
printf '\x02\x00\x00\x00\x00\x00\x00\x00\x2a\x12\x34\x56\x78\x9a\xbc\xde\xf0' | seed cursor_fuzz bad_version
printf '\x01\x00\x00\x00' | seed cursor_fuzz truncated
printf '' | seed cursor_fuzz empty

# ---- bundle_reader_fuzz: 0x00 + file, 0x01 + signed payload, 0x02 + Bundle ----
bundle_text='device_id: "post-1" created_ms: 1700000000000 first_device_seq: 1 last_device_seq: 2
mutations { device_seq: 1 record_id: "cx-1" form_id: "border_crossing" form_version: 1 op: UPSERT
  fields { key: "border_point" value { text: "BP-001" } } }
mutations { device_seq: 2 record_id: "cx-2" form_id: "border_crossing" form_version: 1 op: UPSERT
  fields { key: "group_size" value { integer: 4 } } }'
{ printf '\x02'; echo "$bundle_text" | enc fieldsync.v1.Bundle bundle.proto; } |
  seed bundle_reader_fuzz roundtrip
payload="$(mktemp)"
echo "$bundle_text" | enc fieldsync.v1.Bundle bundle.proto > "$payload"
raw=$(stat -c %s "$payload")
{ printf '\x01\x00\x06post-1'; printf "\\x$(printf %02x $((raw >> 24 & 255)))\\x$(printf %02x $((raw >> 16 & 255)))\\x$(printf %02x $((raw >> 8 & 255)))\\x$(printf %02x $((raw & 255)))";
  zstd -q -c "$payload"; } | seed bundle_reader_fuzz signed_zstd_bundle
rm -f "$payload"
{ printf '\x00FSBUNDLE\x01\x01\x06post-1'; printf '\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x04abcd';
  head -c 32 /dev/zero; } | seed bundle_reader_fuzz unsigned_file
printf '\x00FSRCPTS\x00\x01' | seed bundle_reader_fuzz truncated_receipts
echo "seeds written under $(pwd)/$c"

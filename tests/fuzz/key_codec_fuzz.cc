// Fuzz target: the RocksDB key codecs of server/storage/keys.h.
//   - Every parser is fed the raw input: no out-of-bounds read (ASan), and a key that parses
//     is exactly what the encoder makes of the parsed parts (fixed-width keys), or at least
//     encodes back to the same parts (length-prefixed keys).
//   - Keys built from fuzzed parts parse back to those parts, and a prefix of one entity never
//     matches a key of another (the length prefixes), and seq order is byte order.
#include <cstdint>
#include <string>
#include <string_view>

#include "server/storage/keys.h"
#include "tests/fuzz/fuzz_input.h"

namespace fieldsync::fuzz {
namespace {

void ParseRaw(std::string_view raw) {
  if (auto form = keys::ParseFormKey(raw)) {
    auto again = keys::ParseFormKey(keys::FormKey(form->form_id, form->version));
    FUZZ_CHECK(again && again->form_id == form->form_id && again->version == form->version);
  }
  if (auto seq = keys::ParseChangeKey(raw)) FUZZ_CHECK(keys::ChangeKey(*seq) == raw);
  std::string_view in = raw;
  std::string_view s;
  if (keys::GetLengthPrefixed(&in, &s)) {
    FUZZ_CHECK(s.data() >= raw.data() && s.data() + s.size() <= raw.data() + raw.size());
    FUZZ_CHECK(in.data() == s.data() + s.size());
  }
  in = raw;
  uint64_t v64 = 0;
  if (keys::GetBigEndian64(&in, &v64)) FUZZ_CHECK(in.size() + 8 == raw.size());
  // Any prefix handed to the scan parsers.
  const size_t cut = raw.empty() ? 0 : static_cast<uint8_t>(raw[0]) % (raw.size() + 1);
  if (auto seq = keys::ParseScopeIndexSeq(raw, raw.substr(0, cut))) {
    FUZZ_CHECK(raw.size() == cut + 8);
  }
  (void)keys::ParseReceiptSeq(raw, raw.substr(0, cut));
}

void RoundTrip(FuzzInput* in) {
  const std::string form = in->Short(), field = in->Short(), value = in->Short();
  const std::string form2 = in->Short(), field2 = in->Short(), value2 = in->Short();
  const uint64_t seq = in->U64(), seq2 = in->U64();
  const uint32_t version = in->U32();

  auto parsed = keys::ParseFormKey(keys::FormKey(form, version));
  FUZZ_CHECK(parsed && parsed->form_id == form && parsed->version == version);
  FUZZ_CHECK(keys::ParseChangeKey(keys::ChangeKey(seq)) == seq);
  FUZZ_CHECK((keys::ChangeKey(seq) < keys::ChangeKey(seq2)) == (seq < seq2));

  const std::string prefix = keys::ScopeIndexPrefix(form, field, value);
  const std::string key = keys::ScopeIndexKey(form, field, value, seq);
  FUZZ_CHECK(keys::ParseScopeIndexSeq(key, prefix) == seq);
  FUZZ_CHECK((key < keys::ScopeIndexKey(form, field, value, seq2)) == (seq < seq2));
  FUZZ_CHECK(key < keys::PrefixSuccessor(prefix));
  // Another coordinate's keys never fall under this prefix.
  const std::string other = keys::ScopeIndexKey(form2, field2, value2, seq2);
  const bool same = form == form2 && field == field2 && value == value2;
  FUZZ_CHECK((other.compare(0, prefix.size(), prefix) == 0) == same);

  const std::string receipt_prefix = keys::ReceiptPrefix(form);
  FUZZ_CHECK(keys::ParseReceiptSeq(keys::ReceiptKey(form, seq), receipt_prefix) == seq);
  const bool same_device = form == form2;
  const std::string other_receipt = keys::ReceiptKey(form2, seq2);
  FUZZ_CHECK((other_receipt.compare(0, receipt_prefix.size(), receipt_prefix) == 0) == same_device);
  const std::string conflict_prefix = keys::ConflictPrefix(field);
  const std::string conflict = keys::ConflictKey(field2, value, seq, value2);
  FUZZ_CHECK((conflict.compare(0, conflict_prefix.size(), conflict_prefix) == 0) ==
             (field == field2));
}

}  // namespace
}  // namespace fieldsync::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fieldsync::fuzz::ParseRaw(std::string_view(reinterpret_cast<const char*>(data), size));
  fieldsync::fuzz::FuzzInput in(data, size);
  fieldsync::fuzz::RoundTrip(&in);
  return 0;
}

#include "server/storage/keys.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fieldsync::keys {
namespace {

// RocksDB's default comparator: unsigned bytewise, shorter first on a common prefix.
bool BytewiseLess(const std::string& a, const std::string& b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0;
  return a.size() < b.size();
}

bool StartsWith(const std::string& key, const std::string& prefix) {
  return key.size() >= prefix.size() && key.compare(0, prefix.size(), prefix) == 0;
}

// True if `key` falls in the scan range [prefix, PrefixSuccessor(prefix)).
bool InPrefixRange(const std::string& key, const std::string& prefix) {
  const std::string upper = PrefixSuccessor(prefix);
  return !BytewiseLess(key, prefix) && (upper.empty() || BytewiseLess(key, upper));
}

TEST(KeysTest, TagsAreDistinct) {
  const std::vector<char> tags = {kMeta,   kDevice,     kToken,   kDeviceState, kForm,    kRecord,
                                  kChange, kScopeIndex, kReceipt, kQuarantine,  kConflict};
  EXPECT_EQ(std::set<char>(tags.begin(), tags.end()).size(), tags.size());
}

TEST(KeysTest, ChangeKeySortsNumerically) {
  EXPECT_TRUE(BytewiseLess(ChangeKey(0), ChangeKey(1)));
  EXPECT_TRUE(BytewiseLess(ChangeKey(9), ChangeKey(10)));
  EXPECT_TRUE(BytewiseLess(ChangeKey(255), ChangeKey(256)));
  EXPECT_TRUE(BytewiseLess(ChangeKey(256), ChangeKey(65536)));
  EXPECT_TRUE(BytewiseLess(ChangeKey(65535), ChangeKey(65536)));
  EXPECT_TRUE(BytewiseLess(ChangeKey(UINT32_MAX), ChangeKey(uint64_t{UINT32_MAX} + 1)));
  EXPECT_TRUE(BytewiseLess(ChangeKey(UINT64_MAX - 1), ChangeKey(UINT64_MAX)));

  std::mt19937_64 rng(42);
  std::vector<uint64_t> seqs = {0, 1, 127, 128, 255, 256, 65535, 65536, UINT64_MAX};
  for (int i = 0; i < 500; ++i) seqs.push_back(rng() >> (rng() % 64));
  for (uint64_t a : seqs) {
    for (uint64_t b : {seqs[0], seqs[3], seqs[5], seqs[7], seqs[100], seqs[300]}) {
      EXPECT_EQ(BytewiseLess(ChangeKey(a), ChangeKey(b)), a < b) << a << " vs " << b;
    }
  }
}

TEST(KeysTest, ChangeKeyParseRoundTrip) {
  for (uint64_t seq : {uint64_t{0}, uint64_t{1}, uint64_t{256}, uint64_t{1} << 40, UINT64_MAX}) {
    auto parsed = ParseChangeKey(ChangeKey(seq));
    ASSERT_TRUE(parsed.has_value()) << seq;
    EXPECT_EQ(*parsed, seq);
  }
}

TEST(KeysTest, ChangeKeyParseRejectsMalformed) {
  const std::string good = ChangeKey(7);
  EXPECT_FALSE(ParseChangeKey("").has_value());
  EXPECT_FALSE(ParseChangeKey(good.substr(0, 8)).has_value());
  EXPECT_FALSE(ParseChangeKey(good + "x").has_value());
  std::string wrong_tag = good;
  wrong_tag[0] = kRecord;
  EXPECT_FALSE(ParseChangeKey(wrong_tag).has_value());
}

TEST(KeysTest, ScopeIndexKeysOfOneCoordinateSortBySeq) {
  const std::string prefix = ScopeIndexPrefix("household", "governorate", "Ninewa");
  std::vector<uint64_t> seqs = {0, 1, 2, 255, 256, 1000, 65535, 65536, 1ULL << 33, UINT64_MAX};
  for (size_t i = 0; i + 1 < seqs.size(); ++i) {
    const std::string a = ScopeIndexKey("household", "governorate", "Ninewa", seqs[i]);
    const std::string b = ScopeIndexKey("household", "governorate", "Ninewa", seqs[i + 1]);
    EXPECT_TRUE(BytewiseLess(a, b)) << seqs[i] << " vs " << seqs[i + 1];
    EXPECT_TRUE(StartsWith(a, prefix));
    EXPECT_TRUE(InPrefixRange(a, prefix));
  }
}

TEST(KeysTest, ScopeIndexSeqParse) {
  const std::string prefix = ScopeIndexPrefix("f", "x", "y");
  for (uint64_t seq : {uint64_t{0}, uint64_t{300}, UINT64_MAX}) {
    auto parsed = ParseScopeIndexSeq(ScopeIndexKey("f", "x", "y", seq), prefix);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, seq);
  }
  const std::string key = ScopeIndexKey("f", "x", "y", 5);
  EXPECT_FALSE(ParseScopeIndexSeq(key.substr(0, key.size() - 1), prefix).has_value());
  EXPECT_FALSE(ParseScopeIndexSeq(key + "z", prefix).has_value());
  EXPECT_FALSE(ParseScopeIndexSeq(ScopeIndexKey("f", "x", "z", 5), prefix).has_value());
  EXPECT_FALSE(ParseScopeIndexSeq(prefix, prefix).has_value());
  EXPECT_FALSE(ParseScopeIndexSeq("", prefix).has_value());
}

// Scope coordinates that would collide under a naive concatenation of their parts.
std::vector<std::tuple<std::string, std::string, std::string>> TrickyCoordinates() {
  return {
      {"f", "x", "a"},
      {"f", "x", "ab"},
      {"f", "x", "yz"},
      {"f", "xy", "z"},
      {"f", "x", ""},
      {"f", "", "x"},
      {"fx", "", ""},
      {"f", "", ""},
      {"", "", ""},
      {"f", "x", std::string(127, 'v')},
      {"f", "x", std::string(128, 'v')},
      {"f", "x", std::string(127, 'v') + "w"},
      {"f", "x", std::string("a\0", 2)},
      {"f", "x", "a\xff"},
      {"f2", "x", "a"},
      {"household", "governorate", "Ninewa"},
      {"household", "governorate", "Ninewa2"},
      {"household", "team", "Ninewa"},
  };
}

TEST(KeysTest, ScopePrefixRangesAreDisjoint) {
  const auto coords = TrickyCoordinates();
  for (const auto& [fa, xa, va] : coords) {
    const std::string prefix = ScopeIndexPrefix(fa, xa, va);
    for (const auto& [fb, xb, vb] : coords) {
      if (std::tie(fa, xa, va) == std::tie(fb, xb, vb)) continue;
      for (uint64_t seq : {uint64_t{0}, uint64_t{1}, uint64_t{0x61}, uint64_t{256}, UINT64_MAX}) {
        const std::string key = ScopeIndexKey(fb, xb, vb, seq);
        EXPECT_FALSE(InPrefixRange(key, prefix))
            << "key of (" << fb << "," << xb << "," << vb.size() << " bytes) at seq " << seq
            << " falls in the range of (" << fa << "," << xa << "," << va.size() << " bytes)";
        EXPECT_FALSE(ParseScopeIndexSeq(key, prefix).has_value());
      }
    }
  }
}

TEST(KeysTest, ReceiptKeysSortByDeviceSeqAndDevicesDoNotInterleave) {
  const std::vector<std::string> devices = {"a",
                                            "ab",
                                            "b",
                                            "d1",
                                            "d10",
                                            "d2",
                                            "tab-1",
                                            std::string(200, 'x'),
                                            std::string(200, 'x') + "y"};
  const std::vector<uint64_t> seqs = {1, 2, 255, 256, 65536, UINT64_MAX};
  struct Entry {
    std::string key;
    size_t device;
    uint64_t seq;
  };
  std::vector<Entry> entries;
  for (size_t d = 0; d < devices.size(); ++d) {
    for (uint64_t s : seqs) entries.push_back({ReceiptKey(devices[d], s), d, s});
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return BytewiseLess(a.key, b.key); });
  // Every device's keys are one contiguous run, ascending by device_seq.
  std::set<size_t> finished;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && entries[i].device != entries[i - 1].device) {
      EXPECT_TRUE(finished.insert(entries[i - 1].device).second)
          << "device " << devices[entries[i - 1].device] << " interleaves";
    }
    EXPECT_EQ(finished.count(entries[i].device), 0u)
        << "device " << devices[entries[i].device] << " interleaves";
    if (i > 0 && entries[i].device == entries[i - 1].device) {
      EXPECT_LT(entries[i - 1].seq, entries[i].seq);
    }
  }
  // And each device's keys fall only in its own prefix range.
  for (size_t d = 0; d < devices.size(); ++d) {
    const std::string prefix = ReceiptPrefix(devices[d]);
    for (const auto& e : entries) {
      EXPECT_EQ(InPrefixRange(e.key, prefix), e.device == d)
          << devices[e.device] << " vs prefix of " << devices[d];
    }
  }
}

TEST(KeysTest, ReceiptSeqParse) {
  const std::string prefix = ReceiptPrefix("tab-1");
  auto parsed = ParseReceiptSeq(ReceiptKey("tab-1", 65536), prefix);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, 65536u);
  EXPECT_FALSE(ParseReceiptSeq(ReceiptKey("tab-10", 1), prefix).has_value());
  EXPECT_FALSE(ParseReceiptSeq(ReceiptKey("tab-1", 1) + "x", prefix).has_value());
  EXPECT_FALSE(ParseReceiptSeq(prefix, prefix).has_value());
}

TEST(KeysTest, QuarantineAndConflictKeysStayInTheirPrefix) {
  EXPECT_TRUE(InPrefixRange(QuarantineKey("d", 9), QuarantinePrefix("d")));
  EXPECT_FALSE(InPrefixRange(QuarantineKey("d2", 9), QuarantinePrefix("d")));
  EXPECT_TRUE(BytewiseLess(QuarantineKey("d", 255), QuarantineKey("d", 256)));
  EXPECT_TRUE(InPrefixRange(ConflictKey("r", "dev", 3, "x"), ConflictPrefix("r")));
  EXPECT_FALSE(InPrefixRange(ConflictKey("r2", "dev", 3, "x"), ConflictPrefix("r")));
  EXPECT_FALSE(InPrefixRange(ConflictKey("r", "dev", 3, "x"), ConflictPrefix("r2")));
  // Distinct (device, device_seq, field) give distinct keys.
  std::set<std::string> keys = {ConflictKey("r", "dev", 3, "x"), ConflictKey("r", "dev", 3, "y"),
                                ConflictKey("r", "dev", 4, "x"), ConflictKey("r", "dev2", 3, "x"),
                                ConflictKey("r", "dev", 3, "")};
  EXPECT_EQ(keys.size(), 5u);
}

TEST(KeysTest, FormKeysSortByVersionAndParse) {
  EXPECT_TRUE(BytewiseLess(FormKey("f", 2), FormKey("f", 10)));
  EXPECT_TRUE(BytewiseLess(FormKey("f", 255), FormKey("f", 256)));
  EXPECT_TRUE(InPrefixRange(FormKey("f", 1), FormPrefix("f")));
  EXPECT_FALSE(InPrefixRange(FormKey("f2", 1), FormPrefix("f")));
  EXPECT_FALSE(InPrefixRange(FormKey("f", 1), FormPrefix("f2")));
  EXPECT_TRUE(InPrefixRange(FormKey("f2", 1), FormsPrefix()));

  auto parts = ParseFormKey(FormKey("border_crossing", 70000));
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->form_id, "border_crossing");
  EXPECT_EQ(parts->version, 70000u);
  auto long_id = ParseFormKey(FormKey(std::string(300, 'f'), 1));
  ASSERT_TRUE(long_id.has_value());
  EXPECT_EQ(long_id->form_id, std::string(300, 'f'));
}

TEST(KeysTest, FormKeyParseRejectsMalformed) {
  const std::string good = FormKey("form", 3);
  EXPECT_FALSE(ParseFormKey("").has_value());
  EXPECT_FALSE(ParseFormKey(std::string(1, kForm)).has_value());
  EXPECT_FALSE(ParseFormKey(good.substr(0, good.size() - 1)).has_value());  // short version
  EXPECT_FALSE(ParseFormKey(good + "x").has_value());                       // trailing byte
  EXPECT_FALSE(ParseFormKey(FormPrefix("form")).has_value());               // no version
  std::string wrong_tag = good;
  wrong_tag[0] = kRecord;
  EXPECT_FALSE(ParseFormKey(wrong_tag).has_value());
  // Length prefix longer than the rest of the key.
  std::string overlong(1, kForm);
  overlong.push_back(static_cast<char>(50));
  overlong += "abc";
  EXPECT_FALSE(ParseFormKey(overlong).has_value());
  // A varint that never ends.
  std::string endless(1, kForm);
  endless.append(6, static_cast<char>(0x80));
  EXPECT_FALSE(ParseFormKey(endless).has_value());
}

TEST(KeysTest, LengthPrefixedRoundTrip) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{127}, size_t{128}, size_t{300}, size_t{16384},
                   size_t{70000}}) {
    const std::string s(n, 'q');
    std::string buf;
    PutLengthPrefixed(&buf, s);
    buf += "rest";
    std::string_view in(buf);
    std::string_view out;
    ASSERT_TRUE(GetLengthPrefixed(&in, &out)) << n;
    EXPECT_EQ(out, s);
    EXPECT_EQ(in, "rest");
  }
}

TEST(KeysTest, LengthPrefixedRejectsMalformed) {
  std::string_view out;
  std::string_view empty;
  EXPECT_FALSE(GetLengthPrefixed(&empty, &out));

  std::string buf;
  PutLengthPrefixed(&buf, std::string(200, 'a'));
  std::string_view truncated_body(buf.data(), buf.size() - 1);
  EXPECT_FALSE(GetLengthPrefixed(&truncated_body, &out));
  std::string_view truncated_varint(buf.data(), 1);  // continuation bit set, then nothing
  EXPECT_FALSE(GetLengthPrefixed(&truncated_varint, &out));

  const std::string too_long(6, static_cast<char>(0xff));
  std::string_view in(too_long);
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
  // More than the five bytes a varint32 may take, even when a terminator follows.
  const std::string overlong = std::string(6, static_cast<char>(0x80)) + '\0' + "abc";
  std::string_view in2(overlong);
  EXPECT_FALSE(GetLengthPrefixed(&in2, &out));
}

TEST(KeysTest, BigEndianRoundTripAndShortInput) {
  std::string buf;
  PutBigEndian64(&buf, 0x0102030405060708ULL);
  PutBigEndian32(&buf, 0xA0B0C0D0u);
  EXPECT_EQ(buf.substr(0, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  std::string_view in(buf);
  uint64_t v64 = 0;
  uint32_t v32 = 0;
  ASSERT_TRUE(GetBigEndian64(&in, &v64));
  ASSERT_TRUE(GetBigEndian32(&in, &v32));
  EXPECT_EQ(v64, 0x0102030405060708ULL);
  EXPECT_EQ(v32, 0xA0B0C0D0u);
  EXPECT_TRUE(in.empty());

  std::string_view short64("1234567");
  EXPECT_FALSE(GetBigEndian64(&short64, &v64));
  EXPECT_EQ(short64.size(), 7u);  // not consumed
  std::string_view short32("123");
  EXPECT_FALSE(GetBigEndian32(&short32, &v32));
}

TEST(KeysTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("ab\xff", 3)), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  EXPECT_EQ(PrefixSuccessor(std::string("a\0", 2)), std::string("a\x01", 2));

  // Greater than every key with the prefix, and the smallest such: the next prefix's keys
  // are not below it.
  const std::string prefix = ReceiptPrefix("tab-1");
  const std::string upper = PrefixSuccessor(prefix);
  EXPECT_TRUE(BytewiseLess(prefix, upper));
  EXPECT_TRUE(BytewiseLess(ReceiptKey("tab-1", UINT64_MAX), upper));
  EXPECT_TRUE(BytewiseLess(prefix + std::string(100, '\xff'), upper));
  EXPECT_FALSE(BytewiseLess(upper, prefix + std::string(100, '\xff')));
}

TEST(KeysTest, SimpleKeysAreTaggedAndDistinct) {
  std::set<std::string> keys = {MetaKey("head_seq"),
                                DeviceKey("x"),
                                TokenKey("x"),
                                DeviceStateKey("x"),
                                RecordKey("x"),
                                ChangeKey(1),
                                FormKey("x", 1),
                                ReceiptKey("x", 1),
                                QuarantineKey("x", 1),
                                ScopeIndexKey("x", "", "", 1),
                                ConflictKey("x", "", 1, "")};
  EXPECT_EQ(keys.size(), 11u);
  EXPECT_EQ(RecordKey("rec-1"), std::string(1, kRecord) + "rec-1");
  EXPECT_EQ(DeviceKey("tab-1")[0], kDevice);
  EXPECT_EQ(MetaKey(kHeadSeq), std::string(1, kMeta) + "head_seq");
}

}  // namespace
}  // namespace fieldsync::keys

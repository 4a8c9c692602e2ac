#include "server/common/value.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fieldsync {
namespace {

using Strings = std::vector<std::string>;

TEST(CanonicalEncodingTest, DistinguishesKindsWithTheSameText) {
  // Values that print alike but are of different kinds must never encode alike.
  const std::vector<Value> values = {
      Value{},                     // null
      Value{std::string()},        // empty text
      Value{Strings{}},            // empty list
      Value{std::string("1")},     // text "1"
      Value{int64_t{1}},           // int 1
      Value{1.0},                  // decimal 1
      Value{true},                 // bool true
      Value{Strings{"1"}},         // list ["1"]
      Value{std::string("true")},  // text "true"
      Value{int64_t{0}},           // int 0
      Value{0.0},                  // decimal 0
      Value{false},                // bool false
      Value{std::string("0")},     // text "0"
      Value{GeoPoint{0, 0}},       // geopoints
      Value{GeoPoint{1, 0}},
      Value{GeoPoint{0, 1}},
  };
  std::set<std::string> encodings;
  for (const auto& v : values) {
    EXPECT_TRUE(encodings.insert(CanonicalEncoding(v)).second)
        << "duplicate encoding for " << DebugString(v);
  }
}

TEST(CanonicalEncodingTest, ListBoundariesMatter) {
  const std::vector<Value> values = {
      Value{Strings{"a", "b"}}, Value{Strings{"ab"}},     Value{Strings{"a,b"}},
      Value{Strings{"b", "a"}}, Value{Strings{"a", ""}},  Value{Strings{"", "a"}},
      Value{Strings{"a"}},      Value{std::string("ab")},
  };
  std::set<std::string> encodings;
  for (const auto& v : values) {
    EXPECT_TRUE(encodings.insert(CanonicalEncoding(v)).second)
        << "duplicate encoding for " << DebugString(v);
  }
}

TEST(CanonicalEncodingTest, EqualValuesEncodeEqually) {
  EXPECT_EQ(CanonicalEncoding(Value{std::string("Ninewa")}),
            CanonicalEncoding(Value{std::string("Ninewa")}));
  EXPECT_EQ(CanonicalEncoding(Value{int64_t{-42}}), CanonicalEncoding(Value{int64_t{-42}}));
  EXPECT_EQ(CanonicalEncoding(Value{Strings{"food", "water"}}),
            CanonicalEncoding(Value{Strings{"food", "water"}}));
  EXPECT_EQ(CanonicalEncoding(Value{GeoPoint{36.3, 43.1}}),
            CanonicalEncoding(Value{GeoPoint{36.3, 43.1}}));
  EXPECT_NE(CanonicalEncoding(Value{int64_t{256}}), CanonicalEncoding(Value{int64_t{1}}));
  EXPECT_NE(CanonicalEncoding(Value{1.5}), CanonicalEncoding(Value{2.5}));
}

TEST(CanonicalEncodingTest, IsPrefixFree) {
  // Content hashes concatenate encodings, so no encoding may be a proper prefix of another.
  const std::vector<Value> values = {
      Value{std::string("ab")},
      Value{std::string("abc")},
      Value{std::string("a")},
      Value{std::string("1:a")},
      Value{Strings{"a"}},
      Value{Strings{"a", "b"}},
      Value{int64_t{1}},
      Value{int64_t{1} << 40},
      Value{1.0},
      Value{true},
      Value{GeoPoint{1, 2}},
      Value{},
  };
  for (const auto& a : values) {
    for (const auto& b : values) {
      const std::string ea = CanonicalEncoding(a);
      const std::string eb = CanonicalEncoding(b);
      if (ea == eb) continue;
      EXPECT_NE(eb.substr(0, ea.size()), ea)
          << DebugString(a) << " encodes as a prefix of " << DebugString(b);
    }
  }
}

TEST(ScopeTextTest, RendersScopeKinds) {
  EXPECT_EQ(ScopeText(Value{std::string("Ninewa")}), "Ninewa");
  EXPECT_EQ(ScopeText(Value{int64_t{42}}), "42");
  EXPECT_EQ(ScopeText(Value{int64_t{-7}}), "-7");
  EXPECT_EQ(ScopeText(Value{true}), "true");
  EXPECT_EQ(ScopeText(Value{false}), "false");
  EXPECT_EQ(ScopeText(Value{}), "");
  EXPECT_EQ(ScopeText(Value{1.5}), "");
  EXPECT_EQ(ScopeText(Value{Strings{"a"}}), "");
  EXPECT_EQ(ScopeText(Value{GeoPoint{1, 2}}), "");
}

TEST(ValueTest, IsNullOnlyForMonostate) {
  EXPECT_TRUE(IsNull(Value{}));
  EXPECT_FALSE(IsNull(Value{std::string()}));
  EXPECT_FALSE(IsNull(Value{int64_t{0}}));
  EXPECT_FALSE(IsNull(Value{false}));
  EXPECT_FALSE(IsNull(Value{Strings{}}));
}

TEST(ValueTest, DebugString) {
  EXPECT_EQ(DebugString(Value{}), "null");
  EXPECT_EQ(DebugString(Value{std::string("x")}), "\"x\"");
  EXPECT_EQ(DebugString(Value{int64_t{3}}), "3");
  EXPECT_EQ(DebugString(Value{true}), "true");
  EXPECT_EQ(DebugString(Value{Strings{"a", "b"}}), "[a,b]");
}

}  // namespace
}  // namespace fieldsync

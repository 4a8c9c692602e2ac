// Fuzz target: XLSForm expressions (server/expr). A form's expressions are untrusted text.
// The input is the expression, then optionally a NUL and bytes that set the record's values.
//   - Compile never crashes; a refused text is INVALID_ARGUMENT naming a column (or the
//     text length).
//   - Evaluation, in every result form, never crashes and ends within the step budget: an
//     error is INVALID_ARGUMENT or RESOURCE_EXHAUSTED.
//   - An expression without now()/random()/uuid() gives the same result twice.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "server/expr/expr.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using fieldsync::GeoPoint;
using fieldsync::Value;
using namespace fieldsync::expr;

constexpr int kValues = 8;

// Any ${name} resolves: names starting with 'r' are repeated fields (node-sets), with 'g'
// groups; paths likewise by their last step; `.` is value 0.
class AnyResolver : public Resolver {
 public:
  absl::StatusOr<ResolvedRef> Resolve(const Reference& ref) const override {
    const std::string& name = ref.kind == Reference::Kind::kName
                                  ? ref.name
                                  : (ref.steps.empty() ? std::string(".") : ref.steps.back());
    if (name == "missing") return absl::NotFoundError(name);
    if (name == ".") return ResolvedRef{0, RefKind::kValue};
    RefKind kind = RefKind::kValue;
    if (name[0] == 'r' || ref.whole_form) kind = RefKind::kNodeSet;
    if (name[0] == 'g' || name == "..") kind = RefKind::kNode;
    return ResolvedRef{static_cast<RefId>(std::hash<std::string>()(name) % kValues), kind};
  }
};

class FuzzContext : public EvalContext {
 public:
  explicit FuzzContext(fieldsync::fuzz::FuzzInput* in) {
    for (int i = 0; i < kValues; ++i) {
      switch ((in->Byte() + i) % 8) {
        case 0:
          values_[i] = Value(std::string("2024-03-05"));
          break;
        case 1:
          values_[i] = Value(static_cast<int64_t>(in->U64()));
          break;
        case 2: {
          uint64_t bits = in->U64();
          double d;
          static_assert(sizeof(d) == sizeof(bits));
          memcpy(&d, &bits, sizeof(d));
          values_[i] = Value(d);
          break;
        }
        case 3:
          values_[i] = Value(in->Byte() % 2 == 0);
          break;
        case 4:
          values_[i] = Value(std::vector<std::string>{in->Short(), "a", in->Short()});
          break;
        case 5:
          values_[i] = Value(GeoPoint{in->Byte() - 90.0, in->Byte() - 128.0});
          break;
        case 6:
          values_[i] = Value();
          break;
        default:
          values_[i] = Value(in->Short());
          break;
      }
      sets_[i].assign(in->Byte() % 12, &values_[(i + 1) % kValues]);
    }
    position_ = in->Byte();
  }

  const Value* Get(RefId ref) override { return &values_[ref]; }
  void GetAll(RefId ref, std::vector<const Value*>* out) override {
    out->insert(out->end(), sets_[ref].begin(), sets_[ref].end());
  }
  const Value* GetIndexed(RefId target, const std::vector<RefId>& repeats,
                          const std::vector<int64_t>& indexes) override {
    FUZZ_CHECK(!repeats.empty() && repeats.size() == indexes.size());
    for (int64_t i : indexes) FUZZ_CHECK(i >= 1);
    return indexes[0] <= static_cast<int64_t>(sets_[target].size()) ? sets_[target][indexes[0] - 1]
                                                                    : nullptr;
  }
  int64_t Position(RefId ref) override { return position_ + ref; }
  absl::Time Now() override {
    return absl::FromCivil(absl::CivilSecond(2024, 3, 5, 10, 20, 30), absl::UTCTimeZone());
  }
  absl::TimeZone TimeZone() override { return absl::FixedTimeZone(3 * 3600); }
  uint64_t Random() override { return ++random_ * 0x9E3779B97F4A7C15ULL; }
  std::string ChoiceLabel(RefId field, std::string_view choice) override {
    return std::string(choice) + "-label";
  }

 private:
  Value values_[kValues];
  std::vector<const Value*> sets_[kValues];
  int64_t position_ = 1;
  uint64_t random_ = 0;
};

bool EvaluationErrorOk(const absl::Status& s) {
  return s.ok() || s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kResourceExhausted;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string text = input.substr(0, nul);
  const std::string rest = nul == std::string::npos ? "" : input.substr(nul + 1);
  fieldsync::fuzz::FuzzInput in(reinterpret_cast<const uint8_t*>(rest.data()), rest.size());

  Limits limits;
  limits.max_steps = 200'000;
  limits.max_string_bytes = 64 << 10;
  AnyResolver resolver;
  absl::StatusOr<CompiledExpr> e = Compile(text, resolver, limits);
  if (!e.ok()) {
    FUZZ_CHECK(e.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(e.status().message(), "column ") ||
               absl::StartsWith(e.status().message(), "expression too long"));
    return 0;
  }
  FuzzContext ctx(&in);
  absl::StatusOr<std::string> first = e->EvaluateString(ctx);
  FUZZ_CHECK(EvaluationErrorOk(first.status()));
  if (!e->volatile_result()) {
    absl::StatusOr<std::string> second = e->EvaluateString(ctx);
    FUZZ_CHECK(first.status() == second.status());
    if (first.ok()) FUZZ_CHECK(*first == *second);
  }
  FUZZ_CHECK(EvaluationErrorOk(e->EvaluateBoolean(ctx).status()));
  FUZZ_CHECK(EvaluationErrorOk(e->EvaluateNumber(ctx).status()));
  for (fieldsync::FieldType type :
       {fieldsync::FieldType::kString, fieldsync::FieldType::kInt, fieldsync::FieldType::kDecimal,
        fieldsync::FieldType::kBool, fieldsync::FieldType::kDate, fieldsync::FieldType::kDatetime,
        fieldsync::FieldType::kSelectMultiple, fieldsync::FieldType::kGeopoint}) {
    FUZZ_CHECK(EvaluationErrorOk(e->EvaluateAs(type, ctx).status()));
  }
  return 0;
}

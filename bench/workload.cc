#include "bench/workload.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fieldsync::bench {

namespace {

constexpr size_t kMaxNameChars = 200;  // head_of_household_name "max" in the form

v1::Value Text(const std::string& s) {
  v1::Value v;
  v.set_text(s);
  return v;
}

}  // namespace

v1::Mutation HouseholdTemplate(size_t target_bytes) {
  v1::Mutation m;
  m.set_form_id("displacement_household");
  m.set_form_version(1);
  m.set_base_version(0);
  m.set_op(v1::Mutation::UPSERT);
  auto& f = *m.mutable_fields();
  f["governorate"] = Text("Ninewa");
  f["district"] = Text("Mosul, Al-Zuhour neighbourhood, sector 12");
  f["visit_date"] = Text("2026-11-20");
  f["household_size"].set_integer(7);
  f["children_under_5"].set_integer(2);
  f["shelter_type"] = Text("host_family");
  auto* needs = f["needs"].mutable_choices();
  for (const char* n : {"food", "water", "shelter", "health", "documentation"}) {
    needs->add_values(n);
  }
  f["intends_to_return"].set_boolean(true);
  f["monthly_income"].set_decimal(185.5);
  auto* loc = f["location"].mutable_geopoint();
  loc->set_latitude(36.3456789);
  loc->set_longitude(43.1234567);
  // Placeholders of the final width so the size below is the size on the wire.
  Stamp(0, 0, &m);

  std::string name = "Abdullah Hassan Mahmoud Al-Jubouri";
  f["head_of_household_name"] = Text(name);
  const size_t base = m.ByteSizeLong();
  if (base < target_bytes) {
    const size_t pad = std::min(target_bytes - base, kMaxNameChars - name.size());
    // Mostly letters and spaces, like a long name with family lineage.
    static const char kFiller[] = " bin Yusuf Ibrahim";
    for (size_t i = 0; i < pad; ++i) name.push_back(kFiller[i % (sizeof(kFiller) - 1)]);
    f["head_of_household_name"] = Text(name);
  }
  return m;
}

std::string DeviceId(int device) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "bench-dev-%03d", device);
  return buf;
}

std::string RecordId(int device, uint64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "hh-%03d-%08llu", device, static_cast<unsigned long long>(index));
  return buf;
}

void Stamp(int device, uint64_t index, v1::Mutation* m) {
  m->set_device_seq(index + 1);
  m->set_record_id(RecordId(device, index));
  m->mutable_hlc()->set_physical_ms(1'700'000'000'000 + static_cast<int64_t>(index));
  m->mutable_hlc()->set_logical(0);
  m->mutable_hlc()->set_device_id(DeviceId(device));
}

double Percentile(std::vector<double>* values, double p) {
  if (values->empty()) return 0;
  std::sort(values->begin(), values->end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * values->size()));
  rank = std::clamp<size_t>(rank, 1, values->size());
  return (*values)[rank - 1];
}

}  // namespace fieldsync::bench

// What the benchmark sends: ~N-byte displacement_household creates, their record ids, and the
// statistics it reports. Shared by the fieldsyncd run and both limits so all three move the
// same bytes.
#ifndef FIELDSYNC_BENCH_WORKLOAD_H_
#define FIELDSYNC_BENCH_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "fieldsync/v1/sync.pb.h"

namespace fieldsync::bench {

// A valid displacement_household create in governorate Ninewa whose serialized size is as
// close to `target_bytes` as the form's length limits allow (head_of_household_name is padded,
// up to its 200-character maximum). device_seq, record_id and hlc are placeholders: set them
// with Stamp().
v1::Mutation HouseholdTemplate(size_t target_bytes);

// The record id of the `index`-th (from 0) record of device number `device`.
std::string RecordId(int device, uint64_t index);
// The device id of device number `device`.
std::string DeviceId(int device);

// Makes `m` the `index`-th (from 0) mutation of device number `device`: device_seq index + 1,
// its record id and an hlc from that device. Leaves the fields alone.
void Stamp(int device, uint64_t index, v1::Mutation* m);

// Nearest-rank percentile (0 < p <= 100) of `values`; sorts them. 0 if empty.
double Percentile(std::vector<double>* values, double p);

}  // namespace fieldsync::bench

#endif  // FIELDSYNC_BENCH_WORKLOAD_H_

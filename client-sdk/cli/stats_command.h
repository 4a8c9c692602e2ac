// `fieldsync stats`: the server's materialised statistics (AggregationService).
//
//   fieldsync stats                              the aggregations (ListAggregations)
//   fieldsync stats FORM AGGREGATION [--by FIELD,...] [--where FIELD=V1,V2 ...]
//                   [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--total] [--csv]
//   fieldsync stats verify FORM AGGREGATION      recompute from the records (admin)
//
// --by keeps these group-by fields (in this order) and sums the others up; `--by=` with no
// fields sums all of them up. --total rolls the time buckets into one. The table (or, with
// --csv, RFC 4180 CSV) goes to stdout with the exact sums the server keeps; the freshness
// line (cells' checkpoint vs feed head) follows the table, or goes to stderr with --csv.
// Also takes --server/--token-file/--ca-file/--plaintext (server_connection.h).
#ifndef FIELDSYNC_CLIENT_SDK_CLI_STATS_COMMAND_H_
#define FIELDSYNC_CLIENT_SDK_CLI_STATS_COMMAND_H_

#include <string>
#include <vector>

#include "client-sdk/cli/cli_common.h"

namespace fieldsync::cli {

// `args` starts with "stats". Returns the process exit code: 0 done; 1 the server refused or
// failed (message on stderr; `stats verify` also when drift was found); 2 usage.
int CmdStats(const Settings& settings, std::vector<std::string> args);

}  // namespace fieldsync::cli

#endif  // FIELDSYNC_CLIENT_SDK_CLI_STATS_COMMAND_H_

// Forward declarations for headers that declare settings without including CLI11.
#ifndef FIELDSYNC_SERVER_CMDLINE_CMDLINE_FWD_H_
#define FIELDSYNC_SERVER_CMDLINE_CMDLINE_FWD_H_

namespace CLI {
class App;
}  // namespace CLI

namespace fieldsync::cmdline {
class CommandLine;
}  // namespace fieldsync::cmdline

#endif  // FIELDSYNC_SERVER_CMDLINE_CMDLINE_FWD_H_

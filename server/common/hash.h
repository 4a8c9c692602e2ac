#ifndef FIELDSYNC_SERVER_COMMON_HASH_H_
#define FIELDSYNC_SERVER_COMMON_HASH_H_

#include <string>
#include <string_view>

namespace fieldsync {

// SHA-256 of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);

// `n` bytes from the OS CSPRNG as 2n lowercase hex characters.
std::string RandomHex(size_t n);

// Compares in time that depends only on the lengths, not on where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace fieldsync

#endif  // FIELDSYNC_SERVER_COMMON_HASH_H_

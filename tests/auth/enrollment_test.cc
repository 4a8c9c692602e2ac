#include "server/auth/enrollment.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/auth/attempt_limiter.h"
#include "server/common/clock.h"
#include "server/common/hash.h"
#include "server/common/status.h"
#include "server/storage/store.h"

namespace fieldsync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

CodeRequest Req(Role role, std::vector<ScopePair> scopes, bool all_scopes = false,
                int64_t ttl_ms = 0) {
  CodeRequest r;
  r.role = role;
  r.scopes = std::move(scopes);
  r.all_scopes = all_scopes;
  r.ttl_ms = ttl_ms;
  return r;
}

class EnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    StoreOptions options;
    options.in_memory = true;
    options.path = "/mem/enrollment_test" + std::to_string(counter++);
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto audit = AuditLog::Open(store_.get(), &clock_);
    ASSERT_TRUE(audit.ok());
    audit_ = std::move(*audit);
    DeviceRegistryOptions ro;
    ro.token_lifetime_ms = 90LL * 24 * 3600'000;
    registry_ = std::make_unique<DeviceRegistry>(store_.get(), &clock_, audit_.get(), ro);
    EnrollmentOptions eo;
    eo.server_address = "sync.example.org:7443";
    eo.attempts = {/*per_peer=*/3, /*global=*/10, /*window_ms=*/60'000, /*max_peers=*/4};
    enrollment_ = std::make_unique<Enrollment>(store_.get(), &clock_, registry_.get(), eo);
  }

  NewEnrollmentCode Code(CodeRequest req = Req(Role::kEnumerator, {{"governorate", "Ninewa"}})) {
    auto code = enrollment_->CreateCode(req, admin_);
    EXPECT_TRUE(code.ok()) << code.status();
    return code.ok() ? *code : NewEnrollmentCode{};
  }

  std::vector<AuditEntry> Audit() {
    auto entries = audit_->List(0, 1000);
    EXPECT_TRUE(entries.ok());
    return entries.ok() ? *entries : std::vector<AuditEntry>{};
  }

  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<DeviceRegistry> registry_;
  std::unique_ptr<Enrollment> enrollment_;
  AuditContext admin_{"admin-1", "admin", "req-create"};
};

TEST_F(EnrollmentTest, CodeEnrollsADeviceWithItsGrant) {
  NewEnrollmentCode code = Code();
  EXPECT_THAT(code.code, MatchesRegex("[0-9a-f]{5}-[0-9a-f]{5}-[0-9a-f]{5}-[0-9a-f]{5}"));
  EXPECT_EQ(code.uri, "fieldsync://enroll?server=sync.example.org%3A7443&code=" + code.code);
  EXPECT_EQ(code.stored.expires_ms, clock_.NowMs() + 24 * 3600'000);

  auto device = enrollment_->Enroll(code.code, "tablet 7", "ipv4:10.0.0.1", "req-enroll");
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_THAT(device->device.device_id, MatchesRegex("dev-[0-9a-f]{16}"));
  EXPECT_EQ(device->device.role, Role::kEnumerator);
  EXPECT_THAT(device->device.scopes, ElementsAre(ScopePair{"governorate", "Ninewa"}));
  EXPECT_EQ(device->device.label, "tablet 7");
  EXPECT_EQ(device->device.token_expires_ms, clock_.NowMs() + 90LL * 24 * 3600'000);
  auto auth = registry_->Authenticate(device->token);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->device_id, device->device.device_id);

  // The code is marked used and named by its id only.
  auto codes = enrollment_->List();
  ASSERT_TRUE(codes.ok());
  ASSERT_EQ(codes->size(), 1u);
  EXPECT_EQ((*codes)[0].used_by, device->device.device_id);
  EXPECT_EQ((*codes)[0].used_ms, clock_.NowMs());
  EXPECT_EQ((*codes)[0].code_hash, Sha256Hex(NormalizeEnrollmentCode(code.code)));

  // Audited: creation by the admin, enrollment by the new device; no secrets in either.
  auto entries = Audit();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].event.action, audit_action::kCodeCreate);
  EXPECT_EQ(entries[0].event.who.actor_device_id, "admin-1");
  EXPECT_EQ(entries[0].event.target, code.stored.code_id);
  EXPECT_EQ(entries[1].event.action, audit_action::kEnroll);
  EXPECT_EQ(entries[1].event.target, device->device.device_id);
  EXPECT_EQ(entries[1].event.who.request_id, "req-enroll");
  EXPECT_THAT(entries[1].event.detail, HasSubstr(code.stored.code_id));
  for (const auto& e : entries) {
    const std::string encoded = EncodeAuditEntry(e);
    EXPECT_EQ(encoded.find(code.code), std::string::npos);
    EXPECT_EQ(encoded.find(NormalizeEnrollmentCode(code.code)), std::string::npos);
    EXPECT_EQ(encoded.find(device->token), std::string::npos);
    EXPECT_EQ(encoded.find("tablet 7"), std::string::npos);
  }
}

TEST_F(EnrollmentTest, StoreHoldsOnlyTheHashOfTheCode) {
  NewEnrollmentCode code = Code();
  auto stored = store_->GetEnrollmentCode(Sha256Hex(NormalizeEnrollmentCode(code.code)));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto by_code = store_->GetEnrollmentCode(code.code);
  ASSERT_TRUE(by_code.ok());
  EXPECT_FALSE(by_code->has_value());
}

TEST_F(EnrollmentTest, TypedCodeIgnoresCaseDashesAndSpaces) {
  NewEnrollmentCode code = Code();
  std::string typed = NormalizeEnrollmentCode(code.code);
  for (auto& c : typed) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  typed.insert(10, " ");
  EXPECT_TRUE(enrollment_->Enroll(typed, "", "p", "r").ok());
}

TEST_F(EnrollmentTest, CodeWorksOnlyOnce) {
  NewEnrollmentCode code = Code();
  ASSERT_TRUE(enrollment_->Enroll(code.code, "", "p", "r").ok());
  auto again = enrollment_->Enroll(code.code, "", "p", "r");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnauthenticated);
  // The same message as an unknown code.
  EXPECT_EQ(again.status().message(),
            enrollment_->Enroll("00000-00000-00000-00000", "", "q", "r").status().message());
  auto devices = registry_->List();
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(devices->size(), 1u);
}

TEST_F(EnrollmentTest, CodeExpires) {
  NewEnrollmentCode code = Code(Req(Role::kBorderOfficer, {{"border_point", "BP-001"}}, false,
                                    /*ttl_ms=*/60'000));
  clock_.AdvanceMs(60'000);
  EXPECT_EQ(enrollment_->Enroll(code.code, "", "p", "r").status().code(),
            absl::StatusCode::kUnauthenticated);
  NewEnrollmentCode fresh = Code(Req(Role::kBorderOfficer, {{"border_point", "BP-001"}}, false,
                                     /*ttl_ms=*/60'000));
  clock_.AdvanceMs(59'999);
  auto device = enrollment_->Enroll(fresh.code, "", "p", "r");
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_EQ(device->device.role, Role::kBorderOfficer);
}

TEST_F(EnrollmentTest, ConcurrentEnrollmentsWithOneCodeMakeOneDevice) {
  NewEnrollmentCode code = Code();
  std::atomic<int> ok{0}, denied{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto d = enrollment_->Enroll(code.code, "", "peer-" + std::to_string(i), "r");
      if (d.ok()) {
        ++ok;
      } else if (d.status().code() == absl::StatusCode::kUnauthenticated) {
        ++denied;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(denied.load(), 7);
  auto devices = registry_->List();
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(devices->size(), 1u);
}

TEST_F(EnrollmentTest, BadCodeRequestsAreInvalid) {
  EXPECT_EQ(enrollment_->CreateCode(Req(Role::kEnumerator, {}, false), admin_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(enrollment_->CreateCode(Req(Role::kEnumerator, {{"governorate", ""}}, false), admin_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      enrollment_
          ->CreateCode(Req(Role::kEnumerator, {{"g", "v"}}, false, 31LL * 24 * 3600'000), admin_)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(enrollment_->CreateCode(Req(Role::kEnumerator, {{"g", "v"}}, false, -5), admin_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(enrollment_->CreateCode(Req(Role::kAdmin, {}, true), admin_).ok());
  // An over-long label fails the enrollment and leaves the code unused.
  NewEnrollmentCode code = Code();
  EXPECT_EQ(enrollment_->Enroll(code.code, std::string(129, 'x'), "p", "r").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(enrollment_->Enroll(code.code, std::string(128, 'x'), "p", "r").ok());
}

TEST_F(EnrollmentTest, FailedAttemptsAreLimitedPerPeer) {
  NewEnrollmentCode code = Code();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(
        enrollment_->Enroll("bad-" + std::to_string(i), "", "ipv4:10.0.0.9", "r").status().code(),
        absl::StatusCode::kUnauthenticated);
  }
  // The fourth try from that address is refused before the code is looked at, even a valid one.
  clock_.AdvanceMs(20'000);
  auto limited = enrollment_->Enroll(code.code, "", "ipv4:10.0.0.9", "r");
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelayMs(limited.status()), 40'000);
  // Another address is unaffected, and the code is still unused.
  EXPECT_TRUE(enrollment_->Enroll(code.code, "", "ipv4:10.0.0.10", "r").ok());
  // After the window, the first address may try again.
  clock_.AdvanceMs(40'000);
  EXPECT_EQ(enrollment_->Enroll("bad", "", "ipv4:10.0.0.9", "r").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(EnrollmentTest, FailedAttemptsAreLimitedGlobally) {
  // Ten failures from ten addresses (two each from five would hit no per-peer limit).
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(
        enrollment_->Enroll("bad", "", "ipv4:10.1.0." + std::to_string(i), "r").status().code(),
        absl::StatusCode::kUnauthenticated);
  }
  NewEnrollmentCode code = Code();
  auto limited = enrollment_->Enroll(code.code, "", "ipv4:10.2.0.1", "r");
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT(RetryDelayMs(limited.status()), 0);
  clock_.AdvanceMs(60'000);
  EXPECT_TRUE(enrollment_->Enroll(code.code, "", "ipv4:10.2.0.1", "r").ok());
}

TEST(AttemptLimiterTest, PeerTableIsBounded) {
  FakeClock clock;
  AttemptLimiter limiter(&clock, {/*per_peer=*/2, /*global=*/1000, /*window_ms=*/1000,
                                  /*max_peers=*/3});
  for (int i = 0; i < 10; ++i) limiter.RecordFailure("p" + std::to_string(i));
  EXPECT_EQ(limiter.tracked_peers(), 3u);
  // Once windows end, their peers make room for new ones.
  clock.AdvanceMs(1000);
  limiter.RecordFailure("new");
  EXPECT_EQ(limiter.tracked_peers(), 1u);
  limiter.RecordFailure("new");
  EXPECT_EQ(limiter.Check("new").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(limiter.Check("other").ok());
}

TEST(PeerHostTest, DropsThePort) {
  EXPECT_EQ(PeerHost("ipv4:10.0.0.7:51234"), "ipv4:10.0.0.7");
  EXPECT_EQ(PeerHost("ipv6:[::1]:4000"), "ipv6:[::1]");
  EXPECT_EQ(PeerHost("ipv6:%5B::1%5D:4000"), "ipv6:%5B::1%5D");
  EXPECT_EQ(PeerHost("unix:/tmp/sock"), "unix:/tmp/sock");
}

}  // namespace
}  // namespace fieldsync

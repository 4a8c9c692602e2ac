#include "server/auth/device_registry.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/common/clock.h"
#include "server/common/hash.h"
#include "server/storage/store.h"

namespace fieldsync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class DeviceRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    StoreOptions options;
    options.in_memory = true;
    options.path = "/mem/auth_test" + std::to_string(counter++);
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    registry_ = std::make_unique<DeviceRegistry>(store_.get(), &clock_);
  }

  NewDevice CreateOk(const std::string& id,
                     std::vector<ScopePair> scopes = {{"governorate", "Ninewa"}},
                     Role role = Role::kEnumerator, bool all_scopes = false) {
    auto created = registry_->Create(id, role, std::move(scopes), all_scopes);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *std::move(created) : NewDevice{};
  }

  FakeClock clock_{1'700'000'123'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<DeviceRegistry> registry_;
};

TEST_F(DeviceRegistryTest, CreateStoresOnlyTheTokenHash) {
  NewDevice created = CreateOk("tab-1", {{"governorate", "Ninewa"}, {"team", "T1"}});
  ASSERT_FALSE(created.token.empty());
  EXPECT_GE(created.token.size(), 32u);
  EXPECT_EQ(created.device.device_id, "tab-1");
  EXPECT_EQ(created.device.created_ms, 1'700'000'123'000);

  auto stored = store_->GetDevice("tab-1");
  ASSERT_TRUE(stored.ok() && stored->has_value()) << stored.status();
  const Device& d = **stored;
  EXPECT_NE(d.token_hash, created.token);
  EXPECT_THAT(d.token_hash, Not(HasSubstr(created.token)));
  EXPECT_EQ(d.token_hash, Sha256Hex(created.token));
  EXPECT_EQ(d.role, Role::kEnumerator);
  EXPECT_FALSE(d.all_scopes);
  EXPECT_THAT(d.scopes, ElementsAre(ScopePair{"governorate", "Ninewa"}, ScopePair{"team", "T1"}));
  EXPECT_FALSE(d.revoked);
  EXPECT_EQ(d.created_ms, 1'700'000'123'000);

  // Indexed by the hash, not by the token.
  auto by_hash = store_->GetDeviceIdByTokenHash(Sha256Hex(created.token));
  ASSERT_TRUE(by_hash.ok() && by_hash->has_value());
  EXPECT_EQ(**by_hash, "tab-1");
  auto by_token = store_->GetDeviceIdByTokenHash(created.token);
  ASSERT_TRUE(by_token.ok());
  EXPECT_FALSE(by_token->has_value());
}

TEST_F(DeviceRegistryTest, TokensAreDistinct) {
  NewDevice a = CreateOk("tab-1");
  NewDevice b = CreateOk("tab-2");
  EXPECT_NE(a.token, b.token);
  EXPECT_NE(a.device.token_hash, b.device.token_hash);
}

TEST_F(DeviceRegistryTest, AuthenticateReturnsTheDevice) {
  NewDevice a = CreateOk("tab-1", {{"governorate", "Ninewa"}});
  NewDevice admin = CreateOk("admin-1", {}, Role::kAdmin, /*all_scopes=*/true);
  auto got = registry_->Authenticate(a.token);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->device_id, "tab-1");
  EXPECT_EQ(got->role, Role::kEnumerator);
  EXPECT_THAT(got->scopes, ElementsAre(ScopePair{"governorate", "Ninewa"}));
  auto got_admin = registry_->Authenticate(admin.token);
  ASSERT_TRUE(got_admin.ok()) << got_admin.status();
  EXPECT_EQ(got_admin->device_id, "admin-1");
  EXPECT_EQ(got_admin->role, Role::kAdmin);
  EXPECT_TRUE(got_admin->all_scopes);
}

TEST_F(DeviceRegistryTest, BadCredentialsAreUnauthenticated) {
  NewDevice a = CreateOk("tab-1");
  std::string wrong = a.token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  const std::vector<std::string> bad = {
      "",     wrong, a.token + "x", a.token.substr(1), Sha256Hex(a.token), std::string(300, 'a'),
      "tab-1"};
  for (const auto& token : bad) {
    auto got = registry_->Authenticate(token);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kUnauthenticated) << token;
  }
}

TEST_F(DeviceRegistryTest, RevokedDeviceIsUnauthenticatedWithTheSameMessage) {
  NewDevice a = CreateOk("tab-1");
  NewDevice b = CreateOk("tab-2");
  ASSERT_TRUE(registry_->Authenticate(a.token).ok());
  ASSERT_TRUE(registry_->Revoke("tab-1").ok());

  auto revoked = registry_->Authenticate(a.token);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  auto unknown = registry_->Authenticate("fs_" + std::string(64, '0'));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(revoked.status().message(), unknown.status().message());

  auto stored = store_->GetDevice("tab-1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_TRUE((*stored)->revoked);
  // Other devices are unaffected.
  EXPECT_TRUE(registry_->Authenticate(b.token).ok());
  // Revoking an unknown device.
  EXPECT_EQ(registry_->Revoke("nobody").code(), absl::StatusCode::kNotFound);
}

TEST_F(DeviceRegistryTest, DeviceMarkedRevokedIsRefusedEvenWithItsTokenIndexed) {
  NewDevice a = CreateOk("tab-1");
  // A revoked flag written without the index clean-up (e.g. by an older admin tool).
  Device d = a.device;
  d.revoked = true;
  Store::Batch batch;
  batch.PutDevice(d);  // keeps the token-hash index entry
  ASSERT_TRUE(store_->Write(batch, true).ok());
  EXPECT_EQ(registry_->Authenticate(a.token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(DeviceRegistryTest, DuplicateIdIsAlreadyExists) {
  NewDevice first = CreateOk("tab-1");
  auto again = registry_->Create("tab-1", Role::kSupervisor, {{"team", "T2"}}, false);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  // The first device's credential and definition are untouched.
  auto got = registry_->Authenticate(first.token);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->role, Role::kEnumerator);
  EXPECT_THAT(got->scopes, ElementsAre(ScopePair{"governorate", "Ninewa"}));
  // Revoked ids stay taken.
  ASSERT_TRUE(registry_->Revoke("tab-1").ok());
  EXPECT_EQ(registry_->Create("tab-1", Role::kEnumerator, {{"team", "T2"}}, false).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(DeviceRegistryTest, BadIdIsInvalidArgument) {
  for (const std::string& id :
       {std::string(""), std::string("has space"), std::string("a/b"), std::string("ünï"),
        std::string(65, 'a'), std::string("tab\n1"), std::string("a:b")}) {
    auto created = registry_->Create(id, Role::kEnumerator, {{"governorate", "Ninewa"}}, false);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << id;
  }
  CreateOk(std::string(64, 'a'));
  CreateOk("Tab_1.a-B");
}

TEST_F(DeviceRegistryTest, ScopesAreRequiredAndWellFormed) {
  EXPECT_EQ(registry_->Create("tab-1", Role::kEnumerator, {}, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A grant with an empty field or value is not a scope ({"", ""} would even name the form-wide
  // index that only all-scopes devices read).
  for (const ScopePair& bad :
       {ScopePair{"", ""}, ScopePair{"", "Ninewa"}, ScopePair{"governorate", ""}}) {
    auto created = registry_->Create("tab-2", Role::kEnumerator, {bad}, false);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument)
        << bad.field << "=" << bad.value;
  }
  auto none = store_->GetDevice("tab-2");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // All-scopes devices need no grants.
  CreateOk("admin", {}, Role::kAdmin, true);
}

TEST_F(DeviceRegistryTest, ListReturnsEveryDevice) {
  CreateOk("tab-2");
  CreateOk("tab-1");
  auto list = registry_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].device_id, "tab-1");
  EXPECT_EQ((*list)[1].device_id, "tab-2");
}

// ---- Token expiry, rotation, revocation and their audit entries ----------------------------

class TokenTest : public DeviceRegistryTest {
 protected:
  void SetUp() override {
    DeviceRegistryTest::SetUp();
    auto audit = AuditLog::Open(store_.get(), &clock_);
    ASSERT_TRUE(audit.ok()) << audit.status();
    audit_ = std::move(*audit);
    DeviceRegistryOptions options;
    options.token_lifetime_ms = 3600'000;
    registry_ = std::make_unique<DeviceRegistry>(store_.get(), &clock_, audit_.get(), options);
  }
  std::vector<AuditEntry> Audit() {
    auto entries = audit_->List(0, 1000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    return entries.ok() ? *entries : std::vector<AuditEntry>{};
  }
  std::unique_ptr<AuditLog> audit_;
};

TEST_F(TokenTest, TokenExpiresAfterItsLifetime) {
  NewDevice a = CreateOk("tab-1");
  EXPECT_EQ(a.device.token_issued_ms, clock_.NowMs());
  EXPECT_EQ(a.device.token_expires_ms, clock_.NowMs() + 3600'000);
  clock_.AdvanceMs(3600'000 - 1);
  ASSERT_TRUE(registry_->Authenticate(a.token).ok());
  clock_.AdvanceMs(1);
  auto expired = registry_->Authenticate(a.token);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  // The same message as for an unknown token.
  EXPECT_EQ(expired.status().message(), registry_->Authenticate("fs_unknown").status().message());
}

TEST_F(TokenTest, DeviceWithoutExpiryKeepsWorking) {
  // Devices stored before tokens expired have token_expires_ms == 0.
  NewDevice a = CreateOk("tab-1");
  Device d = a.device;
  d.token_expires_ms = 0;
  Store::Batch b;
  b.PutDevice(d);
  ASSERT_TRUE(store_->Write(b, true).ok());
  clock_.AdvanceMs(10LL * 365 * 24 * 3600'000);
  EXPECT_TRUE(registry_->Authenticate(a.token).ok());
}

TEST_F(TokenTest, RotationReplacesTheTokenAtOnce) {
  NewDevice a = CreateOk("tab-1");
  auto caller = registry_->Authenticate(a.token);
  ASSERT_TRUE(caller.ok());
  clock_.AdvanceMs(1000);
  auto rotated = registry_->RotateToken(*caller, AuditContext::Of(*caller, "req-rot"));
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_NE(rotated->token, a.token);
  EXPECT_EQ(rotated->expires_ms, clock_.NowMs() + 3600'000);
  EXPECT_EQ(registry_->Authenticate(a.token).status().code(), absl::StatusCode::kUnauthenticated);
  auto now = registry_->Authenticate(rotated->token);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->device_id, "tab-1");
  EXPECT_EQ(now->token_hash, Sha256Hex(rotated->token));
  // The old hash is gone from the index.
  auto by_old = store_->GetDeviceIdByTokenHash(Sha256Hex(a.token));
  ASSERT_TRUE(by_old.ok());
  EXPECT_FALSE(by_old->has_value());
  // A second rotation with the stale identity (the old token) fails.
  EXPECT_EQ(registry_->RotateToken(*caller, AuditContext::Of(*caller, "r")).status().code(),
            absl::StatusCode::kUnauthenticated);
  // The rotation was audited without the token.
  auto entries = Audit();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].event.action, audit_action::kRotateToken);
  EXPECT_EQ(entries[1].event.target, "tab-1");
  EXPECT_EQ(entries[1].event.who.request_id, "req-rot");
  for (const auto& e : entries) {
    const std::string encoded = EncodeAuditEntry(e);
    EXPECT_EQ(encoded.find(rotated->token), std::string::npos);
    EXPECT_EQ(encoded.find(a.token), std::string::npos);
  }
}

TEST_F(TokenTest, RotationExtendsAnAlmostExpiredToken) {
  NewDevice a = CreateOk("tab-1");
  clock_.AdvanceMs(3600'000 - 10);
  auto caller = registry_->Authenticate(a.token);
  ASSERT_TRUE(caller.ok());
  auto rotated = registry_->RotateToken(*caller, AuditContext::Of(*caller, "r"));
  ASSERT_TRUE(rotated.ok());
  clock_.AdvanceMs(3600'000 - 1);
  EXPECT_TRUE(registry_->Authenticate(rotated->token).ok());
}

TEST_F(TokenTest, RevokedDeviceCannotRotate) {
  NewDevice a = CreateOk("tab-1");
  auto caller = registry_->Authenticate(a.token);
  ASSERT_TRUE(caller.ok());
  ASSERT_TRUE(registry_->Revoke("tab-1", AuditContext{"admin", "admin", "req-rev"}).ok());
  EXPECT_EQ(registry_->RotateToken(*caller, AuditContext::Of(*caller, "r")).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto entries = Audit();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].event.action, audit_action::kRevoke);
  EXPECT_EQ(entries[1].event.target, "tab-1");
  EXPECT_EQ(entries[1].event.who.actor_device_id, "admin");
  EXPECT_EQ(entries[1].event.who.request_id, "req-rev");
}

TEST_F(TokenTest, ConcurrentRotationsLeaveExactlyOneValidToken) {
  NewDevice a = CreateOk("tab-1");
  auto caller = registry_->Authenticate(a.token);
  ASSERT_TRUE(caller.ok());
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<DeviceRegistry::RotatedToken>> results(8, absl::UnknownError(""));
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = registry_->RotateToken(*caller, AuditContext::Of(*caller, "r")); });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& r : results) {
    if (!r.ok()) continue;
    ++ok;
    EXPECT_TRUE(registry_->Authenticate(r->token).ok());
  }
  EXPECT_EQ(ok, 1);
}

TEST_F(TokenTest, FirstAdminOnlyOnce) {
  auto admin = registry_->CreateFirstAdmin("admin");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->device.role, Role::kAdmin);
  EXPECT_TRUE(admin->device.all_scopes);
  EXPECT_TRUE(registry_->Authenticate(admin->token).ok());
  EXPECT_EQ(registry_->CreateFirstAdmin("admin-2").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // With every admin revoked, a new first admin may be made (recovery).
  ASSERT_TRUE(registry_->Revoke("admin").ok());
  EXPECT_TRUE(registry_->CreateFirstAdmin("admin-2").ok());
  auto entries = Audit();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].event.action, audit_action::kAdminInit);
  EXPECT_EQ(entries[0].event.who.actor_device_id, "cli");
}

TEST(ParseScopeTest, Valid) {
  auto s = ParseScope("governorate=Ninewa");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->field, "governorate");
  EXPECT_EQ(s->value, "Ninewa");
  auto spaced = ParseScope("governorate=Salah al-Din");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(spaced->value, "Salah al-Din");
  auto two = ParseScope("note=a=b");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->field, "note");
  EXPECT_EQ(two->value, "a=b");
}

TEST(ParseScopeTest, Invalid) {
  for (const char* text : {"", "=", "governorate", "=Ninewa", "governorate="}) {
    EXPECT_EQ(ParseScope(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace fieldsync

#include "server/forms/form_registry.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/storage/store.h"

namespace fieldsync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Form MakeForm(const std::string& id, uint32_t version, const std::string& title = "A form") {
  Form form;
  form.form_id = id;
  form.version = version;
  form.title = title;
  FieldDef name;
  name.name = "name";
  name.type = FieldType::kString;
  name.required = true;
  form.fields.push_back(name);
  FieldDef team;
  team.name = "team";
  team.type = FieldType::kInt;
  form.fields.push_back(team);
  form.scope_fields = {"team"};
  return form;
}

class FormRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.in_memory = true;
    options.path = std::string("/mem/forms_") +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    registry_ = std::make_unique<FormRegistry>(store_.get(), SchemaLimits{});
  }

  // (form_id, version) of every stored form, in List() order.
  std::vector<std::string> Listed() {
    auto forms = registry_->List();
    EXPECT_TRUE(forms.ok()) << forms.status();
    std::vector<std::string> out;
    if (!forms.ok()) return out;
    for (const auto& f : *forms) out.push_back(f.form_id + "@" + std::to_string(f.version));
    return out;
  }

  std::unique_ptr<Store> store_;
  std::unique_ptr<FormRegistry> registry_;
};

TEST_F(FormRegistryTest, PublishThenGet) {
  auto created = registry_->Publish(MakeForm("visit", 1));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);

  auto schema = registry_->Get("visit", 1);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ((*schema)->form().form_id, "visit");
  EXPECT_EQ((*schema)->form().version, 1u);
  EXPECT_EQ((*schema)->form().title, "A form");
  // The schema validates.
  EXPECT_EQ((*schema)->CheckRequired({}).size(), 1u);

  // Durable in the store, not just cached.
  auto stored = store_->GetForm("visit", 1);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->title, "A form");
}

TEST_F(FormRegistryTest, PublishSameDefinitionIsNoOp) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1)).value());
  auto again = registry_->Publish(MakeForm("visit", 1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  EXPECT_THAT(Listed(), ElementsAre("visit@1"));
}

TEST_F(FormRegistryTest, PublishDifferentDefinitionSameVersionFails) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1, "First")).value());
  auto again = registry_->Publish(MakeForm("visit", 1, "Second"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("visit version 1"));
  EXPECT_THAT(again.status().message(), HasSubstr("publish a new version"));
  // The published definition is unchanged, in the cache and in the store.
  EXPECT_EQ(registry_->Get("visit", 1).value()->form().title, "First");
  EXPECT_EQ(store_->GetForm("visit", 1).value()->title, "First");
  // A new version is the way to change it.
  EXPECT_TRUE(registry_->Publish(MakeForm("visit", 2, "Second")).value());
}

TEST_F(FormRegistryTest, PublishInvalidDefinitionWritesNothing) {
  Form bad = MakeForm("visit", 1);
  bad.scope_fields = {"missing"};
  auto result = registry_->Publish(bad);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("missing"));
  EXPECT_THAT(Listed(), IsEmpty());
  EXPECT_EQ(registry_->Get("visit", 0).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FormRegistryTest, PublishAppliesLimits) {
  SchemaLimits limits;
  limits.max_fields_per_form = 1;
  FormRegistry small(store_.get(), limits);
  EXPECT_EQ(small.Publish(MakeForm("visit", 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Listed(), IsEmpty());
}

TEST_F(FormRegistryTest, StoredFormsServedEvenIfLimitsWereLowered) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1)).value());
  SchemaLimits limits;
  limits.max_fields_per_form = 1;
  FormRegistry small(store_.get(), limits);
  auto schema = small.Get("visit", 0);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ((*schema)->form().fields.size(), 2u);
}

TEST_F(FormRegistryTest, GetLatest) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1, "v1")).value());
  EXPECT_EQ(registry_->Get("visit", 0).value()->form().version, 1u);
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 2, "v2")).value());
  EXPECT_EQ(registry_->Get("visit", 0).value()->form().version, 2u);
  // Publishing an older, missing version does not change the latest.
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 5, "v5")).value());
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 3, "v3")).value());
  EXPECT_EQ(registry_->Get("visit", 0).value()->form().title, "v5");
  // Older versions stay readable.
  EXPECT_EQ(registry_->Get("visit", 1).value()->form().title, "v1");
  EXPECT_EQ(registry_->Get("visit", 3).value()->form().title, "v3");
}

TEST_F(FormRegistryTest, FreshRegistryReadsFromStore) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1, "v1")).value());
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 2, "v2")).value());
  // As after a restart: an empty cache over the same store.
  FormRegistry fresh(store_.get(), SchemaLimits{});
  EXPECT_EQ(fresh.Get("visit", 0).value()->form().title, "v2");
  EXPECT_EQ(fresh.Get("visit", 1).value()->form().title, "v1");
  EXPECT_FALSE(fresh.Publish(MakeForm("visit", 1, "v1")).value());
  EXPECT_EQ(fresh.Publish(MakeForm("visit", 2, "changed")).status().code(),
            absl::StatusCode::kAlreadyExists);
  // The fresh registry learnt the latest from the store, then from its own publish.
  ASSERT_TRUE(fresh.Publish(MakeForm("visit", 3, "v3")).value());
  EXPECT_EQ(fresh.Get("visit", 0).value()->form().title, "v3");
}

TEST_F(FormRegistryTest, FreshRegistryPublishFirstThenLatest) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 4, "v4")).value());
  FormRegistry fresh(store_.get(), SchemaLimits{});
  // Publishing an older version before ever asking for the latest must not make it "latest".
  ASSERT_TRUE(fresh.Publish(MakeForm("visit", 2, "v2")).value());
  EXPECT_EQ(fresh.Get("visit", 0).value()->form().title, "v4");
}

TEST_F(FormRegistryTest, NotFound) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1)).value());
  auto missing_version = registry_->Get("visit", 2);
  EXPECT_EQ(missing_version.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing_version.status().message(), HasSubstr("form visit version 2 not found"));
  EXPECT_EQ(registry_->Get("other", 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Get("other", 0).status().code(), absl::StatusCode::kNotFound);
  // A form id that is a prefix or extension of a published one is a different form.
  EXPECT_EQ(registry_->Get("visi", 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Get("visit2", 0).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FormRegistryTest, ListAndFormIds) {
  EXPECT_THAT(registry_->FormIds().value(), IsEmpty());
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 2)).value());
  ASSERT_TRUE(registry_->Publish(MakeForm("crossing", 1)).value());
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1)).value());
  ASSERT_TRUE(registry_->Publish(MakeForm("visit2", 1)).value());
  EXPECT_THAT(Listed(), ElementsAre("crossing@1", "visit@1", "visit@2", "visit2@1"));
  EXPECT_THAT(registry_->FormIds().value(), ElementsAre("crossing", "visit", "visit2"));
}

TEST_F(FormRegistryTest, ConcurrentPublishersOfOneVersionAgree) {
  constexpr int kThreads = 8;
  std::atomic<int> created{0}, exists{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Threads with different definitions of visit@1.
      auto r = registry_->Publish(MakeForm("visit", 1, "title " + std::to_string(i)));
      if (r.ok() && *r) {
        ++created;
      } else if (r.status().code() == absl::StatusCode::kAlreadyExists) {
        ++exists;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(exists.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  // What the registry serves is what the store holds.
  EXPECT_EQ(registry_->Get("visit", 1).value()->form().title,
            store_->GetForm("visit", 1).value()->title);
}

TEST_F(FormRegistryTest, ConcurrentGetsShareOneSchema) {
  ASSERT_TRUE(registry_->Publish(MakeForm("visit", 1)).value());
  FormRegistry fresh(store_.get(), SchemaLimits{});
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<const FormSchema>> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { got[i] = fresh.Get("visit", i % 2 == 0 ? 0 : 1).value(); });
  }
  for (auto& t : threads) t.join();
  auto one = fresh.Get("visit", 1).value();
  for (const auto& s : got) EXPECT_EQ(s.get(), one.get());
}

}  // namespace
}  // namespace fieldsync

// OperatorHandler's search attribute RPCs over an in-memory namespace store, and the visibility
// handler's GetSearchAttributes over the namespace cache.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "services/frontend/operator_handler.h"
#include "services/frontend/visibility_handler.h"
#include "temporal/api/errordetails/v1/message.pb.h"
#include "tests/unit/frontend_fakes.h"

namespace tern::frontend {
namespace {

namespace enums = temporal::api::enums::v1;
using testing::FakeNamespaceStore;
using testing::MakeNamespace;

// Records the mappings a schema-ful visibility store (Elasticsearch) is asked to add.
class MappingVisibilityStore final : public persistence::VisibilityStore {
 public:
  absl::Status Upsert(const persistence::VisibilityRecord&) override { return Unused(); }
  absl::Status Delete(const std::string&, const std::string&) override { return Unused(); }
  absl::StatusOr<persistence::VisibilityPage> List(const std::string&, const visibility::Query&,
                                                   int, const std::string&) override {
    return Unused();
  }
  absl::StatusOr<persistence::VisibilityCount> Count(const std::string&,
                                                     const visibility::Query&) override {
    return Unused();
  }
  absl::Status AddSearchAttributeMappings(
      const visibility::CustomSearchAttributes& attributes) override {
    mapped.insert(attributes.begin(), attributes.end());
    return refuse;
  }

  visibility::CustomSearchAttributes mapped;
  absl::Status refuse;

 private:
  static absl::Status Unused() { return absl::UnimplementedError("not used by these tests"); }
};

class OperatorHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("default", "ns-default")).ok());
    ASSERT_TRUE(store_->CreateNamespace(MakeNamespace("other", "ns-other")).ok());
  }
  void TearDown() override { executor_.Stop(); }

  absl::Status Add(const std::string& ns,
                   std::map<std::string, enums::IndexedValueType> attributes) {
    op::AddSearchAttributesRequest request;
    request.set_namespace_(ns);
    request.mutable_search_attributes()->insert(attributes.begin(), attributes.end());
    return handler_.Add(request).status();
  }
  absl::Status Remove(const std::string& ns, std::vector<std::string> names) {
    op::RemoveSearchAttributesRequest request;
    request.set_namespace_(ns);
    for (auto& name : names) request.add_search_attributes(std::move(name));
    return handler_.Remove(request).status();
  }
  std::map<std::string, enums::IndexedValueType> Custom(const std::string& ns) {
    op::ListSearchAttributesRequest request;
    request.set_namespace_(ns);
    auto listed = handler_.List(request);
    EXPECT_TRUE(listed.ok()) << listed.status();
    if (!listed.ok()) return {};
    return {listed->custom_attributes().begin(), listed->custom_attributes().end()};
  }

  std::shared_ptr<FakeNamespaceStore> store_ = std::make_shared<FakeNamespaceStore>();
  Executor executor_{1, "op-test"};
  std::shared_ptr<persistence::NamespaceCache> cache_ =
      persistence::NamespaceCache::Create(store_, executor_);
  Config config_;
  std::shared_ptr<NamespaceHandler> namespaces_ =
      std::make_shared<NamespaceHandler>(config_, store_, cache_);
  std::shared_ptr<MappingVisibilityStore> visibility_ = std::make_shared<MappingVisibilityStore>();
  OperatorHandler handler_{store_, cache_, namespaces_, visibility_, executor_};
};

TEST_F(OperatorHandlerTest, AddsListsAndRemovesPerNamespace) {
  ASSERT_TRUE(Add("default", {{"CustomKeyword", enums::INDEXED_VALUE_TYPE_KEYWORD},
                              {"CustomInt", enums::INDEXED_VALUE_TYPE_INT}})
                  .ok());
  ASSERT_TRUE(Add("other", {{"CustomKeyword", enums::INDEXED_VALUE_TYPE_TEXT}}).ok());
  EXPECT_EQ(Custom("default"), (std::map<std::string, enums::IndexedValueType>{
                                   {"CustomInt", enums::INDEXED_VALUE_TYPE_INT},
                                   {"CustomKeyword", enums::INDEXED_VALUE_TYPE_KEYWORD}}));
  EXPECT_EQ(Custom("other").at("CustomKeyword"), enums::INDEXED_VALUE_TYPE_TEXT);

  // The record is stored and this frontend's cache sees it at once.
  auto stored = store_->GetNamespaceByName("default");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->custom_search_attributes().size(), 2u);
  auto cached = cache_->FindByName("default");
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(persistence::CustomSearchAttributesOf(*cached).size(), 2u);

  ASSERT_TRUE(Remove("default", {"CustomInt"}).ok());
  EXPECT_EQ(Custom("default").size(), 1u);
  EXPECT_EQ(persistence::CustomSearchAttributesOf(*cache_->FindByName("default")).size(), 1u);

  op::ListSearchAttributesRequest request;
  request.set_namespace_("default");
  auto listed = handler_.List(request);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->system_attributes().at("ExecutionStatus"), enums::INDEXED_VALUE_TYPE_KEYWORD);
  EXPECT_EQ(listed->system_attributes().at("BuildIds"), enums::INDEXED_VALUE_TYPE_KEYWORD_LIST);
  EXPECT_TRUE(listed->storage_schema().empty());
}

TEST_F(OperatorHandlerTest, RefusesReservedExistingAndUnknownNamesWritingNothing) {
  ASSERT_TRUE(Add("default", {{"CustomKeyword", enums::INDEXED_VALUE_TYPE_KEYWORD}}).ok());

  auto exists = Add("default", {{"CustomKeyword", enums::INDEXED_VALUE_TYPE_KEYWORD}});
  EXPECT_EQ(exists.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(exists.message(), "Search attribute CustomKeyword already exists.");
  // One bad name and nothing of the request is written.
  auto mixed = Add("default", {{"CustomNew", enums::INDEXED_VALUE_TYPE_INT},
                               {"CustomKeyword", enums::INDEXED_VALUE_TYPE_TEXT}});
  EXPECT_EQ(mixed.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(Custom("default").contains("CustomNew"));

  for (const char* reserved : {"WorkflowId", "TemporalChangeVersion", "TemporalMine", "Memo"}) {
    auto status = Add("default", {{reserved, enums::INDEXED_VALUE_TYPE_KEYWORD}});
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << reserved;
    EXPECT_EQ(status.message(),
              std::string("Search attribute ") + reserved + " is reserved by system.");
  }
  EXPECT_EQ(Add("default", {{"CustomX", enums::INDEXED_VALUE_TYPE_UNSPECIFIED}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add("default", {{"CustomX", static_cast<enums::IndexedValueType>(42)}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add("default", {}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add("", {{"CustomX", enums::INDEXED_VALUE_TYPE_INT}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add("missing", {{"CustomX", enums::INDEXED_VALUE_TYPE_INT}}).code(),
            absl::StatusCode::kNotFound);

  auto unknown = Remove("default", {"NeverAdded"});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(), "Search attribute NeverAdded doesn't exist.");
  auto builtin = Remove("default", {"WorkflowType"});
  EXPECT_EQ(builtin.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(builtin.message(), "Unable to remove non-custom search attributes: WorkflowType.");
  EXPECT_EQ(Remove("default", {"CustomKeyword", "NeverAdded"}).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Custom("default").contains("CustomKeyword"));
}

TEST_F(OperatorHandlerTest, GetSearchAttributesHasBuiltInsAndEveryNamespacesCustomOnes) {
  ASSERT_TRUE(Add("default", {{"CustomKeyword", enums::INDEXED_VALUE_TYPE_KEYWORD}}).ok());
  ASSERT_TRUE(Add("other", {{"CustomKeyword", enums::INDEXED_VALUE_TYPE_TEXT},
                            {"CustomOther", enums::INDEXED_VALUE_TYPE_BOOL}})
                  .ok());
  VisibilityHandler visibility(nullptr, cache_);
  auto keys = visibility.GetSearchAttributes().keys();
  EXPECT_EQ(keys.at("WorkflowId"), enums::INDEXED_VALUE_TYPE_KEYWORD);
  EXPECT_EQ(keys.at("CloseTime"), enums::INDEXED_VALUE_TYPE_DATETIME);
  EXPECT_EQ(keys.at("CustomKeyword"), enums::INDEXED_VALUE_TYPE_KEYWORD) << "namespace order";
  EXPECT_EQ(keys.at("CustomOther"), enums::INDEXED_VALUE_TYPE_BOOL);
}

TEST_F(OperatorHandlerTest, NewAttributesAreMappedInTheVisibilityStoreFirst) {
  ASSERT_TRUE(Add("default", {{"CustomKeyword", enums::INDEXED_VALUE_TYPE_KEYWORD}}).ok());
  EXPECT_EQ(visibility_->mapped.at("CustomKeyword"), enums::INDEXED_VALUE_TYPE_KEYWORD);
  // A mapping the store refuses (a field of another type) registers nothing.
  visibility_->refuse = absl::InvalidArgumentError("mapper_parsing_exception");
  EXPECT_EQ(Add("default", {{"CustomInt", enums::INDEXED_VALUE_TYPE_INT}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Custom("default").contains("CustomInt"));
}

TEST_F(OperatorHandlerTest, DeletedNamespaceIsRenamedAndMarkedDeleted) {
  auto deleted = namespaces_->Delete("other");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_TRUE(absl::StartsWith(*deleted, "other-deleted-")) << *deleted;
  EXPECT_EQ(store_->GetNamespaceByName("other").status().code(), absl::StatusCode::kNotFound);
  auto record = store_->GetNamespaceByName(*deleted);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->info().id(), "ns-other");
  EXPECT_EQ(record->info().state(), enums::NAMESPACE_STATE_DELETED);
  EXPECT_EQ(namespaces_->Delete("other").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(namespaces_->Delete(*deleted).status().code(), absl::StatusCode::kNotFound)
      << "already deleted";
}

}  // namespace
}  // namespace tern::frontend

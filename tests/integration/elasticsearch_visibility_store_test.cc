// The Elasticsearch VisibilityStore against a real cluster: the VisibilityStore contract suite
// (visibility_store_contract.h). Runs only when TERN_TEST_ES_URL names a cluster
// (e.g. http://127.0.0.1:9200, credentials as http://user:password@host:9200); otherwise every
// test reports itself skipped. Each test works in its own fresh index, deleted afterwards.
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "persistence/elasticsearch/http_client.h"
#include "persistence/elasticsearch/visibility_store.h"
#include "tests/integration/visibility_store_contract.h"
#include "tests/unit/visibility_test_util.h"

namespace tern::testing {
namespace {

namespace es = persistence::elasticsearch;

class ElasticsearchHarness {
 public:
  void SetUp() {
    const char* url = std::getenv("TERN_TEST_ES_URL");
    if (url == nullptr || *url == '\0') GTEST_SKIP() << "TERN_TEST_ES_URL is not set";
    http_ = es::NewCurlHttpClient({.base_url = std::string(absl::StripSuffix(url, "/"))});
    std::random_device random;
    index_ = absl::StrCat("tern_visibility_v1_test_", random(), "_", random());
    store_ = std::make_unique<es::ElasticsearchVisibilityStore>(
        http_, es::VisibilityStoreOptions{.index = index_});
    absl::Status status = store_->SetupIndex();
    ASSERT_TRUE(status.ok()) << status;
    status = store_->AddSearchAttributeMappings(visibility::TestCustomAttributes());
    ASSERT_TRUE(status.ok()) << status;
  }

  void TearDown() {
    if (http_ != nullptr) (void)http_->Send({.method = "DELETE", .path = "/" + index_});
  }

  persistence::VisibilityStore& store() { return *store_; }

  void Settle() {
    absl::StatusOr<es::HttpResponse> refreshed =
        http_->Send({.method = "POST", .path = absl::StrCat("/", index_, "/_refresh")});
    ASSERT_TRUE(refreshed.ok()) << refreshed.status();
    ASSERT_EQ(refreshed->status, 200) << refreshed->body;
  }

 private:
  std::shared_ptr<es::HttpClient> http_;
  std::string index_;
  std::unique_ptr<es::ElasticsearchVisibilityStore> store_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Elasticsearch, VisibilityStoreContractTest, ElasticsearchHarness);

}  // namespace
}  // namespace tern::testing

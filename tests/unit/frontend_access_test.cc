// The frontend's access rules without a network: permissions to roles (common/permissions.h),
// the rate limits (services/frontend/rate_limiter.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/permissions.h"
#include "services/frontend/rate_limiter.h"
#include "temporal/api/errordetails/v1/message.pb.h"

namespace tern::frontend {
namespace {

namespace dc = tern::dynamicconfig;
namespace details = temporal::api::errordetails::v1;
using ::testing::HasSubstr;

TEST(PermissionsTest, RolesPerNamespaceAndSystem) {
  Permissions p = Permissions::Parse(
      {"billing:write", "Reports:READ", "billing:read", "junk", "x:owner", "ops:worker"});
  EXPECT_EQ(p.For("billing"), Role::kWrite);  // the highest of two grants
  EXPECT_EQ(p.For("reports"), Role::kRead);   // namespaces compare lower-cased
  EXPECT_EQ(p.For("REPORTS"), Role::kRead);
  EXPECT_EQ(p.For("ops"), Role::kWorker);
  EXPECT_EQ(p.For("other"), Role::kNone);
  EXPECT_EQ(p.For(""), Role::kNone);  // calls about no namespace need a system role
  EXPECT_EQ(p.ToString(), "billing:write, ops:worker, reports:read");

  Permissions admin = Permissions::Parse({"system:admin"});
  EXPECT_EQ(admin.For("anything"), Role::kAdmin);
  EXPECT_EQ(admin.For(""), Role::kAdmin);
  p.Merge(Permissions::Parse({"system:read"}));
  EXPECT_EQ(p.For("other"), Role::kRead);
  EXPECT_EQ(p.For("billing"), Role::kWrite);
  EXPECT_EQ(p.ToString(), "billing:write, ops:worker, reports:read, system:read");
  EXPECT_TRUE(Permissions::Parse({}).empty());
  EXPECT_EQ(Permissions::Parse({}).ToString(), "none");
}

TEST(PermissionsTest, RolesIncludeTheLowerOnes) {
  EXPECT_LT(Role::kRead, Role::kWorker);
  EXPECT_LT(Role::kWorker, Role::kWrite);
  EXPECT_LT(Role::kWrite, Role::kAdmin);
  EXPECT_FALSE(ParsePermission(":read").ok());
  auto parsed = ParsePermission("a:b:admin");  // the role follows the last colon
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->first, "a:b");
}

// Time moves only when the test says so, so counts do not depend on how fast the test runs.
class StoppedClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  TimePoint now_ = std::chrono::system_clock::now();
};

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiterTest() { Set(100, 10, 1.0, 2); }
  void Set(int host, int per_namespace, double burst_ratio, int long_polls) {
    dc::Values values;
    values.Set(dc::kFrontendRPS, host);
    values.Set(dc::kFrontendNamespaceRPS, per_namespace);
    values.Set(dc::kFrontendNamespaceBurstRatio, burst_ratio);
    values.Set(dc::kFrontendNamespaceCount, long_polls);
    dynamic_.Update(values);
  }
  int Admitted(absl::string_view ns, int tries) {
    int admitted = 0;
    for (int i = 0; i < tries; ++i) admitted += limiter_.Admit(ns).ok();
    return admitted;
  }

  dc::Collection dynamic_;
  StoppedClock clock_;
  RateLimiter limiter_{dynamic_, clock_};
};

TEST_F(RateLimiterTest, ANamespaceGetsItsBurstThenItsRate) {
  EXPECT_EQ(Admitted("a", 50), 10);
  absl::Status refused = limiter_.Admit("a");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("namespace \"a\" may make 10 requests per second of this frontend "
                        "(frontend.namespaceRPS)"));
  details::ResourceExhaustedFailure detail;
  ASSERT_TRUE(GetDetail(refused, &detail));
  EXPECT_EQ(detail.cause(), temporal::api::enums::v1::RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT);
  EXPECT_EQ(detail.scope(), temporal::api::enums::v1::RESOURCE_EXHAUSTED_SCOPE_NAMESPACE);
  // Another namespace is not affected.
  EXPECT_EQ(Admitted("b", 10), 10);
  clock_.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(Admitted("a", 50), 5);
}

TEST_F(RateLimiterTest, TheBurstRatioScalesTheBucket) {
  Set(1000, 10, 3.0, 2);
  EXPECT_EQ(Admitted("a", 100), 30);
}

TEST_F(RateLimiterTest, TheHostLimitCoversEveryNamespace) {
  Set(15, 10, 1.0, 2);
  EXPECT_EQ(Admitted("a", 10) + Admitted("b", 10), 15);
  absl::Status refused = limiter_.Admit("c");
  EXPECT_THAT(std::string(refused.message()), HasSubstr("(frontend.rps)"));
  details::ResourceExhaustedFailure detail;
  ASSERT_TRUE(GetDetail(refused, &detail));
  EXPECT_EQ(detail.scope(), temporal::api::enums::v1::RESOURCE_EXHAUSTED_SCOPE_SYSTEM);
}

TEST_F(RateLimiterTest, LongPollsHoldSlotsUntilReleased) {
  auto first = limiter_.AdmitLongPoll("a");
  auto second = limiter_.AdmitLongPoll("a");
  ASSERT_TRUE(first.ok() && second.ok());
  auto third = limiter_.AdmitLongPoll("a");
  ASSERT_FALSE(third.ok());
  EXPECT_THAT(std::string(third.status().message()),
              HasSubstr("namespace \"a\" has 2 parked on this frontend"));
  details::ResourceExhaustedFailure detail;
  ASSERT_TRUE(GetDetail(third.status(), &detail));
  EXPECT_EQ(detail.cause(), temporal::api::enums::v1::RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT);
  EXPECT_TRUE(limiter_.AdmitLongPoll("b").ok());  // per namespace
  // Polls take no tokens: the namespace's rate is untouched.
  EXPECT_EQ(Admitted("a", 10), 10);
  first->reset();
  EXPECT_TRUE(limiter_.AdmitLongPoll("a").ok());
}

TEST_F(RateLimiterTest, CallsInProgressPastTheMostAreShedAtOnce) {
  dc::Values values;
  values.Set(dc::kFrontendMaxConcurrentRequests, 2);
  dynamic_.Update(values);
  // What the gate does for each call: one count from its start to its end.
  auto first = limiter_.CountCall();
  auto second = limiter_.CountCall();
  EXPECT_TRUE(limiter_.Admit("a").ok()) << "the second call is within the limit";
  auto third = limiter_.CountCall();
  absl::Status refused = limiter_.Admit("a");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("2 calls are in progress on this host, the most it serves at once "
                        "(frontend.maxConcurrentRequests)"));
  details::ResourceExhaustedFailure detail;
  ASSERT_TRUE(GetDetail(refused, &detail));
  EXPECT_EQ(detail.cause(), temporal::api::enums::v1::RESOURCE_EXHAUSTED_CAUSE_SYSTEM_OVERLOADED);
  EXPECT_EQ(detail.scope(), temporal::api::enums::v1::RESOURCE_EXHAUSTED_SCOPE_SYSTEM);
  // A parked long poll does not count against the calls.
  auto slot = limiter_.AdmitLongPoll("a");
  ASSERT_TRUE(slot.ok());
  EXPECT_TRUE(limiter_.Admit("a").ok());
  slot->reset();
  EXPECT_FALSE(limiter_.Admit("a").ok());
  // A finished call gives its place back.
  first = {};
  EXPECT_TRUE(limiter_.Admit("a").ok());
}

}  // namespace
}  // namespace tern::frontend

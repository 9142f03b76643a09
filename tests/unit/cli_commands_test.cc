// The `tern` commands that talk to a frontend, run in-process against a fake WorkflowService
// and gRPC's own health service on a free port.
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/command.h"
#include "cli/health_check.h"
#include "gmock/gmock.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::cli {
namespace {

namespace wf = temporal::api::workflowservice::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class FakeWorkflowService final : public wf::WorkflowService::Service {
 public:
  grpc::Status RegisterNamespace(grpc::ServerContext*, const wf::RegisterNamespaceRequest* request,
                                 wf::RegisterNamespaceResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    register_requests_.push_back(*request);
    if (request->namespace_() == "taken") {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "Namespace already exists.");
    }
    return grpc::Status::OK;
  }

  grpc::Status DescribeNamespace(grpc::ServerContext*, const wf::DescribeNamespaceRequest* request,
                                 wf::DescribeNamespaceResponse* response) override {
    if (request->namespace_() != "orders") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "Namespace " + request->namespace_() + " is not found.");
    }
    *response = Orders();
    return grpc::Status::OK;
  }

  // Three namespaces in pages of two.
  grpc::Status ListNamespaces(grpc::ServerContext*, const wf::ListNamespacesRequest* request,
                              wf::ListNamespacesResponse* response) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      list_tokens_.push_back(request->next_page_token());
    }
    if (request->next_page_token().empty()) {
      *response->add_namespaces() = Named("default", "d-id");
      *response->add_namespaces() = Orders();
      response->set_next_page_token("page2");
    } else if (request->next_page_token() == "page2") {
      *response->add_namespaces() = Named("zeta", "z-id");
    } else {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad token");
    }
    return grpc::Status::OK;
  }

  grpc::Status UpdateNamespace(grpc::ServerContext*, const wf::UpdateNamespaceRequest* request,
                               wf::UpdateNamespaceResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    update_requests_.push_back(*request);
    wf::DescribeNamespaceResponse orders = Orders();
    *response->mutable_namespace_info() = orders.namespace_info();
    *response->mutable_config() = orders.config();
    if (request->update_info().description() != "") {
      response->mutable_namespace_info()->set_description(request->update_info().description());
    }
    return grpc::Status::OK;
  }

  std::vector<wf::RegisterNamespaceRequest> register_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return register_requests_;
  }
  std::vector<wf::UpdateNamespaceRequest> update_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return update_requests_;
  }
  std::vector<std::string> list_tokens() {
    std::lock_guard<std::mutex> lock(mu_);
    return list_tokens_;
  }

 private:
  static wf::DescribeNamespaceResponse Named(const std::string& name, const std::string& id) {
    wf::DescribeNamespaceResponse response;
    response.mutable_namespace_info()->set_name(name);
    response.mutable_namespace_info()->set_id(id);
    response.mutable_namespace_info()->set_state(
        temporal::api::enums::v1::NAMESPACE_STATE_REGISTERED);
    response.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(72 * 3600);
    return response;
  }
  static wf::DescribeNamespaceResponse Orders() {
    wf::DescribeNamespaceResponse response = Named("orders", "5f0c2a4e-id");
    response.mutable_namespace_info()->set_description("Order processing");
    response.mutable_namespace_info()->set_owner_email("ops@example.com");
    (*response.mutable_namespace_info()->mutable_data())["team"] = "payments";
    response.mutable_config()->mutable_workflow_execution_retention_ttl()->set_seconds(30 * 24 *
                                                                                       3600);
    return response;
  }

  std::mutex mu_;
  std::vector<wf::RegisterNamespaceRequest> register_requests_;
  std::vector<wf::UpdateNamespaceRequest> update_requests_;
  std::vector<std::string> list_tokens_;
};

class CliCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    server_->GetHealthCheckService()->SetServingStatus(kWorkflowServiceName, true);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  int RunTern(std::vector<std::string> args) {
    args.insert(args.begin(), {"--address", "127.0.0.1:" + std::to_string(port_)});
    out_.str("");
    err_.str("");
    std::unique_ptr<Command> app = BuildApp();
    return cli::Run(*app, args, out_, err_, [](const std::string&) { return std::nullopt; });
  }

  FakeWorkflowService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliCommandsTest, CreateSendsTheRequest) {
  ASSERT_EQ(RunTern({"operator", "namespace", "create", "-n", "orders", "--retention", "30d",
                     "--description", "Order processing", "--owner-email", "ops@example.com"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str(), "Namespace orders created.\n");
  std::vector<wf::RegisterNamespaceRequest> requests = service_.register_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "orders");
  EXPECT_EQ(requests[0].description(), "Order processing");
  EXPECT_EQ(requests[0].owner_email(), "ops@example.com");
  EXPECT_EQ(requests[0].workflow_execution_retention_period().seconds(), 30 * 24 * 3600);
}

TEST_F(CliCommandsTest, CreateDefaultsRetentionAndTakesPositionalName) {
  ASSERT_EQ(RunTern({"operator", "namespace", "create", "billing"}), 0) << err_.str();
  std::vector<wf::RegisterNamespaceRequest> requests = service_.register_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "billing");
  EXPECT_EQ(requests[0].workflow_execution_retention_period().seconds(), 72 * 3600);
}

TEST_F(CliCommandsTest, CreateReportsServerError) {
  EXPECT_EQ(RunTern({"operator", "namespace", "create", "-n", "taken"}), 1);
  EXPECT_EQ(err_.str(),
            "tern operator namespace create: failed to create namespace taken: Namespace already "
            "exists.\n");
}

TEST_F(CliCommandsTest, Describe) {
  ASSERT_EQ(RunTern({"operator", "namespace", "describe", "-n", "orders"}), 0) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("Name         orders\n"));
  EXPECT_THAT(out, HasSubstr("Id           5f0c2a4e-id\n"));
  EXPECT_THAT(out, HasSubstr("State        Registered\n"));
  EXPECT_THAT(out, HasSubstr("Retention    30d\n"));
  EXPECT_THAT(out, HasSubstr("Description  Order processing\n"));
  EXPECT_THAT(out, HasSubstr("OwnerEmail   ops@example.com\n"));
  EXPECT_THAT(out, HasSubstr("Data         team=payments\n"));
}

TEST_F(CliCommandsTest, DescribeJson) {
  ASSERT_EQ(RunTern({"-o", "json", "operator", "namespace", "describe", "orders"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("\"namespaceInfo\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"workflowExecutionRetentionTtl\": \"2592000s\""));
}

TEST_F(CliCommandsTest, DescribeNotFoundPrintsServerMessage) {
  EXPECT_EQ(RunTern({"operator", "namespace", "describe", "-n", "nope"}), 1);
  EXPECT_EQ(err_.str(),
            "tern operator namespace describe: failed to describe namespace nope: Namespace nope "
            "is not found.\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliCommandsTest, ListFollowsPages) {
  ASSERT_EQ(RunTern({"operator", "namespace", "list"}), 0) << err_.str();
  EXPECT_EQ(service_.list_tokens(), (std::vector<std::string>{"", "page2"}));
  std::istringstream lines(out_.str());
  std::string line;
  std::vector<std::string> all;
  while (std::getline(lines, line)) all.push_back(line);
  ASSERT_EQ(all.size(), 4u) << out_.str();
  EXPECT_THAT(all[0], StartsWith("NAME     ID           STATE       RETENTION  DESCRIPTION"));
  EXPECT_THAT(all[1], StartsWith("default  d-id         Registered  3d"));
  EXPECT_THAT(all[2], StartsWith("orders   5f0c2a4e-id  Registered  30d        Order processing"));
  EXPECT_THAT(all[3], StartsWith("zeta     z-id"));
}

TEST_F(CliCommandsTest, ListJsonHasEveryPage) {
  ASSERT_EQ(RunTern({"--output", "json", "operator", "namespace", "list"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"default\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"zeta\""));
  EXPECT_THAT(out_.str(), Not(HasSubstr("nextPageToken")));
}

TEST_F(CliCommandsTest, UpdateSendsOnlyGivenFields) {
  ASSERT_EQ(RunTern({"operator", "namespace", "update", "-n", "orders", "--description", "New"}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Namespace orders updated.\n"));
  EXPECT_THAT(out_.str(), HasSubstr("Description  New\n"));
  ASSERT_EQ(RunTern({"operator", "namespace", "update", "-n", "orders", "--retention", "7d"}), 0)
      << err_.str();
  std::vector<wf::UpdateNamespaceRequest> requests = service_.update_requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].update_info().description(), "New");
  EXPECT_FALSE(requests[0].has_config());
  EXPECT_FALSE(requests[1].has_update_info());
  EXPECT_EQ(requests[1].config().workflow_execution_retention_ttl().seconds(), 7 * 24 * 3600);
}

TEST_F(CliCommandsTest, HealthServing) {
  EXPECT_EQ(RunTern({"cluster", "health"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "SERVING\n");
}

TEST_F(CliCommandsTest, HealthNotServing) {
  server_->GetHealthCheckService()->SetServingStatus(kWorkflowServiceName, false);
  EXPECT_EQ(RunTern({"cluster", "health"}), 1);
  EXPECT_EQ(out_.str(), "");
  EXPECT_THAT(err_.str(), HasSubstr("is NOT_SERVING"));
}

TEST_F(CliCommandsTest, HealthOfUnknownServiceFails) {
  EXPECT_EQ(RunTern({"cluster", "health", "--service", "no.such.Service"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("health check of no.such.Service failed"));
}

TEST_F(CliCommandsTest, UnreachableServerFails) {
  server_->Shutdown();
  server_.reset();  // nothing listens on port_ any more
  EXPECT_EQ(RunTern({"cluster", "health"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot reach 127.0.0.1:" + std::to_string(port_)));
}

TEST(CliHealthTest, WireCodec) {
  EXPECT_EQ(EncodeHealthCheckRequest(""), "");
  EXPECT_EQ(EncodeHealthCheckRequest("ab"), std::string("\x0a\x02"
                                                        "ab",
                                                        4));
  EXPECT_EQ(*DecodeHealthCheckResponse(""), ServingStatus::kUnknown);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x01", 2)), ServingStatus::kServing);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x02", 2)), ServingStatus::kNotServing);
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x0a\x01"
                                                     "x",
                                                     3))
                   .ok());
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x08", 1)).ok());
  EXPECT_EQ(ServingStatusName(ServingStatus::kServiceUnknown), "SERVICE_UNKNOWN");
}

}  // namespace
}  // namespace tern::cli

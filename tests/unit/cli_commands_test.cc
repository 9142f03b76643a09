// The `tern` commands that talk to a frontend, run in-process against a fake WorkflowService, a
// fake OperatorService and gRPC's own health service on a free port.
#include <map>
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
#include "temporal/api/operatorservice/v1/service.grpc.pb.h"
#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace tern::cli {
namespace {

namespace wf = temporal::api::workflowservice::v1;
namespace op = temporal::api::operatorservice::v1;
namespace enums = temporal::api::enums::v1;
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

  // ---- workflows: "order-7" exists (current run "run-2"), everything else is not found.

  grpc::Status DescribeWorkflowExecution(grpc::ServerContext*,
                                         const wf::DescribeWorkflowExecutionRequest* request,
                                         wf::DescribeWorkflowExecutionResponse* response) override {
    Record(*request);
    if (request->execution().workflow_id() != "order-7") return NotFound(request->execution());
    auto* info = response->mutable_workflow_execution_info();
    info->mutable_execution()->set_workflow_id("order-7");
    info->mutable_execution()->set_run_id(
        request->execution().run_id().empty() ? "run-2" : request->execution().run_id());
    info->mutable_type()->set_name("OrderWorkflow");
    info->set_task_queue("orders");
    info->set_status(enums::WORKFLOW_EXECUTION_STATUS_TERMINATED);
    info->mutable_start_time()->set_seconds(1714557600);
    info->mutable_close_time()->set_seconds(1714557660);
    info->set_history_length(5);
    response->add_pending_activities();
    return grpc::Status::OK;
  }

  // Three events in two pages.
  grpc::Status GetWorkflowExecutionHistory(
      grpc::ServerContext*, const wf::GetWorkflowExecutionHistoryRequest* request,
      wf::GetWorkflowExecutionHistoryResponse* response) override {
    Record(*request);
    if (request->execution().workflow_id() != "order-7") return NotFound(request->execution());
    auto add = [&](int64_t id, enums::EventType type) {
      auto* event = response->mutable_history()->add_events();
      event->set_event_id(id);
      event->set_event_type(type);
      event->mutable_event_time()->set_seconds(1714557600 + id);
    };
    if (request->next_page_token().empty()) {
      add(1, enums::EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
      add(2, enums::EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
      response->set_next_page_token("events-2");
    } else if (request->next_page_token() == "events-2") {
      add(3, enums::EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    } else {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad token");
    }
    return grpc::Status::OK;
  }

  grpc::Status SignalWorkflowExecution(grpc::ServerContext*,
                                       const wf::SignalWorkflowExecutionRequest* request,
                                       wf::SignalWorkflowExecutionResponse*) override {
    Record(*request);
    if (request->workflow_execution().workflow_id() != "order-7") {
      return NotFound(request->workflow_execution());
    }
    return grpc::Status::OK;
  }

  grpc::Status RequestCancelWorkflowExecution(
      grpc::ServerContext*, const wf::RequestCancelWorkflowExecutionRequest* request,
      wf::RequestCancelWorkflowExecutionResponse*) override {
    Record(*request);
    return grpc::Status::OK;
  }

  grpc::Status TerminateWorkflowExecution(grpc::ServerContext*,
                                          const wf::TerminateWorkflowExecutionRequest* request,
                                          wf::TerminateWorkflowExecutionResponse*) override {
    Record(*request);
    return grpc::Status::OK;
  }

  grpc::Status DeleteWorkflowExecution(grpc::ServerContext*,
                                       const wf::DeleteWorkflowExecutionRequest* request,
                                       wf::DeleteWorkflowExecutionResponse*) override {
    Record(*request);
    return grpc::Status::OK;
  }

  // Five executions, at most `page_size` (but never more than two) per page; the token is the
  // index of the next one. The query "unsupported" gets the answer today's server gives.
  grpc::Status ListWorkflowExecutions(grpc::ServerContext*,
                                      const wf::ListWorkflowExecutionsRequest* request,
                                      wf::ListWorkflowExecutionsResponse* response) override {
    Record(*request);
    if (request->query() == "unsupported") {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          "ListWorkflowExecutions is not "
                          "implemented");
    }
    int next = request->next_page_token().empty() ? 0 : std::stoi(request->next_page_token());
    int end = std::min({5, next + 2, next + std::max(request->page_size(), 1)});
    for (int i = next; i < end; ++i) {
      auto* info = response->add_executions();
      info->mutable_execution()->set_workflow_id("wf-" + std::to_string(i));
      info->mutable_execution()->set_run_id("run-" + std::to_string(i));
      info->mutable_type()->set_name(i % 2 == 0 ? "OrderWorkflow" : "RefundWorkflow");
      info->set_status(i == 0 ? enums::WORKFLOW_EXECUTION_STATUS_RUNNING
                              : enums::WORKFLOW_EXECUTION_STATUS_COMPLETED);
      info->mutable_start_time()->set_seconds(1714557600 + i);
    }
    if (end < 5) response->set_next_page_token(std::to_string(end));
    return grpc::Status::OK;
  }

  grpc::Status CountWorkflowExecutions(grpc::ServerContext*,
                                       const wf::CountWorkflowExecutionsRequest* request,
                                       wf::CountWorkflowExecutionsResponse* response) override {
    Record(*request);
    response->set_count(5);
    if (request->query() == "GROUP BY ExecutionStatus") {
      for (const auto& [status, count] :
           std::vector<std::pair<std::string, int>>{{"\"Running\"", 1}, {"\"Completed\"", 4}}) {
        auto* group = response->add_groups();
        auto* value = group->add_group_values();
        (*value->mutable_metadata())["encoding"] = "json/plain";
        value->set_data(status);
        group->set_count(count);
      }
    }
    return grpc::Status::OK;
  }

  // Every request a workflow RPC received, by message type.
  template <typename Request>
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Request> typed;
    for (const auto& message : requests_[Request::descriptor()->full_name()]) {
      typed.push_back(static_cast<const Request&>(*message));
    }
    return typed;
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

  template <typename Request>
  void Record(const Request& request) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_[Request::descriptor()->full_name()].push_back(std::make_shared<Request>(request));
  }
  static grpc::Status NotFound(const temporal::api::common::v1::WorkflowExecution& execution) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        "workflow execution not found for workflow ID \"" + execution.workflow_id() + "\"");
  }

  std::mutex mu_;
  std::map<std::string, std::vector<std::shared_ptr<google::protobuf::Message>>> requests_;
  std::vector<wf::RegisterNamespaceRequest> register_requests_;
  std::vector<wf::UpdateNamespaceRequest> update_requests_;
  std::vector<std::string> list_tokens_;
};

// Search attributes per namespace (namespace "orders" starts with CustomerId), and namespace
// deletion; every request is recorded.
class FakeOperatorService final : public op::OperatorService::Service {
 public:
  grpc::Status AddSearchAttributes(grpc::ServerContext*,
                                   const op::AddSearchAttributesRequest* request,
                                   op::AddSearchAttributesResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    add_requests_.push_back(*request);
    auto& attributes = custom_[request->namespace_()];
    for (const auto& [name, type] : request->search_attributes()) {
      if (attributes.count(name) > 0) {
        return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                            "Search attribute " + name + " already exists.");
      }
    }
    for (const auto& [name, type] : request->search_attributes()) attributes[name] = type;
    return grpc::Status::OK;
  }

  grpc::Status ListSearchAttributes(grpc::ServerContext*,
                                    const op::ListSearchAttributesRequest* request,
                                    op::ListSearchAttributesResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, type] : custom_[request->namespace_()]) {
      (*response->mutable_custom_attributes())[name] = type;
    }
    (*response->mutable_system_attributes())["WorkflowType"] = enums::INDEXED_VALUE_TYPE_KEYWORD;
    (*response->mutable_system_attributes())["StartTime"] = enums::INDEXED_VALUE_TYPE_DATETIME;
    return grpc::Status::OK;
  }

  grpc::Status RemoveSearchAttributes(grpc::ServerContext*,
                                      const op::RemoveSearchAttributesRequest* request,
                                      op::RemoveSearchAttributesResponse*) override {
    std::lock_guard<std::mutex> lock(mu_);
    remove_requests_.push_back(*request);
    auto& attributes = custom_[request->namespace_()];
    for (const std::string& name : request->search_attributes()) {
      if (attributes.erase(name) == 0) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            "Search attribute " + name + " doesn't exist.");
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status DeleteNamespace(grpc::ServerContext*, const op::DeleteNamespaceRequest* request,
                               op::DeleteNamespaceResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    delete_requests_.push_back(*request);
    if (request->namespace_() != "orders") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "Namespace " + request->namespace_() + " is not found.");
    }
    response->set_deleted_namespace("orders-deleted-5f0c");
    return grpc::Status::OK;
  }

  std::vector<op::AddSearchAttributesRequest> add_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return add_requests_;
  }
  std::vector<op::RemoveSearchAttributesRequest> remove_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return remove_requests_;
  }
  std::vector<op::DeleteNamespaceRequest> delete_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return delete_requests_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, enums::IndexedValueType>> custom_ = {
      {"orders", {{"CustomerId", enums::INDEXED_VALUE_TYPE_KEYWORD}}}};
  std::vector<op::AddSearchAttributesRequest> add_requests_;
  std::vector<op::RemoveSearchAttributesRequest> remove_requests_;
  std::vector<op::DeleteNamespaceRequest> delete_requests_;
};

class CliCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    builder.RegisterService(&operator_service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    server_->GetHealthCheckService()->SetServingStatus(kWorkflowServiceName, true);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // `terminal` stands in for an interactive stdin.
  int RunTern(std::vector<std::string> args, std::istream* terminal = nullptr) {
    args.insert(args.begin(), {"--address", "127.0.0.1:" + std::to_string(port_)});
    out_.str("");
    err_.str("");
    std::unique_ptr<Command> app = BuildApp();
    return cli::Run(
        *app, args, out_, err_, [](const std::string&) { return std::nullopt; }, terminal);
  }
  std::vector<std::string> OutLines() const {
    std::istringstream lines(out_.str());
    std::vector<std::string> all;
    for (std::string line; std::getline(lines, line);) all.push_back(line);
    return all;
  }

  FakeWorkflowService service_;
  FakeOperatorService operator_service_;
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
  std::vector<std::string> all = OutLines();
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

// ---- workflow ----------------------------------------------------------------------------------

TEST_F(CliCommandsTest, WorkflowDescribe) {
  ASSERT_EQ(RunTern({"-n", "orders", "workflow", "describe", "-w", "order-7"}), 0) << err_.str();
  std::vector<wf::DescribeWorkflowExecutionRequest> requests =
      service_.requests<wf::DescribeWorkflowExecutionRequest>();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "orders");
  EXPECT_EQ(requests[0].execution().workflow_id(), "order-7");
  EXPECT_EQ(requests[0].execution().run_id(), "");
  EXPECT_EQ(out_.str(),
            "WorkflowId         order-7\n"
            "RunId              run-2\n"
            "Type               OrderWorkflow\n"
            "TaskQueue          orders\n"
            "Status             Terminated\n"
            "StartTime          2024-05-01T10:00:00Z\n"
            "CloseTime          2024-05-01T10:01:00Z\n"
            "HistoryLength      5\n"
            "PendingActivities  1\n");
}

TEST_F(CliCommandsTest, WorkflowDescribeJsonWithRunId) {
  ASSERT_EQ(RunTern({"-o", "json", "workflow", "describe", "-w", "order-7", "-r", "run-1"}), 0)
      << err_.str();
  EXPECT_EQ(service_.requests<wf::DescribeWorkflowExecutionRequest>()[0].execution().run_id(),
            "run-1");
  EXPECT_THAT(out_.str(), HasSubstr("\"status\": \"WORKFLOW_EXECUTION_STATUS_TERMINATED\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"runId\": \"run-1\""));
}

TEST_F(CliCommandsTest, WorkflowDescribeNotFound) {
  EXPECT_EQ(RunTern({"workflow", "describe", "-w", "nope", "-r", "r9"}), 1);
  EXPECT_EQ(err_.str(),
            "tern workflow describe: failed to describe workflow nope run r9: workflow execution "
            "not found for workflow ID \"nope\"\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliCommandsTest, WorkflowShowReadsEveryPage) {
  ASSERT_EQ(RunTern({"workflow", "show", "-w", "order-7"}), 0) << err_.str();
  std::vector<wf::GetWorkflowExecutionHistoryRequest> requests =
      service_.requests<wf::GetWorkflowExecutionHistoryRequest>();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].next_page_token(), "");
  EXPECT_EQ(requests[1].next_page_token(), "events-2");
  EXPECT_EQ(requests[1].execution().workflow_id(), "order-7");
  EXPECT_FALSE(requests[1].wait_new_event());
  EXPECT_EQ(OutLines(), (std::vector<std::string>{
                            "ID  TIME                  TYPE",
                            "1   2024-05-01T10:00:01Z  WorkflowExecutionStarted",
                            "2   2024-05-01T10:00:02Z  WorkflowTaskScheduled",
                            "3   2024-05-01T10:00:03Z  WorkflowExecutionTerminated",
                        }));
}

TEST_F(CliCommandsTest, WorkflowShowJsonIsOneHistory) {
  ASSERT_EQ(RunTern({"-o", "json", "workflow", "show", "-w", "order-7"}), 0) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, StartsWith("{\n \"events\": ["));
  EXPECT_THAT(out, HasSubstr("\"eventType\": \"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED\""));
  EXPECT_THAT(out, HasSubstr("\"eventType\": \"EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED\""));
  EXPECT_THAT(out, Not(HasSubstr("nextPageToken")));
}

TEST_F(CliCommandsTest, WorkflowShowNotFound) {
  EXPECT_EQ(RunTern({"workflow", "show", "-w", "nope"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("tern workflow show: failed to read the history of workflow "
                                     "nope: workflow execution not found"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliCommandsTest, WorkflowSignalSendsJsonPayload) {
  ASSERT_EQ(RunTern({"workflow", "signal", "-w", "order-7", "-r", "run-2", "--name", "approve",
                     "--input", "{\"by\": \"ann\", \"n\": 12345678901234567890}"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str(), "Signal sent.\n");
  std::vector<wf::SignalWorkflowExecutionRequest> requests =
      service_.requests<wf::SignalWorkflowExecutionRequest>();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "default");
  EXPECT_EQ(requests[0].workflow_execution().workflow_id(), "order-7");
  EXPECT_EQ(requests[0].workflow_execution().run_id(), "run-2");
  EXPECT_EQ(requests[0].signal_name(), "approve");
  EXPECT_THAT(requests[0].identity(), StartsWith("tern-cli@"));
  ASSERT_EQ(requests[0].input().payloads_size(), 1);
  const auto& payload = requests[0].input().payloads(0);
  EXPECT_EQ(payload.metadata().at("encoding"), "json/plain");
  // The text as given, so large integers keep every digit.
  EXPECT_EQ(payload.data(), "{\"by\": \"ann\", \"n\": 12345678901234567890}");
}

TEST_F(CliCommandsTest, WorkflowSignalWithoutInputSendsNoPayload) {
  ASSERT_EQ(RunTern({"-o", "json", "workflow", "signal", "-w", "order-7", "--name", "go"}), 0)
      << err_.str();
  EXPECT_EQ(out_.str(), "{}\n");
  std::vector<wf::SignalWorkflowExecutionRequest> requests =
      service_.requests<wf::SignalWorkflowExecutionRequest>();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].has_input());
}

TEST_F(CliCommandsTest, WorkflowSignalNotFound) {
  EXPECT_EQ(RunTern({"workflow", "signal", "-w", "gone", "--name", "go", "--input", "1"}), 1);
  EXPECT_EQ(err_.str(),
            "tern workflow signal: failed to signal workflow gone: workflow execution not found "
            "for workflow ID \"gone\"\n");
}

TEST_F(CliCommandsTest, WorkflowCancelTerminateDelete) {
  ASSERT_EQ(RunTern({"workflow", "cancel", "-w", "order-7", "--reason", "customer asked"}), 0)
      << err_.str();
  EXPECT_EQ(out_.str(), "Cancellation requested.\n");
  ASSERT_EQ(RunTern({"workflow", "terminate", "-w", "order-7", "-r", "run-2", "--reason", "stuck"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str(), "Workflow terminated.\n");
  ASSERT_EQ(RunTern({"-n", "orders", "workflow", "delete", "-w", "order-7"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "Workflow deleted.\n");

  auto cancels = service_.requests<wf::RequestCancelWorkflowExecutionRequest>();
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].workflow_execution().workflow_id(), "order-7");
  EXPECT_EQ(cancels[0].workflow_execution().run_id(), "");
  EXPECT_EQ(cancels[0].reason(), "customer asked");
  EXPECT_THAT(cancels[0].identity(), StartsWith("tern-cli@"));
  auto terminations = service_.requests<wf::TerminateWorkflowExecutionRequest>();
  ASSERT_EQ(terminations.size(), 1u);
  EXPECT_EQ(terminations[0].workflow_execution().run_id(), "run-2");
  EXPECT_EQ(terminations[0].reason(), "stuck");
  auto deletions = service_.requests<wf::DeleteWorkflowExecutionRequest>();
  ASSERT_EQ(deletions.size(), 1u);
  EXPECT_EQ(deletions[0].namespace_(), "orders");
  EXPECT_EQ(deletions[0].workflow_execution().workflow_id(), "order-7");
}

TEST_F(CliCommandsTest, WorkflowListFollowsPages) {
  ASSERT_EQ(RunTern({"workflow", "list", "-q", "WorkflowType = 'OrderWorkflow'"}), 0) << err_.str();
  auto requests = service_.requests<wf::ListWorkflowExecutionsRequest>();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].next_page_token(), "");
  EXPECT_EQ(requests[1].next_page_token(), "2");
  EXPECT_EQ(requests[2].next_page_token(), "4");
  EXPECT_EQ(requests[2].query(), "WorkflowType = 'OrderWorkflow'");
  EXPECT_EQ(requests[2].namespace_(), "default");
  EXPECT_EQ(requests[0].page_size(), 100);
  std::vector<std::string> lines = OutLines();
  ASSERT_EQ(lines.size(), 6u) << out_.str();
  EXPECT_EQ(lines[0], "Status     WorkflowId  RunId  Type            StartTime");
  EXPECT_EQ(lines[1], "Running    wf-0        run-0  OrderWorkflow   2024-05-01T10:00:00Z");
  EXPECT_EQ(lines[2], "Completed  wf-1        run-1  RefundWorkflow  2024-05-01T10:00:01Z");
  EXPECT_THAT(lines[5], StartsWith("Completed  wf-4"));
}

TEST_F(CliCommandsTest, WorkflowListStopsAtTheLimit) {
  ASSERT_EQ(RunTern({"-o", "json", "workflow", "list", "--limit", "3"}), 0) << err_.str();
  auto requests = service_.requests<wf::ListWorkflowExecutionsRequest>();
  ASSERT_EQ(requests.size(), 2u);  // 2 + 1: the third page is never asked for
  EXPECT_EQ(requests[0].page_size(), 3);
  EXPECT_EQ(requests[1].page_size(), 1);
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("\"wf-2\""));
  EXPECT_THAT(out, Not(HasSubstr("\"wf-3\"")));
  EXPECT_THAT(out, Not(HasSubstr("nextPageToken")));
}

TEST_F(CliCommandsTest, WorkflowListLimitWithinOnePage) {
  ASSERT_EQ(RunTern({"workflow", "list", "--limit", "1"}), 0) << err_.str();
  auto requests = service_.requests<wf::ListWorkflowExecutionsRequest>();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].page_size(), 1);
  std::vector<std::string> lines = OutLines();
  ASSERT_EQ(lines.size(), 2u) << out_.str();
  EXPECT_THAT(lines[1], StartsWith("Running  wf-0"));
}

TEST_F(CliCommandsTest, WorkflowListUnimplementedIsOneLine) {
  EXPECT_EQ(RunTern({"workflow", "list", "-q", "unsupported"}), 1);
  EXPECT_EQ(err_.str(),
            "tern workflow list: failed to list workflows: ListWorkflowExecutions is not "
            "implemented\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliCommandsTest, WorkflowCount) {
  ASSERT_EQ(RunTern({"workflow", "count", "-q", "WorkflowType = 'OrderWorkflow'"}), 0)
      << err_.str();
  EXPECT_EQ(out_.str(), "Total: 5\n");
  auto requests = service_.requests<wf::CountWorkflowExecutionsRequest>();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].query(), "WorkflowType = 'OrderWorkflow'");
  EXPECT_EQ(requests[0].namespace_(), "default");
}

TEST_F(CliCommandsTest, WorkflowCountGroups) {
  ASSERT_EQ(RunTern({"workflow", "count", "-q", "GROUP BY ExecutionStatus"}), 0) << err_.str();
  EXPECT_EQ(OutLines(), (std::vector<std::string>{
                            "Total: 5",
                            "Count  Group",
                            "1      \"Running\"",
                            "4      \"Completed\"",
                        }));
  ASSERT_EQ(RunTern({"-o", "json", "workflow", "count", "-q", "GROUP BY ExecutionStatus"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("\"count\": \"5\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"groups\""));
}

// ---- operator namespace delete, search-attribute ------------------------------------------------

TEST_F(CliCommandsTest, NamespaceDeleteWithYes) {
  ASSERT_EQ(RunTern({"operator", "namespace", "delete", "-n", "orders", "--yes"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "Namespace orders deleted.\n");
  auto requests = operator_service_.delete_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "orders");
}

TEST_F(CliCommandsTest, NamespaceDeleteConfirmedOnTheTerminal) {
  std::istringstream yes(" Yes \n");
  ASSERT_EQ(RunTern({"-o", "json", "operator", "namespace", "delete", "orders"}, &yes), 0)
      << err_.str();
  EXPECT_EQ(err_.str(), "Really delete namespace orders and every workflow in it? [y/N] ");
  EXPECT_THAT(out_.str(), HasSubstr("\"deletedNamespace\": \"orders-deleted-5f0c\""));
}

TEST_F(CliCommandsTest, NamespaceDeleteNotConfirmedSendsNothing) {
  std::istringstream no("\n");
  EXPECT_EQ(RunTern({"operator", "namespace", "delete", "-n", "orders"}, &no), 1);
  EXPECT_THAT(err_.str(), HasSubstr("not confirmed"));
  EXPECT_TRUE(operator_service_.delete_requests().empty());
}

TEST_F(CliCommandsTest, NamespaceDeleteNotFound) {
  EXPECT_EQ(RunTern({"operator", "namespace", "delete", "-n", "nope", "-y"}), 1);
  EXPECT_EQ(err_.str(),
            "tern operator namespace delete: failed to delete namespace nope: Namespace nope is "
            "not found.\n");
}

TEST_F(CliCommandsTest, SearchAttributeCreateSendsEveryPair) {
  ASSERT_EQ(RunTern({"-n", "orders", "operator", "search-attribute", "create", "--name", "Region",
                     "--type", "keyword", "--name", "Amount", "--type", "Double", "--name", "Tags",
                     "--type", "KEYWORDLIST"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str(),
            "Added to namespace orders: Region (Keyword), Amount (Double), Tags (KeywordList).\n");
  auto requests = operator_service_.add_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "orders");
  EXPECT_EQ(requests[0].search_attributes_size(), 3);
  EXPECT_EQ(requests[0].search_attributes().at("Region"), enums::INDEXED_VALUE_TYPE_KEYWORD);
  EXPECT_EQ(requests[0].search_attributes().at("Amount"), enums::INDEXED_VALUE_TYPE_DOUBLE);
  EXPECT_EQ(requests[0].search_attributes().at("Tags"), enums::INDEXED_VALUE_TYPE_KEYWORD_LIST);
}

TEST_F(CliCommandsTest, SearchAttributeCreateExisting) {
  EXPECT_EQ(RunTern({"-n", "orders", "operator", "search-attribute", "create", "--name",
                     "CustomerId", "--type", "Keyword"}),
            1);
  EXPECT_EQ(err_.str(),
            "tern operator search-attribute create: failed to add search attributes to namespace "
            "orders: Search attribute CustomerId already exists.\n");
}

TEST_F(CliCommandsTest, SearchAttributeListCustomThenSystem) {
  ASSERT_EQ(RunTern({"-n", "orders", "operator", "search-attribute", "create", "--name", "Amount",
                     "--type", "Int"}),
            0)
      << err_.str();
  ASSERT_EQ(RunTern({"-n", "orders", "operator", "search-attribute", "list"}), 0) << err_.str();
  EXPECT_EQ(OutLines(), (std::vector<std::string>{
                            "Name          Type",
                            "Amount        Int",
                            "CustomerId    Keyword",
                            "StartTime     Datetime",
                            "WorkflowType  Keyword",
                        }));
  ASSERT_EQ(RunTern({"-o", "json", "operator", "search-attribute", "list"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"systemAttributes\""));
  EXPECT_THAT(out_.str(), Not(HasSubstr("CustomerId")));  // another namespace's
}

TEST_F(CliCommandsTest, SearchAttributeRemove) {
  ASSERT_EQ(RunTern({"-n", "orders", "operator", "search-attribute", "remove", "--name",
                     "CustomerId", "--yes"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str(), "Removed from namespace orders: CustomerId.\n");
  auto requests = operator_service_.remove_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].namespace_(), "orders");
  EXPECT_THAT(requests[0].search_attributes(), ::testing::ElementsAre("CustomerId"));

  EXPECT_EQ(RunTern({"-n", "orders", "operator", "search-attribute", "remove", "--name",
                     "CustomerId", "--yes"}),
            1);
  EXPECT_EQ(err_.str(),
            "tern operator search-attribute remove: failed to remove search attributes from "
            "namespace orders: Search attribute CustomerId doesn't exist.\n");
}

// ---- cluster
// -------------------------------------------------------------------------------------

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

#include "client/rpc.h"

#include <google/protobuf/descriptor.h>

#include <utility>

#include "client/ring_router.h"

namespace tern::client {
namespace {

struct InternalCredentials {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  std::string server_name;
};

InternalCredentials& Internal() {
  static InternalCredentials internal;
  return internal;
}

}  // namespace

void SetInternalChannelCredentials(std::shared_ptr<grpc::ChannelCredentials> credentials,
                                   std::string server_name) {
  Internal() = {std::move(credentials), std::move(server_name)};
}

std::shared_ptr<grpc::Channel> NewInternalChannel(const std::string& address) {
  const InternalCredentials& internal = Internal();
  grpc::ChannelArguments args;
  if (!internal.server_name.empty()) args.SetSslTargetNameOverride(internal.server_name);
  args.SetMaxReceiveMessageSize(128 * 1024 * 1024);
  args.SetMaxSendMessageSize(128 * 1024 * 1024);
  // Reconnect quickly after a peer restarts.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(address, internal.credentials, args);
}

void CallHandle::Cancel(absl::Status reason) {
  std::lock_guard lock(mu_);
  if (reason_.ok()) reason_ = std::move(reason);
  if (cancel_) std::exchange(cancel_, nullptr)();
}

bool CallHandle::Attach(std::function<void()> cancel, absl::Status* reason) {
  std::lock_guard lock(mu_);
  if (!reason_.ok()) {
    *reason = reason_;
    return false;
  }
  cancel_ = std::move(cancel);
  return true;
}

absl::Status CallHandle::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

void CallHandle::Detach() {
  std::lock_guard lock(mu_);
  cancel_ = nullptr;
}

std::string OperationOf(const google::protobuf::Descriptor& request) {
  std::string_view name = request.name();
  if (name.ends_with("Request")) name.remove_suffix(std::string_view("Request").size());
  return std::string(name);
}

}  // namespace tern::client

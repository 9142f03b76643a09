#include "h2/call.h"

#include "h2/connection.h"

namespace tern::h2 {

Call::Call(Key, std::weak_ptr<Connection> connection, int32_t stream_id,
           std::shared_ptr<const PeerInfo> peer_info, size_t max_message_bytes)
    : connection_(std::move(connection)),
      stream_id_(stream_id),
      peer_info_(std::move(peer_info)),
      reader_(max_message_bytes) {}

std::string_view Call::header(std::string_view name) const {
  for (const auto& [key, value] : headers_) {
    if (key == name) return value;
  }
  return {};
}

void Call::Answer(const grpc::Status& status, std::string response) {
  if (!MarkAnswered()) return;
  if (auto connection = connection_.lock()) {
    connection->Answer(*this, status, std::move(response));
  }
}

void Call::OnCancel(std::function<void()> on_cancel) {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kAnswered) return;
    if (state_ == State::kOpen) {
      on_cancel_ = std::move(on_cancel);
      return;
    }
  }
  on_cancel();
}

bool Call::cancelled() const {
  std::lock_guard lock(mu_);
  return state_ == State::kCancelled;
}

bool Call::MarkAnswered() {
  std::function<void()> dropped;  // destroyed outside the lock: it may hold the last Call ref
  std::lock_guard lock(mu_);
  if (state_ != State::kOpen) return false;
  state_ = State::kAnswered;
  dropped.swap(on_cancel_);
  return true;
}

void Call::Cancel() {
  std::function<void()> on_cancel;
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kOpen) return;
    state_ = State::kCancelled;
    on_cancel.swap(on_cancel_);
  }
  if (on_cancel) on_cancel();
}

absl::Status Call::TakeRequest(size_t max_message_bytes) {
  if (absl::Status status = reader_.Finish(); !status.ok()) return status;
  if (!reader_.compressed()) {
    request_ = std::move(reader_.message());
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> inflated =
      Decompress(header("grpc-encoding"), reader_.message(), max_message_bytes);
  if (!inflated.ok()) return inflated.status();
  request_ = std::move(*inflated);
  std::string().swap(reader_.message());
  return absl::OkStatus();
}

}  // namespace tern::h2

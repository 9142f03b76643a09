// How the frontend answers its calls, whichever server carries them (call_transport.h).
//
// Reactor: the reactor of every frontend call. Finish() records the call with the gate that
// admitted it (request metrics, the audit log for audited methods; request_gate.h), then answers
// it through the call's transport. A plain Reactor deletes itself when the transport is done with
// the call (OnDone).
//
// CallContext: what a handler is given for its call: its deadline (from the transport) and the
// call's record, which the call's one reactor takes: DefaultReactor() for a plain one,
// CallReactor::Create for one that races or parks. It lives only while the handler method runs:
// callbacks that run later keep the reactor, never the context.
//
// CallReactor: a reactor for calls that wait on another service (long polls), with the three
// things a plain one lacks:
//   - exactly-once finishing when several parties race to answer (the matching reply, the
//     frontend's shutdown): whoever wins Claim() writes the response and calls Finish();
//   - cancellation: when the caller goes away (OnCancel), the internal call is cancelled through
//     handle();
//   - registration in a PollRegistry, so Stop() can answer every parked poll with the empty
//     response.
//
// Lifetime: the reactor owns itself until the transport calls OnDone (after Finish, possibly
// inside it). Callbacks that may run later (the internal call's completion) hold a shared_ptr, so
// the object outlives them; the request/response objects are valid only until OnDone, i.e. only
// for the Claim() winner before it calls Finish().
#pragma once

#include <grpcpp/support/status.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "client/rpc.h"
#include "services/frontend/call_transport.h"
#include "services/frontend/request_gate.h"

namespace tern::frontend {

class PollRegistry;

class Reactor {
 public:
  Reactor(CallRecord record, RequestGate& gate, CallTransport& transport)
      : record_(std::move(record)), gate_(gate), transport_(transport) {}
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Records the call's outcome and ends its count (request_gate.h), then answers it. Once per
  // call.
  void Finish(const grpc::Status& status);

  // Called by the transport (call_transport.h). The reactions are short and take no lock a
  // caller of Finish() may hold, so transports run them on the thread where the call ended;
  // OnDone may therefore run inside Finish().
  virtual void OnCancel() {}
  virtual void OnDone() { delete this; }

 protected:
  virtual ~Reactor() = default;

 private:
  CallRecord record_;
  RequestGate& gate_;
  CallTransport& transport_;
};

class CallContext {
 public:
  CallContext(CallTransport& transport, CallRecord record, RequestGate& gate)
      : transport_(transport), record_(std::move(record)), gate_(gate) {}
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  std::chrono::system_clock::time_point deadline() const { return transport_.deadline(); }
  // The call's plain reactor (the same one on every use).
  Reactor* DefaultReactor();

 private:
  friend class CallReactor;
  CallTransport& transport_;
  CallRecord record_;  // until the call's reactor takes it
  RequestGate& gate_;
  Reactor* reactor_ = nullptr;
};

class CallReactor final : public Reactor, public std::enable_shared_from_this<CallReactor> {
 public:
  // The reactor of `call`. `registry` may be null (a cancellable call that shutdown does not
  // answer).
  static std::shared_ptr<CallReactor> Create(CallContext& call, PollRegistry* registry);

  // True for exactly one caller: it may write the response and must call Finish().
  bool Claim() { return !claimed_.exchange(true); }
  bool claimed() const { return claimed_.load(); }
  // Claim() and Finish(status); false (and nothing done) if someone else already claimed.
  bool TryFinish(const grpc::Status& status);
  const std::shared_ptr<client::CallHandle>& handle() const { return handle_; }
  // Keeps `resource` (a long-poll slot) until the call is done.
  void Hold(std::shared_ptr<void> resource) { held_ = std::move(resource); }

  void OnCancel() override;
  void OnDone() override;

 private:
  CallReactor(CallContext& call, PollRegistry* registry);

  PollRegistry* registry_;
  std::shared_ptr<client::CallHandle> handle_ = std::make_shared<client::CallHandle>();
  std::atomic<bool> claimed_{false};
  std::shared_ptr<void> held_;         // released in OnDone
  std::shared_ptr<CallReactor> self_;  // released in OnDone
};

// The parked long polls of one frontend. Thread-safe.
class PollRegistry {
 public:
  // False once Stop() ran: the caller should answer empty at once.
  bool Add(CallReactor* reactor);
  void Remove(CallReactor* reactor);
  // Cancels every parked poll's internal call and answers the poll with its (still empty)
  // response message and OK. Later Add() calls fail.
  void Stop();

 private:
  mutable std::mutex mu_;
  bool stopped_ = false;
  std::unordered_set<CallReactor*> polls_;
};

// The frontend's calls to history and matching. Stop() cancels every one still running with
// UNAVAILABLE (the SDKs retry it, on another frontend), so the server's shutdown does not wait
// for calls that keep retrying an unreachable host until their deadline. Thread-safe.
class ForwardedCalls {
 public:
  // Options for a new call with `deadline`, whose handle Stop() cancels.
  client::CallOptions Options(TimePoint deadline);
  // Stop() cancels `handle` too (a long poll's, which its reactor also cancels).
  void Track(const std::shared_ptr<client::CallHandle>& handle);
  // Cancels the calls running and every call started afterwards. Idempotent.
  void Stop();

 private:
  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::weak_ptr<client::CallHandle>> handles_;  // expired ones pruned as it grows
  size_t prune_at_ = 64;
};

}  // namespace tern::frontend

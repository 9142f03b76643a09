#include "common/jwt_key_provider.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tern::jwt {

namespace {

constexpr long kConnectTimeoutMs = 5'000;
constexpr long kTransferTimeoutMs = 10'000;

absl::StatusOr<std::string> ReadFileSource(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  // One byte more than accepted tells a document at the limit from a larger one.
  std::string text(kMaxKeySetBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

struct Transfer {
  std::string body;
  bool too_large = false;
  const std::atomic<bool>* cancel = nullptr;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->body.size() + size * count > kMaxKeySetBytes) {
    transfer->too_large = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, size * count);
  return size * count;
}

// libcurl calls this at least once a second while a transfer runs; non-zero aborts it.
int AbortWhenCancelled(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const Transfer*>(user)->cancel->load() ? 1 : 0;
}

absl::StatusOr<std::string> ReadHttpSource(const std::string& url,
                                           const std::atomic<bool>& cancel) {
  // Thread-safe once: later calls see the first result.
  static const CURLcode global_init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global_init != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("libcurl initialisation failed: ", curl_easy_strerror(global_init)));
  }
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return absl::InternalError("libcurl could not create a transfer");
  Transfer transfer{.cancel = &cancel};
  char error[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // signals would reach other threads
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, kTransferTimeoutMs);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, AbortWhenCancelled);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
  const CURLcode result = curl_easy_perform(c);
  if (transfer.too_large) {
    return absl::FailedPreconditionError(
        absl::StrCat("the document is larger than ", kMaxKeySetBytes, " bytes"));
  }
  if (result == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError("stopped");
  if (result != CURLE_OK) {
    return absl::UnavailableError(error[0] ? error : curl_easy_strerror(result));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return absl::UnavailableError(absl::StrCat("HTTP status ", status));
  return std::move(transfer.body);
}

absl::StatusOr<std::string> ReadSource(const std::string& uri, const std::atomic<bool>& cancel) {
  constexpr char kFileScheme[] = "file://";
  if (absl::StartsWith(uri, kFileScheme)) {
    std::string path = uri.substr(sizeof(kFileScheme) - 1);
    if (!absl::StartsWith(path, "/")) {
      return absl::InvalidArgumentError("a file URI must name an absolute path (file:///path)");
    }
    return ReadFileSource(path);
  }
  if (absl::StartsWith(uri, "http://") || absl::StartsWith(uri, "https://")) {
    return ReadHttpSource(uri, cancel);
  }
  return absl::InvalidArgumentError("unsupported scheme (file:///path, http://, https://)");
}

// The kid and algorithm of every key (no key material): `"k1" (RS256), "k2" (ES256)`.
std::string KeysForLog(const KeySet& set) {
  if (set.keys().empty()) return "no keys";
  std::vector<std::string> keys;
  for (const PublicKey& key : set.keys()) {
    keys.push_back(
        absl::StrCat(QuoteForMessage(key.kid()), " (", AlgorithmName(key.algorithm()), ")"));
  }
  return absl::StrJoin(keys, ", ");
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyProvider>> KeyProvider::Create(std::vector<std::string> uris,
                                                                 absl::Duration refresh_interval) {
  if (uris.empty()) return absl::InvalidArgumentError("no JWT key source URIs");
  if (refresh_interval <= absl::ZeroDuration() || refresh_interval > absl::Hours(24 * 365)) {
    return absl::InvalidArgumentError(absl::StrCat("JWT key refresh interval ",
                                                   absl::FormatDuration(refresh_interval),
                                                   " must be positive and at most a year"));
  }
  std::unique_ptr<KeyProvider> provider(new KeyProvider(std::move(uris), refresh_interval));
  bool changed = false;
  for (size_t i = 0; i < provider->uris_.size(); ++i) {
    if (absl::Status status = provider->Load(i, &changed); !status.ok()) return status;
  }
  provider->keys_ = std::make_shared<const KeySet>(KeySet::Merge(provider->sets_));
  return provider;
}

KeyProvider::KeyProvider(std::vector<std::string> uris, absl::Duration refresh_interval)
    : uris_(std::move(uris)),
      refresh_interval_(refresh_interval),
      documents_(uris_.size()),
      sets_(uris_.size()) {}

KeyProvider::~KeyProvider() { Stop(); }

absl::Status KeyProvider::Load(size_t index, bool* changed) {
  const std::string& uri = uris_[index];
  absl::StatusOr<std::string> document = ReadSource(uri, cancel_fetch_);
  if (document.ok() && documents_[index] == *document) return absl::OkStatus();
  absl::StatusOr<KeySet> set =
      document.ok() ? KeySet::Parse(*document) : absl::StatusOr<KeySet>(document.status());
  if (!set.ok()) {
    return absl::Status(set.status().code(),
                        absl::StrCat("JWT key source ", uri, ": ", set.status().message()));
  }
  spdlog::info("JWT key source {}: loaded {}", uri, KeysForLog(*set));
  for (const std::string& skipped : set->skipped()) {
    spdlog::info("JWT key source {}: skipped {}", uri, skipped);
  }
  documents_[index] = *std::move(document);
  sets_[index] = *std::move(set);
  *changed = true;
  return absl::OkStatus();
}

absl::Status KeyProvider::Refresh() {
  std::lock_guard lock(refresh_mu_);
  absl::Status first_error;
  bool changed = false;
  for (size_t i = 0; i < uris_.size(); ++i) {
    absl::Status status = Load(i, &changed);
    if (status.ok()) continue;
    spdlog::warn("{}; keeping its previous keys", std::string(status.message()));
    first_error.Update(status);
  }
  if (changed) {
    auto keys = std::make_shared<const KeySet>(KeySet::Merge(sets_));
    std::lock_guard keys_lock(keys_mu_);
    keys_ = std::move(keys);
  }
  return first_error;
}

std::shared_ptr<const KeySet> KeyProvider::Keys() const {
  std::lock_guard lock(keys_mu_);
  return keys_;
}

void KeyProvider::Start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  cancel_fetch_ = false;
  thread_ = std::thread([this] { Run(); });
}

void KeyProvider::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    cancel_fetch_ = true;
  }
  wake_.notify_all();
  thread_.join();
  cancel_fetch_ = false;  // so that Refresh() called directly after Stop() fetches again
}

void KeyProvider::Run() {
  std::unique_lock lock(thread_mu_);
  const auto interval = absl::ToChronoNanoseconds(refresh_interval_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    Refresh().IgnoreError();  // logged by Refresh
    lock.lock();
  }
}

}  // namespace tern::jwt

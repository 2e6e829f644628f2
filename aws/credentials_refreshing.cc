// The caching/refreshing provider and the assume-role provider built on it.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "aws/credentials_chain.h"
#include "core/log.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

class RefreshingProvider final : public CredentialsProvider {
 public:
  RefreshingProvider(std::function<Result<Credentials>()> fetch, std::shared_ptr<Clock> clock,
                     RefreshOptions options)
      : fetch_(std::move(fetch)), clock_(std::move(clock)), options_(options) {}

  Result<Credentials> Get() override {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      TimePoint now = clock_->Now();
      bool usable = cached_ && Usable(*cached_, now);
      if (usable && now < next_refresh_) return *cached_;
      if (!refreshing_) break;
      // Someone else is refreshing: serve what is still valid, else wait.
      if (usable) return *cached_;
      uint64_t gen = generation_;
      cv_.wait(lock, [&] { return generation_ != gen; });
      if (last_error_ && !(cached_ && Usable(*cached_, clock_->Now()))) return Fail(*last_error_);
    }
    refreshing_ = true;
    lock.unlock();
    Result<Credentials> fetched = fetch_();
    lock.lock();
    refreshing_ = false;
    ++generation_;
    cv_.notify_all();

    TimePoint now = clock_->Now();
    if (fetched && fetched->expiration && *fetched->expiration <= now) {
      fetched = Fail(Error::Transient("CredentialsExpired",
                                      "the credentials from " + fetched->source + " expired at " +
                                          FormatIso8601Seconds(*fetched->expiration) + " (now " +
                                          FormatIso8601Seconds(now) + "); check the system clock"));
    }
    if (fetched) {
      last_error_.reset();
      cached_ = *fetched;
      next_refresh_ = NextRefresh(*fetched, now);
      return *fetched;
    }
    last_error_ = fetched.error();
    if (cached_ && Usable(*cached_, now)) {
      // Early refresh failed: keep serving the valid cached credentials.
      next_refresh_ = std::min(now + options_.retry_after_failure,
                               *cached_->expiration - options_.expiry_margin);
      LogWarn("credentials refresh failed; using cached credentials until they expire",
              {{"source", cached_->source},
               {"expires", FormatIso8601Seconds(*cached_->expiration)},
               {"error", fetched.error().ToString()}});
      return *cached_;
    }
    return Fail(fetched.error());
  }

 private:
  bool Usable(const Credentials& c, TimePoint now) const {
    return !c.expiration || now < *c.expiration - options_.expiry_margin;
  }

  TimePoint NextRefresh(const Credentials& c, TimePoint now) const {
    if (!c.expiration) return TimePoint::max();
    TimePoint at = *c.expiration - options_.refresh_before;
    // Short-lived credentials: refresh halfway through what is left.
    if (at <= now) at = now + (*c.expiration - now) / 2;
    return at;
  }

  const std::function<Result<Credentials>()> fetch_;
  const std::shared_ptr<Clock> clock_;
  const RefreshOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Credentials> cached_;
  TimePoint next_refresh_ = TimePoint::min();
  bool refreshing_ = false;
  uint64_t generation_ = 0;          // completed refreshes
  std::optional<Error> last_error_;  // of the last refresh, if it failed
};

class AssumeRoleFetcher {
 public:
  AssumeRoleFetcher(std::shared_ptr<CredentialsProvider> source, StsFactory sts,
                    AssumeRoleParams params, std::string region, std::shared_ptr<Clock> clock)
      : source_(std::move(source)),
        factory_(std::move(sts)),
        params_(std::move(params)),
        region_(std::move(region)),
        clock_(std::move(clock)) {}

  // Called by the refreshing provider, one call at a time.
  Result<Credentials> Fetch() {
    std::string what = "assuming role " + params_.role_arn;
    if (!params_.external_id.empty()) what += " (with external id)";
    if (!client_) {
      if (!factory_) {
        return Fail(
            Error::Terminal("StsUnavailable", "no STS client factory was configured").With(what));
      }
      client_ = factory_(source_, region_);
      if (!client_) {
        return Fail(Error::Terminal("StsUnavailable",
                                    "could not create an STS client for region " + region_)
                        .With(what));
      }
    }
    AssumeRoleParams p = params_;
    if (p.role_session_name.empty()) {
      p.role_session_name =
          "drsnap-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         clock_->Now().time_since_epoch())
                                         .count());
    }
    auto r = client_->AssumeRole(p);
    if (!r) {
      Error e = std::move(r).error();
      // The role is missing or does not trust the caller: say which and what
      // to do, once (a split deployment's source side assumes the DR
      // account's read role on every run; deploy/vault.yaml).
      if (e.code == "AccessDenied" || e.code == "NoSuchEntity" || e.code == "InvalidClientTokenId")
        e.hint = "drsnap cannot assume " + params_.role_arn +
                 ": deploy that role (for a split deployment's source side, the ReadRole of "
                 "deploy/vault.yaml in that account; its stack output ReadRoleArn) with a trust "
                 "policy for these credentials, or correct role_arn for that account in the "
                 "policy file";
      return Fail(std::move(e).With(what));
    }
    if (r->source.empty()) r->source = "assume-role " + params_.role_arn;
    return r;
  }

 private:
  std::shared_ptr<CredentialsProvider> source_;
  StsFactory factory_;
  AssumeRoleParams params_;
  std::string region_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<StsApi> client_;
};

class ChainProvider final : public CredentialsProvider {
 public:
  explicit ChainProvider(std::vector<NamedProvider> providers) : providers_(std::move(providers)) {}

  Result<Credentials> Get() override {
    std::shared_ptr<CredentialsProvider> chosen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      chosen = chosen_;
    }
    if (chosen) return chosen->Get();
    std::string tried;
    for (const auto& np : providers_) {
      auto r = np.provider->Get();
      if (r) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!chosen_) chosen_ = np.provider;
        return r;
      }
      if (r.error().code != kCredentialsNotConfigured) return Fail(std::move(r).error());
      if (!tried.empty()) tried += "; ";
      tried += np.what + " (" + r.error().message + ")";
    }
    Error e =
        Error::Terminal(std::string(kNoCredentials), "no AWS credentials found; tried " + tried);
    e.hint =
        "set AWS_PROFILE (a profile in ~/.aws/config or ~/.aws/credentials) or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run on a machine with a role";
    return Fail(std::move(e));
  }

 private:
  const std::vector<NamedProvider> providers_;
  std::mutex mu_;
  std::shared_ptr<CredentialsProvider> chosen_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> NewRefreshingProvider(
    std::function<Result<Credentials>()> fetch, std::shared_ptr<Clock> clock,
    RefreshOptions options) {
  return std::make_shared<RefreshingProvider>(std::move(fetch), std::move(clock), options);
}

std::shared_ptr<CredentialsProvider> NewAssumeRoleProvider(
    std::shared_ptr<CredentialsProvider> source, StsFactory sts, AssumeRoleParams params,
    std::string region, std::shared_ptr<Clock> clock, RefreshOptions refresh) {
  if (!clock) clock = DefaultClock();
  if (region.empty()) region = "us-east-1";
  auto fetcher = std::make_shared<AssumeRoleFetcher>(std::move(source), std::move(sts),
                                                     std::move(params), std::move(region), clock);
  return NewRefreshingProvider([fetcher] { return fetcher->Fetch(); }, std::move(clock), refresh);
}

std::shared_ptr<CredentialsProvider> NewChainProvider(std::vector<NamedProvider> providers) {
  return std::make_shared<ChainProvider>(std::move(providers));
}

}  // namespace drsnap::aws

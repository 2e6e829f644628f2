#include "testing/lambda_fake_runtime_api.h"

#include <chrono>

namespace drsnap::testing {

FakeRuntimeApi::FakeRuntimeApi(bool answer_at_once) {
  server_.set_tcp_nodelay(answer_at_once);
  server_.Get("/2018-06-01/runtime/invocation/next",
              [this](const httplib::Request&, httplib::Response& res) {
                std::unique_lock lock(mu_);
                ++polls_;
                cv_.notify_all();
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (stopping_) {
                  res.status = 500;
                  return;
                }
                Pending p = queue_.front();
                queue_.pop_front();
                handed_out_[p.id] = std::chrono::steady_clock::now();
                res.set_header("Lambda-Runtime-Aws-Request-Id", p.id);
                res.set_header("Lambda-Runtime-Deadline-Ms", std::to_string(p.deadline_ms));
                if (!p.trace_id.empty()) res.set_header("Lambda-Runtime-Trace-Id", p.trace_id);
                res.set_header("Lambda-Runtime-Invoked-Function-Arn",
                               "arn:aws:lambda:us-east-1:111111111111:function:drsnap");
                res.set_content(p.payload, "application/json");
              });
  server_.Post(R"(/2018-06-01/runtime/invocation/([^/]+)/(response|error))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::lock_guard lock(mu_);
                 Outcome o;
                 o.request_id = req.matches[1];
                 o.error = req.matches[2] == "error";
                 o.body = req.body;
                 o.error_type = req.get_header_value("Lambda-Runtime-Function-Error-Type");
                 o.answered = std::chrono::steady_clock::now();
                 if (auto it = handed_out_.find(o.request_id); it != handed_out_.end())
                   o.handed_out = it->second;
                 outcomes_.push_back(o);
                 cv_.notify_all();
                 res.status = 202;
                 res.set_content(R"({"status":"OK"})", "application/json");
               });
  server_.Post("/2018-06-01/runtime/init/error",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::lock_guard lock(mu_);
                 init_errors_.push_back(req.body);
                 cv_.notify_all();
                 res.status = 202;
               });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeRuntimeApi::~FakeRuntimeApi() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeRuntimeApi::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string FakeRuntimeApi::Push(std::string payload, long long deadline_ms) {
  return PushWithTrace(std::move(payload), deadline_ms, kDefaultTrace);
}

std::string FakeRuntimeApi::PushWithTrace(std::string payload, long long deadline_ms,
                                          std::string trace_id) {
  std::lock_guard lock(mu_);
  std::string id = "req-" + std::to_string(next_id_++);
  queue_.push_back({id, std::move(payload), deadline_ms, std::move(trace_id)});
  cv_.notify_all();
  return id;
}

std::vector<FakeRuntimeApi::Outcome> FakeRuntimeApi::WaitForOutcomes(size_t n, int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return outcomes_.size() >= n; });
  return outcomes_;
}

std::map<std::string, std::chrono::steady_clock::time_point> FakeRuntimeApi::handed_out() const {
  std::lock_guard lock(mu_);
  return handed_out_;
}

bool FakeRuntimeApi::WaitForPoll(int timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return polls_ > 0; });
}

std::vector<std::string> FakeRuntimeApi::init_errors() const {
  std::lock_guard lock(mu_);
  return init_errors_;
}

}  // namespace drsnap::testing

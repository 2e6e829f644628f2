#include "testing/lambda_fake_event_bridge.h"

#include <chrono>

namespace drsnap::testing {

FakeEventBridge::FakeEventBridge(std::string account, std::string region, Route route,
                                 bool answer_at_once)
    : account_(std::move(account)), region_(std::move(region)), route_(std::move(route)) {
  server_.set_tcp_nodelay(answer_at_once);
  server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
    std::string target = req.get_header_value("X-Amz-Target");
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    std::vector<nlohmann::json> events;
    nlohmann::json answer;
    {
      std::lock_guard lock(mu_);
      targets_.push_back(target);
      if (target != "AWSEvents.PutEvents" || body.is_discarded() || !body.contains("Entries") ||
          req.get_header_value("Authorization").find("/events/aws4_request") == std::string::npos) {
        res.status = 400;
        res.set_content(R"({"__type":"ValidationException","message":"bad request"})",
                        "application/x-amz-json-1.1");
        return;
      }
      answer["FailedEntryCount"] = 0;
      answer["Entries"] = nlohmann::json::array();
      for (const auto& e : body["Entries"]) {
        entries_.push_back(e);
        std::string id = "evt-" + std::to_string(next_id_++);
        nlohmann::json ev;
        ev["version"] = "0";
        ev["id"] = id;
        ev["detail-type"] = e.value("DetailType", "");
        ev["source"] = e.value("Source", "");
        ev["account"] = account_;
        ev["time"] = "2026-11-23T05:00:00Z";
        ev["region"] = region_;
        ev["resources"] = e.value("Resources", nlohmann::json::array());
        ev["detail"] = nlohmann::json::parse(e.value("Detail", "{}"), nullptr, false);
        events.push_back(std::move(ev));
        answer["Entries"].push_back({{"EventId", id}});
      }
    }
    for (const auto& ev : events) route_(ev);
    res.set_content(answer.dump(), "application/x-amz-json-1.1");
  });
  server_.Post("/raw", [this](const httplib::Request& req, httplib::Response& res) {
    auto ev = nlohmann::json::parse(req.body, nullptr, false);
    if (!ev.is_discarded()) route_(ev);
    res.status = 200;
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeEventBridge::~FakeEventBridge() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeEventBridge::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<nlohmann::json> FakeEventBridge::put_entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

std::vector<std::string> FakeEventBridge::targets() const {
  std::lock_guard lock(mu_);
  return targets_;
}

}  // namespace drsnap::testing

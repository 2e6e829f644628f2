#include "aws/events.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace drsnap::aws {
namespace {

using nlohmann::json;

Error Malformed(const std::string& what) {
  return Error::Terminal("MalformedResponse", "EventBridge PutEvents answered " + what);
}

}  // namespace

EventsClient::EventsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}

std::string EncodePutEventsRequest(const std::vector<EventEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    json j;
    j["Source"] = e.source;
    j["DetailType"] = e.detail_type;
    j["Detail"] = e.detail.empty() ? std::string("{}") : e.detail;
    if (!e.resources.empty()) j["Resources"] = e.resources;
    if (!e.event_bus_name.empty()) j["EventBusName"] = e.event_bus_name;
    if (e.time) {
      j["Time"] =
          std::chrono::duration_cast<std::chrono::seconds>(e.time->time_since_epoch()).count();
    }
    list.push_back(std::move(j));
  }
  json req;
  req["Entries"] = std::move(list);
  return req.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<PutEventsResult> DecodePutEventsResponse(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Fail(Malformed("something that is not JSON"));
  PutEventsResult out;
  if (auto it = j.find("FailedEntryCount"); it != j.end()) {
    if (!it->is_number_integer()) return Fail(Malformed("a FailedEntryCount that is not a number"));
    out.failed_entry_count = it->get<int>();
  }
  if (auto it = j.find("Entries"); it != j.end()) {
    if (!it->is_array()) return Fail(Malformed("Entries that are not a list"));
    for (const auto& e : *it) {
      if (!e.is_object()) return Fail(Malformed("an entry that is not an object"));
      PutEventsResultEntry r;
      r.event_id = e.value("EventId", "");
      r.error_code = e.value("ErrorCode", "");
      r.error_message = e.value("ErrorMessage", "");
      out.entries.push_back(std::move(r));
    }
  }
  return out;
}

Result<PutEventsResult> EventsClient::PutEvents(const std::vector<EventEntry>& entries) {
  PutEventsResult all;
  for (size_t i = 0; i < entries.size(); i += kMaxPutEventsEntries) {
    std::vector<EventEntry> chunk(entries.begin() + static_cast<std::ptrdiff_t>(i),
                                  entries.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                        entries.size(), i + kMaxPutEventsEntries)));
    auto body = client_->CallJson("AWSEvents.PutEvents", EncodePutEventsRequest(chunk));
    if (!body) {
      return Fail(std::move(body).error().With("putting " + std::to_string(chunk.size()) +
                                               " events on EventBridge"));
    }
    DRSNAP_ASSIGN_OR_RETURN(PutEventsResult part, DecodePutEventsResponse(*body));
    all.failed_entry_count += part.failed_entry_count;
    for (auto& e : part.entries) all.entries.push_back(std::move(e));
  }
  return all;
}

}  // namespace drsnap::aws

// Typed Amazon EventBridge operations (JSON 1.1 protocol, X-Amz-Target
// "AWSEvents.<Operation>", signing name "events") over ServiceClient::CallJson.
// drsnap only puts events: the source side announces each snapshot it shared
// ("drsnap Snapshot Shared") so the DR account's function copies at once.
//
// Endpoint: ResolveEndpoint("events", region, ...) honours
// AWS_ENDPOINT_URL_EVENTS, then AWS_ENDPOINT_URL (aws/endpoints.h).
//
// Errors: AWS errors as ServiceClient returns them; a response that is not
// the expected JSON is an Error with code "MalformedResponse".
//
// Thread safety: an EventsClient may be shared by many threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws {

// One PutEvents entry (PutEventsRequestEntry).
struct EventEntry {
  std::string source;                  // "drsnap"
  std::string detail_type;             // "drsnap Snapshot Shared"
  std::string detail;                  // a JSON object, as text
  std::vector<std::string> resources;  // ARNs the event is about
  std::string event_bus_name;          // "" = the account's default bus
  std::optional<TimePoint> time;
};

struct PutEventsResultEntry {
  std::string event_id;    // set when accepted
  std::string error_code;  // set when refused
  std::string error_message;
};

struct PutEventsResult {
  int failed_entry_count = 0;
  std::vector<PutEventsResultEntry> entries;  // aligned with the request's entries
};

// At most this many entries per PutEvents call (AWS's limit).
inline constexpr size_t kMaxPutEventsEntries = 10;

class EventsClient {
 public:
  explicit EventsClient(std::shared_ptr<ServiceClient> client);

  // Puts the entries, kMaxPutEventsEntries per call, and concatenates the
  // answers. A partial refusal is not an error here: see failed_entry_count.
  Result<PutEventsResult> PutEvents(const std::vector<EventEntry>& entries);

 private:
  std::shared_ptr<ServiceClient> client_;
};

// Codec (exposed for tests and for fakes of EventBridge).
std::string EncodePutEventsRequest(const std::vector<EventEntry>& entries);
Result<PutEventsResult> DecodePutEventsResponse(std::string_view json);

}  // namespace drsnap::aws

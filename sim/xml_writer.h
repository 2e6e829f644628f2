// A minimal, fast XML writer for the Query-protocol responses drsnap-sim
// sends (RDS, STS), and the envelopes AWS wraps them in.
//
// Thread safety: an XmlWriter is a plain value; use one per response.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"

namespace drsnap::sim {

inline constexpr std::string_view kRdsXmlns = "http://rds.amazonaws.com/doc/2014-10-31/";
inline constexpr std::string_view kStsXmlns = "https://sts.amazonaws.com/doc/2011-06-15/";

class XmlWriter {
 public:
  XmlWriter() { out_.reserve(1024); }
  // <name>
  void Open(std::string_view name);
  // </name>
  void Close(std::string_view name);
  // <name>escaped text</name>
  void Text(std::string_view name, std::string_view text);
  void Int(std::string_view name, long long v);
  void Bool(std::string_view name, bool v);
  // RDS timestamp shape "2026-11-23T04:10:00.000Z".
  void Time(std::string_view name, TimePoint t);
  // <name/> (an empty list)
  void Empty(std::string_view name);
  // Appends already-formed XML.
  void Raw(std::string_view xml) { out_.append(xml); }
  std::string& str() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Appends "2026-11-23T04:10:00.000Z" (what core/time_util's FormatIso8601 gives).
void AppendIso8601(std::string* out, TimePoint t);
// Appends s with &, <, >, ", ' escaped.
void AppendXmlEscaped(std::string* out, std::string_view s);

// <ActionResponse xmlns=ns><ActionResult>result</ActionResult>
// <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>
// An empty `result` with has_result=false omits the Result element (operations
// without output, such as AddTagsToResource).
std::string QueryResponse(std::string_view ns, std::string_view action, std::string_view result,
                          std::string_view request_id, bool has_result = true);
// <ErrorResponse xmlns=ns><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
std::string QueryError(std::string_view ns, std::string_view type, std::string_view code,
                       std::string_view message, std::string_view request_id);

}  // namespace drsnap::sim

// Small pugixml helpers for decoding AWS Query protocol (XML) responses into
// typed structs. AWS responses use a default namespace and no prefixes, so
// elements are matched by name.
//
// Decoding rules: a missing element leaves the field unchanged (optional
// fields are fine); a present element with a value that does not parse
// (integer, boolean, timestamp) is an error with code "MalformedResponse"
// naming the element. Nothing here throws.
//
// Thread safety: plain functions and values; a FieldReader is not shared.
#pragma once

#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws::xml {

// An Error with code "MalformedResponse".
Error Malformed(std::string message);

// Parses body into a document. Error (MalformedResponse) when it is not
// well-formed XML or is empty.
Result<std::unique_ptr<pugi::xml_document>> Parse(std::string_view body);

// The <action>Result element of <action>Response (e.g.
// DescribeDBSnapshotsResponse/DescribeDBSnapshotsResult). Error
// (MalformedResponse) when the response element is missing. When the
// Result element is absent (actions with no output, e.g. AddTagsToResource)
// returns an empty node if allow_missing_result, else an error.
Result<pugi::xml_node> ResultNode(const pugi::xml_document& doc, std::string_view action,
                                  bool allow_missing_result = false);

// Text of the child element `name`; "" when absent.
std::string ChildText(pugi::xml_node node, const char* name);

// Each <member_name> child of <list_name>, in document order. The list
// element itself may be absent (no items).
std::vector<pugi::xml_node> ListItems(pugi::xml_node node, const char* list_name,
                                      const char* member_name);

// Reads typed child elements of one node, remembering the first error so
// callers can read every field and check once.
class FieldReader {
 public:
  // Indexes the node's child elements once, so that each field lookup is a
  // scan of (length, name) pairs instead of a walk of the sibling list.
  explicit FieldReader(pugi::xml_node node);

  void String(const char* name, std::string* out);
  void Int(const char* name, int* out);
  void Int(const char* name, std::optional<int>* out);
  void Int64(const char* name, long long* out);
  void Bool(const char* name, bool* out);
  void Bool(const char* name, std::optional<bool>* out);
  void Time(const char* name, std::optional<TimePoint>* out);
  // <list_name><member_name>text</member_name>...</list_name>
  void StringList(const char* list_name, const char* member_name, std::vector<std::string>* out);

  // OkStatus, or the first MalformedResponse error met.
  Status status() const;
  bool ok() const { return !error_; }
  pugi::xml_node node() const { return node_; }

 private:
  void Fail(const char* name, std::string_view value, const char* what);
  // The first child element called `name`, or an empty node.
  pugi::xml_node Child(const char* name) const;

  struct Entry {
    std::string_view name;
    pugi::xml_node node;
  };
  pugi::xml_node node_;
  std::vector<Entry> children_;
  std::optional<Error> error_;
};

// Parsers for single values; nullopt when malformed. Leading/trailing
// whitespace is ignored.
std::optional<long long> ParseInt64(std::string_view s);
std::optional<bool> ParseBool(std::string_view s);

}  // namespace drsnap::aws::xml

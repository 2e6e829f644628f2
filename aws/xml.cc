#include "aws/xml.h"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "core/time_util.h"

namespace drsnap::aws::xml {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Error Malformed(std::string message) {
  return Error::Terminal("MalformedResponse", std::move(message));
}

Result<std::unique_ptr<pugi::xml_document>> Parse(std::string_view body) {
  auto doc = std::make_unique<pugi::xml_document>();
  if (Trim(body).empty()) return Fail(Malformed("the response body is empty, expected XML"));
  pugi::xml_parse_result r =
      doc->load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    return Fail(Malformed(std::string("the response is not well-formed XML: ") + r.description() +
                          " at offset " + std::to_string(r.offset)));
  }
  if (!doc->document_element()) return Fail(Malformed("the XML response has no root element"));
  return doc;
}

Result<pugi::xml_node> ResultNode(const pugi::xml_document& doc, std::string_view action,
                                  bool allow_missing_result) {
  std::string response_name = std::string(action) + "Response";
  std::string result_name = std::string(action) + "Result";
  pugi::xml_node root = doc.document_element();
  if (response_name != root.name()) {
    return Fail(
        Malformed("expected <" + response_name + "> as the XML root, got <" + root.name() + ">"));
  }
  pugi::xml_node result = root.child(result_name.c_str());
  if (!result && !allow_missing_result) {
    return Fail(Malformed("<" + response_name + "> has no <" + result_name + "> element"));
  }
  return result;
}

std::string ChildText(pugi::xml_node node, const char* name) {
  return node.child(name).child_value();
}

std::vector<pugi::xml_node> ListItems(pugi::xml_node node, const char* list_name,
                                      const char* member_name) {
  std::vector<pugi::xml_node> out;
  pugi::xml_node list = node.child(list_name);
  for (pugi::xml_node item = list.child(member_name); item; item = item.next_sibling(member_name)) {
    out.push_back(item);
  }
  return out;
}

std::optional<long long> ParseInt64(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  long long v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string_view s) {
  s = Trim(s);
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

FieldReader::FieldReader(pugi::xml_node node) : node_(node) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) children_.push_back(Entry{c.name(), c});
  }
}

pugi::xml_node FieldReader::Child(const char* name) const {
  std::string_view wanted(name);
  for (const Entry& e : children_) {
    if (e.name == wanted) return e.node;
  }
  return pugi::xml_node();
}

void FieldReader::Fail(const char* name, std::string_view value, const char* what) {
  if (error_) return;
  std::string shown(value.substr(0, 64));
  error_ = Malformed(std::string("<") + node_.name() + "><" + name + "> is not " + what + ": \"" +
                     shown + "\"");
}

void FieldReader::String(const char* name, std::string* out) {
  pugi::xml_node n = Child(name);
  if (n) *out = n.child_value();
}

void FieldReader::Int(const char* name, int* out) {
  std::optional<int> v;
  Int(name, &v);
  if (v) *out = *v;
}

void FieldReader::Int(const char* name, std::optional<int>* out) {
  pugi::xml_node n = Child(name);
  if (!n) return;
  auto v = ParseInt64(n.child_value());
  if (!v || *v < INT32_MIN || *v > INT32_MAX) return Fail(name, n.child_value(), "an integer");
  *out = static_cast<int>(*v);
}

void FieldReader::Int64(const char* name, long long* out) {
  pugi::xml_node n = Child(name);
  if (!n) return;
  auto v = ParseInt64(n.child_value());
  if (!v) return Fail(name, n.child_value(), "an integer");
  *out = *v;
}

void FieldReader::Bool(const char* name, bool* out) {
  std::optional<bool> v;
  Bool(name, &v);
  if (v) *out = *v;
}

void FieldReader::Bool(const char* name, std::optional<bool>* out) {
  pugi::xml_node n = Child(name);
  if (!n) return;
  auto v = ParseBool(n.child_value());
  if (!v) return Fail(name, n.child_value(), "a boolean");
  *out = *v;
}

void FieldReader::Time(const char* name, std::optional<TimePoint>* out) {
  pugi::xml_node n = Child(name);
  if (!n) return;
  auto v = ParseIso8601(Trim(n.child_value()));
  if (!v) return Fail(name, n.child_value(), "an ISO 8601 timestamp");
  *out = *v;
}

void FieldReader::StringList(const char* list_name, const char* member_name,
                             std::vector<std::string>* out) {
  pugi::xml_node list = Child(list_name);
  if (!list) return;
  out->clear();
  for (pugi::xml_node item = list.child(member_name); item; item = item.next_sibling(member_name)) {
    out->emplace_back(item.child_value());
  }
}

Status FieldReader::status() const {
  if (error_) return ::drsnap::Fail(*error_);
  return OkStatus();
}

}  // namespace drsnap::aws::xml

#include "sim/xml_writer.h"

#include <charconv>

#include "core/time_util.h"

namespace drsnap::sim {

void AppendXmlEscaped(std::string* out, std::string_view s) {
  // Fast path: most values need no escaping.
  bool plain = true;
  for (char c : s) {
    if (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->append(s);
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* rep = nullptr;
    switch (s[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&apos;"; break;
      default: continue;
    }
    out->append(s.substr(start, i - start));
    out->append(rep);
    start = i + 1;
  }
  out->append(s.substr(start));
}

void XmlWriter::Open(std::string_view name) {
  out_ += '<';
  out_ += name;
  out_ += '>';
}

void XmlWriter::Close(std::string_view name) {
  out_ += "</";
  out_ += name;
  out_ += '>';
}

void XmlWriter::Text(std::string_view name, std::string_view text) {
  Open(name);
  AppendXmlEscaped(&out_, text);
  Close(name);
}

void XmlWriter::Int(std::string_view name, long long v) {
  Open(name);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  Close(name);
}

void XmlWriter::Bool(std::string_view name, bool v) {
  Open(name);
  out_ += v ? "true" : "false";
  Close(name);
}

void AppendIso8601(std::string* out, TimePoint t) {
  using namespace std::chrono;
  auto ms = time_point_cast<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day ymd{day};
  long long rest = (ms - day).count();
  int y = static_cast<int>(ymd.year());
  unsigned mo = unsigned(ymd.month()), d = unsigned(ymd.day());
  unsigned msec = static_cast<unsigned>(rest % 1000);
  unsigned sec = static_cast<unsigned>(rest / 1000 % 60);
  unsigned mi = static_cast<unsigned>(rest / 60000 % 60);
  unsigned h = static_cast<unsigned>(rest / 3600000);
  if (y < 0 || y > 9999) {
    out->append(FormatIso8601(t));
    return;
  }
  char buf[24] = {char('0' + y / 1000), char('0' + y / 100 % 10), char('0' + y / 10 % 10),
                  char('0' + y % 10), '-', char('0' + mo / 10), char('0' + mo % 10), '-',
                  char('0' + d / 10), char('0' + d % 10), 'T', char('0' + h / 10),
                  char('0' + h % 10), ':', char('0' + mi / 10), char('0' + mi % 10), ':',
                  char('0' + sec / 10), char('0' + sec % 10), '.', char('0' + msec / 100),
                  char('0' + msec / 10 % 10), char('0' + msec % 10), 'Z'};
  out->append(buf, 24);
}

void XmlWriter::Time(std::string_view name, TimePoint t) {
  Open(name);
  AppendIso8601(&out_, t);
  Close(name);
}

void XmlWriter::Empty(std::string_view name) {
  out_ += '<';
  out_ += name;
  out_ += "/>";
}

std::string QueryResponse(std::string_view ns, std::string_view action, std::string_view result,
                          std::string_view request_id, bool has_result) {
  std::string out;
  out.reserve(result.size() + 256);
  out += "<";
  out += action;
  out += "Response xmlns=\"";
  out += ns;
  out += "\">\n";
  if (has_result) {
    out += "  <";
    out += action;
    out += "Result>";
    out += result;
    out += "</";
    out += action;
    out += "Result>\n";
  }
  out += "  <ResponseMetadata>\n    <RequestId>";
  out += request_id;
  out += "</RequestId>\n  </ResponseMetadata>\n</";
  out += action;
  out += "Response>\n";
  return out;
}

std::string QueryError(std::string_view ns, std::string_view type, std::string_view code,
                       std::string_view message, std::string_view request_id) {
  std::string out = "<ErrorResponse xmlns=\"";
  out += ns;
  out += "\">\n  <Error>\n    <Type>";
  AppendXmlEscaped(&out, type);
  out += "</Type>\n    <Code>";
  AppendXmlEscaped(&out, code);
  out += "</Code>\n    <Message>";
  AppendXmlEscaped(&out, message);
  out += "</Message>\n  </Error>\n  <RequestId>";
  out += request_id;
  out += "</RequestId>\n</ErrorResponse>\n";
  return out;
}

}  // namespace drsnap::sim

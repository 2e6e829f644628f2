#include "aws/redact.h"

#include <strings.h>

#include <array>
#include <cctype>

#include "aws/encoding.h"

namespace drsnap::aws {

namespace {

struct Field {
  std::string_view name;
  bool to_end_of_line;  // with ':': the value is the rest of the line
};

// The names of credential-bearing fields, lower case. The boundary check
// (FieldAt) keeps "signature" from matching inside "X-Amz-Signature" or
// "SignatureDoesNotMatch", and "token" inside "NextToken".
constexpr std::array<Field, 12> kFields = {{
    {"authorization", true},
    {"x-amz-security-token", false},
    {"x-amz-signature", false},
    {"x-amz-credential", false},
    {"x-aws-ec2-metadata-token", false},
    {"aws_secret_access_key", false},
    {"aws_session_token", false},
    {"secretaccesskey", false},
    {"sessiontoken", false},
    {"signature", false},
    {"credential", false},
    {"token", false},
}};

// Known secrets shorter than this are not replaced: they would match
// ordinary words (and an unset token is "").
constexpr size_t kMinKnownSecret = 8;

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

bool Blank(char c) { return c == ' ' || c == '\t'; }

bool StartsWithNoCase(std::string_view s, size_t at, std::string_view prefix) {
  return s.size() - at >= prefix.size() &&
         ::strncasecmp(s.data() + at, prefix.data(), prefix.size()) == 0;
}

// The field whose name starts at `at` (with a boundary on both sides), or null.
const Field* FieldAt(std::string_view text, size_t at) {
  // A percent-encoded byte before the name ("%26X-Amz-Signature") is a
  // boundary too.
  const bool after_escape = at >= 3 && text[at - 3] == '%' &&
                            std::isxdigit(static_cast<unsigned char>(text[at - 2])) &&
                            std::isxdigit(static_cast<unsigned char>(text[at - 1]));
  if (at > 0 && NameChar(text[at - 1]) && !after_escape) return nullptr;
  for (const Field& f : kFields) {
    if (!StartsWithNoCase(text, at, f.name)) continue;
    size_t end = at + f.name.size();
    if (end < text.size() && NameChar(text[end])) continue;
    return &f;
  }
  return nullptr;
}

enum class Separator { kNone, kColon, kEquals, kEncodedEquals, kElement };

// After a field name at `pos`: an optional closing quote (a JSON member
// name), blanks, the separator, blanks. Sets *value_at to where the value
// starts.
Separator SeparatorAt(std::string_view text, size_t pos, size_t* value_at) {
  if (pos < text.size() && text[pos] == '>') {
    *value_at = pos + 1;
    return Separator::kElement;
  }
  if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
    ++pos;
  } else if (StartsWithNoCase(text, pos, "\\\"")) {
    pos += 2;  // a member name of JSON inside a JSON string: \"name\":
  }
  while (pos < text.size() && Blank(text[pos])) ++pos;
  Separator sep = Separator::kNone;
  if (pos < text.size() && text[pos] == ':') {
    sep = Separator::kColon;
    ++pos;
  } else if (pos < text.size() && text[pos] == '=') {
    sep = Separator::kEquals;
    ++pos;
  } else if (StartsWithNoCase(text, pos, "%3D")) {
    *value_at = pos + 3;  // no blanks in URL-encoded text
    return Separator::kEncodedEquals;
  } else {
    return Separator::kNone;
  }
  while (pos < text.size() && Blank(text[pos])) ++pos;
  *value_at = pos;
  return sep;
}

// The end of a quoted value starting with the quote at `at` (backslash
// escapes as in JSON): the position after its closing quote, or the end.
size_t QuotedEnd(std::string_view text, size_t at) {
  const char quote = text[at];
  for (size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] == quote) return i;
  }
  return text.size();
}

size_t ValueEnd(std::string_view text, size_t at, Separator sep, bool to_end_of_line) {
  size_t i = at;
  if (sep == Separator::kElement) {
    while (i < text.size() && text[i] != '<') ++i;
    return i;
  }
  if (sep == Separator::kColon && to_end_of_line) {
    while (i < text.size() && text[i] != '\n' && text[i] != '\r') ++i;
    return i;
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == '&' || c == '"' || c == '\'' ||
        c == ',' || c == ';' || c == '<' || c == '\\') {
      break;
    }
    if (sep == Separator::kEncodedEquals && StartsWithNoCase(text, i, "%26")) break;
  }
  return i;
}

std::string RedactFields(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // Every field name starts with one of these letters: a cheap test first.
    const char first = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    const bool may_start =
        first == 'a' || first == 'x' || first == 's' || first == 'c' || first == 't';
    const Field* f = may_start ? FieldAt(text, i) : nullptr;
    if (f == nullptr) {
      out += text[i++];
      continue;
    }
    size_t name_end = i + f->name.size();
    size_t value_at = 0;
    Separator sep = SeparatorAt(text, name_end, &value_at);
    // '>' counts after an opening tag only, not after "</SessionToken".
    if (sep == Separator::kElement && (i == 0 || text[i - 1] != '<')) sep = Separator::kNone;
    if (sep == Separator::kNone) {
      out.append(text.substr(i, name_end - i));
      i = name_end;
      continue;
    }
    size_t value_end;
    size_t keep_after = 0;  // a closing quote to keep
    if (sep != Separator::kElement && value_at < text.size() &&
        (text[value_at] == '"' || text[value_at] == '\'')) {
      // JSON (or a quoted value): the whole string, quotes kept.
      ++value_at;
      value_end = QuotedEnd(text, value_at - 1);
      keep_after = value_end < text.size() ? 1 : 0;
    } else if (sep != Separator::kElement && StartsWithNoCase(text, value_at, "\\\"")) {
      // A JSON string inside a JSON string: \"value\".
      value_at += 2;
      value_end = text.find("\\\"", value_at);
      if (value_end == std::string_view::npos) value_end = text.size();
      keep_after = value_end < text.size() ? 2 : 0;
    } else {
      value_end = ValueEnd(text, value_at, sep, f->to_end_of_line);
    }
    out.append(text.substr(i, value_at - i));
    if (value_end > value_at) out.append(kRedacted);
    out.append(text.substr(value_end, keep_after));
    i = value_end + keep_after;
  }
  return out;
}

void ReplaceAll(std::string* text, std::string_view needle) {
  if (needle.size() < kMinKnownSecret) return;
  std::string out;
  size_t from = 0;
  for (size_t at = text->find(needle); at != std::string::npos; at = text->find(needle, from)) {
    out.append(*text, from, at - from);
    out.append(kRedacted);
    from = at + needle.size();
  }
  if (from == 0) return;
  out.append(*text, from, std::string::npos);
  *text = std::move(out);
}

}  // namespace

std::string RedactSecrets(std::string_view text,
                          const std::vector<std::string_view>& known_secrets) {
  std::string out = RedactFields(text);
  for (std::string_view secret : known_secrets) {
    ReplaceAll(&out, secret);
    std::string encoded = UriEncode(secret);
    if (encoded != secret) ReplaceAll(&out, encoded);
  }
  return out;
}

}  // namespace drsnap::aws

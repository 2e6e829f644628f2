// SharedString: an immutable string whose copies share one buffer.
//
// Why: a plan may repeat one sentence for hundreds of thousands of actions
// ("retention daily 7, ... : not selected by ..."). As std::string each copy
// is its own heap block; shared, a copy is a reference-count increment.
//
// Reads go through str() (or the implicit conversions to const std::string&
// and std::string_view); there is no way to modify the text in place:
// assign a new one.
//
// Thread safety: like std::shared_ptr<const std::string>: copies may be used
// and destroyed from different threads; one object is not written
// concurrently.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace drsnap {

class SharedString {
 public:
  SharedString() = default;
  SharedString(std::string s)  // NOLINT: implicit, a drop-in for std::string fields
      : text_(s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s))) {}
  SharedString(const char* s) : SharedString(std::string(s)) {}  // NOLINT: as above

  const std::string& str() const { return text_ ? *text_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT: drop-in
  operator std::string_view() const { return str(); }    // NOLINT: drop-in
  bool empty() const { return !text_; }
  size_t size() const { return str().size(); }
  size_t find(std::string_view what, size_t pos = 0) const { return str().find(what, pos); }
  // True when both are copies of one text (no character is compared).
  bool SharesWith(const SharedString& other) const { return text_ == other.text_; }

  // One comparison (by text) covers SharedString, std::string and literals.
  friend bool operator==(const SharedString& a, std::string_view b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& os, const SharedString& s) { return os << s.str(); }

 private:
  static const std::string& Empty() {
    static const std::string kEmpty;
    return kEmpty;
  }
  std::shared_ptr<const std::string> text_;  // null when empty
};

}  // namespace drsnap

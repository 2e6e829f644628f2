// SharedString: an immutable string whose copies share one buffer, in one
// pointer.
//
// Why: a plan may repeat one sentence for hundreds of thousands of actions
// ("retention daily 7, ... : not selected by ..."), and most of an action's
// optional fields are empty. As std::string each is 32 bytes plus, when
// longer than 15 characters, its own heap block; as SharedString it is 8
// bytes, a copy is a reference-count increment, and an empty one allocates
// nothing.
//
// Reads go through str() (or the implicit conversions to const std::string&
// and std::string_view); there is no way to modify the text in place:
// assign a new one.
//
// Thread safety: like std::shared_ptr<const std::string>: copies may be
// used and destroyed from different threads; one object is not written
// concurrently.
#pragma once

#include <atomic>
#include <compare>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace drsnap {

class SharedString {
 public:
  SharedString() = default;
  SharedString(std::string s)  // NOLINT: implicit, a drop-in for std::string fields
      : rep_(s.empty() ? nullptr : new Rep{{1}, std::move(s)}) {}
  SharedString(const char* s) : SharedString(std::string(s)) {}  // NOLINT: as above
  SharedString(const SharedString& o) noexcept : rep_(o.rep_) {
    if (rep_) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedString(SharedString&& o) noexcept : rep_(std::exchange(o.rep_, nullptr)) {}
  SharedString& operator=(SharedString o) noexcept {
    std::swap(rep_, o.rep_);
    return *this;
  }
  ~SharedString() {
    if (rep_ && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete rep_;
  }

  const std::string& str() const { return rep_ ? rep_->text : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT: drop-in
  operator std::string_view() const { return str(); }    // NOLINT: drop-in
  bool empty() const { return !rep_; }
  size_t size() const { return str().size(); }
  const char* data() const { return str().data(); }
  const char* c_str() const { return str().c_str(); }
  size_t find(std::string_view what, size_t pos = 0) const { return str().find(what, pos); }
  std::string substr(size_t pos, size_t n = std::string::npos) const { return str().substr(pos, n); }
  int compare(std::string_view other) const { return std::string_view(str()).compare(other); }
  bool starts_with(std::string_view prefix) const { return str().starts_with(prefix); }
  // True when both are copies of one text (no character is compared).
  bool SharesWith(const SharedString& other) const { return rep_ == other.rep_; }
  // Asks the CPU to fetch the shared buffer's header (whose count a copy
  // increments) ahead of time: for loops that copy many cold strings.
  void Prefetch() const {
    if (rep_) __builtin_prefetch(rep_, 1);
  }

  // One comparison (by text) covers SharedString, std::string and literals.
  friend bool operator==(const SharedString& a, std::string_view b) { return a.str() == b; }
  friend std::strong_ordering operator<=>(const SharedString& a, std::string_view b) {
    return std::string_view(a.str()) <=> b;
  }
  // Concatenation makes a std::string, as for std::string operands.
  friend std::string operator+(std::string a, const SharedString& b) { return a += b.str(); }
  friend std::string operator+(const char* a, const SharedString& b) { return a + b.str(); }
  friend std::string operator+(const SharedString& a, std::string_view b) {
    std::string out = a.str();
    return out.append(b);
  }
  friend std::string operator+(const SharedString& a, const SharedString& b) {
    return a.str() + b.str();
  }
  // Exact matches, so that `shared + "text"` is not ambiguous.
  friend std::string operator+(const SharedString& a, const char* b) { return a.str() + b; }
  friend std::string operator+(const SharedString& a, const std::string& b) { return a.str() + b; }
  friend std::string operator+(const SharedString& a, char b) { return a.str() + b; }
  friend std::ostream& operator<<(std::ostream& os, const SharedString& s) { return os << s.str(); }

 private:
  struct Rep {
    std::atomic<long> refs;
    std::string text;
  };
  static const std::string& Empty() {
    static const std::string kEmpty;
    return kEmpty;
  }
  Rep* rep_ = nullptr;  // null when empty
};

}  // namespace drsnap

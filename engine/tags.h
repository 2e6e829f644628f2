// Tags: the key -> value tags of an AWS resource, as one small sorted vector.
//
// Why not std::map: an inventory holds a million snapshots with about seven
// tags each. As map nodes that is seven scattered allocations per snapshot
// (~780 bytes) that every pass over the inventory chases through the cache;
// as one sorted vector it is one allocation (~470 bytes, keys mostly in the
// strings' inline buffers) walked front to back. Lookups in up to 16 tags
// scan them comparing lengths first; larger sets are binary-searched.
//
// The interface is the part of std::map the code uses, with the same
// semantics: keys are unique and iterate in order; insert/emplace keep an
// existing value; operator[] inserts an empty value; at() throws
// std::out_of_range. Iterators are invalidated by any insertion or erasure
// (as for std::vector). Keys must not be modified through an iterator.
//
// Thread safety: a plain value.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drsnap::engine {

class Tags {
 public:
  using key_type = std::string;
  using mapped_type = std::string;
  using value_type = std::pair<std::string, std::string>;
  using Items = std::vector<value_type>;
  using iterator = Items::iterator;
  using const_iterator = Items::const_iterator;
  using size_type = std::size_t;

  Tags() = default;
  // Duplicate keys: the first one wins (as for std::map).
  Tags(std::initializer_list<value_type> items) { Assign(items.begin(), items.end()); }
  template <typename It>
  Tags(It first, It last) {
    Assign(first, last);
  }

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_type size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }
  void reserve(size_type n) { items_.reserve(n); }

  // The first entry whose key is not less than `key`.
  iterator lower_bound(std::string_view key) { return items_.begin() + LowerIndex(key); }
  const_iterator lower_bound(std::string_view key) const {
    return items_.begin() + LowerIndex(key);
  }
  iterator find(std::string_view key) { return items_.begin() + FindIndex(key); }
  const_iterator find(std::string_view key) const { return items_.begin() + FindIndex(key); }
  bool contains(std::string_view key) const { return FindIndex(key) != items_.size(); }
  size_type count(std::string_view key) const { return contains(key) ? 1 : 0; }

  const std::string& at(std::string_view key) const {
    size_t i = FindIndex(key);
    if (i == items_.size()) throw std::out_of_range("Tags::at: no tag '" + std::string(key) + "'");
    return items_[i].second;
  }
  std::string& at(std::string_view key) {
    return const_cast<std::string&>(std::as_const(*this).at(key));
  }
  std::string& operator[](std::string_view key) { return emplace(key, std::string()).first->second; }

  // Inserts (key, value) unless `key` is present; returns the entry and
  // whether it was inserted.
  template <typename K, typename V>
  std::pair<iterator, bool> emplace(K&& key, V&& value) {
    std::string_view k(key);
    size_t i = LowerIndex(k);
    if (i != items_.size() && items_[i].first == k) return {items_.begin() + i, false};
    auto it = items_.emplace(items_.begin() + i, std::string(std::forward<K>(key)),
                             std::string(std::forward<V>(value)));
    return {it, true};
  }
  std::pair<iterator, bool> insert(value_type item) {
    return emplace(std::move(item.first), std::move(item.second));
  }
  template <typename V>
  std::pair<iterator, bool> insert_or_assign(std::string_view key, V&& value) {
    auto [it, inserted] = emplace(key, std::string());
    it->second = std::forward<V>(value);
    return {it, inserted};
  }
  size_type erase(std::string_view key) {
    size_t i = FindIndex(key);
    if (i == items_.size()) return 0;
    items_.erase(items_.begin() + i);
    return 1;
  }
  iterator erase(const_iterator it) { return items_.erase(it); }

  friend bool operator==(const Tags&, const Tags&) = default;

 private:
  template <typename It>
  void Assign(It first, It last) {
    for (; first != last; ++first) items_.emplace_back(first->first, first->second);
    // Stable: among equal keys the first stays first, and unique keeps it.
    std::stable_sort(items_.begin(), items_.end(),
                     [](const value_type& a, const value_type& b) { return a.first < b.first; });
    items_.erase(std::unique(items_.begin(), items_.end(),
                             [](const value_type& a, const value_type& b) {
                               return a.first == b.first;
                             }),
                 items_.end());
  }
  size_t LowerIndex(std::string_view key) const {
    auto it = std::partition_point(items_.begin(), items_.end(), [&](const value_type& e) {
      return std::string_view(e.first) < key;
    });
    return static_cast<size_t>(it - items_.begin());
  }
  size_t FindIndex(std::string_view key) const {
    // Resources carry a handful of tags: a scan that compares sizes first
    // (kept inline in each string) reads no key of another length, where a
    // binary search would chase long keys' heap buffers.
    if (items_.size() <= kLinearScan) {
      for (size_t i = 0; i < items_.size(); ++i) {
        const std::string& k = items_[i].first;
        if (k.size() == key.size() && std::string_view(k) == key) return i;
      }
      return items_.size();
    }
    size_t i = LowerIndex(key);
    return i != items_.size() && items_[i].first == key ? i : items_.size();
  }
  static constexpr size_t kLinearScan = 16;

  Items items_;  // sorted by key, unique keys
};

}  // namespace drsnap::engine

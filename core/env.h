// The process environment is a side effect: code that reads environment
// variables does it through an Environment so tests can supply their own.
//
// Thread safety: Get() is safe for concurrent use; MapEnvironment::Set is not.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace drsnap {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when unset. An empty value is returned as "".
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
  // Get() with unset and empty both mapped to nullopt.
  std::optional<std::string> GetNonEmpty(std::string_view name) const;
};

class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
};

class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> vars);
  std::optional<std::string> Get(std::string_view name) const override;
  void Set(std::string name, std::string value);
  void Unset(std::string_view name);

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

std::shared_ptr<Environment> DefaultEnvironment();

}  // namespace drsnap

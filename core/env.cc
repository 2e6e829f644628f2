#include "core/env.h"

#include <cstdlib>

namespace drsnap {

std::optional<std::string> Environment::GetNonEmpty(std::string_view name) const {
  auto v = Get(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::optional<std::string> ProcessEnvironment::Get(std::string_view name) const {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

MapEnvironment::MapEnvironment(std::map<std::string, std::string, std::less<>> vars)
    : vars_(std::move(vars)) {}

std::optional<std::string> MapEnvironment::Get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

void MapEnvironment::Set(std::string name, std::string value) {
  vars_[std::move(name)] = std::move(value);
}

void MapEnvironment::Unset(std::string_view name) {
  auto it = vars_.find(name);
  if (it != vars_.end()) vars_.erase(it);
}

std::shared_ptr<Environment> DefaultEnvironment() {
  static auto env = std::make_shared<ProcessEnvironment>();
  return env;
}

}  // namespace drsnap

// FactoryRegistry: plugins (task drivers, storage backends, auth providers) registered by
// name and created from configuration, as Envoy's named factories.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"

namespace iotwins {

template <class Interface, class... Args>
class FactoryRegistry {
 public:
  using Factory = std::function<Result<std::unique_ptr<Interface>>(Args...)>;

  // Registers a factory; a second registration under the same name is a bug.
  Status add(const std::string& name, Factory factory) {
    std::lock_guard lock(mu_);
    if (!factories_.emplace(name, std::move(factory)).second) {
      return make_error(Errc::already_exists, "a factory named '" + name + "' is registered");
    }
    return ok();
  }

  Result<std::unique_ptr<Interface>> create(const std::string& name, Args... args) const {
    Factory factory;
    {
      std::lock_guard lock(mu_);
      auto it = factories_.find(name);
      if (it == factories_.end()) {
        std::string known;
        for (const auto& [n, f] : factories_) known += (known.empty() ? "" : ", ") + n;
        return make_error(Errc::not_found,
                          "no factory named '" + name + "' (known: " + known + ")");
      }
      factory = it->second;
    }
    return factory(std::forward<Args>(args)...);
  }

  bool contains(const std::string& name) const {
    std::lock_guard lock(mu_);
    return factories_.contains(name);
  }

  std::vector<std::string> names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [n, f] : factories_) out.push_back(n);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Factory> factories_;
};

}  // namespace iotwins

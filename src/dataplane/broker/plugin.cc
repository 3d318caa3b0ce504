// The Mosquitto 2.0 plugin entry points (plugin API version 5): adapts MOSQ_EVT_MESSAGE and
// MOSQ_EVT_TICK to a SpoolWriter, and — with `plugin_opt_auth_file` — MOSQ_EVT_BASIC_AUTH and
// MOSQ_EVT_ACL_CHECK to DeviceAuth (per-device passwords, each device limited to its twin's
// topics; device_auth.h). Loaded by the broker with `plugin /path/libiotwins_broker.so`
// and configured with `plugin_opt_<key> <value>` lines (spool_options.h).
//
// Why a plugin: Mosquitto 2.0.11 runs the MOSQ_EVT_MESSAGE callbacks before it sends the
// PUBACK of a QoS 1 message. Returning an error other than MOSQ_ERR_ACL_DENIED makes the
// broker drop the message unacknowledged and close the connection, so the device resends it;
// MOSQ_ERR_ACL_DENIED makes it acknowledge and discard the message.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/broker/device_auth.h"
#include "dataplane/broker/spool_writer.h"

namespace {

using iotwins::dataplane::broker::Access;
using iotwins::dataplane::broker::DeviceAuth;
using iotwins::dataplane::broker::SpoolWriter;
using iotwins::dataplane::broker::Verdict;

struct Plugin {
  mosquitto_plugin_id_t* id = nullptr;
  std::unique_ptr<SpoolWriter> writer;
  std::unique_ptr<DeviceAuth> auth;  // null: the broker's own settings decide who connects
};

void log_to_broker(int level, const std::string& message) {
  int mosq_level = level >= 2 ? MOSQ_LOG_ERR : level == 1 ? MOSQ_LOG_WARNING : MOSQ_LOG_INFO;
  mosquitto_log_printf(mosq_level, "%s", message.c_str());
}

int on_message(int, void* event_data, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  auto* ev = static_cast<mosquitto_evt_message*>(event_data);
  try {
    if (plugin->auth) {
      // Also checked here, so nothing a device may not publish can reach the spool whatever
      // order the broker runs its checks in.
      const char* user = mosquitto_client_username(ev->client);
      if (!user || !plugin->auth->allowed(user, ev->topic ? ev->topic : "", Access::write)) return MOSQ_ERR_ACL_DENIED;
    }
    const char* client = mosquitto_client_id(ev->client);
    std::string_view payload(static_cast<const char*>(ev->payload), ev->payloadlen);
    switch (plugin->writer->on_message(client ? client : "", ev->topic ? ev->topic : "", payload,
                                       ev->qos, ev->retain)) {
      case Verdict::spooled:
      case Verdict::ignored:
        return MOSQ_ERR_SUCCESS;
      case Verdict::too_large:
        return MOSQ_ERR_ACL_DENIED;
      case Verdict::refuse:
        return MOSQ_ERR_UNKNOWN;
    }
  } catch (const std::exception& e) {  // bad_alloc: refuse rather than let it cross into C
    log_to_broker(2, std::string("iotwins spool: ") + e.what());
  }
  return MOSQ_ERR_NOMEM;
}

void reload_auth(Plugin& plugin) {
  if (!plugin.auth) return;
  size_t before = plugin.auth->size();
  if (auto st = plugin.auth->reload_if_changed(); !st) {
    log_to_broker(2, "iotwins auth: " + st.error().message() + " (the previous credentials stay in force)");
  } else if (plugin.auth->size() != before) {
    mosquitto_log_printf(MOSQ_LOG_INFO, "iotwins auth: %zu users", plugin.auth->size());
  }
}

int on_basic_auth(int, void* event_data, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  auto* ev = static_cast<mosquitto_evt_basic_auth*>(event_data);
  try {
    reload_auth(*plugin);
    if (ev->username && ev->password && plugin->auth->authenticate(ev->username, ev->password)) return MOSQ_ERR_SUCCESS;
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "iotwins auth: refused user '%s'", ev->username ? ev->username : "(none)");
  } catch (const std::exception& e) {
    log_to_broker(2, std::string("iotwins auth: ") + e.what());
  }
  return MOSQ_ERR_AUTH;
}

int on_acl_check(int, void* event_data, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  auto* ev = static_cast<mosquitto_evt_acl_check*>(event_data);
  try {
    const char* user = mosquitto_client_username(ev->client);
    Access access = ev->access == MOSQ_ACL_WRITE ? Access::write
                    : ev->access == MOSQ_ACL_READ ? Access::read
                                                  : Access::subscribe;
    if (ev->access == MOSQ_ACL_UNSUBSCRIBE) return MOSQ_ERR_SUCCESS;
    if (user && plugin->auth->allowed(user, ev->topic ? ev->topic : "", access)) return MOSQ_ERR_SUCCESS;
  } catch (const std::exception& e) {
    log_to_broker(2, std::string("iotwins acl: ") + e.what());
  }
  return MOSQ_ERR_ACL_DENIED;
}

int on_tick(int, void*, void* userdata) {
  try {
    static_cast<Plugin*>(userdata)->writer->tick();
    reload_auth(*static_cast<Plugin*>(userdata));  // a changed credentials file, within a tick
  } catch (const std::exception& e) {
    log_to_broker(2, std::string("iotwins spool tick: ") + e.what());
  }
  return MOSQ_ERR_SUCCESS;
}

}  // namespace

#define IOTWINS_EXPORT extern "C" __attribute__((visibility("default")))

IOTWINS_EXPORT int mosquitto_plugin_version(int count, const int* versions) {
  for (int i = 0; i < count; ++i) {
    if (versions[i] == 5) return 5;
  }
  return -1;
}

IOTWINS_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                         mosquitto_opt* options, int option_count) {
  try {
    std::vector<std::pair<std::string, std::string>> kv;
    std::string auth_file;
    for (int i = 0; i < option_count; ++i) {
      std::string key = options[i].key ? options[i].key : "";
      std::string value = options[i].value ? options[i].value : "";
      if (key == "auth_file") {
        auth_file = value;
      } else {
        kv.emplace_back(std::move(key), std::move(value));
      }
    }
    auto parsed = iotwins::dataplane::broker::parse_spool_options(kv);
    if (!parsed) {
      log_to_broker(2, "iotwins spool: " + parsed.error().message());
      return MOSQ_ERR_INVAL;
    }
    auto plugin = std::make_unique<Plugin>();
    plugin->id = identifier;
    auto writer = SpoolWriter::open(iotwins::PosixFileSystem::instance(), std::move(*parsed),
                                    log_to_broker);
    if (!writer) {
      log_to_broker(2, "iotwins spool: " + writer.error().message());
      return MOSQ_ERR_UNKNOWN;
    }
    plugin->writer = std::move(*writer);
    if (!auth_file.empty()) {
      plugin->auth = std::make_unique<DeviceAuth>(auth_file);
      if (auto st = plugin->auth->reload_if_changed(); !st) {
        log_to_broker(2, "iotwins auth: " + st.error().message());
        return MOSQ_ERR_INVAL;
      }
      if (mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr, plugin.get()) !=
              MOSQ_ERR_SUCCESS ||
          mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, plugin.get()) !=
              MOSQ_ERR_SUCCESS) {
        log_to_broker(2, "iotwins auth: cannot register the broker callbacks");
        return MOSQ_ERR_UNKNOWN;
      }
      mosquitto_log_printf(MOSQ_LOG_INFO, "iotwins auth: %zu users from %s", plugin->auth->size(), auth_file.c_str());
    }
    if (mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, nullptr,
                                    plugin.get()) != MOSQ_ERR_SUCCESS ||
        mosquitto_callback_register(identifier, MOSQ_EVT_TICK, on_tick, nullptr, plugin.get()) !=
            MOSQ_ERR_SUCCESS) {
      mosquitto_callback_unregister(identifier, MOSQ_EVT_MESSAGE, on_message, nullptr);
      log_to_broker(2, "iotwins spool: cannot register the broker callbacks");
      return MOSQ_ERR_UNKNOWN;
    }
    auto& w = *plugin->writer;
    mosquitto_log_printf(MOSQ_LOG_INFO, "iotwins spool: %s, %zu topic filters, up to %llu bytes, "
                         "records %llu..%llu on disk",
                         w.options().spool_dir.c_str(), w.options().topics.size(),
                         (unsigned long long)w.options().max_bytes,
                         (unsigned long long)w.wal()->stats().first_seq,
                         (unsigned long long)w.wal()->committed_seq());
    *userdata = plugin.release();
    return MOSQ_ERR_SUCCESS;
  } catch (const std::exception& e) {
    log_to_broker(2, std::string("iotwins spool: ") + e.what());
    return MOSQ_ERR_NOMEM;
  }
}

IOTWINS_EXPORT int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
  auto* plugin = static_cast<Plugin*>(userdata);
  if (!plugin) return MOSQ_ERR_SUCCESS;
  mosquitto_callback_unregister(plugin->id, MOSQ_EVT_MESSAGE, on_message, nullptr);
  mosquitto_callback_unregister(plugin->id, MOSQ_EVT_TICK, on_tick, nullptr);
  if (plugin->auth) {
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr);
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
  }
  (void)plugin->writer->write_stats();
  delete plugin;  // closes the spool: under periodic, a last fdatasync
  return MOSQ_ERR_SUCCESS;
}

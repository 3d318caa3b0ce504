// IamStore: machines that joined (nodes) and the credentials of the devices behind them.
#include <algorithm>

#include "core/log.h"
#include "iam/encoding.h"
#include "iam/store.h"
#include "iam/store_schema.h"

namespace iotwins::iam {
namespace {

constexpr std::string_view kDevicePrefix = "iot_dev_";

spdlog::logger& logger() {
  static auto& log = log::get("iam");
  return log;
}

}  // namespace

Result<NodeIdentity> IamStore::add_node(const std::string& node_id, const std::string& group) {
  IOT_TRY(validate_name(node_id, "node id"));
  IOT_TRY(require_subject(Subject{SubjectKind::group, group}));
  int64_t now = clock_.now_ns();
  auto r = db_.execute("INSERT INTO iam_nodes (name, group_name, joined_ns) VALUES (?1, ?2, ?3)", {node_id, group, now});
  if (!r && r.error().code() == Errc::conflict) return make_error(Errc::already_exists, "node " + node_id + " already joined");
  IOT_TRY(r);
  return NodeIdentity{node_id, group, now, 0, {}};
}

Result<NodeIdentity> IamStore::get_node(const std::string& node_id) const {
  IOT_ASSIGN(auto rows, db_.query("SELECT name, group_name, joined_ns, revoked_ns FROM iam_nodes WHERE name = ?1", {node_id}));
  if (rows.empty()) return make_error(Errc::not_found, "node " + node_id + " never joined");
  NodeIdentity node{rows[0].text(0), rows[0].text(1), rows[0].integer(2), rows[0].integer(3), {}};
  IOT_ASSIGN(auto serials, db_.query("SELECT serial FROM iam_node_certificates WHERE node = ?1 ORDER BY serial", {node_id}));
  for (const auto& row : serials) node.certificate_serials.push_back(row.text(0));
  return node;
}

Status IamStore::add_node_certificate(const std::string& node_id, const std::string& serial) {
  IOT_ASSIGN(NodeIdentity node, get_node(node_id));
  if (node.revoked_ns != 0) return make_error(Errc::unauthenticated, "node " + node_id + " was revoked");
  IOT_TRY(db_.execute("INSERT OR IGNORE INTO iam_node_certificates (node, serial) VALUES (?1, ?2)", {node_id, serial}));
  return ok();
}

Result<NodeIdentity> IamStore::revoke_node(const std::string& node_id) {
  int64_t now = clock_.now_ns();
  std::string subject = Subject{SubjectKind::node, node_id}.to_string();
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(auto r, tx.execute("UPDATE iam_nodes SET revoked_ns = ?2 WHERE name = ?1 AND revoked_ns = 0", {node_id, now}));
    if (r.rows_changed == 0) {
      IOT_ASSIGN(auto rows, tx.query("SELECT 1 FROM iam_nodes WHERE name = ?1", {node_id}));
      if (rows.empty()) return make_error(Errc::not_found, "node " + node_id + " never joined");
    }
    IOT_TRY(tx.execute("UPDATE iam_api_tokens SET revoked_ns = ?2 WHERE subject = ?1 AND revoked_ns = 0", {subject, now}));
    return ok();
  }));
  logger().warn("node {} revoked: its API tokens and certificates are refused from now on", node_id);
  return get_node(node_id);
}

Result<Principal> IamStore::node_principal(const std::string& node_id) const {
  auto node = get_node(node_id);
  if (!node && node.error().code() == Errc::not_found) return make_error(Errc::unauthenticated, "node:" + node_id + " does not exist");
  IOT_TRY(node);
  if (node->revoked_ns != 0) return make_error(Errc::unauthenticated, "node:" + node_id + " was revoked");
  Subject subject{SubjectKind::node, node_id};
  IOT_ASSIGN(Principal p, principal_with_groups(subject, {node->group}));
  // A joined node is an agent of its group: that grant comes from the join, not a binding.
  p.grants.push_back(Grant{Role::agent, node->group, subject.to_string()});
  return p;
}

// --- device credentials ---

Result<std::string> IamStore::create_device_secret(const std::string& twin) {
  if (twin.empty() || twin.size() > 128) return make_error(Errc::invalid_argument, "twin id must be 1 to 128 bytes");
  IOT_ASSIGN(auto made, detail::make_token(kDevicePrefix));
  IOT_TRY(db_.execute("INSERT INTO iam_device_credentials (twin, digest, created_ns) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (twin) DO UPDATE SET digest = excluded.digest, created_ns = excluded.created_ns",
                      {twin, made.parts.digest, clock_.now_ns()}));
  logger().info("new device credential for twin {}", twin);
  return std::move(made.token);
}

Status IamStore::delete_device_credential(const std::string& twin) {
  IOT_ASSIGN(auto r, db_.execute("DELETE FROM iam_device_credentials WHERE twin = ?1", {twin}));
  if (r.rows_changed == 0) return make_error(Errc::not_found, "twin " + twin + " has no device credential");
  return ok();
}

Result<std::vector<DeviceCredential>> IamStore::device_credentials(const std::vector<std::string>& twins) const {
  std::vector<DeviceCredential> out;
  for (const auto& twin : twins) {
    IOT_ASSIGN(auto rows, db_.query("SELECT digest, created_ns FROM iam_device_credentials WHERE twin = ?1", {twin}));
    if (!rows.empty()) out.push_back(DeviceCredential{twin, rows[0].text(0), rows[0].integer(1)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.twin < b.twin; });
  return out;
}

}  // namespace iotwins::iam
